-- Extensions the project relies on. On Supabase pgcrypto already lives in `extensions`, and
-- pg_cron must be enabled in the database that runs the jobs (`cron` schema).

create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_cron with schema pg_catalog;

-- Supabase exposes everything in `public` by default; nothing here is meant to be, unless a
-- migration grants it explicitly.
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
-- Postgres lets PUBLIC execute every new function; only a global default can take that back.
alter default privileges revoke execute on functions from public;
