-- Organizations run nights; their members are Supabase Auth users with a role: owner, admin and
-- staff run the night (the team); a promoter signs in to see their own links and guests only.

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
  select exists (
    select 1 from public.organization_members m
    where m.organization_id = p_organization_id
      and m.user_id = (select auth.uid())
      and m.role = any (coalesce(p_roles, array['owner', 'admin', 'staff']))
  )
$$;

revoke execute on function private.is_member(uuid, text[]) from public, anon;
grant execute on function private.is_member(uuid, text[]) to authenticated;

-- =============================================================================================
-- Policies (no table privileges are granted to API roles: these say who may read should a
-- grant ever be added, and keep the rule next to the data)
-- =============================================================================================

create policy "Members can read their organizations" on public.organizations
  for select to authenticated using (private.is_member(id));

create policy "Members can read their organization's members" on public.organization_members
  for select to authenticated using (private.is_member(organization_id));

revoke all on public.organizations, public.organization_members from anon, authenticated;
