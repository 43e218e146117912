-- Raising an event's registrations per minute for a big night, without SQL: the organization's
-- owner or admin calls set_event_registration_limit (the limits table keeps the number).

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * Sets the new guests per minute `p_event_id` admits (1 to 100,000), overriding the default
 * of the `event_registrations` limit; returns {event_id, per_minute}. Only an owner or admin of
 * the event's organization may (403 `forbidden`; 404 `event_not_found` for an event the caller
 * cannot see; 401 `not_authenticated` without a user; 400 `invalid_limit`).
 */
create or replace function public.set_event_registration_limit(p_event_id uuid, p_per_minute integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid;
begin
  if auth.uid() is null then
    perform private.fail(401, 'not_authenticated', 'Sign in first.', 'Sign in as an owner or admin of the organization.');
  end if;
  select e.organization_id into v_org from public.events e where e.id = p_event_id;
  if not found or not private.is_member(v_org) then
    perform private.fail(404, 'event_not_found', 'This event does not exist or is not yours.', 'Check the event.');
  end if;
  if not private.is_member(v_org, array['owner', 'admin']) then
    perform private.fail(403, 'forbidden', 'Only an owner or admin of the organization can change its limits.',
      'Ask an owner or admin.');
  end if;
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
