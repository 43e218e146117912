-- Door lists: the event's guest list as CSV for its owners and admins.

-- =============================================================================================
-- Functions
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

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function public.export_guest_list(uuid) from public, anon, authenticated;
grant execute on function public.export_guest_list(uuid) to authenticated;
