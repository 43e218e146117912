-- The promoter's own view: their links, with registered and arrived guests, and each night's
-- feed of their (a team leader's: the team's) guests; never other promoters' guests
-- (private.promoter_sees). Live updates come on the topics of the realtime migration.

-- =============================================================================================
-- Functions
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
-- Grants
-- =============================================================================================

revoke execute on function public.promoter_overview(), public.promoter_event_feed(uuid) from public, anon, authenticated;
grant execute on function public.promoter_overview(), public.promoter_event_feed(uuid) to authenticated;
