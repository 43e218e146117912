-- Security invariants over the whole schema: RLS everywhere, no table privileges for API roles,
-- pinned search_path, and exactly the intended functions callable by each role.
begin;
select plan(11);

select is(
  (select array_agg(format('%s.%s', n.nspname, c.relname))
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p') and n.nspname in ('public', 'private') and not c.relrowsecurity),
  null, 'every table in public and private has RLS enabled');

select is(
  (select array_agg(distinct format('%s %s.%s', g.grantee, g.table_schema, g.table_name))
   from information_schema.role_table_grants g
   where g.grantee in ('anon', 'authenticated') and g.table_schema in ('public', 'private')),
  null, 'anon and authenticated hold no table privileges');

select is(
  (select array_agg(format('%s.%s', n.nspname, p.proname))
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'private')
     and not coalesce(p.proconfig, '{}') && array['search_path=""']),
  null, 'every function in public and private pins search_path to empty');

-- Who may call what: the allow-list is tests.api_functions() (supabase/tests/helpers.sql).
create function pg_temp.executable(p_role text) returns text[] language sql stable as $$
  select array_agg(p.proname::text order by p.proname::text collate "C")
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'public' and has_function_privilege(p_role, p.oid, 'execute')
$$;

select is(pg_temp.executable('anon'),
  (select array_agg(name order by name collate "C") from tests.api_functions() where caller = 'anon'),
  'anon may call exactly the guest functions');

select is(pg_temp.executable('authenticated'),
  (select array_agg(name order by name collate "C") from tests.api_functions() where caller = 'authenticated'),
  'authenticated may call exactly the staff functions');

-- Nothing in public is granted to the API roles by default (a project created in 2026): the
-- service role may call its own functions and those granted to it on purpose (the address check,
-- the operations view, and the reset request that guest-password-reset makes for a guest).
select is(pg_temp.executable('service_role'),
  (select array_agg(name order by name collate "C") from tests.api_functions()
   where caller = 'service_role' or name in ('client_address', 'ops_stats', 'request_password_reset', 'request_pass_email')),
  'service_role may call exactly its functions and the four granted to it');

select is(
  (select array_agg(p.proname::text order by p.proname)
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'private' and has_function_privilege('anon', p.oid, 'execute')),
  array['check_request'],
  'anon may call no private helper but the request hook');

select is(
  (select array_agg(p.proname::text order by p.proname)
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'private') and not p.prosecdef
     and has_function_privilege('anon', p.oid, 'execute')),
  null, 'every function anon can call is SECURITY DEFINER with a pinned path (no caller-privilege surprises)');

-- anon and authenticated really cannot read any table: every table of public and private
-- answers permission denied (error_of is null when the read succeeds, which counts as a failure).
create temporary table api_tables as
  select format('%I.%I', schemaname, tablename) t from pg_tables where schemaname in ('public', 'private');
grant select on api_tables to anon, authenticated;
select tests.act_as('anon');
select is(
  (select array_agg(t order by t) from api_tables
   where coalesce(tests.error_of('select 1 from ' || t || ' limit 1'), 'readable') not like '42501%'),
  null, 'anon gets permission denied on every table it tries');
select tests.act_as_postgres();
select tests.authenticate_as(tests.create_user('reader-' || gen_random_uuid() || '@a.test'));
select is(
  (select array_agg(t order by t) from api_tables
   where coalesce(tests.error_of('select 1 from ' || t || ' limit 1'), 'readable') not like '42501%'),
  null, 'a signed-in user gets permission denied on every table too');
select tests.act_as_postgres();

select is(
  (select array_agg(c) from pg_roles, unnest(rolconfig) c where rolname = 'authenticator' and c like 'pgrst.%'),
  array['pgrst.db_pre_request=private.check_request'], 'the request hook is registered on authenticator');

select * from finish();
rollback;
