-- Organizations run nights; their members are Supabase Auth users with a role: owner, admin and
-- staff run the night (the team); a promoter signs in to see their own links and guests only.
-- Who may do what is decided here, once: member_role (the lookup), is_member (the predicate that
-- policies use) and require_org_role (the answer of every function: 404 for a non-member, 403
-- for a member without the role; docs/manage.md).

-- =============================================================================================
-- Tables
-- =============================================================================================

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 120),
  created_at timestamptz not null default now()
);

create table public.organization_members (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'staff', 'promoter')),
  created_at timestamptz not null default now(),
  primary key (organization_id, user_id)
);
create index organization_members_user_id_idx on public.organization_members (user_id);

alter table public.organizations enable row level security;
alter table public.organization_members enable row level security;

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * The signed-in user's role in the organization, or null for a non-member (and for an
 * anonymous caller). The one lookup of membership: is_member and require_org_role read it.
 */
create or replace function private.member_role(p_organization_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select m.role from public.organization_members m
  where m.organization_id = p_organization_id and m.user_id = (select auth.uid())
$$;

/**
 * Whether the signed-in user belongs to the organization, with one of `p_roles`; null means
 * the team (owner, admin or staff): a promoter is admitted only where `p_roles` names them,
 * so that no team-wide rule leaks other promoters' guests to a promoter.
 * SECURITY DEFINER so policies can use it without reading organization_members through RLS
 * (which would recurse).
 */
create or replace function private.is_member(p_organization_id uuid, p_roles text[] default null)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(private.member_role(p_organization_id) = any (coalesce(p_roles, array['owner', 'admin', 'staff'])), false)
$$;

/**
 * Raises unless the signed-in user is a member of the organization with one of `p_roles`
 * (null: owner, admin or staff); returns the member's role. The one answer of every management
 * and door function: 401 `not_authenticated` (nobody signed in); 404 `p_not_found` for a
 * non-member, exactly as for something that does not exist (`organization_not_found` by default;
 * `event_not_found`, `team_not_found`, `invitation_not_found` when the caller named one of those),
 * so that a non-member learns nothing about the organization; 403 `forbidden` for a member
 * without the role.
 */
create or replace function private.require_org_role(p_organization_id uuid, p_roles text[],
  p_not_found text default 'organization_not_found')
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
    perform private.fail(401, 'not_authenticated', 'Sign in first.', 'Sign in and try again.');
  end if;
  v_role := private.member_role(p_organization_id);
  if v_role is null then
    perform private.fail(404, p_not_found,
      format('This %s does not exist, or you are not a member of its organisation.',
             replace(regexp_replace(p_not_found, '_not_found$', ''), '_', ' ')),
      'Check it, or ask an owner of the organisation to invite you.');
  end if;
  if not private.is_member(p_organization_id, p_roles) then
    perform private.fail(403, 'forbidden', format('Your role (%s) may not do this.', v_role),
      'Ask an owner or admin of the organisation.');
  end if;
  return v_role;
end
$$;

-- =============================================================================================
-- Policies (no table privileges are granted to API roles: these say who may read should a
-- grant ever be added, and keep the rule next to the data)
-- =============================================================================================

create policy "Members can read their organizations" on public.organizations
  for select to authenticated using (private.is_member(id));

create policy "Members can read their organization's members" on public.organization_members
  for select to authenticated using (private.is_member(organization_id));

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke all on public.organizations, public.organization_members from anon, authenticated;

revoke execute on function private.member_role(uuid), private.require_org_role(uuid, text[], text)
  from public, anon, authenticated;

revoke execute on function private.is_member(uuid, text[]) from public, anon;
grant execute on function private.is_member(uuid, text[]) to authenticated;
