-- Housekeeping with pg_cron (named jobs: scheduling again under the same name replaces them).

/** Deletes expired phone lookups (pg_cron, every minute). */
create or replace function private.purge_phone_lookup_cache()
returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.phone_lookup_cache where expires_at <= now();
$$;

/** Deletes expired guest sessions (pg_cron, hourly). */
create or replace function private.purge_guest_sessions()
returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.guest_sessions where expires_at <= now();
$$;

select cron.schedule('purge-phone-lookup-cache', '* * * * *', 'select private.purge_phone_lookup_cache()');
select cron.schedule('purge-rate-limit-counters', '* * * * *', 'select private.purge_rate_limit_counters()');
select cron.schedule('purge-guest-sessions', '17 * * * *', 'select private.purge_guest_sessions()');
