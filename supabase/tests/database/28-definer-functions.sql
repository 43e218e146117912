-- Supabase's database linter, lints 0028 (anon_security_definer_function_executable) and 0029
-- (authenticated_security_definer_function_executable), checked here because no Supabase CLI
-- reachable from this project ships them yet. Their condition, from splinter's lint SQL: a
-- function in an exposed API schema (pgrst.db_schemas; on Supabase `public`, the
-- extension-owned schemas excluded) that is SECURITY DEFINER and that the role may EXECUTE.
--
-- The public API functions are SECURITY DEFINER by design (they alone touch the tables, which
-- RLS and the absence of grants close to the API roles). They are the only allowed findings:
-- the functions tests.api_functions() (supabase/tests/helpers.sql, the one allow-list) gives to
-- the role. Any other definer function an API role can execute fails this test: revoke
-- EXECUTE, make it SECURITY INVOKER, or move it to `private`. A new public API function is a
-- row in tests.api_functions(), nothing here.
begin;
select plan(4);

create temp table allowed as
  select caller as role, name from tests.api_functions() where caller in ('anon', 'authenticated');

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
