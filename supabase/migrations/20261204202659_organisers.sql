-- Organisers and promoters as clubs run them: a role change to promoter names the promoter record
-- (never a guess), the guest list exports as Excel reads it (BOM, local times, the page's
-- language, plus-ones and source), promoters see their published nights with the opens of each
-- link (an anonymous counter, no one's data), and announcements are kept, so that a page opened
-- later shows the latest one, and sent from the database on commit.

-- =============================================================================================
-- Tables
-- =============================================================================================

-- Shared with the door and list work (the same text in each migration: the second is a no-op).
alter table public.guests add column if not exists plus_ones smallint not null default 0 check (plus_ones between 0 and 20);
alter table public.guests add column if not exists source text not null default 'link' check (source in ('link', 'door', 'organiser', 'vip'));

-- Opens of a promoter's link, per night: a counter and nothing else (no address, no time, no
-- device). A burst of opens spreads over a few rows (`shard`) so that no single row is the
-- line every open waits in; the count is their sum.
create table private.link_opens (
  event_id uuid not null references public.events (id) on delete cascade,
  promoter_id uuid not null references public.promoters (id) on delete cascade,
  shard smallint not null check (shard between 0 and 7),
  opens bigint not null default 0,
  primary key (event_id, promoter_id, shard)
);
create index link_opens_promoter_id_idx on private.link_opens (promoter_id);
alter table private.link_opens enable row level security;

-- Announcements to the night's team, kept so that a page opened later shows the latest.
create table private.announcements (
  id bigint generated always as identity primary key,
  event_id uuid not null references public.events (id) on delete cascade,
  kind text not null check (kind in ('closing_soon', 'capacity_reached', 'message')),
  message text not null check (length(message) between 1 and 280),
  sent_by uuid references auth.users (id) on delete set null,
  sent_at timestamptz not null default now()
);
create index announcements_event_id_sent_at_idx on private.announcements (event_id, sent_at desc, id desc);
create index announcements_sent_by_idx on private.announcements (sent_by);
alter table private.announcements enable row level security;

-- =============================================================================================
-- Functions: members
-- =============================================================================================

/**
 * Changes a member's role (owner/admin). Only an owner may make or unmake an owner; the last
 * owner cannot step down (409 `last_owner`). The role `promoter` names the promoter record the
 * account signs in as (`p_promoter_id`, not taken by another account: 409 `promoter_taken`);
 * without it, a member who already signs in as exactly one record keeps it, and otherwise the
 * change is refused (400 `promoter_required`): the account is never tied to a record by guess,
 * since it then sees that record's guests. Leaving the role frees the record.
 * Errors: invalid_role (400), member_not_found, promoter_not_found (404).
 */
create or replace function public.set_member_role(p_organization_id uuid, p_user_id uuid, p_role text,
  p_promoter_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_my_role text := private.require_org_role(p_organization_id, array['owner', 'admin']);
  v_old text;
  v_promoter uuid := p_promoter_id;
begin
  if p_role is null or p_role not in ('owner', 'admin', 'staff', 'promoter') then
    perform private.fail(400, 'invalid_role', 'The role must be owner, admin, staff or promoter.', 'Choose one of those roles.');
  end if;
  -- One change of membership at a time per organisation, so that "the last owner" is exact.
  perform 1 from public.organizations o where o.id = p_organization_id for update;
  select m.role into v_old from public.organization_members m
  where m.organization_id = p_organization_id and m.user_id = p_user_id;
  if not found then
    perform private.fail(404, 'member_not_found', 'This person is not a member of the organisation.', 'Invite them first.');
  end if;
  if (v_old = 'owner' or p_role = 'owner') and v_my_role <> 'owner' then
    perform private.fail(403, 'forbidden', 'Only an owner may make or unmake an owner.', 'Ask an owner.');
  end if;
  if v_old = 'owner' and p_role <> 'owner' and (select count(*) from public.organization_members m
      where m.organization_id = p_organization_id and m.role = 'owner') = 1 then
    perform private.fail(409, 'last_owner', 'An organisation keeps at least one owner.', 'Make someone else an owner first.');
  end if;
  if p_role = 'promoter' and v_promoter is null then
    select min(p.id::text)::uuid into v_promoter from public.promoters p
    where p.organization_id = p_organization_id and p.user_id = p_user_id
    having count(*) = 1;
    if v_promoter is null then
      perform private.fail(400, 'promoter_required', 'Say which promoter this account signs in as.',
        'Choose one of the organisation''s promoters (create one first if none is free).');
    end if;
  end if;

  update public.promoters p set user_id = null
  where p.organization_id = p_organization_id and p.user_id = p_user_id
    and (p_role <> 'promoter' or p.id is distinct from v_promoter);
  update public.organization_members m set role = p_role
  where m.organization_id = p_organization_id and m.user_id = p_user_id;
  if p_role = 'promoter' then
    perform private.attach_promoter(p_organization_id, p_user_id, v_promoter);
  end if;
  return jsonb_build_object('user_id', p_user_id, 'role', p_role, 'promoter_id', case when p_role = 'promoter' then v_promoter end);
end
$$;

-- =============================================================================================
-- Functions: the guest list as CSV
-- =============================================================================================

/**
 * The event's guest list as CSV (owner/admin), as spreadsheets read it: UTF-8 starting with a
 * byte-order mark (Excel otherwise misreads accents), headers in `p_lang` (`pt` or `en`, the
 * page's language), check-in times in `p_time_zone` (an IANA name, the page's: the schema keeps
 * no time zone per venue, and whoever exports reads the times where the night happens), named in
 * the header. Columns: first name, last name, promoter, team, status, plus-ones, source, check-in
 * time, and the phone number for owners only. A guest who deleted their account appears without
 * name. Every cell is quoted and formula-safe (private.csv_cell).
 * Errors: invalid_language, invalid_time_zone (400).
 */
create or replace function public.export_guest_list(p_event_id uuid, p_lang text default 'pt',
  p_time_zone text default 'Europe/Lisbon')
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_owner boolean;
  v_head text[];
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  v_owner := exists (
    select 1 from public.events e join public.organization_members m on m.organization_id = e.organization_id
    where e.id = p_event_id and m.user_id = (select auth.uid()) and m.role = 'owner');
  if p_lang is null or p_lang not in ('pt', 'en') then
    perform private.fail(400, 'invalid_language', 'The language must be pt or en.', 'Use pt or en.');
  end if;
  if p_time_zone is null or not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = p_time_zone) then
    perform private.fail(400, 'invalid_time_zone', 'The time zone is not a known IANA name.', 'Use a name such as Europe/Lisbon.');
  end if;
  v_head := case p_lang
    when 'pt' then array['Nome', 'Apelido', 'Promotor', 'Equipa', 'Estado', 'Acompanhantes', 'Origem',
                         'Entrada (' || p_time_zone || ')', 'Telemóvel']
    else array['First name', 'Last name', 'Promoter', 'Team', 'Status', 'Plus-ones', 'Source',
               'Checked in (' || p_time_zone || ')', 'Phone'] end;
  return chr(65279) ||
    (select string_agg(private.csv_cell(x), ',' order by n) from unnest(v_head[1:case when v_owner then 9 else 8 end]) with ordinality c(x, n))
    || E'\r\n' ||
    coalesce(string_agg(concat_ws(',', private.csv_cell(u.first_name), private.csv_cell(u.last_name),
      private.csv_cell(p.display_name), private.csv_cell(t.name), private.csv_cell(g.status),
      private.csv_cell(g.plus_ones::text), private.csv_cell(g.source),
      private.csv_cell(to_char(g.checked_in_at at time zone p_time_zone, 'YYYY-MM-DD HH24:MI:SS')),
      -- E.164 from the database: quoted, not defused (a leading + is part of the number).
      case when v_owner then '"' || coalesce(u.phone, '') || '"' end), E'\r\n' order by u.last_name, u.first_name, g.created_at) || E'\r\n', '')
  from public.guests g
  left join private.client_users u on u.id = g.client_user_id
  join public.promoters p on p.id = g.promoter_id
  left join public.teams t on t.id = g.team_id
  where g.event_id = p_event_id;
end
$$;

-- =============================================================================================
-- Functions: promoters
-- =============================================================================================

/**
 * Counts one open of a promoter's link (anonymous, called by the guest page once the link card
 * is shown): a counter per promoter and night, nothing about who opened it. A link that does not
 * lead to a published night counts nothing. Cheap: one upsert on one of eight rows.
 */
create or replace function public.record_link_open(p_promoter_slug text, p_event_slug text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.check_length('p_promoter_slug', p_promoter_slug, 100);
  perform private.check_length('p_event_slug', p_event_slug, 100);
  insert into private.link_opens as l (event_id, promoter_id, shard, opens)
  select e.id, p.id, floor(random() * 8)::smallint, 1
  from public.promoters p
  join public.events e on e.organization_id = p.organization_id and e.slug = lower(p_event_slug) and e.is_published
  join public.event_promoters ep on ep.event_id = e.id and ep.promoter_id = p.id
  where p.slug = lower(p_promoter_slug)
  on conflict (event_id, promoter_id, shard) do update set opens = l.opens + 1;
end
$$;

/** The latest announcement of the event (null when none), for pages opened after it was sent. */
create or replace function private.latest_announcement_of(p_event_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('id', a.id, 'event_id', a.event_id, 'kind', a.kind, 'message', a.message, 'sent_at', a.sent_at)
  from private.announcements a where a.event_id = p_event_id
  order by a.sent_at desc, a.id desc limit 1
$$;

/**
 * What a signed-in promoter sees: their promoter records, the teams they lead, and every link
 * of theirs (and, for a team leader, of the team) to a published night, the running and
 * upcoming nights first (soonest first), then past ones (newest first). Per link: the path,
 * opens of the link, registered and arrived guests of that promoter only, and the night's latest
 * announcement. Nothing about other promoters' guests.
 */
create or replace function public.promoter_overview()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to see your links.', 'Sign in and try again.');
  end if;
  return jsonb_build_object(
    'promoters', coalesce((
      select jsonb_agg(jsonb_build_object('id', p.id, 'slug', p.slug, 'display_name', p.display_name,
               'organization', jsonb_build_object('id', o.id, 'name', o.name)) order by p.display_name)
      from public.promoters p join public.organizations o on o.id = p.organization_id
      where p.id in (select private.my_promoter_ids())), '[]'::jsonb),
    'teams', coalesce((
      select jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name) order by t.name)
      from public.teams t where t.id in (select private.my_led_team_ids())), '[]'::jsonb),
    'links', coalesce((
      select jsonb_agg(jsonb_build_object(
               'event', jsonb_build_object('id', e.id, 'slug', e.slug, 'name', e.name, 'venue', e.venue,
                 'starts_at', e.starts_at, 'ends_at', e.ends_at, 'guest_list_closes_at', e.guest_list_closes_at,
                 'is_published', e.is_published),
               'promoter', jsonb_build_object('id', p.id, 'slug', p.slug, 'display_name', p.display_name),
               'team_id', ep.team_id,
               'path', '/p/' || p.slug || '/' || e.slug,
               'opens', (select coalesce(sum(l.opens), 0) from private.link_opens l where l.event_id = e.id and l.promoter_id = p.id),
               'registered', (select count(*) from public.guests g where g.event_id = e.id and g.promoter_id = p.id),
               'checked_in', (select count(g.checked_in_at) from public.guests g where g.event_id = e.id and g.promoter_id = p.id),
               'announcement', private.latest_announcement_of(e.id))
             order by e.ends_at < now(), case when e.ends_at >= now() then e.starts_at end, e.starts_at desc, p.display_name)
      from public.event_promoters ep
      join public.events e on e.id = ep.event_id and e.is_published
      join public.promoters p on p.id = ep.promoter_id
      where private.promoter_sees(ep.promoter_id, ep.team_id)), '[]'::jsonb));
end
$$;

-- =============================================================================================
-- Functions: announcements
-- =============================================================================================

/**
 * Sends an announcement to the night's team: who may, and how often, is
 * authorize_event_broadcast's rule (owners and admins; `event_broadcasts` per minute). Keeps it,
 * and broadcasts it on commit as `announcement` to the event's topic (the door and /live) and to
 * the topics of its promoters and teams (/promoter). Returns it with the event's topic.
 * Errors: those of authorize_event_broadcast, invalid_kind, invalid_message (400).
 */
create or replace function public.send_announcement(p_event_id uuid, p_kind text, p_message text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_topic text := public.authorize_event_broadcast(p_event_id) ->> 'topic';
  v_message text;
  v_row private.announcements;
  v_payload jsonb;
begin
  if p_kind is null or p_kind not in ('closing_soon', 'capacity_reached', 'message') then
    perform private.fail(400, 'invalid_kind', 'The kind must be closing_soon, capacity_reached or message.', 'Choose one of those.');
  end if;
  v_message := private.clean_text('message', p_message, 280);
  insert into private.announcements (event_id, kind, message, sent_by)
  values (p_event_id, p_kind, v_message, (select auth.uid())) returning * into v_row;
  v_payload := jsonb_build_object('id', v_row.id, 'event_id', v_row.event_id, 'kind', v_row.kind,
    'message', v_row.message, 'sent_at', v_row.sent_at);
  perform realtime.send(v_payload, 'announcement', x.topic, true)
  from (select v_topic topic
        union select 'promoter:' || ep.promoter_id from public.event_promoters ep where ep.event_id = p_event_id
        union select 'team:' || ep.team_id from public.event_promoters ep where ep.event_id = p_event_id and ep.team_id is not null) x;
  return v_payload || jsonb_build_object('topic', v_topic);
end
$$;

/**
 * The event's latest announcement, or null: for the night's team (any member of its
 * organization) and its promoters (a link to it). 404 `event_not_found` for anyone else.
 */
create or replace function public.latest_announcement(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to see announcements.', 'Sign in and try again.');
  end if;
  if not private.is_event_member(p_event_id)
     and not exists (select 1 from public.event_promoters ep where ep.event_id = p_event_id
                     and private.promoter_sees(ep.promoter_id, ep.team_id)) then
    perform private.fail(404, 'event_not_found', 'No such night of yours.', 'Check the night.');
  end if;
  return private.latest_announcement_of(p_event_id);
end
$$;

-- The export now takes the page's language and time zone (with defaults): the old signature goes.
drop function public.export_guest_list(uuid);

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.latest_announcement_of(uuid) from public, anon, authenticated;
revoke execute on function public.set_member_role(uuid, uuid, text, uuid), public.export_guest_list(uuid, text, text),
  public.record_link_open(text, text), public.promoter_overview(), public.send_announcement(uuid, text, text),
  public.latest_announcement(uuid)
  from public, anon, authenticated;
grant execute on function public.set_member_role(uuid, uuid, text, uuid), public.export_guest_list(uuid, text, text),
  public.promoter_overview(), public.send_announcement(uuid, text, text), public.latest_announcement(uuid)
  to authenticated;
grant execute on function public.record_link_open(text, text) to anon;
