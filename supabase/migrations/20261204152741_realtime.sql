-- Live updates for organisers, door staff and promoters. One trigger on guests broadcasts, with
-- realtime.send inside the writing transaction (so a message goes out exactly when the write
-- commits), to the private topics `event:<event_id>` (the organisers'), `promoter:<promoter_id>`
-- and `team:<team_id>` (the promoters'). One topic rule (private.can_listen) decides who may listen.

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

/** The message a promoter (or their team leader) receives about one of their guests. */
create or replace function private.promoter_broadcast_payload(p_guest public.guests)
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
    'team_id', p_guest.team_id,
    'registered_at', p_guest.created_at,
    'checked_in_at', p_guest.checked_in_at)
  from public.promoters p
  left join private.client_users u on u.id = p_guest.client_user_id
  where p.id = p_guest.promoter_id
$$;

/**
 * Trigger: `guest_registered` after a new guest, `guest_checked_in` after a first check-in, on
 * every topic that may hear about the guest: the event's (`event:<event_id>`, the organisers'
 * message), the promoter's (`promoter:<promoter_id>`) and, for a guest who came through a team
 * link, the team's (`team:<team_id>`; the promoters' message), so that a promoter's channel
 * carries only their own guests.
 */
create or replace function private.broadcast_guest_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event text;
  v_payload jsonb;
begin
  if tg_op = 'INSERT' then
    v_event := 'guest_registered';
  elsif old.checked_in_at is null and new.checked_in_at is not null then
    v_event := 'guest_checked_in';
  else
    return null;
  end if;
  perform realtime.send(private.guest_broadcast_payload(new), v_event, 'event:' || new.event_id, true);
  v_payload := private.promoter_broadcast_payload(new);
  perform realtime.send(v_payload, v_event, 'promoter:' || new.promoter_id, true);
  if new.team_id is not null then
    perform realtime.send(v_payload, v_event, 'team:' || new.team_id, true);
  end if;
  return null;
end
$$;

create trigger guests_broadcast
  after insert or update of checked_in_at on public.guests
  for each row execute function private.broadcast_guest_change();

/**
 * Whether the signed-in user may listen to a Realtime topic, the one topic rule:
 * `event:<uuid>` of an event of one of their organizations (the team: owner, admin, staff),
 * `promoter:<uuid>` of their own promoter record, `team:<uuid>` of a team they lead. Any other
 * topic, or a malformed one, is refused.
 */
create or replace function private.can_listen(p_topic text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_kind text := split_part(p_topic, ':', 1);
begin
  if p_topic is null or p_topic !~ '^(event|promoter|team):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  return case v_kind
    when 'event' then private.is_event_member(split_part(p_topic, ':', 2)::uuid)
    when 'promoter' then split_part(p_topic, ':', 2)::uuid in (select private.my_promoter_ids())
    when 'team' then split_part(p_topic, ':', 2)::uuid in (select private.my_led_team_ids())
  end;
end
$$;

-- =============================================================================================
-- Policies
-- =============================================================================================

-- Realtime runs this check at join with realtime.topic() set to the channel's topic. The row's own
-- topic must be that topic too: a member of two events (a promoter with two records) must not
-- read one topic's messages through a channel authorized for the other. Nobody may write to
-- realtime.messages through the API (no insert or update policy): broadcasts come from the
-- trigger above, and announcements go through event-broadcast with the service role.
create policy "Members receive the broadcasts of topics they may listen to" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and realtime.messages.topic = (select realtime.topic())
    and private.can_listen((select realtime.topic()))
  );

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.can_listen(text) from public, anon;
grant execute on function private.can_listen(text) to authenticated;

revoke execute on function private.promoter_broadcast_payload(public.guests), private.broadcast_guest_change()
  from public, anon, authenticated;
