-- Running the night without SQL, the organisation: a signed-in user creates one (and owns it),
-- sees their organisations and their events, and an owner or admin changes members' roles or
-- removes them. Invitations (the way in) follow in their own migration.

-- =============================================================================================
-- Settings and limits
-- =============================================================================================

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('organizations_created', 3, 900, 'Organisations one account may create per 15 minutes.')
on conflict do nothing;

-- =============================================================================================
-- Functions
-- =============================================================================================

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
 * The events of every organization the signed-in user belongs to (any role), with the
 * organization's name and the user's role, the nearest nights first: upcoming and running
 * nights by start time, then past ones, newest first. Members only see their own
 * organizations; anonymous callers get 401 `not_authenticated`.
 */
create or replace function public.my_events()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to see your events.', 'Sign in and try again.');
  end if;
  return coalesce((
    select jsonb_agg(jsonb_build_object(
        'id', e.id, 'name', e.name, 'slug', e.slug, 'venue', e.venue, 'starts_at', e.starts_at,
        'ends_at', e.ends_at, 'organization_name', o.name, 'role', m.role)
      order by e.ends_at < now(), case when e.ends_at >= now() then e.starts_at end, e.starts_at desc, e.name, e.id)
    from public.organization_members m
    join public.organizations o on o.id = m.organization_id
    join public.events e on e.organization_id = m.organization_id
    where m.user_id = (select auth.uid())), '[]'::jsonb);
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
-- Grants
-- =============================================================================================

revoke execute on function private.attach_promoter(uuid, uuid, uuid) from public, anon, authenticated;
revoke execute on function public.create_organization(text), public.my_organizations(), public.my_events(),
  public.set_member_role(uuid, uuid, text, uuid), public.remove_member(uuid, uuid)
  from public, anon, authenticated;
grant execute on function public.create_organization(text), public.my_organizations(), public.my_events(),
  public.set_member_role(uuid, uuid, text, uuid), public.remove_member(uuid, uuid)
  to authenticated;
