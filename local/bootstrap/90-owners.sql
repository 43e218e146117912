-- Owners and privileges of the platform's schemas, as on a Supabase project; runs after every
-- other bootstrap file has created its objects (as supabase_admin), and hands each one to its
-- hosted owner. Sources: supabase/postgres init scripts and migrations
-- (00000000000001-auth-schema, 20211115181400_update-auth-permissions,
-- 20211122051245/20211130151719_update-realtime-permissions), supautils.conf.j2.

-- =============================================================================================
-- auth: Supabase Auth's own user owns it; postgres may read and write every table
-- =============================================================================================

alter schema auth owner to supabase_auth_admin;
do $$
declare r record;
begin
  for r in select format('alter %s %s owner to supabase_auth_admin',
                         case c.relkind when 'S' then 'sequence' when 'v' then 'view' else 'table' end, c.oid::regclass) as stmt
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'auth' and c.relkind in ('r', 'p', 'S', 'v')
             and c.relowner <> 'supabase_auth_admin'::regrole
             and not exists (select from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i') and d.classid = 'pg_class'::regclass and c.relkind = 'S')
  loop
    execute r.stmt;
  end loop;
  for r in select format('alter %s %s owner to supabase_auth_admin', case p.prokind when 'p' then 'procedure' else 'function' end, p.oid::regprocedure) as stmt
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'auth' and p.proowner <> 'supabase_auth_admin'::regrole
  loop
    execute r.stmt;
  end loop;
end $$;
grant usage on schema auth to postgres;
grant all on all tables in schema auth to postgres;
grant all on all sequences in schema auth to postgres;
grant all on all routines in schema auth to postgres;
alter default privileges for role supabase_auth_admin in schema auth grant all on tables to postgres;
alter default privileges for role supabase_auth_admin in schema auth grant all on sequences to postgres;
alter default privileges for role supabase_auth_admin in schema auth grant all on routines to postgres;

-- =============================================================================================
-- realtime: Realtime's own user owns it; postgres holds every privilege but not ownership
-- =============================================================================================

alter schema realtime owner to supabase_realtime_admin;
do $$
declare r record;
begin
  for r in select format('alter %s %s owner to supabase_realtime_admin',
                         case c.relkind when 'S' then 'sequence' when 'v' then 'view' else 'table' end, c.oid::regclass) as stmt
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'realtime' and c.relkind in ('r', 'p', 'S', 'v')
             and c.relowner <> 'supabase_realtime_admin'::regrole
             and not exists (select from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i') and d.classid = 'pg_class'::regclass and c.relkind = 'S')
  loop
    execute r.stmt;
  end loop;
  for r in select format('alter %s %s owner to supabase_realtime_admin', case p.prokind when 'p' then 'procedure' else 'function' end, p.oid::regprocedure) as stmt
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'realtime' and p.proowner <> 'supabase_realtime_admin'::regrole
  loop
    execute r.stmt;
  end loop;
end $$;
grant usage on schema realtime to postgres;
grant all on all tables in schema realtime to postgres;
grant all on all sequences in schema realtime to postgres;
grant all on all routines in schema realtime to postgres;
alter default privileges for role supabase_realtime_admin in schema realtime grant all on tables to postgres;
alter default privileges for role supabase_realtime_admin in schema realtime grant all on sequences to postgres;
alter default privileges for role supabase_realtime_admin in schema realtime grant all on routines to postgres;

-- =============================================================================================
-- supautils' policy grants, emulated for exactly realtime.messages
-- =============================================================================================
-- On Supabase, supautils.policy_grants = '{"postgres": [..., "realtime.messages", ...]}' lets
-- postgres CREATE/ALTER/DROP POLICY on realtime.messages without owning it (supautils runs that
-- one statement as the superuser). Nothing else about the table is postgres's: it cannot alter,
-- drop or re-own it. (The auth.* tables of that list are not emulated: the product creates no
-- policy on them, and postgres, no member of supabase_auth_admin, cannot.)
--
-- This stand-in has no supautils, so a pair of event triggers lends the table to postgres for
-- the duration of one policy statement that names it: at ddl_command_start the table's ownership passes to
-- postgres, at ddl_command_end it returns to supabase_realtime_admin with postgres's grant
-- restored. Both happen inside the statement's transaction, so a failing statement rolls the
-- loan back too. The lending functions are executable by postgres only.

create schema if not exists supautils_local;
revoke all on schema supautils_local from public;
grant usage on schema supautils_local to postgres;

/** Gives realtime.messages to postgres for the current policy statement. */
create or replace function supautils_local.lend_policy_tables()
returns void language plpgsql security definer set search_path = '' as $$
begin
  if (select c.relowner <> 'postgres'::regrole from pg_catalog.pg_class c where c.oid = 'realtime.messages'::regclass) then
    alter table realtime.messages owner to postgres;
  end if;
end $$;

/** Gives realtime.messages back to its owner, with postgres's privileges as before. */
create or replace function supautils_local.return_policy_tables()
returns void language plpgsql security definer set search_path = '' as $$
begin
  if (select c.relowner = 'postgres'::regrole from pg_catalog.pg_class c where c.oid = 'realtime.messages'::regclass) then
    alter table realtime.messages owner to supabase_realtime_admin;
    grant all on table realtime.messages to postgres;
  end if;
end $$;

revoke all on function supautils_local.lend_policy_tables(), supautils_local.return_policy_tables() from public;
grant execute on function supautils_local.lend_policy_tables(), supautils_local.return_policy_tables() to postgres;

/** Event trigger: a policy statement by postgres on realtime.messages borrows the table. */
create or replace function supautils_local.policy_grants_start()
returns event_trigger language plpgsql set search_path = '' as $$
begin
  if current_user = 'postgres' and pg_catalog.current_query() ~* 'realtime"?\s*\.\s*"?messages' then
    perform supautils_local.lend_policy_tables();
  end if;
end $$;

/** Event trigger: and gives them back when the statement is done. */
create or replace function supautils_local.policy_grants_end()
returns event_trigger language plpgsql set search_path = '' as $$
begin
  if current_user = 'postgres' then
    perform supautils_local.return_policy_tables();
  end if;
end $$;

drop event trigger if exists supautils_local_policy_grants_start;
drop event trigger if exists supautils_local_policy_grants_end;
create event trigger supautils_local_policy_grants_start on ddl_command_start
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
  execute function supautils_local.policy_grants_start();
create event trigger supautils_local_policy_grants_end on ddl_command_end
  when tag in ('CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
  execute function supautils_local.policy_grants_end();
