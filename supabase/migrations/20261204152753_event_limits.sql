-- Raising an event's registrations per minute for a big night, without SQL: the organization's
-- owner or admin calls set_event_registration_limit (the limits table keeps the number).

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * Sets the new guests per minute `p_event_id` admits (1 to 100,000), overriding the default
 * of the `event_registrations` limit; returns {event_id, per_minute}. Only an owner or admin of
 * the event's organization may (private.require_event: 404 `event_not_found` for an event the
 * caller cannot see, 403 `forbidden` for staff and promoters; 401 `not_authenticated` without a
 * user; 400 `invalid_limit`).
 */
create or replace function public.set_event_registration_limit(p_event_id uuid, p_per_minute integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  if p_per_minute is null or p_per_minute not between 1 and 100000 then
    perform private.fail(400, 'invalid_limit', 'Registrations per minute must be between 1 and 100000.', 'Choose another number.');
  end if;
  insert into private.rate_limits (bucket, subject, max_hits, window_seconds, description)
  values ('event_registrations', p_event_id::text, p_per_minute, 60, 'Set by the organization (set_event_registration_limit).')
  on conflict (bucket, subject) do update set max_hits = excluded.max_hits, window_seconds = 60,
    description = excluded.description;
  return jsonb_build_object('event_id', p_event_id, 'per_minute', p_per_minute);
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function public.set_event_registration_limit(uuid, integer) from public, anon, authenticated;
grant execute on function public.set_event_registration_limit(uuid, integer) to authenticated;
