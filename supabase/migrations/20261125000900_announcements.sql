-- Announcements from organisers to the door team ("list closing soon", "capacity reached"),
-- sent by the event-broadcast edge function through Realtime's broadcast API.

/**
 * Authorizes an announcement for the event and counts it: only the organization's owners and
 * admins (403 `forbidden`), at most `event_broadcasts` per minute (429). Returns the private
 * Realtime topic to send it to.
 */
create or replace function public.authorize_event_broadcast(p_event_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event_member(p_event_id, array['owner', 'admin']);
  perform private.rate_limit('event_broadcasts', p_event_id::text);
  return jsonb_build_object('topic', 'event:' || p_event_id);
end
$$;

revoke execute on function public.authorize_event_broadcast(uuid) from public, anon, authenticated;
grant execute on function public.authorize_event_broadcast(uuid) to authenticated;
