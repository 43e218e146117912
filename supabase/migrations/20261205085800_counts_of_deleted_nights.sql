-- A night with passes can be deleted again (with its organisation, or its owner's account).
--
-- The counts trigger (guests_adjust_counts) wrote a row for each pass deleted by the events'
-- cascade, for a night already gone, and the foreign key refused it, so the whole delete failed.
-- A pass deleted with its night now leaves the counts alone; the night's counts rows are deleted
-- by the same cascade.

/**
 * Trigger: what one pass's change adds to its night's counts, written to this connection's row.
 * A pass counts as `list_totals` has always counted it: on the list (registered, its places
 * 1 + plus-ones, arrived when checked in) unless waiting, pending or revoked, each of those apart.
 * A pass deleted with its night changes nothing.
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
  -- A pass deleted with its night (events' cascade) leaves no counts to keep: the night's rows
  -- go with it, and a row written now would point at a night that no longer exists.
  if tg_op = 'DELETE' and not exists (select 1 from public.events e where e.id = old.event_id) then
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

