-- Rate limits and admission control, in Postgres so that every gateway instance, edge function
-- and direct RPC call shares them. Limits live in a table (easy to raise for one event or one
-- carrier-NAT address); counters live in an unlogged table.

-- =============================================================================================
-- Tables
-- =============================================================================================

/**
 * Fixed-window limits. `subject` '*' is the default for a bucket; a row whose subject is a
 * specific key (an event id, an IP address) overrides it for that key.
 */
create table private.rate_limits (
  bucket text not null,
  subject text not null default '*',
  max_hits integer not null check (max_hits > 0),
  window_seconds integer not null check (window_seconds > 0),
  description text,
  primary key (bucket, subject)
);
alter table private.rate_limits enable row level security;
create policy "Rate limits are never read through the API" on private.rate_limits
  as restrictive for all to anon, authenticated using (false) with check (false);

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('ip', 100, 60, 'Anonymous API calls per client IP (db_pre_request).'),
  ('user', 1200, 60, 'API calls per signed-in user (db_pre_request): generous, so that only a runaway client meets it.'),
  ('phone_attempts', 5, 60, 'Password checks per phone from one address (a retry waiting in the fair line is not one).'),
  ('address_passwords', 100, 60, 'Password checks per client address, whatever their outcome.'),
  ('login_failures', 5, 900, 'Wrong passwords per phone from one address before that address is locked out of it.'),
  ('phone_failures', 20, 900, 'Wrong passwords per phone from all addresses; past it, every address that has failed once is locked out of it.'),
  ('new_accounts', 60, 3600, 'New guest accounts per client address (on top of the proof of work).'),
  ('event_registrations', 200, 60, 'New guests per event; raised per event by its owner or admin (set_event_registration_limit).'),
  ('staff_scans', 300, 60, 'Door scans per staff member (door-checkin).'),
  ('event_broadcasts', 10, 60, 'Announcements per event (event-broadcast).')
on conflict do nothing;

-- The global password budget defaults to what this database can do: one bcrypt at cost 10 is
-- timed here (best of three) and multiplied by the cores (max_parallel_workers, which Supabase
-- sizes to the compute). It shapes the fair line (a guest past it waits, nobody is refused).
do $$
declare
  v_best float8 := 1e9;
  v_start timestamptz;
  v_salt text := extensions.gen_salt('bf', 10);
  v_cores integer := greatest(1, least(64, current_setting('max_parallel_workers')::integer));
begin
  for i in 1..3 loop
    v_start := clock_timestamp();
    perform extensions.crypt('measure-' || i, v_salt);
    v_best := least(v_best, extract(epoch from clock_timestamp() - v_start)::float8);
  end loop;
  insert into private.rate_limits (bucket, max_hits, window_seconds, description)
  values ('password_ops', greatest(60, floor(60 * v_cores / greatest(v_best, 0.001)))::integer, 60,
          format('bcrypt operations per minute for the whole database: measured at migration (%s ms per bcrypt, %s cores). It paces the fair line.',
                 round((v_best * 1000)::numeric, 1), v_cores))
  on conflict do nothing;
  insert into private.settings (key, value, description)
  values ('bcrypt_ms', to_jsonb(round((v_best * 1000)::numeric, 1)), 'One bcrypt at cost 10 on one core, measured at migration (the fair line''s estimate before it has measured throughput).')
  on conflict (key) do nothing;
end
$$;

/**
 * Hits per (bucket, key, window). Each backend writes its own row (`shard` = its pid), so
 * counting never waits on another transaction's row lock, even when thousands of phones share
 * one carrier-NAT address; the total is the sum over shards. Concurrent uncommitted hits are not
 * seen, so a limit can be overshot by at most the number of concurrent connections.
 * Keys are stored as sha256: no phone number or IP address is kept.
 */
create unlogged table private.rate_limit_counters (
  bucket text not null,
  key_hash bytea not null,
  window_start timestamptz not null,
  shard integer not null,
  hits integer not null,
  primary key (bucket, key_hash, window_start, shard)
);
alter table private.rate_limit_counters enable row level security;
create policy "Rate limit counters are never read through the API" on private.rate_limit_counters
  as restrictive for all to anon, authenticated using (false) with check (false);

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * Adds `p_hits` (0 to only look) to the counter of (bucket, key) in the current window and
 * returns the window's total, the limit and the seconds until the window ends. A bucket without
 * a configured limit returns max_hits null.
 */
create or replace function private.rate_limit_add(p_bucket text, p_key text, p_hits integer default 1,
  out total integer, out max_hits integer, out retry_after integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_window integer;
  v_start timestamptz;
  v_key bytea := private.sha256(p_key);
begin
  select l.max_hits, l.window_seconds into max_hits, v_window
  from private.rate_limits l
  where l.bucket = p_bucket and l.subject in (p_key, '*')
  order by l.subject = '*'
  limit 1;
  if not found then
    return;
  end if;
  v_start := to_timestamp(floor(extract(epoch from now()) / v_window) * v_window);
  retry_after := ceil(extract(epoch from v_start + make_interval(secs => v_window) - now()))::integer;
  if p_hits > 0 then
    insert into private.rate_limit_counters as c (bucket, key_hash, window_start, shard, hits)
    values (p_bucket, v_key, v_start, pg_backend_pid(), p_hits)
    on conflict (bucket, key_hash, window_start, shard) do update set hits = c.hits + excluded.hits;
  end if;
  select coalesce(sum(c.hits), 0)::integer into total
  from private.rate_limit_counters c
  where c.bucket = p_bucket and c.key_hash = v_key and c.window_start = v_start;
end
$$;

/**
 * Counts one hit for (bucket, key) and raises 429 `rate_limited` with Retry-After past the
 * limit. With `p_count` false it only checks that the window still has room, for a hot bucket
 * whose hit is counted later (after the bcrypt, so that no row stays locked during it).
 */
create or replace function private.rate_limit(p_bucket text, p_key text, p_count boolean default true)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
begin
  select * into r from private.rate_limit_add(p_bucket, p_key, case when p_count then 1 else 0 end);
  -- Counting: this hit may be the last allowed one. Only checking: the next hit must still fit.
  if r.total + (case when p_count then 0 else 1 end) > r.max_hits then
    perform private.fail_retry(429, 'rate_limited', 'Too many requests. Please wait a moment.',
      format('Try again in %s seconds.', r.retry_after), r.retry_after);
  end if;
end
$$;

/**
 * PostgREST's db_pre_request hook: every anonymous API call counts against its client IP
 * (private.client_ip: the address the trusted proxy saw), and every signed-in caller's call
 * against their user id (a generous limit, so that a runaway client cannot take the database).
 * service_role is not counted. Read-only (GET) requests are not counted: PostgREST runs those in
 * a read-only transaction where no counter can be written.
 */
create or replace function private.check_request()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := coalesce(auth.role(), 'anon');
begin
  if current_setting('transaction_read_only') = 'on' then
    return;
  end if;
  if v_role = 'anon' then
    perform private.rate_limit('ip', private.client_ip());
  elsif v_role = 'authenticated' and auth.uid() is not null then
    perform private.rate_limit('user', auth.uid()::text);
  end if;
end
$$;

/** Deletes counter windows that have ended, each by its bucket's window (pg_cron, every minute). */
create or replace function private.purge_rate_limit_counters()
returns void
language sql
security definer
set search_path = ''
as $$
  -- Skips rows a request holds: a request that began just before its window ended may still be
  -- counting in it, and the purge must never wait for it (nor it for the purge: a deadlock).
  delete from private.rate_limit_counters d
  where d.ctid in (
    select c.ctid from private.rate_limit_counters c
    where c.window_start < now() - make_interval(secs => coalesce(
      (select max(l.window_seconds) from private.rate_limits l where l.bucket = c.bucket), 0))
    for update skip locked);
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

grant execute on function private.check_request() to anon, authenticated, service_role;

-- Register the hook with PostgREST (Supabase's API reads pgrst.* settings of authenticator).
alter role authenticator set pgrst.db_pre_request = 'private.check_request';
notify pgrst, 'reload config';

-- =============================================================================================
-- Jobs
-- =============================================================================================

select cron.schedule('purge-rate-limit-counters', '* * * * *', 'select private.purge_rate_limit_counters()');
