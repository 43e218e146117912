-- Platform bootstrap for the local stack only (never a migration), run by the platform's own
-- superuser `supabase_admin`: the roles, settings and schemas that every Supabase project
-- already has, with the attributes supabase/postgres gives them (its init scripts and
-- `migrations/db/migrations/*`). Each object is created only when it is absent, so running this
-- again, or against a database that already has Supabase's own objects, changes nothing.

do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    -- The gateway logs in as authenticator and switches to the caller's role, like PostgREST.
    create role authenticator login noinherit password 'postgres';
  end if;
  -- The owners of the platform's schemas (Auth's and Realtime's own database users).
  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin noinherit createrole login noreplication password 'postgres';
  end if;
  if not exists (select from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin noinherit nologin noreplication;
  end if;
end $$;

-- The API roles inherit (20230529180330_alter_api_roles_for_inherit); authenticator does not.
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit;
grant anon, authenticated, service_role to authenticator;

-- `postgres` is the project owner's role, not a superuser (10000000000000_demote-postgres and
-- later grants): it can create roles and databases, bypasses RLS, switches to the API roles,
-- reads and writes Auth's tables by grants (90-owners.sql), and holds the predefined roles it
-- needs. It is no member of supabase_auth_admin: hosted revoked that membership (2024-25), so
-- DDL on the auth schema fails here as it fails on `db push`.
alter role postgres nosuperuser createdb createrole login replication bypassrls;
grant anon, authenticated, service_role to postgres;
revoke supabase_auth_admin from postgres;
grant pg_read_all_data, pg_signal_backend, pg_monitor to postgres;
-- supautils lets the privileged role (postgres) set session_replication_role, which restoring a
-- `supabase db dump --data-only` needs (privileged_role_allowed_configs); Postgres 15 grants it.
grant set on parameter session_replication_role to postgres;

-- Hosted statement and lock timeouts (init schema, 20221028101028, 20231130133139). They apply
-- when a role logs in; the gateway applies the impersonated role's settings per request, as
-- PostgREST does.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

-- The database is the project owner's, and so is its `public` schema (pg_database_owner).
alter database postgres owner to postgres;
grant all on database postgres to postgres;

create schema if not exists extensions;
alter schema extensions owner to postgres;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant usage on schema public to postgres, anon, authenticated, service_role;
-- postgres may use and re-grant everything the platform puts in `extensions`.
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on routines to postgres with grant option;
alter default privileges in schema extensions grant all on sequences to postgres with grant option;

-- A project created in 2026 grants nothing in public to the API roles by default (older projects
-- granted everything to anon, authenticated and service_role): every grant a migration means is
-- explicit. Functions keep Postgres's own default, EXECUTE for PUBLIC, which the migrations
-- revoke. The revokes below also clear the old defaults from a cluster bootstrapped before.
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on functions from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges in schema public revoke all on functions from anon, authenticated, service_role;
alter default privileges in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to postgres;
alter default privileges in schema public grant all on functions to postgres;
alter default privileges in schema public grant all on sequences to postgres;

alter database postgres set search_path = "$user", public, extensions;

-- Extensions. On Supabase `postgres` creates the extensions of supautils'
-- `privileged_extensions` list itself: supautils runs the CREATE EXTENSION as supabase_admin
-- and then the extension's after-create script. This stand-in has no supautils, so it creates
-- the privileged extensions the migrations use here, as supabase_admin, when they are absent;
-- the migrations' own `create extension if not exists …` then find them. pgcrypto is there on
-- every project from the start; pg_cron (with its after-create script, below) is what a
-- `create extension` as postgres gets on hosted; so is plpgsql_check, which
-- `supabase db lint` creates (and rolls back) in its own transaction. pgTAP is created the
-- same way by `local/db.sh extension pgtap` before the tests (never here: the linter would
-- then check pgTAP's own functions).
create extension if not exists pgcrypto with schema extensions;
create extension if not exists plpgsql_check with schema extensions;
do $$
begin
  if not exists (select from pg_extension where extname = 'pg_cron') then
    create extension pg_cron with schema pg_catalog;
    -- supabase/postgres: ansible/files/postgresql_extension_custom_scripts/pg_cron/after-create.sql
    grant usage on schema cron to postgres with grant option;
    grant all on all functions in schema cron to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron grant all on sequences to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron grant all on tables to postgres with grant option;
    alter default privileges for user supabase_admin in schema cron grant all on functions to postgres with grant option;
    grant all privileges on all tables in schema cron to postgres with grant option;
    revoke all on table cron.job from postgres;
    grant select on table cron.job to postgres with grant option;
  end if;
end $$;

-- supautils.privileged_role_allowed_configs includes `pgrst.*`, and authenticator is a reserved
-- role whose settings postgres may change (`authenticator*`): so a migration may register
-- PostgREST's in-database settings on authenticator. Without supautils, Postgres 15 grants the
-- same per parameter name; these are PostgREST's in-database configuration keys.
do $$
declare k text;
begin
  foreach k in array array['db_pre_request', 'db_schemas', 'db_extra_search_path', 'db_max_rows', 'db_aggregates_enabled',
                           'db_plan_enabled', 'db_tx_end', 'db_root_spec', 'jwt_role_claim_key', 'openapi_mode', 'server_timing_enabled']
  loop
    execute format('grant set on parameter %I to postgres', 'pgrst.' || k);
  end loop;
end $$;
