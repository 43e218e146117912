-- Running the night without SQL, the promoters: an owner or admin creates promoters and teams,
-- puts promoters in teams and links them to nights (the links guests join through).

-- =============================================================================================
-- Functions
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
 * guests who already registered through them stay. Errors: team_not_found (404, also for a
 * non-member), promoter_not_found (404).
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
  perform private.require_org_role(v_org, array['owner', 'admin'], 'team_not_found');
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
-- Grants
-- =============================================================================================

revoke execute on function public.create_promoter(uuid, text, text), public.create_team(uuid, text),
  public.set_team_member(uuid, uuid, boolean, boolean), public.link_promoter(uuid, uuid, uuid),
  public.unlink_promoter(uuid, uuid)
  from public, anon, authenticated;
grant execute on function public.create_promoter(uuid, text, text), public.create_team(uuid, text),
  public.set_team_member(uuid, uuid, boolean, boolean), public.link_promoter(uuid, uuid, uuid),
  public.unlink_promoter(uuid, uuid)
  to authenticated;
