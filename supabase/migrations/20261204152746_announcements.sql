-- Announcements from organisers to the door team ("list closing soon", "capacity reached"),
-- sent by the event-broadcast edge function through Realtime's broadcast API.

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * Authorizes an announcement for the event and counts it: only the organization's owners and
 * admins (404 `event_not_found` for a non-member, 403 `forbidden` for staff), at most `event_broadcasts` per minute (429). Returns the private
 * Realtime topic to send it to.
 */
create or replace function public.authorize_event_broadcast(p_event_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  perform private.rate_limit('event_broadcasts', p_event_id::text);
  return jsonb_build_object('topic', 'event:' || p_event_id);
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function public.authorize_event_broadcast(uuid) from public, anon, authenticated;
grant execute on function public.authorize_event_broadcast(uuid) to authenticated;
