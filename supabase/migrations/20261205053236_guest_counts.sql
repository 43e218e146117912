-- A night's counts kept as they change, instead of counted again for every broadcast.
--
-- Every pass that is issued, promoted, revoked or checked in is broadcast with the night's totals
-- (private.list_totals), and capacity is checked against the places taken (private.places_taken).
-- Both counted the night's passes each time: a 3,000-guest night read 3,000 rows per registration,
-- the largest share of the database's time per guest in the benchmark (docs/benchmarks.md).
--
-- Now a trigger adds each change of a pass to a counter row of the night. One row per night would
-- make every registration of a night wait for the one before it to commit; instead each database
-- connection adds to its own row (shard = its backend pid, as private.rate_limit_counters does),
-- so registrations never wait for each other, and a reader sums a few rows. A pg_cron job folds
-- the connections' rows into one every ten minutes. The counts are transactional like the rows
-- they count: a registration that rolls back takes its count with it.

create table private.event_guest_counts (
  event_id uuid not null references public.events (id) on delete cascade,
  shard integer not null,
  registered bigint not null default 0,
  places bigint not null default 0,
  checked_in bigint not null default 0,
  checked_in_places bigint not null default 0,
  waiting bigint not null default 0,
  pending bigint not null default 0,
  revoked bigint not null default 0,
  primary key (event_id, shard)
);
alter table private.event_guest_counts enable row level security;
create policy "Guest counts are never read through the API" on private.event_guest_counts
  as restrictive for all to anon, authenticated using (false) with check (false);

/**
 * Trigger: what one pass's change adds to its night's counts, written to this connection's row.
 * A pass counts as `list_totals` has always counted it: on the list (registered, its places
 * 1 + plus-ones, arrived when checked in) unless waiting, pending or revoked, each of those apart.
 */
create or replace function private.adjust_guest_counts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_sign integer;
  v_row public.guests;
  v_holds boolean;
begin
  -- The old row leaves the counts, the new one enters them; an update that changes nothing
  -- counted (a name, a short code) writes nothing.
  if tg_op = 'UPDATE' and old.event_id = new.event_id and old.status = new.status
     and old.plus_ones = new.plus_ones and (old.checked_in_at is null) = (new.checked_in_at is null) then
    return null;
  end if;
  foreach v_sign in array case tg_op when 'INSERT' then array[1] when 'DELETE' then array[-1] else array[-1, 1] end loop
    v_row := case when v_sign = 1 then new else old end;
    v_holds := v_row.status not in ('waiting', 'pending', 'revoked');
    insert into private.event_guest_counts as c
      (event_id, shard, registered, places, checked_in, checked_in_places, waiting, pending, revoked)
    values (v_row.event_id, pg_backend_pid(),
      v_sign * v_holds::integer,
      v_sign * (case when v_holds then 1 + v_row.plus_ones else 0 end),
      v_sign * (v_holds and v_row.checked_in_at is not null)::integer,
      v_sign * (case when v_holds and v_row.checked_in_at is not null then 1 + v_row.plus_ones else 0 end),
      v_sign * (v_row.status = 'waiting')::integer,
      v_sign * (v_row.status = 'pending')::integer,
      v_sign * (v_row.status = 'revoked')::integer)
    on conflict (event_id, shard) do update set
      registered = c.registered + excluded.registered, places = c.places + excluded.places,
      checked_in = c.checked_in + excluded.checked_in, checked_in_places = c.checked_in_places + excluded.checked_in_places,
      waiting = c.waiting + excluded.waiting, pending = c.pending + excluded.pending, revoked = c.revoked + excluded.revoked;
  end loop;
  return null;
end
$$;

-- Named to fire before the broadcast triggers (after-row triggers fire in name order), so the
-- totals a broadcast carries include the pass it announces.
create trigger guests_adjust_counts
  after insert or update of event_id, status, plus_ones, checked_in_at or delete on public.guests
  for each row execute function private.adjust_guest_counts();

-- The nights' counts so far, in one row each (the migration runs before any request).
insert into private.event_guest_counts (event_id, shard, registered, places, checked_in, checked_in_places, waiting, pending, revoked)
select g.event_id, 0,
  count(*) filter (where g.status not in ('waiting', 'pending', 'revoked')),
  coalesce(sum(1 + g.plus_ones) filter (where g.status not in ('waiting', 'pending', 'revoked')), 0),
  count(g.checked_in_at) filter (where g.status not in ('waiting', 'pending', 'revoked')),
  coalesce(sum(1 + g.plus_ones) filter (where g.checked_in_at is not null and g.status not in ('waiting', 'pending', 'revoked')), 0),
  count(*) filter (where g.status = 'waiting'),
  count(*) filter (where g.status = 'pending'),
  count(*) filter (where g.status = 'revoked')
from public.guests g
group by g.event_id;

/** The night's counts for the organisers: passes on the list, places (with plus-ones), arrivals, waiting, pending. */
create or replace function private.list_totals(p_event_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'registered', coalesce(sum(c.registered), 0),
    'places', coalesce(sum(c.places), 0),
    'checked_in', coalesce(sum(c.checked_in), 0),
    'checked_in_places', coalesce(sum(c.checked_in_places), 0),
    'waiting', coalesce(sum(c.waiting), 0),
    'pending', coalesce(sum(c.pending), 0),
    'revoked', coalesce(sum(c.revoked), 0))
  from private.event_guest_counts c where c.event_id = p_event_id
$$;

/**
 * Places taken on a night (1 + plus-ones for each pass on the list), or by one promoter's or one
 * team's passes (for quotas). The night's own figure is read from its counts; a promoter's or a
 * team's is counted, as quotas are few and their passes a share of the night.
 */
create or replace function private.places_taken(p_event_id uuid, p_promoter_id uuid default null,
  p_team_id uuid default null)
returns bigint
language sql
stable
security definer
set search_path = ''
as $$
  select case when p_promoter_id is null and p_team_id is null then
      (select coalesce(sum(c.places), 0)::bigint from private.event_guest_counts c where c.event_id = p_event_id)
    else
      (select coalesce(sum(1 + g.plus_ones), 0)::bigint from public.guests g
       where g.event_id = p_event_id and g.status not in ('waiting', 'pending', 'revoked')
         and (p_promoter_id is null or g.promoter_id = p_promoter_id)
         and (p_team_id is null or g.team_id = p_team_id))
    end
$$;

/**
 * pg_cron, every ten minutes: each night's connection rows folded into one (shard 0). A row a
 * registration is writing right now is skipped (folded next time), so the fold never waits for a
 * registration, nor one for it.
 */
create or replace function private.fold_guest_counts()
returns void
language sql
security definer
set search_path = ''
as $$
  with gone as (
    delete from private.event_guest_counts d
    where d.ctid in (select c.ctid from private.event_guest_counts c where c.shard <> 0 for update skip locked)
    returning d.*)
  insert into private.event_guest_counts as c
    (event_id, shard, registered, places, checked_in, checked_in_places, waiting, pending, revoked)
  select g.event_id, 0, sum(g.registered), sum(g.places), sum(g.checked_in), sum(g.checked_in_places),
    sum(g.waiting), sum(g.pending), sum(g.revoked)
  from gone g group by g.event_id
  on conflict (event_id, shard) do update set
    registered = c.registered + excluded.registered, places = c.places + excluded.places,
    checked_in = c.checked_in + excluded.checked_in, checked_in_places = c.checked_in_places + excluded.checked_in_places,
    waiting = c.waiting + excluded.waiting, pending = c.pending + excluded.pending, revoked = c.revoked + excluded.revoked;
$$;

revoke execute on function private.adjust_guest_counts(), private.list_totals(uuid), private.places_taken(uuid, uuid, uuid),
  private.fold_guest_counts()
  from public, anon, authenticated;

select cron.schedule('fold-guest-counts', '*/10 * * * *', 'select private.fold_guest_counts()');
