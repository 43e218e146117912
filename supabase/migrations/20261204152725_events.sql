-- Events, promoters and their teams, and the links that promoters share:
-- /p/<promoter-slug>/<event-slug> is valid only while an event_promoters row exists.
-- The role checks for an event (require_event) and for a promoter (promoter_sees) live here too.

-- =============================================================================================
-- Tables
-- =============================================================================================

create table public.events (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  slug text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 100),
  name text not null check (length(name) between 1 and 200),
  venue text check (length(venue) <= 200),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  guest_list_closes_at timestamptz not null,
  capacity integer check (capacity > 0),
  is_published boolean not null default false,
  -- Bumped by every edit: an edit names the version it started from, so two people editing the
  -- same night at once cannot silently overwrite each other (the second gets 409).
  version integer not null default 1,
  created_at timestamptz not null default now(),
  unique (organization_id, slug),
  check (ends_at > starts_at),
  check (guest_list_closes_at <= ends_at)
);

create table public.promoters (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 100),
  display_name text not null check (length(display_name) between 1 and 100),
  -- The account that signs in as this promoter (role 'promoter'); a promoter without one still
  -- has working links.
  user_id uuid,
  created_at timestamptz not null default now(),
  unique (organization_id, user_id),
  foreign key (organization_id, user_id) references public.organization_members (organization_id, user_id)
    on delete set null (user_id)
);
create index promoters_organization_id_idx on public.promoters (organization_id);
create index promoters_user_id_idx on public.promoters (user_id);

create table public.teams (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (length(name) between 1 and 100),
  created_at timestamptz not null default now(),
  unique (organization_id, name)
);

create table public.team_members (
  team_id uuid not null references public.teams (id) on delete cascade,
  promoter_id uuid not null references public.promoters (id) on delete cascade,
  -- A team leader sees the whole team's links and guests.
  is_leader boolean not null default false,
  primary key (team_id, promoter_id)
);
create index team_members_promoter_id_idx on public.team_members (promoter_id);

/** A promoter's link to an event, for one of the promoter's teams (or none). */
create table public.event_promoters (
  event_id uuid not null references public.events (id) on delete cascade,
  promoter_id uuid not null references public.promoters (id) on delete cascade,
  team_id uuid,
  created_at timestamptz not null default now(),
  primary key (event_id, promoter_id),
  foreign key (team_id, promoter_id) references public.team_members (team_id, promoter_id) on delete cascade
);
create index event_promoters_promoter_id_idx on public.event_promoters (promoter_id);
create index event_promoters_team_id_promoter_id_idx on public.event_promoters (team_id, promoter_id);

alter table public.events enable row level security;
alter table public.promoters enable row level security;
alter table public.teams enable row level security;
alter table public.team_members enable row level security;
alter table public.event_promoters enable row level security;

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * The link a guest is joining through: the published event, the promoter linked to it and the
 * link's team. Raises 404 `event_not_found` (unknown or unpublished event) or
 * `promoter_not_linked` (no such link, or a team other than the link's).
 */
create or replace function private.guest_link(p_event_id uuid, p_promoter_id uuid, p_team_id uuid,
  out event_id uuid, out promoter_id uuid, out team_id uuid, out organization_id uuid,
  out guest_list_closes_at timestamptz, out capacity integer)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  select e.id, e.organization_id, e.guest_list_closes_at, e.capacity
    into event_id, organization_id, guest_list_closes_at, capacity
  from public.events e
  where e.id = p_event_id and e.is_published;
  if not found then
    perform private.fail(404, 'event_not_found', 'This event does not exist or is not open to guests.',
      'Ask your promoter for a new link.');
  end if;

  select ep.promoter_id, ep.team_id into promoter_id, team_id
  from public.event_promoters ep
  where ep.event_id = p_event_id and ep.promoter_id = p_promoter_id;
  if not found or p_team_id is distinct from team_id then
    perform private.fail(404, 'promoter_not_linked', 'This promoter link is not valid for this event.',
      'Ask your promoter for a new link.');
  end if;
end
$$;

/** Whether the signed-in user belongs to the organization that runs the event (for policies). */
create or replace function private.is_event_member(p_event_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.events e where e.id = p_event_id and private.is_member(e.organization_id))
$$;

/**
 * The event, once the signed-in user is checked for one of `p_roles` in its organization
 * (private.require_org_role): 404 `event_not_found` for an unknown event and for a non-member
 * alike, 403 `forbidden` for a member without the role.
 */
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
  select * into v_event from public.events e where e.id = p_event_id;
  perform private.require_org_role(v_event.organization_id, p_roles, 'event_not_found');
  return v_event;
end
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

-- =============================================================================================
-- Policies
-- =============================================================================================

create policy "Organization members can read their events" on public.events
  for select to authenticated using (private.is_member(organization_id));

create policy "Organization members can read their promoters" on public.promoters
  for select to authenticated using (private.is_member(organization_id));

create policy "Organization members can read their teams" on public.teams
  for select to authenticated using (private.is_member(organization_id));

create policy "Organization members can read their teams' members" on public.team_members
  for select to authenticated using (
    exists (select 1 from public.teams t where t.id = team_id and private.is_member(t.organization_id)));

create policy "Organization members can read their events' promoter links" on public.event_promoters
  for select to authenticated using (private.is_event_member(event_id));

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke all on public.events, public.promoters, public.teams, public.team_members, public.event_promoters
  from anon, authenticated;
revoke execute on function private.guest_link(uuid, uuid, uuid), private.require_event(uuid, text[]),
  private.my_promoter_ids(), private.my_led_team_ids(), private.promoter_sees(uuid, uuid)
  from public, anon, authenticated;

revoke execute on function private.is_event_member(uuid) from public, anon;
grant execute on function private.is_event_member(uuid) to authenticated;
