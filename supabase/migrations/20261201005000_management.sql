-- Running the night without SQL: organisations and their members, events, promoters, teams and
-- links, door lists, and the promoter's own view. Every function checks the caller's role in
-- the organisation (owner, admin, staff, promoter) and raises the API's stable error codes.

-- =============================================================================================
-- Settings and limits
-- =============================================================================================

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('organizations_created', 3, 900, 'Organisations one account may create per 15 minutes.'),
  ('guest_lookups', 120, 60, 'Door look-ups of guests by name, per staff member.')
on conflict do nothing;

-- =============================================================================================
-- Internal functions
-- =============================================================================================

/**
 * Raises unless the signed-in user is a member of the organization with one of `p_roles`
 * (null: owner, admin or staff); returns the member's role. 401 `not_authenticated`,
 * 404 `organization_not_found` (also for a non-member: an organisation's existence is not
 * disclosed), 403 `forbidden` (a member without the role).
 */
create or replace function private.require_org_role(p_organization_id uuid, p_roles text[])
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to manage an organisation.', 'Sign in and try again.');
  end if;
  select m.role into v_role from public.organization_members m
  where m.organization_id = p_organization_id and m.user_id = (select auth.uid());
  if not found then
    perform private.fail(404, 'organization_not_found', 'This organisation does not exist or you are not in it.',
      'Check the organisation, or ask its owner to invite you.');
  end if;
  if v_role <> all (coalesce(p_roles, array['owner', 'admin', 'staff'])) then
    perform private.fail(403, 'forbidden', format('Your role (%s) may not do this.', v_role),
      'Ask an owner or admin of the organisation.');
  end if;
  return v_role;
end
$$;

/** The event, once the caller is checked for one of `p_roles` in its organisation (see require_event_member). */
create or replace function private.require_event(p_event_id uuid, p_roles text[])
returns public.events
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_event public.events;
begin
  perform private.require_event_member(p_event_id, p_roles);
  select * into v_event from public.events e where e.id = p_event_id;
  return v_event;
end
$$;

/** Raises 400 `invalid_slug` unless `p_slug` is lower-case words joined by hyphens (1–100 characters). */
create or replace function private.check_slug(p_slug text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_slug is null or length(p_slug) > 100 or p_slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' then
    perform private.fail(400, 'invalid_slug', 'A link name uses lower-case letters, digits and single hyphens (up to 100).',
      'For example friday-lux or ana.');
  end if;
end
$$;

/** Trims a display text and raises 400 `invalid_<p_field>` unless it has 1 to `p_max` characters. */
create or replace function private.clean_text(p_field text, p_value text, p_max integer)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v text := btrim(regexp_replace(coalesce(p_value, ''), '\s+', ' ', 'g'));
begin
  if length(v) not between 1 and p_max then
    perform private.fail(400, 'invalid_' || p_field, format('The %s must have 1 to %s characters.', p_field, p_max),
      format('Check the %s.', p_field));
  end if;
  return v;
end
$$;

/**
 * The rules an event's fields must meet, as the guest side relies on them: slug, name, venue,
 * ends after it starts (400 `invalid_times`), the guest list closes no later than the end
 * (400 `invalid_closing_time`), a positive capacity (400 `invalid_capacity`).
 */
create or replace function private.check_event_fields(p_slug text, p_name text, p_venue text,
  p_starts_at timestamptz, p_ends_at timestamptz, p_guest_list_closes_at timestamptz, p_capacity integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  perform private.check_slug(p_slug);
  perform private.clean_text('name', p_name, 200);
  perform private.check_length('p_venue', p_venue, 200);
  if p_starts_at is null or p_ends_at is null or p_ends_at <= p_starts_at then
    perform private.fail(400, 'invalid_times', 'The night must end after it starts.', 'Check the start and end.');
  end if;
  if p_guest_list_closes_at is null or p_guest_list_closes_at > p_ends_at then
    perform private.fail(400, 'invalid_closing_time', 'The guest list must close no later than the night ends.',
      'Choose a closing time before the end.');
  end if;
  if p_capacity is not null and p_capacity <= 0 then
    perform private.fail(400, 'invalid_capacity', 'The capacity must be a positive number, or empty for no limit.',
      'Check the capacity.');
  end if;
end
$$;

/** An event as the management API shows it. */
create or replace function private.event_json(p_event public.events)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('id', p_event.id, 'organization_id', p_event.organization_id, 'slug', p_event.slug,
    'name', p_event.name, 'venue', p_event.venue, 'starts_at', p_event.starts_at, 'ends_at', p_event.ends_at,
    'guest_list_closes_at', p_event.guest_list_closes_at, 'capacity', p_event.capacity,
    'is_published', p_event.is_published, 'version', p_event.version,
    'registered', (select count(*) from public.guests g where g.event_id = p_event.id))
$$;

/** The promoter records the signed-in user is (role promoter). */
create or replace function private.my_promoter_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select p.id from public.promoters p
  join public.organization_members m on m.organization_id = p.organization_id and m.user_id = p.user_id
  where p.user_id = (select auth.uid()) and m.role = 'promoter'
$$;

/** The teams the signed-in user leads as a promoter. */
create or replace function private.my_led_team_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select tm.team_id from public.team_members tm
  where tm.is_leader and tm.promoter_id in (select private.my_promoter_ids())
$$;

/** Whether the signed-in promoter may see a guest who came through `p_promoter_id`/`p_team_id`. */
create or replace function private.promoter_sees(p_promoter_id uuid, p_team_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select p_promoter_id in (select private.my_promoter_ids())
      or (p_team_id is not null and p_team_id in (select private.my_led_team_ids()))
$$;


/** Quotes a CSV cell; a cell a spreadsheet would run as a formula (= + - @) is prefixed with '. */
create or replace function private.csv_cell(p_value text)
returns text
language sql
immutable
set search_path = ''
as $$
  select '"' || replace(case when p_value ~ '^[=+@\t\r-]' then '''' || p_value else coalesce(p_value, '') end, '"', '""') || '"'
$$;

-- =============================================================================================
-- Organisation and members
-- =============================================================================================

/**
 * Creates an organisation with the signed-in user as its owner (at most
 * `organizations_created` per 15 minutes per account). Errors: not_authenticated (401),
 * invalid_name (400), rate_limited (429).
 */
create or replace function public.create_organization(p_name text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_name text;
  v_id uuid;
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to create an organisation.', 'Sign in and try again.');
  end if;
  v_name := private.clean_text('name', p_name, 120);
  perform private.rate_limit('organizations_created', (select auth.uid())::text);
  insert into public.organizations (name) values (v_name) returning id into v_id;
  insert into public.organization_members (organization_id, user_id, role) values (v_id, (select auth.uid()), 'owner');
  return jsonb_build_object('id', v_id, 'name', v_name, 'role', 'owner');
end
$$;

/** The organisations the signed-in user belongs to, with their role (and promoter record). */
create or replace function public.my_organizations()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'name', o.name, 'role', m.role,
           'promoter_id', (select p.id from public.promoters p where p.organization_id = o.id and p.user_id = m.user_id))
         order by o.name), '[]'::jsonb)
  from public.organization_members m
  join public.organizations o on o.id = m.organization_id
  where m.user_id = (select auth.uid())
$$;

/**
 * Everything an owner or admin manages in one answer: members (with email), open invitations,
 * promoters, teams with their members, and events with their promoter links.
 */
create or replace function public.organization_overview(p_organization_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_role text := private.require_org_role(p_organization_id, array['owner', 'admin']);
begin
  return jsonb_build_object(
    'organization', (select jsonb_build_object('id', o.id, 'name', o.name) from public.organizations o where o.id = p_organization_id),
    'my_role', v_role,
    'members', coalesce((
      select jsonb_agg(jsonb_build_object('user_id', m.user_id, 'email', u.email, 'role', m.role,
               'promoter_id', (select p.id from public.promoters p where p.organization_id = m.organization_id and p.user_id = m.user_id))
             order by m.role, u.email)
      from public.organization_members m join auth.users u on u.id = m.user_id
      where m.organization_id = p_organization_id), '[]'::jsonb),
    'invitations', coalesce((
      select jsonb_agg(jsonb_build_object('id', i.id, 'email', i.email, 'role', i.role, 'promoter_id', i.promoter_id,
               'expires_at', i.expires_at) order by i.created_at)
      from public.invitations i
      where i.organization_id = p_organization_id and i.accepted_at is null and i.expires_at > now()), '[]'::jsonb),
    'promoters', coalesce((
      select jsonb_agg(jsonb_build_object('id', p.id, 'slug', p.slug, 'display_name', p.display_name,
               'user_id', p.user_id) order by p.display_name)
      from public.promoters p where p.organization_id = p_organization_id), '[]'::jsonb),
    'teams', coalesce((
      select jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name, 'members', coalesce((
               select jsonb_agg(jsonb_build_object('promoter_id', tm.promoter_id, 'is_leader', tm.is_leader))
               from public.team_members tm where tm.team_id = t.id), '[]'::jsonb)) order by t.name)
      from public.teams t where t.organization_id = p_organization_id), '[]'::jsonb),
    'events', coalesce((
      select jsonb_agg(private.event_json(e) || jsonb_build_object('links', coalesce((
               select jsonb_agg(jsonb_build_object('promoter_id', ep.promoter_id, 'team_id', ep.team_id,
                        'path', '/p/' || p.slug || '/' || e.slug) order by p.display_name)
               from public.event_promoters ep join public.promoters p on p.id = ep.promoter_id
               where ep.event_id = e.id), '[]'::jsonb)) order by e.starts_at desc)
      from public.events e where e.organization_id = p_organization_id), '[]'::jsonb));
end
$$;

/**
 * Changes a member's role (owner/admin). Only an owner may make or unmake an owner; the last
 * owner cannot step down (409 `last_owner`). The role `promoter` needs the promoter record it
 * signs in as (`p_promoter_id`, not taken by another account: 409 `promoter_taken`); leaving
 * the role frees the record. Errors: invalid_role (400), member_not_found, promoter_not_found (404).
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

  update public.promoters p set user_id = null
  where p.organization_id = p_organization_id and p.user_id = p_user_id
    and (p_role <> 'promoter' or p.id is distinct from p_promoter_id);
  update public.organization_members m set role = p_role
  where m.organization_id = p_organization_id and m.user_id = p_user_id;
  if p_role = 'promoter' then
    perform private.attach_promoter(p_organization_id, p_user_id, p_promoter_id);
  end if;
  return jsonb_build_object('user_id', p_user_id, 'role', p_role, 'promoter_id', case when p_role = 'promoter' then p_promoter_id end);
end
$$;

/** Ties a promoter record of the organisation to the account (404 `promoter_not_found`, 409 `promoter_taken`). */
create or replace function private.attach_promoter(p_organization_id uuid, p_user_id uuid, p_promoter_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.promoters p set user_id = p_user_id
  where p.id = p_promoter_id and p.organization_id = p_organization_id and (p.user_id is null or p.user_id = p_user_id);
  if not found then
    if exists (select 1 from public.promoters p where p.id = p_promoter_id and p.organization_id = p_organization_id) then
      perform private.fail(409, 'promoter_taken', 'Another account already signs in as this promoter.',
        'Choose another promoter, or change that account''s role first.');
    end if;
    perform private.fail(404, 'promoter_not_found', 'A promoter role needs a promoter of this organisation.',
      'Create the promoter first, then choose it.');
  end if;
end
$$;

/**
 * Removes a member (owner/admin; a member may also leave by removing themself). Admins cannot
 * remove owners; the last owner cannot be removed (409 `last_owner`), also when two owners
 * remove each other at the same moment: membership changes of one organisation are serialized.
 */
create or replace function public.remove_member(p_organization_id uuid, p_user_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_my_role text := private.require_org_role(p_organization_id,
    case when p_user_id = (select auth.uid()) then array['owner', 'admin', 'staff', 'promoter'] else array['owner', 'admin'] end);
  v_old text;
begin
  perform 1 from public.organizations o where o.id = p_organization_id for update;
  select m.role into v_old from public.organization_members m
  where m.organization_id = p_organization_id and m.user_id = p_user_id;
  if not found then
    perform private.fail(404, 'member_not_found', 'This person is not a member of the organisation.', 'Refresh the list.');
  end if;
  -- The caller's own membership may have changed while waiting for the lock.
  if not exists (select 1 from public.organization_members m where m.organization_id = p_organization_id
                 and m.user_id = (select auth.uid()) and m.role = v_my_role) then
    perform private.fail(409, 'membership_changed', 'Your membership changed meanwhile.', 'Reload and try again.');
  end if;
  if v_old = 'owner' and v_my_role <> 'owner' then
    perform private.fail(403, 'forbidden', 'Only an owner may remove an owner.', 'Ask an owner.');
  end if;
  if v_old = 'owner' and (select count(*) from public.organization_members m
      where m.organization_id = p_organization_id and m.role = 'owner') = 1 then
    perform private.fail(409, 'last_owner', 'An organisation keeps at least one owner.', 'Make someone else an owner first.');
  end if;
  delete from public.organization_members m where m.organization_id = p_organization_id and m.user_id = p_user_id;
  return jsonb_build_object('user_id', p_user_id, 'removed', true);
end
$$;

-- =============================================================================================
-- Events
-- =============================================================================================

/**
 * Creates an event (owner/admin). Errors: the field rules of check_event_fields (400) and
 * 409 `slug_taken` (the slug is unique per organisation).
 */
create or replace function public.create_event(p_organization_id uuid, p_slug text, p_name text, p_venue text,
  p_starts_at timestamptz, p_ends_at timestamptz, p_guest_list_closes_at timestamptz,
  p_capacity integer default null, p_is_published boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events;
begin
  perform private.require_org_role(p_organization_id, array['owner', 'admin']);
  perform private.check_event_fields(p_slug, p_name, p_venue, p_starts_at, p_ends_at, p_guest_list_closes_at, p_capacity);
  begin
    insert into public.events (organization_id, slug, name, venue, starts_at, ends_at, guest_list_closes_at, capacity, is_published)
    values (p_organization_id, p_slug, private.clean_text('name', p_name, 200), nullif(btrim(p_venue), ''), p_starts_at,
            p_ends_at, p_guest_list_closes_at, p_capacity, coalesce(p_is_published, false))
    returning * into v_event;
  exception when unique_violation then
    perform private.fail(409, 'slug_taken', 'Another night of this organisation already uses that link name.',
      'Choose another slug.');
  end;
  return private.event_json(v_event);
end
$$;

/**
 * Edits an event (owner/admin). `p_version` is the version the editor started from: if someone
 * else saved in between, nothing changes and the answer is 409 `event_changed` (reload, then
 * edit again), so two admins editing at once never overwrite each other unseen. The capacity
 * cannot go below the guests already on the list (409 `capacity_below_guests`).
 */
create or replace function public.update_event(p_event_id uuid, p_version integer, p_slug text, p_name text,
  p_venue text, p_starts_at timestamptz, p_ends_at timestamptz, p_guest_list_closes_at timestamptz,
  p_capacity integer default null, p_is_published boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events := private.require_event(p_event_id, array['owner', 'admin']);
  v_guests bigint;
begin
  perform private.check_event_fields(p_slug, p_name, p_venue, p_starts_at, p_ends_at, p_guest_list_closes_at, p_capacity);
  -- Lock the row first: a concurrent edit finishes before the version is compared, and
  -- registrations of a capped night (which lock it too) wait while the guests are counted.
  select * into v_event from public.events e where e.id = p_event_id for update;
  if v_event.version is distinct from p_version then
    perform private.fail(409, 'event_changed', 'Someone else saved this night since you opened it.',
      'Reload the night and make your change again.');
  end if;
  select count(*) into v_guests from public.guests g where g.event_id = p_event_id;
  if p_capacity is not null and p_capacity < v_guests then
    perform private.fail(409, 'capacity_below_guests',
      format('%s guests are already on the list; the capacity cannot be lower.', v_guests),
      format('Set the capacity to at least %s.', v_guests));
  end if;
  begin
    update public.events e set slug = p_slug, name = private.clean_text('name', p_name, 200),
      venue = nullif(btrim(p_venue), ''), starts_at = p_starts_at, ends_at = p_ends_at,
      guest_list_closes_at = p_guest_list_closes_at, capacity = p_capacity,
      is_published = coalesce(p_is_published, false), version = e.version + 1
    where e.id = p_event_id
    returning * into v_event;
  exception when unique_violation then
    perform private.fail(409, 'slug_taken', 'Another night of this organisation already uses that link name.',
      'Choose another slug.');
  end;
  return private.event_json(v_event);
end
$$;

/**
 * Copies a night (owner/admin) to a new slug, `p_days` later (7 by default: last week's night),
 * with the same promoter links, unpublished so it can be checked before it opens. Errors: those
 * of create_event.
 */
create or replace function public.duplicate_event(p_event_id uuid, p_slug text, p_days integer default 7)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_src public.events := private.require_event(p_event_id, array['owner', 'admin']);
  v_shift interval := make_interval(days => coalesce(p_days, 7));
  v_new jsonb;
begin
  if p_days is null or p_days not between -3660 and 3660 then
    perform private.fail(400, 'invalid_days', 'Shift the copy by up to ten years.', 'Check the number of days.');
  end if;
  v_new := public.create_event(v_src.organization_id, p_slug, v_src.name, v_src.venue, v_src.starts_at + v_shift,
    v_src.ends_at + v_shift, v_src.guest_list_closes_at + v_shift, v_src.capacity, false);
  insert into public.event_promoters (event_id, promoter_id, team_id)
  select (v_new ->> 'id')::uuid, ep.promoter_id, ep.team_id from public.event_promoters ep where ep.event_id = p_event_id;
  return v_new;
end
$$;

-- =============================================================================================
-- Promoters, teams and links
-- =============================================================================================

/** Creates a promoter (owner/admin); the slug is their part of every link and unique (409 `slug_taken`). */
create or replace function public.create_promoter(p_organization_id uuid, p_slug text, p_display_name text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_promoter public.promoters;
begin
  perform private.require_org_role(p_organization_id, array['owner', 'admin']);
  perform private.check_slug(p_slug);
  begin
    insert into public.promoters (organization_id, slug, display_name)
    values (p_organization_id, p_slug, private.clean_text('display_name', p_display_name, 100))
    returning * into v_promoter;
  exception when unique_violation then
    perform private.fail(409, 'slug_taken', 'Another promoter already uses that link name.', 'Choose another slug.');
  end;
  return jsonb_build_object('id', v_promoter.id, 'slug', v_promoter.slug, 'display_name', v_promoter.display_name);
end
$$;

/** Creates a team (owner/admin); names are unique per organisation (409 `name_taken`). */
create or replace function public.create_team(p_organization_id uuid, p_name text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_team public.teams;
begin
  perform private.require_org_role(p_organization_id, array['owner', 'admin']);
  begin
    insert into public.teams (organization_id, name) values (p_organization_id, private.clean_text('name', p_name, 100))
    returning * into v_team;
  exception when unique_violation then
    perform private.fail(409, 'name_taken', 'The organisation already has a team with that name.', 'Choose another name.');
  end;
  return jsonb_build_object('id', v_team.id, 'name', v_team.name);
end
$$;

/**
 * Puts a promoter in a team (optionally as its leader) or, with `p_member` false, takes them
 * out (owner/admin). Taking a promoter out of a team removes the links made for that team;
 * guests who already registered through them stay. Errors: team_not_found, promoter_not_found (404).
 */
create or replace function public.set_team_member(p_team_id uuid, p_promoter_id uuid, p_member boolean default true,
  p_is_leader boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := (select t.organization_id from public.teams t where t.id = p_team_id);
begin
  if v_org is null then
    perform private.fail(404, 'team_not_found', 'This team does not exist.', 'Refresh the list.');
  end if;
  perform private.require_org_role(v_org, array['owner', 'admin']);
  if not exists (select 1 from public.promoters p where p.id = p_promoter_id and p.organization_id = v_org) then
    perform private.fail(404, 'promoter_not_found', 'This promoter is not in the team''s organisation.', 'Refresh the list.');
  end if;
  if coalesce(p_member, true) then
    insert into public.team_members (team_id, promoter_id, is_leader) values (p_team_id, p_promoter_id, coalesce(p_is_leader, false))
    on conflict (team_id, promoter_id) do update set is_leader = excluded.is_leader;
  else
    delete from public.team_members tm where tm.team_id = p_team_id and tm.promoter_id = p_promoter_id;
  end if;
  return jsonb_build_object('team_id', p_team_id, 'promoter_id', p_promoter_id, 'member', coalesce(p_member, true),
    'is_leader', coalesce(p_member, true) and coalesce(p_is_leader, false));
end
$$;

/**
 * Links a promoter (for one of their teams, or none) to an event (owner/admin), or changes the
 * link's team; returns the link's path `/p/<promoter>/<event>`. Errors: promoter_not_found,
 * team_not_found (404: the promoter is not in that team).
 */
create or replace function public.link_promoter(p_event_id uuid, p_promoter_id uuid, p_team_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events := private.require_event(p_event_id, array['owner', 'admin']);
  v_slug text;
begin
  select p.slug into v_slug from public.promoters p where p.id = p_promoter_id and p.organization_id = v_event.organization_id;
  if not found then
    perform private.fail(404, 'promoter_not_found', 'This promoter is not in the event''s organisation.', 'Refresh the list.');
  end if;
  if p_team_id is not null and not exists (select 1 from public.team_members tm
      where tm.team_id = p_team_id and tm.promoter_id = p_promoter_id) then
    perform private.fail(404, 'team_not_found', 'The promoter is not in that team.', 'Put them in the team first, or link without a team.');
  end if;
  insert into public.event_promoters (event_id, promoter_id, team_id) values (p_event_id, p_promoter_id, p_team_id)
  on conflict (event_id, promoter_id) do update set team_id = excluded.team_id;
  return jsonb_build_object('event_id', p_event_id, 'promoter_id', p_promoter_id, 'team_id', p_team_id,
    'path', '/p/' || v_slug || '/' || v_event.slug);
end
$$;

/** Removes a promoter's link to an event (owner/admin); the guests who registered through it stay. */
create or replace function public.unlink_promoter(p_event_id uuid, p_promoter_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  delete from public.event_promoters ep where ep.event_id = p_event_id and ep.promoter_id = p_promoter_id;
  return jsonb_build_object('event_id', p_event_id, 'promoter_id', p_promoter_id, 'unlinked', found);
end
$$;

-- =============================================================================================
-- Door lists
-- =============================================================================================

/**
 * The event's guest list as CSV (owner/admin): first name, last name, promoter, team, status,
 * check-in time, and the phone number for owners only. A guest who deleted their account
 * appears without name. Cells are quoted and formula-safe.
 */
create or replace function public.export_guest_list(p_event_id uuid)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_owner boolean;
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  v_owner := exists (
    select 1 from public.events e join public.organization_members m on m.organization_id = e.organization_id
    where e.id = p_event_id and m.user_id = (select auth.uid()) and m.role = 'owner');
  return concat_ws(',', 'first_name', 'last_name', 'promoter', 'team', 'status', 'checked_in_at',
           case when v_owner then 'phone' end) || E'\r\n' ||
    coalesce(string_agg(concat_ws(',', private.csv_cell(u.first_name), private.csv_cell(u.last_name),
      private.csv_cell(p.display_name), private.csv_cell(t.name), private.csv_cell(g.status),
      private.csv_cell(to_char(g.checked_in_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
      -- E.164 from the database: quoted, not defused (a leading + is part of the number).
      case when v_owner then '"' || coalesce(u.phone, '') || '"' end), E'\r\n' order by u.last_name, u.first_name, g.created_at) || E'\r\n', '')
  from public.guests g
  left join private.client_users u on u.id = g.client_user_id
  join public.promoters p on p.id = g.promoter_id
  left join public.teams t on t.id = g.team_id
  where g.event_id = p_event_id;
end
$$;

/**
 * Door look-up by name when a phone cannot show its QR (owner/admin/staff): up to 20 guests of
 * the event whose name contains every word typed (at least 2 characters), with promoter and
 * status; never a phone or email. Counted per staff member (`guest_lookups`).
 */
create or replace function public.find_guests(p_event_id uuid, p_query text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_words text[];
begin
  perform private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  perform private.check_length('p_query', p_query, 100);
  v_words := array(select w from regexp_split_to_table(lower(btrim(coalesce(p_query, ''))), '\s+') w where w <> '');
  if length(array_to_string(v_words, '')) < 2 then
    perform private.fail(400, 'query_too_short', 'Type at least two letters of the name.', 'Type more of the name.');
  end if;
  perform private.rate_limit('guest_lookups', (select auth.uid())::text);
  return coalesce((
    select jsonb_agg(jsonb_build_object('guest_id', x.id, 'first_name', x.first_name, 'last_name', x.last_name,
             'promoter', x.promoter, 'status', x.status, 'checked_in_at', x.checked_in_at) order by x.last_name, x.first_name)
    from (select g.id, u.first_name, u.last_name, p.display_name promoter, g.status, g.checked_in_at
          from public.guests g
          join private.client_users u on u.id = g.client_user_id
          join public.promoters p on p.id = g.promoter_id
          where g.event_id = p_event_id
            and (select bool_and(lower(u.first_name || ' ' || u.last_name) like '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%')
                 from unnest(v_words) w)
          order by u.last_name, u.first_name
          limit 20) x), '[]'::jsonb);
end
$$;

/**
 * Checks in a guest found by name (find_guests), with exactly the rules of a scan: the same
 * verdicts, roles, limits and nonce idempotency as check_in_guest, which it calls with the
 * guest's pass.
 */
create or replace function public.check_in_guest_by_id(p_event_id uuid, p_guest_id uuid, p_nonce text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event_member(p_event_id, array['owner', 'admin', 'staff']);
  return public.check_in_guest(p_event_id,
    coalesce((select g.qr_token from public.guests g where g.id = p_guest_id), ''), p_nonce);
end
$$;

-- =============================================================================================
-- Promoter view
-- =============================================================================================

/**
 * What a signed-in promoter sees: their promoter records, the teams they lead, and every link
 * of theirs (and, for a team leader, of the team) with the path and, per link, registered and
 * arrived guests — of that promoter only. Nothing about other promoters' guests.
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
               'registered', (select count(*) from public.guests g where g.event_id = e.id and g.promoter_id = p.id),
               'checked_in', (select count(g.checked_in_at) from public.guests g where g.event_id = e.id and g.promoter_id = p.id))
             order by e.starts_at desc, p.display_name)
      from public.event_promoters ep
      join public.events e on e.id = ep.event_id
      join public.promoters p on p.id = ep.promoter_id
      where private.promoter_sees(ep.promoter_id, ep.team_id)), '[]'::jsonb));
end
$$;

/**
 * A promoter's night: their (a team leader: the team's) guests of the event, newest first, as
 * first name and last initial with registration and arrival times, and their totals.
 * 404 `event_not_found` when the caller has no link to it.
 */
create or replace function public.promoter_event_feed(p_event_id uuid)
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
  if not exists (select 1 from public.event_promoters ep where ep.event_id = p_event_id
                 and private.promoter_sees(ep.promoter_id, ep.team_id))
     and not exists (select 1 from public.guests g where g.event_id = p_event_id
                     and private.promoter_sees(g.promoter_id, g.team_id)) then
    perform private.fail(404, 'event_not_found', 'You have no link to this night.', 'Check your links.');
  end if;
  return jsonb_build_object(
    'event', (select jsonb_build_object('id', e.id, 'name', e.name, 'starts_at', e.starts_at, 'ends_at', e.ends_at)
              from public.events e where e.id = p_event_id),
    'totals', (select jsonb_build_object('registered', count(*), 'checked_in', count(g.checked_in_at))
               from public.guests g where g.event_id = p_event_id and private.promoter_sees(g.promoter_id, g.team_id)),
    'guests', coalesce((
      select jsonb_agg(to_jsonb(x) order by x.registered_at desc)
      from (select g.id guest_id, u.first_name, left(u.last_name, 1) last_initial, p.display_name promoter,
                   g.created_at registered_at, g.checked_in_at
            from public.guests g
            left join private.client_users u on u.id = g.client_user_id
            join public.promoters p on p.id = g.promoter_id
            where g.event_id = p_event_id and private.promoter_sees(g.promoter_id, g.team_id)
            order by g.created_at desc
            limit 500) x), '[]'::jsonb));
end
$$;

-- =============================================================================================
-- Realtime for promoters: topics `promoter:<promoter_id>` and `team:<team_id>`
-- =============================================================================================

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
 * Trigger beside the organisers' broadcast: the same events on the promoter's private topic and,
 * for a guest who came through a team link, on the team's, so a promoter's channel carries only
 * their own guests.
 */
create or replace function private.broadcast_guest_to_promoter()
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
  v_payload := private.promoter_broadcast_payload(new);
  perform realtime.send(v_payload, v_event, 'promoter:' || new.promoter_id, true);
  if new.team_id is not null then
    perform realtime.send(v_payload, v_event, 'team:' || new.team_id, true);
  end if;
  return null;
end
$$;

create trigger guests_broadcast_promoter
  after insert or update of checked_in_at on public.guests
  for each row execute function private.broadcast_guest_to_promoter();

/**
 * Whether the signed-in user may listen to `promoter:<id>` (it is their promoter record) or
 * `team:<id>` (they lead that team). Anything else is refused here.
 */
create or replace function private.can_listen_promoter(p_topic text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_uuid constant text := '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
begin
  if p_topic ~ ('^promoter:' || v_uuid || '$') then
    return substr(p_topic, 10)::uuid in (select private.my_promoter_ids());
  elsif p_topic ~ ('^team:' || v_uuid || '$') then
    return substr(p_topic, 6)::uuid in (select private.my_led_team_ids());
  end if;
  return false;
end
$$;

-- =============================================================================================
-- Policies
-- =============================================================================================

create policy "Promoters can receive their own guests' broadcasts" on realtime.messages
  for select to authenticated
  using (realtime.messages.extension = 'broadcast' and private.can_listen_promoter((select realtime.topic())));

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.can_listen_promoter(text) from public, anon;
grant execute on function private.can_listen_promoter(text) to authenticated;
revoke execute on function private.require_org_role(uuid, text[]), private.require_event(uuid, text[]),
  private.check_slug(text), private.clean_text(text, text, integer),
  private.check_event_fields(text, text, text, timestamptz, timestamptz, timestamptz, integer),
  private.event_json(public.events), private.my_promoter_ids(), private.my_led_team_ids(),
  private.csv_cell(text), private.attach_promoter(uuid, uuid, uuid), private.promoter_sees(uuid, uuid),
  private.promoter_broadcast_payload(public.guests), private.broadcast_guest_to_promoter()
  from public, anon, authenticated;

revoke execute on function public.create_organization(text), public.my_organizations(),
  public.organization_overview(uuid), public.set_member_role(uuid, uuid, text, uuid), public.remove_member(uuid, uuid),
  public.create_event(uuid, text, text, text, timestamptz, timestamptz, timestamptz, integer, boolean),
  public.update_event(uuid, integer, text, text, text, timestamptz, timestamptz, timestamptz, integer, boolean),
  public.duplicate_event(uuid, text, integer), public.create_promoter(uuid, text, text), public.create_team(uuid, text),
  public.set_team_member(uuid, uuid, boolean, boolean), public.link_promoter(uuid, uuid, uuid),
  public.unlink_promoter(uuid, uuid), public.export_guest_list(uuid), public.find_guests(uuid, text),
  public.check_in_guest_by_id(uuid, uuid, text), public.promoter_overview(), public.promoter_event_feed(uuid)
  from public, anon, authenticated;
grant execute on function public.create_organization(text), public.my_organizations(),
  public.organization_overview(uuid), public.set_member_role(uuid, uuid, text, uuid), public.remove_member(uuid, uuid),
  public.create_event(uuid, text, text, text, timestamptz, timestamptz, timestamptz, integer, boolean),
  public.update_event(uuid, integer, text, text, text, timestamptz, timestamptz, timestamptz, integer, boolean),
  public.duplicate_event(uuid, text, integer), public.create_promoter(uuid, text, text), public.create_team(uuid, text),
  public.set_team_member(uuid, uuid, boolean, boolean), public.link_promoter(uuid, uuid, uuid),
  public.unlink_promoter(uuid, uuid), public.export_guest_list(uuid), public.find_guests(uuid, text),
  public.check_in_guest_by_id(uuid, uuid, text), public.promoter_overview(), public.promoter_event_feed(uuid)
  to authenticated;
