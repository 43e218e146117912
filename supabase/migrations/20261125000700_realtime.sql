-- Live updates for organisers and door staff. Triggers on guests broadcast to the private topic
-- `event:<event_id>` with realtime.send inside the writing transaction, so a message goes out
-- exactly when the write commits. Only members of the event's organization may listen.

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * The message about one guest: first name and last initial, promoter and team, and the event's
 * totals. Never a phone number or an email.
 */
create or replace function private.guest_broadcast_payload(p_guest public.guests)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'event_id', p_guest.event_id,
    'guest_id', p_guest.id,
    'first_name', u.first_name,
    'last_initial', left(u.last_name, 1),
    'promoter', jsonb_build_object('id', p.id, 'display_name', p.display_name),
    'team', case when t.id is null then null else jsonb_build_object('id', t.id, 'name', t.name) end,
    'registered_at', p_guest.created_at,
    'checked_in_at', p_guest.checked_in_at,
    'totals', (select jsonb_build_object('registered', count(*), 'checked_in', count(g.checked_in_at))
               from public.guests g where g.event_id = p_guest.event_id))
  from private.client_users u
  join public.promoters p on p.id = p_guest.promoter_id
  left join public.teams t on t.id = p_guest.team_id
  where u.id = p_guest.client_user_id
$$;

/** Trigger: `guest_registered` after a new guest, `guest_checked_in` after a first check-in. */
create or replace function private.broadcast_guest_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform realtime.send(private.guest_broadcast_payload(new), 'guest_registered', 'event:' || new.event_id, true);
  elsif old.checked_in_at is null and new.checked_in_at is not null then
    perform realtime.send(private.guest_broadcast_payload(new), 'guest_checked_in', 'event:' || new.event_id, true);
  end if;
  return null;
end
$$;

create trigger guests_broadcast
  after insert or update of checked_in_at on public.guests
  for each row execute function private.broadcast_guest_change();

/**
 * Whether the signed-in user may listen to a Realtime topic: `event:<uuid>` of an event of one
 * of their organizations. Any other topic, or a malformed one, is refused.
 */
create or replace function private.can_listen(p_topic text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_topic is null or p_topic !~ '^event:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  return private.is_event_member(substr(p_topic, 7)::uuid);
end
$$;

revoke execute on function private.can_listen(text) from public, anon;
grant execute on function private.can_listen(text) to authenticated;

-- =============================================================================================
-- Policies
-- =============================================================================================

-- Realtime runs this check at join with realtime.topic() set to the channel's topic. The row's own
-- topic must be that topic too: a member of two events must not read one event's messages
-- through a channel authorized for the other. Nobody may write to realtime.messages through the
-- API (no insert or update policy): broadcasts come from the triggers above, and announcements
-- go through event-broadcast with the service role.
create policy "Organization members can receive their events' broadcasts" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and private.can_listen((select realtime.topic()))
  );
