-- Invitations: an owner or admin invites a person by email with a role. Supabase Auth delivers
-- the sign-in link (edge function invite-member); the organisation and role stay here, behind a
-- single-use, expiring token kept only as sha256, so the database decides membership when the
-- signed-in invitee accepts.
-- organization_overview, the owner's one answer about the organisation, lists the open
-- invitations and so comes after them.

-- =============================================================================================
-- Tables
-- =============================================================================================

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  email text not null check (email = lower(email) and length(email) <= 254),
  role text not null check (role in ('owner', 'admin', 'staff', 'promoter')),
  promoter_id uuid references public.promoters (id) on delete cascade,
  token_hash bytea not null unique,
  invited_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  check ((role = 'promoter') = (promoter_id is not null)),
  check (accepted_by is null or accepted_at is not null)
);
create index invitations_organization_id_email_idx on public.invitations (organization_id, email);
create index invitations_promoter_id_idx on public.invitations (promoter_id);
create index invitations_invited_by_idx on public.invitations (invited_by);
create index invitations_accepted_by_idx on public.invitations (accepted_by);
alter table public.invitations enable row level security;

insert into private.settings (key, value, description) values
  ('invitation_days', '7', 'How long an invitation link to an organisation stays valid.')
on conflict (key) do nothing;

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('invitations', 20, 900, 'Invitations an organisation may send per 15 minutes (each one is an email).')
on conflict do nothing;

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * Invites a person by email into the organisation with a role (owner/admin; only an owner may
 * invite an owner; a promoter invitation names the organisation's promoter record, not yet tied
 * to an account). A new invitation replaces that email's open one. Returns the token once, for
 * the link: the invite-member edge function has Supabase Auth deliver it. Errors:
 * invalid_email, invalid_role (400), forbidden (403), promoter_not_found (404),
 * promoter_taken (409), rate_limited (429).
 */
create or replace function public.invite_member(p_organization_id uuid, p_email text, p_role text,
  p_promoter_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_my_role text := private.require_org_role(p_organization_id, array['owner', 'admin']);
  v_email text := private.clean_email(p_email);
  v_token text := private.random_token(33);
  v_invitation public.invitations;
begin
  if p_role is null or p_role not in ('owner', 'admin', 'staff', 'promoter') then
    perform private.fail(400, 'invalid_role', 'The role must be owner, admin, staff or promoter.', 'Choose one of those roles.');
  end if;
  if p_role = 'owner' and v_my_role <> 'owner' then
    perform private.fail(403, 'forbidden', 'Only an owner may invite an owner.', 'Ask an owner.');
  end if;
  if p_role = 'promoter' then
    if not exists (select 1 from public.promoters p where p.id = p_promoter_id and p.organization_id = p_organization_id) then
      perform private.fail(404, 'promoter_not_found', 'A promoter invitation needs a promoter of this organisation.',
        'Create the promoter first, then choose it.');
    end if;
    if exists (select 1 from public.promoters p where p.id = p_promoter_id and p.user_id is not null) then
      perform private.fail(409, 'promoter_taken', 'Another account already signs in as this promoter.',
        'Choose another promoter.');
    end if;
  end if;
  perform private.rate_limit('invitations', p_organization_id::text);

  delete from public.invitations i
  where i.organization_id = p_organization_id and i.email = v_email and i.accepted_at is null;
  insert into public.invitations (organization_id, email, role, promoter_id, token_hash, invited_by, expires_at)
  values (p_organization_id, v_email, p_role, case when p_role = 'promoter' then p_promoter_id end,
          private.sha256(v_token), (select auth.uid()),
          now() + make_interval(days => (private.setting('invitation_days'))::integer))
  returning * into v_invitation;

  return jsonb_build_object('id', v_invitation.id, 'organization_id', p_organization_id,
    'organization_name', (select o.name from public.organizations o where o.id = p_organization_id),
    'email', v_email, 'role', p_role, 'promoter_id', v_invitation.promoter_id,
    'token', v_token, 'expires_at', v_invitation.expires_at);
end
$$;

/**
 * Withdraws an open invitation (owner/admin); 404 `invitation_not_found` when there is none, or
 * when the caller is not a member of its organisation.
 */
create or replace function public.revoke_invitation(p_invitation_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := (select i.organization_id from public.invitations i where i.id = p_invitation_id and i.accepted_at is null);
begin
  perform private.require_org_role(v_org, array['owner', 'admin'], 'invitation_not_found');
  delete from public.invitations i where i.id = p_invitation_id and i.accepted_at is null;
  return jsonb_build_object('id', p_invitation_id, 'revoked', found);
end
$$;

/**
 * The signed-in invitee accepts: the invitation must be theirs (same email as their account:
 * 403 `invitation_for_another_email`), unused and unexpired. They join with the invited role
 * (an owner stays owner). Single use: accepting again (a double tap, two tabs at once) answers
 * the same membership with `already_accepted`; errors: invitation_not_found (404),
 * invitation_used (409, by another account), invitation_expired (410), promoter_taken (409).
 */
create or replace function public.accept_invitation(p_token text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_email text;
  v_invitation public.invitations;
  v_role text;
begin
  if v_uid is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to accept the invitation.', 'Open the link from the email again.');
  end if;
  perform private.check_length('p_token', p_token, 100);
  select lower(u.email) into v_email from auth.users u where u.id = v_uid;

  -- The row lock makes a second, concurrent accept wait and then see accepted_at set.
  update public.invitations i set accepted_at = now(), accepted_by = v_uid
  where i.token_hash = private.sha256(coalesce(p_token, '')) and i.accepted_at is null
    and i.expires_at > now() and i.email = v_email
  returning * into v_invitation;

  if not found then
    select * into v_invitation from public.invitations i where i.token_hash = private.sha256(coalesce(p_token, ''));
    if not found then
      perform private.fail(404, 'invitation_not_found', 'This invitation does not exist or was withdrawn.',
        'Ask for a new invitation.');
    elsif v_invitation.email is distinct from v_email then
      perform private.fail(403, 'invitation_for_another_email', 'This invitation was sent to another email address.',
        'Sign in with the address the invitation was sent to.');
    elsif v_invitation.accepted_by = v_uid then
      select m.role into v_role from public.organization_members m
      where m.organization_id = v_invitation.organization_id and m.user_id = v_uid;
      return jsonb_build_object('organization_id', v_invitation.organization_id, 'role', v_role, 'already_accepted', true);
    elsif v_invitation.accepted_at is not null then
      perform private.fail(409, 'invitation_used', 'This invitation was already used.', 'Ask for a new invitation.');
    else
      perform private.fail(410, 'invitation_expired', 'This invitation has expired.', 'Ask for a new invitation.');
    end if;
  end if;

  perform 1 from public.organizations o where o.id = v_invitation.organization_id for update;
  insert into public.organization_members as m (organization_id, user_id, role)
  values (v_invitation.organization_id, v_uid, v_invitation.role)
  on conflict (organization_id, user_id) do update set role = excluded.role where m.role <> 'owner';
  select m.role into v_role from public.organization_members m
  where m.organization_id = v_invitation.organization_id and m.user_id = v_uid;
  update public.promoters p set user_id = null
  where p.organization_id = v_invitation.organization_id and p.user_id = v_uid
    and (v_role <> 'promoter' or p.id is distinct from v_invitation.promoter_id);
  if v_role = 'promoter' then
    perform private.attach_promoter(v_invitation.organization_id, v_uid, v_invitation.promoter_id);
  end if;
  return jsonb_build_object('organization_id', v_invitation.organization_id, 'role', v_role, 'already_accepted', false);
end
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

-- =============================================================================================
-- Policies
-- =============================================================================================

create policy "Owners and admins can read their organization's invitations" on public.invitations
  for select to authenticated using (private.is_member(organization_id, array['owner', 'admin']));

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke all on public.invitations from anon, authenticated;
revoke execute on function public.invite_member(uuid, text, text, uuid), public.revoke_invitation(uuid),
  public.accept_invitation(text), public.organization_overview(uuid) from public, anon, authenticated;
grant execute on function public.invite_member(uuid, text, text, uuid), public.revoke_invitation(uuid),
  public.accept_invitation(text), public.organization_overview(uuid) to authenticated;
