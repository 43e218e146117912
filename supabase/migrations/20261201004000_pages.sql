-- What the staff pages need beyond the door and the dashboard: the signed-in user's events, to
-- pick one on the door scanner and the live page.

-- =============================================================================================
-- Functions
-- =============================================================================================

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

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function public.my_events() from public, anon, authenticated;
grant execute on function public.my_events() to authenticated;
