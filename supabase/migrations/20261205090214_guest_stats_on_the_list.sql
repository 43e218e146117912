-- A night's gender ratio and age bands count the guests on the list, as every other count of
-- the night does (private.list_totals): waiting, pending and revoked passes are not guests of
-- the night. They were counted, so a night with a long waiting list showed its waiting guests
-- in /live's and /promoter's ratio.

/**
 * A night's guests in aggregate, for /live and /promoter, only for the questions the night asks:
 * `gender` {female, male, other, unknown} and `age_bands` [{band, guests}] (under 18, 18–20,
 * 21–24, 25–29, 30–34, 35–44, 45 and over, unknown), with `guests`, the count they cover: passes
 * on the list (not waiting, pending or revoked). Members of the event's organization see the
 * whole night; a promoter their own (a team leader the team's) guests. Counts only, never a guest.
 * Errors: not_authenticated (401), event_not_found (404: neither a member nor linked).
 */
create or replace function public.event_guest_stats(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_all boolean;
  v_q jsonb := private.questions_json(p_event_id);
  v_result jsonb;
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to see the night.', 'Sign in and try again.');
  end if;
  v_all := private.is_event_member(p_event_id)
           and exists (select 1 from public.events e join public.organization_members m on m.organization_id = e.organization_id
                       where e.id = p_event_id and m.user_id = (select auth.uid()) and m.role in ('owner', 'admin', 'staff'));
  if not v_all and not exists (select 1 from public.event_promoters ep where ep.event_id = p_event_id
                               and private.promoter_sees(ep.promoter_id, ep.team_id)) then
    perform private.fail(404, 'event_not_found', 'This night is not yours to see.', 'Pick one of your nights.');
  end if;
  with mine as (
    select u.gender, private.age_at_event(u.birth_date, p_event_id) as age
    from public.guests g left join private.client_users u on u.id = g.client_user_id
    where g.event_id = p_event_id and g.status not in ('waiting', 'pending', 'revoked')
      and (v_all or private.promoter_sees(g.promoter_id, g.team_id))
  )
  select jsonb_build_object(
    'questions', v_q,
    'guests', (select count(*) from mine),
    'gender', case when (v_q ->> 'gender')::boolean then (
      select jsonb_build_object('female', count(*) filter (where gender = 'female'), 'male', count(*) filter (where gender = 'male'),
                                'other', count(*) filter (where gender = 'other'), 'unknown', count(*) filter (where gender is null))
      from mine) end,
    'age_bands', case when (v_q ->> 'birth_date')::boolean then (
      select jsonb_agg(jsonb_build_object('band', b.band, 'guests',
               (select count(*) from mine m where (b.lo is null and m.age is null) or m.age between b.lo and b.hi)) order by b.n)
      from (values (1, 'under_18', 0, 17), (2, '18-20', 18, 20), (3, '21-24', 21, 24), (4, '25-29', 25, 29), (5, '30-34', 30, 34),
                   (6, '35-44', 35, 44), (7, '45+', 45, 200), (8, 'unknown', null, null)) b(n, band, lo, hi)) end)
  into v_result;
  return v_result;
end
$$;

