-- Supabase's database linter, lints 0028 (anon_security_definer_function_executable) and 0029
-- (authenticated_security_definer_function_executable), checked here because no Supabase CLI
-- reachable from this project ships them yet. Their condition, from splinter's lint SQL: a
-- function in an exposed API schema (pgrst.db_schemas; on Supabase `public`, the
-- extension-owned schemas excluded) that is SECURITY DEFINER and that the role may EXECUTE.
--
-- The public API functions are SECURITY DEFINER by design (they alone touch the tables, which
-- RLS and the absence of grants close to the API roles). They are the only allowed findings,
-- listed below by name. Any other definer function an API role can execute fails this test:
-- revoke EXECUTE, make it SECURITY INVOKER, or move it to `private`.
--
-- To add a public API function: add its name to the list of the role that calls it, with a
-- comment saying what it is for. Nothing else belongs here.
begin;
select plan(4);

create temp table allowed (role text, name text);
insert into allowed values
  -- Guest page (anonymous): the five calls of the guest flow.
  ('anon', 'resolve_promoter_link'),            -- event and promoter card for a link
  ('anon', 'check_phone_with_cache'),           -- {exists, phone} only, anti-enumeration
  ('anon', 'authenticate_and_create_guest_v2'), -- returning guest: password, then the pass
  ('anon', 'register_and_create_guest_v2'),     -- new guest: account and pass
  ('anon', 'join_event_with_session'),          -- returning guest with a session, no password
  ('anon', 'registration_challenge'),           -- single-use proof-of-work challenge for registering
  -- A guest's own data (docs/manage.md), with their session token or a reset link's token.
  ('anon', 'my_guest_data'),                    -- what is stored about the guest of the session
  ('anon', 'delete_my_guest_account'),          -- erase the account (past passes anonymised)
  ('anon', 'request_password_reset'),           -- queue a one-time reset link (same answer for every number)
  ('anon', 'reset_guest_password'),             -- set a new password with the link's token
  -- Deployment check (docs/deploy.md): the address the database sees for the caller.
  ('anon', 'client_address'),                   -- its own address, the header's values, the settings
  -- Door staff and organisers (signed in), checked against organization membership inside.
  ('authenticated', 'check_in_guest'),          -- a scan at the door
  ('authenticated', 'event_dashboard'),         -- live totals for the organiser page
  ('authenticated', 'authorize_event_broadcast'), -- may this user announce on the event's channel
  ('authenticated', 'set_event_registration_limit'), -- owner/admin raises an event's registrations per minute
  ('authenticated', 'my_events'),               -- the caller's organizations' events, for the staff pages
  -- Management (docs/manage.md): each checks the caller's role in the organisation inside.
  ('authenticated', 'create_organization'),     -- the caller becomes its owner
  ('authenticated', 'my_organizations'),        -- the caller's organisations and roles
  ('authenticated', 'organization_overview'),   -- owner/admin: members, invitations, promoters, teams, events
  ('authenticated', 'set_member_role'),         -- owner/admin; the last owner stays
  ('authenticated', 'remove_member'),           -- owner/admin, or a member leaving; the last owner stays
  ('authenticated', 'create_event'),            -- owner/admin
  ('authenticated', 'update_event'),            -- owner/admin, with the version it started from
  ('authenticated', 'duplicate_event'),         -- owner/admin: last week's night, a week later
  ('authenticated', 'create_promoter'),         -- owner/admin
  ('authenticated', 'create_team'),             -- owner/admin
  ('authenticated', 'set_team_member'),         -- owner/admin: a promoter in or out of a team, leader or not
  ('authenticated', 'link_promoter'),           -- owner/admin: a promoter's link to a night
  ('authenticated', 'unlink_promoter'),         -- owner/admin; the guests stay
  ('authenticated', 'invite_member'),           -- owner/admin: a single-use invitation token
  ('authenticated', 'revoke_invitation'),       -- owner/admin
  ('authenticated', 'accept_invitation'),       -- the invitee, with the invited email
  ('authenticated', 'export_guest_list'),       -- owner/admin: CSV, phones for owners only
  ('authenticated', 'find_guests'),             -- door staff: look a guest up by name
  ('authenticated', 'check_in_guest_by_id'),    -- door staff: check_in_guest for a guest found by name
  ('authenticated', 'promoter_overview'),       -- a promoter's own links and counts
  ('authenticated', 'promoter_event_feed'),     -- a promoter's own (a leader: the team's) guests of a night
  ('authenticated', 'ops_stats');               -- owner/admin: the night's operations (service_role sees all)

-- The lints' query, for one role, over the schemas PostgREST exposes on Supabase.
create function pg_temp.definer_executable(p_role text)
returns table (schema_name text, function_name text, function_args text)
language sql stable as $$
  select n.nspname::text, p.proname::text, pg_catalog.pg_get_function_identity_arguments(p.oid)
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on p.pronamespace = n.oid
  where p.prosecdef
    and pg_catalog.has_function_privilege(p_role, p.oid, 'EXECUTE')
    and n.nspname = any (array(select trim(unnest(string_to_array(
          coalesce(nullif(current_setting('pgrst.db_schemas', true), ''), 'public, graphql_public'), ',')))))
    and n.nspname not in ('_timescaledb_cache', '_timescaledb_catalog', '_timescaledb_config', '_timescaledb_internal',
      'auth', 'cron', 'extensions', 'graphql', 'graphql_public', 'information_schema', 'net', 'pgmq', 'pgroonga',
      'pgsodium', 'pgsodium_masks', 'pgtle', 'pgbouncer', 'pg_catalog', 'realtime', 'repack', 'storage',
      'supabase_functions', 'supabase_migrations', 'tiger', 'topology', 'vault')
$$;

select is(
  (select array_agg(format('%s.%s(%s)', schema_name, function_name, function_args) order by 1)
   from pg_temp.definer_executable('anon') f
   where not exists (select from allowed a where a.role = 'anon' and a.name = f.function_name)),
  null, '0028: no SECURITY DEFINER function anon can execute beyond the listed public API');

select is(
  (select array_agg(format('%s.%s(%s)', schema_name, function_name, function_args) order by 1)
   from pg_temp.definer_executable('authenticated') f
   where not exists (select from allowed a where a.role = 'authenticated' and a.name = f.function_name)),
  null, '0029: no SECURITY DEFINER function authenticated can execute beyond the listed public API');

-- The list stays true: every entry is a definer function its role can execute today.
select is(
  (select array_agg(a.name order by a.name) from allowed a
   where a.role = 'anon' and not exists (select from pg_temp.definer_executable('anon') f where f.function_name = a.name)),
  null, 'every listed anon function exists and is a definer function anon can execute');

select is(
  (select array_agg(a.name order by a.name) from allowed a
   where a.role = 'authenticated'
     and not exists (select from pg_temp.definer_executable('authenticated') f where f.function_name = a.name)),
  null, 'every listed authenticated function exists and is a definer function authenticated can execute');

select * from finish();
rollback;
