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
  ('phone_attempts', 5, 60, 'Password attempts per phone.'),
  ('login_failures', 5, 900, 'Failed password attempts per phone before it is locked.'),
  ('event_registrations', 200, 60, 'New guests per event; raise per event for a big night.'),
  ('password_ops', 1000, 60, 'bcrypt operations for the whole database.'),
  ('staff_scans', 300, 60, 'Door scans per staff member (door-checkin).'),
  ('event_broadcasts', 10, 60, 'Announcements per event (event-broadcast).')
on conflict do nothing;

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
 * Admission control for bcrypt, the one expensive step: takes one of `bcrypt_slots`
 * transaction-scoped advisory locks, or fails at once with 503 `busy` and Retry-After: 1
 * rather than queueing requests into timeouts. Clients retry with jitter.
 */
create or replace function private.acquire_password_slot()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_slots integer := (private.setting('bcrypt_slots'))::integer;
begin
  for i in 1..v_slots loop
    if pg_try_advisory_xact_lock(74201, i) then
      return;
    end if;
  end loop;
  perform private.fail_retry(503, 'busy', 'Many people are signing in right now.',
    'Try again in a second.', 1);
end
$$;

/**
 * PostgREST's db_pre_request hook: every anonymous API call counts against its client IP.
 * The IP is the one the trusted proxy saw: `cf-connecting-ip` where Supabase's edge sets it,
 * else the last `x-forwarded-for` hop (appended by the proxy, never one the client wrote).
 * Signed-in staff and organisers are not counted here, nor are read-only (GET) requests:
 * PostgREST runs those in a read-only transaction where no counter can be written, and only
 * stable functions, which write nothing, can answer them.
 */
create or replace function private.check_request()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_headers jsonb := coalesce(nullif(current_setting('request.headers', true), '')::jsonb, '{}'::jsonb);
  v_hops text[];
  v_ip text;
begin
  if coalesce(auth.role(), 'anon') <> 'anon' or current_setting('transaction_read_only') = 'on' then
    return;
  end if;
  v_ip := nullif(btrim(v_headers ->> 'cf-connecting-ip'), '');
  if v_ip is null then
    v_hops := regexp_split_to_array(coalesce(v_headers ->> 'x-forwarded-for', ''), '\s*,\s*');
    v_ip := nullif(btrim(v_hops[array_upper(v_hops, 1)]), '');
  end if;
  perform private.rate_limit('ip', coalesce(v_ip, 'unknown'));
end
$$;

/** Deletes counter windows that have ended (pg_cron, every minute). */
create or replace function private.purge_rate_limit_counters()
returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.rate_limit_counters
  where window_start < now() - make_interval(secs => (select max(window_seconds) from private.rate_limits));
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

grant execute on function private.check_request() to anon, authenticated, service_role;

-- Register the hook with PostgREST (Supabase's API reads pgrst.* settings of authenticator).
alter role authenticator set pgrst.db_pre_request = 'private.check_request';
notify pgrst, 'reload config';
