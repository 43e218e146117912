-- The fair line for password work (bcrypt, the one expensive step). Guests are served in
-- arrival order, weighed across client addresses, at the rate the database can bcrypt. A guest
-- whose turn is near waits briefly inside the database and is served in the same call; one whose
-- turn is further away gets a committed 429 `busy` with Retry-After, the place in the line and
-- the estimated wait, and keeps the ticket. The database never answers 503 by its own decision.
-- Design, alternatives and limits: docs/fair-line.md.

insert into private.settings (key, value, description) values
  ('line_wait_ms', '1000', 'How long a call in the room waits for its bcrypt slot at most (together with the bcrypt well under anon''s 3 s statement timeout).'),
  ('line_room_per_slot', '3', 'Calls per bcrypt slot that may be in the database for password work at once: one running its bcrypt, the others waiting in the slot''s lock queue (each wait about one bcrypt), so that a slot never idles between two guests.'),
  ('line_overtake_ms', '1000', 'A guest who is here may overtake tickets whose owners are away only when their own turn is at most this far off (the order tolerance).'),
  ('line_grace_seconds', '10', 'A ticket whose owner has not come back this long after the time they were given is dropped.'),
  ('line_max_retry_after', '20', 'The longest Retry-After the line gives (a guest comes back at least this often, keeping the ticket alive).')
on conflict (key) do nothing;

-- =============================================================================================
-- Tables
-- =============================================================================================

/**
 * One ticket per (phone, client address) waiting for password work, so that a retried call
 * finds its own place. Ordered by `finish`, a virtual finish time as in fair queueing: a new
 * ticket from an address gets max(the line's virtual time, that address's last finish) +
 * 1/weight, so an address sending ten times its share is served its share, interleaved with
 * everyone else. `due_at` is when the owner was told to come back; `presence` is the key of the
 * advisory lock (class 74203) its owner holds while a call of theirs is in the database, so that
 * a slot is never left idle for an owner who is away. Unlogged: after a crash the
 * line starts again from the guests' next calls. Keys are sha256: no phone or address in clear.
 */
create unlogged table private.password_line (
  ticket bytea primary key,
  address bytea not null,
  finish double precision not null,
  arrived_at timestamptz not null default clock_timestamp(),
  due_at timestamptz not null default clock_timestamp(),
  presence integer not null generated always as ((('x' || encode(substr(ticket, 1, 4), 'hex'))::bit(32)::integer) & 2147483647) stored
);
create index password_line_order_idx on private.password_line (finish, arrived_at, ticket);
create index password_line_address_idx on private.password_line (address, finish);
alter table private.password_line enable row level security;
create policy "The password line is never read through the API" on private.password_line
  as restrictive for all to anon, authenticated using (false) with check (false);

/**
 * bcrypt completions per second (sharded by backend, like the rate-limit counters, so that
 * recording never waits on another transaction): the rolling throughput the line's estimates
 * use.
 */
create unlogged table private.password_completions (
  second timestamptz not null,
  shard integer not null,
  hits integer not null,
  primary key (second, shard)
);
alter table private.password_completions enable row level security;
create policy "Password completions are never read through the API" on private.password_completions
  as restrictive for all to anon, authenticated using (false) with check (false);

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * How many bcrypts run at once: the `bcrypt_slots` setting, or with "auto" the server's
 * max_parallel_workers (Supabase sizes it to the compute's cores, so a bigger compute gets more
 * slots without a migration).
 */
create or replace function private.bcrypt_slots()
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select greatest(1, least(64, case when jsonb_typeof(v) = 'number' then (v #>> '{}')::integer
                                    else current_setting('max_parallel_workers')::integer end))
  from (select private.setting('bcrypt_slots') as v) s
$$;

/** bcrypt slots running a bcrypt right now: the slot locks (class 74201) enter_line hands out. */
create or replace function private.bcrypt_slots_busy()
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select count(*)::integer from pg_catalog.pg_locks k
  where k.locktype = 'advisory' and k.classid = 74201 and k.granted
$$;

/** Places in the room: calls that may do password work or wait for a bcrypt slot at once. */
create or replace function private.line_room()
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select private.bcrypt_slots() * greatest(1, least(8, (private.setting('line_room_per_slot') #>> '{}')::integer))
$$;

/**
 * Bcrypts per second the line can count on: the completions of the last 10 seconds when there
 * were enough of them, else what the slots do at the bcrypt time measured at migration; never
 * above the global budget.
 */
create or replace function private.line_rate()
returns double precision
language sql
stable
security definer
set search_path = ''
as $$
  with recent as (
    select coalesce(sum(c.hits), 0)::float8 as n,
           greatest(1, extract(epoch from clock_timestamp() - min(c.second)))::float8 as span
    from private.password_completions c
    where c.second > clock_timestamp() - interval '10 seconds'
  ), budget as (
    select l.max_hits::float8 / l.window_seconds as per_second
    from private.rate_limits l where l.bucket = 'password_ops' and l.subject = '*'
  )
  select greatest(0.5, least(coalesce(b.per_second, 1e6),
           case when r.n >= 5 then r.n / least(10, r.span)
                else private.bcrypt_slots() * 1000 / greatest(1, (private.setting('bcrypt_ms') #>> '{}')::float8) end))
  from recent r left join budget b on true
$$;

/** Records one bcrypt: towards the line's throughput and the global password budget. */
create or replace function private.record_bcrypt()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.password_completions as c (second, shard, hits)
  values (date_trunc('second', clock_timestamp()), pg_backend_pid(), 1)
  on conflict (second, shard) do update set hits = c.hits + 1;
  perform private.rate_limit_add('password_ops', '*', 1);
end
$$;

/**
 * An address's weight in the line: 1, or for an address that operators gave a higher per-IP
 * limit (a carrier NAT, a venue's Wi-Fi) its limit divided by the default one.
 */
create or replace function private.line_weight(p_address text)
returns double precision
language sql
stable
security definer
set search_path = ''
as $$
  select greatest(1, coalesce(
    (select l.max_hits::float8 from private.rate_limits l where l.bucket = 'ip' and l.subject = p_address)
    / nullif((select l.max_hits::float8 from private.rate_limits l where l.bucket = 'ip' and l.subject = '*'), 0), 1))
$$;

/**
 * Takes this call's place in the fair line for password work on `p_phone` from `p_address`.
 * Returns null when the call may run its bcrypt now (it then holds one of the bcrypt slots until
 * its transaction ends), or the body of a committed 429 `busy` answer (Retry-After, position,
 * estimated wait) that the caller returns as is, so that the ticket survives.
 *
 * The call is served when fewer present owners are ahead of it than the room holds (tickets
 * whose owners are away do not hold the line, but may only be overtaken by a call whose turn is
 * within line_overtake_ms of service), the global password budget has room, and one of the
 * room's places (line_room: line_room_per_slot per bcrypt slot) is free; it then waits in its
 * slot's lock queue for at most `line_wait_ms`. No call waits on a lock a caller can hold for
 * longer than that: a second call for the same ticket, or for a phone being checked, answers
 * busy at once.
 */
create or replace function private.enter_line(p_phone text, p_address text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ticket bytea := private.sha256(p_phone || ' ' || p_address);
  v_address bytea := private.sha256(p_address);
  v_slots integer := private.bcrypt_slots();
  v_grace interval := make_interval(secs => (private.setting('line_grace_seconds'))::integer);
  v_lock_timeout text := current_setting('lock_timeout');
  v_finish float8;
  v_arrived timestamptz;
  v_ahead integer;
  v_position integer;
  v_budget record;
  v_room integer;
  v_room_size integer;
  v_deadline timestamptz;
  v_step integer;
  v_served boolean := false;
  v_window integer;
  v_rate float8;
  v_wait float8;
  v_retry numeric;
begin
  -- This ticket, or a new place in the line. Another call of the same phone from the same
  -- address in progress: answer busy rather than wait for it.
  perform set_config('lock_timeout', '100ms', true);
  begin
    select l.finish, l.arrived_at into v_finish, v_arrived
    from private.password_line l
    where l.ticket = v_ticket and l.due_at + v_grace > clock_timestamp()
    for update nowait;
    if not found then
      delete from private.password_line l where l.ticket = v_ticket;
      select greatest(
               coalesce((select min(l.finish) from private.password_line l where l.due_at + v_grace > clock_timestamp()), 0),
               coalesce((select max(l.finish) from private.password_line l
                         where l.address = v_address and l.due_at + v_grace > clock_timestamp()), 0))
             + 1 / private.line_weight(p_address)
        into v_finish;
      insert into private.password_line (ticket, address, finish)
      values (v_ticket, v_address, v_finish)
      returning arrived_at into v_arrived;
    end if;
  exception when lock_not_available or unique_violation then
    perform set_config('lock_timeout', v_lock_timeout, true);
    return private.committed_retry(429, 'busy', 'Your previous attempt is still being checked.',
      'Wait a moment; the page tries again by itself.', 1, jsonb_build_object('position', 1, 'wait_seconds', 1));
  end;

  -- Present: others see that this ticket's owner is here (pg_locks) until this call ends.
  perform pg_try_advisory_xact_lock(74203, (('x' || encode(substr(v_ticket, 1, 4), 'hex'))::bit(32)::integer) & 2147483647);

  -- One password check per phone at a time (a double tap is answered from the first one's
  -- result on its retry): a try-lock, so that nobody can make another caller wait on the phone.
  if not pg_try_advisory_xact_lock(74202, hashtext(p_phone)) then
    return private.committed_retry(429, 'busy', 'This phone number is being checked right now.',
      'Wait a moment; the page tries again by itself.', 1, jsonb_build_object('position', 1, 'wait_seconds', 1));
  end if;

  -- The line measured now: bcrypts per second, and how many places line_overtake_ms is at that
  -- pace (at least the room: nobody overtakes further than the calls being served).
  v_rate := private.line_rate();
  v_room_size := private.line_room();
  v_window := greatest(v_room_size, floor(v_rate * (private.setting('line_overtake_ms') #>> '{}')::float8 / 1000)::integer);
  -- Live tickets ahead (the ones being served are still in the table): the place in line. Of
  -- them, those whose owners are here now hold the line; one whose owner is away (told to come
  -- back, or gone) is overtaken rather than leave a slot idle, and goes first as soon as its
  -- owner is back, but only by a call whose turn would have come within line_overtake_ms
  -- anyway: nobody is served more than about that long after someone who came later.
  select count(*)::integer, (count(*) filter (where p.objid is not null))::integer
    into v_position, v_ahead
  from private.password_line l
  left join (select distinct k.objid::bigint as objid from pg_catalog.pg_locks k
             where k.locktype = 'advisory' and k.classid = 74203 and k.objsubid = 2 and k.granted) p
    on p.objid = l.presence
  where (l.finish, l.arrived_at, l.ticket) < (v_finish, v_arrived, v_ticket)
    and l.due_at + v_grace > clock_timestamp();
  select * into v_budget from private.rate_limit_add('password_ops', '*', 0);

  -- Served: fewer present owners ahead than the room holds, within the overtaking window, under
  -- the budget, and a place in the room is free (try-locks). A first call is treated alike: the
  -- only tickets it cannot see are those of other first calls in progress, which arrived at the
  -- same moment. In the room the call waits for its bcrypt slot in the lock's queue (first come,
  -- first served, no polling), at most one bcrypt per place ahead of it and never longer than
  -- line_wait_ms.
  if v_ahead < v_room_size and v_position < v_window
     and (v_budget.max_hits is null or v_budget.total < v_budget.max_hits) then
    for i in 1..v_room_size loop
      if pg_try_advisory_xact_lock(74204, i) then
        v_room := i;
        exit;
      end if;
    end loop;
    if v_room is not null then
      -- Any free slot at once; else wait in the queue of the place's own slot for about one
      -- bcrypt and look at every slot again, so that a call never waits behind one slot while
      -- another idles; until line_wait_ms has passed.
      v_deadline := clock_timestamp() + make_interval(secs => (private.setting('line_wait_ms') #>> '{}')::float8 / 1000);
      v_step := greatest(20, least(500, (private.setting('bcrypt_ms') #>> '{}')::float8::integer));
      loop
        for i in 0..v_slots - 1 loop
          v_served := pg_try_advisory_xact_lock(74201, (v_room - 1 + i) % v_slots + 1);
          exit when v_served;
        end loop;
        exit when v_served or clock_timestamp() >= v_deadline;
        perform set_config('lock_timeout', v_step || 'ms', true);
        begin
          perform pg_advisory_xact_lock(74201, (v_room - 1) % v_slots + 1);
          v_served := true;
        exception when lock_not_available then
          null; -- still busy: look at every slot again
        end;
        exit when v_served;
      end loop;
    end if;
  end if;
  perform set_config('lock_timeout', v_lock_timeout, true);
  if v_served then
    delete from private.password_line l where l.ticket = v_ticket;
    return null;
  end if;
  -- (The slots stayed busy for line_wait_ms, or the call was not admitted: the ticket keeps its place.)

  -- Not yet: say where the guest stands and when to come back. The wait is estimated from the
  -- measured throughput; the guest is sent back before it (three quarters of it, less a quarter
  -- second; a tenth-of-a-second precision in the body, at least 0.2 s, at most
  -- line_max_retry_after), so that owners are here when their turn comes and the slots never
  -- idle for somebody still asleep. Should the measure be low (slots idle because owners came
  -- back late), guests come back earlier than it says, the throughput rises, and so does the
  -- measure: the estimate corrects itself upwards instead of spiralling down.
  v_wait := (v_position + 1) / v_rate;
  if v_budget.max_hits is not null and v_budget.total >= v_budget.max_hits then
    v_wait := greatest(v_wait, v_budget.retry_after);
  end if;
  v_retry := round(greatest(0.2, least((private.setting('line_max_retry_after') #>> '{}')::numeric,
                                       0.75 * v_wait::numeric - 0.25)), 1);
  update private.password_line l set due_at = clock_timestamp() + make_interval(secs => v_retry::float8) where l.ticket = v_ticket;
  return private.committed_retry(429, 'busy',
    format('Many people are joining right now; you are number %s in line.', v_position + 1),
    case when v_retry < 2 then format('Keep this page open: it tries again by itself in a moment (about %s seconds to wait).', ceil(v_wait))
         else format('Keep this page open: it tries again by itself in %s seconds (about %s seconds to wait).', ceil(v_retry), ceil(v_wait)) end,
    v_retry, jsonb_build_object('position', v_position + 1, 'wait_seconds', ceil(v_wait)::integer));
end
$$;

/** Drops tickets whose owners stopped coming back and throughput older than a minute (pg_cron). */
create or replace function private.purge_password_line()
returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.password_line
  where due_at + make_interval(secs => (private.setting('line_grace_seconds'))::integer) < clock_timestamp();
  delete from private.password_completions where second < clock_timestamp() - interval '1 minute';
$$;

-- =============================================================================================
-- Grants: none (internal helpers; EXECUTE revoked from the API roles)
-- =============================================================================================

revoke execute on function private.bcrypt_slots(), private.bcrypt_slots_busy(), private.line_room(), private.line_rate(), private.record_bcrypt(),
  private.line_weight(text), private.enter_line(text, text), private.purge_password_line()
  from public, anon, authenticated;

-- =============================================================================================
-- Jobs
-- =============================================================================================

select cron.schedule('purge-password-line', '* * * * *', 'select private.purge_password_line()');
