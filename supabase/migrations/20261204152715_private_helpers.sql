-- The `private` schema: settings, errors, secrets and input rules shared by every domain.
-- Nothing here is reachable through the API; public functions call it as their owner.

create schema if not exists private;
revoke all on schema private from public;
-- anon/authenticated need USAGE to run the few helpers granted to them (the request hook,
-- policy helpers); EXECUTE stays revoked on everything else.
grant usage on schema private to anon, authenticated, service_role;

-- =============================================================================================
-- Tables
-- =============================================================================================

/** Product settings that operators change without a migration. */
create table private.settings (
  key text primary key,
  value jsonb not null,
  description text not null
);
alter table private.settings enable row level security;
create policy "Settings are never read through the API" on private.settings
  as restrictive for all to anon, authenticated using (false) with check (false);

insert into private.settings (key, value, description) values
  ('default_country_code', '"351"', 'Country calling code for numbers typed without +/00 (Portugal).'),
  ('bcrypt_slots', '"auto"', 'Password checks run at once (the fair line''s service slots). "auto": max_parallel_workers, which Supabase sizes to the compute''s cores; a number overrides it.'),
  ('phone_cache_seconds', '300', 'How long check_phone_with_cache trusts a cached answer.'),
  ('session_days', '30', 'Lifetime of a guest session token.'),
  -- Compared against when the phone is unknown, so that a miss costs the same bcrypt work as a hit.
  ('dummy_password_hash', to_jsonb(extensions.crypt(encode(extensions.gen_random_bytes(24), 'hex'), extensions.gen_salt('bf', 10))),
   'bcrypt hash of a random secret, used to equalize login timing for unknown phones.')
on conflict (key) do nothing;

/**
 * Event counters per minute for operators (phone cache hits and misses, committed rejections
 * by code). Sharded by backend like the rate-limit counters, so counting never waits on another
 * transaction's row lock; unlogged, because losing them in a crash loses only a graph.
 */
create unlogged table private.ops_counters (
  metric text not null,
  minute timestamptz not null,
  shard integer not null,
  hits bigint not null,
  primary key (metric, minute, shard)
);
alter table private.ops_counters enable row level security;
create policy "Operations counters are never read through the API" on private.ops_counters
  as restrictive for all to anon, authenticated using (false) with check (false);

-- =============================================================================================
-- Functions
-- =============================================================================================

/** A setting's value (jsonb); settings are seeded by migrations, so a missing key is a bug. */
create or replace function private.setting(p_key text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select value from private.settings where key = p_key
$$;

/**
 * Raises an API error: PostgREST answers HTTP `p_status` with body
 * {code: 'PT<status>', message: p_code, details: p_detail, hint: p_hint}.
 * `p_code` is the stable machine code clients branch on; detail and hint are for people.
 */
create or replace function private.fail(p_status integer, p_code text, p_detail text, p_hint text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception using errcode = 'PT' || p_status, message = p_code, detail = p_detail, hint = p_hint;
end
$$;

/**
 * Raises an API error that carries a Retry-After header (429 rate limits, 503 busy), in
 * PostgREST's PGRST form: the message is the response body, the detail the status and headers.
 */
create or replace function private.fail_retry(p_status integer, p_code text, p_detail text, p_hint text, p_retry_after integer)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise sqlstate 'PGRST' using
    message = json_build_object('code', 'PT' || p_status, 'message', p_code, 'details', p_detail, 'hint', p_hint)::text,
    detail = json_build_object('status', p_status,
                               'headers', json_build_object('Retry-After', greatest(1, p_retry_after)::text))::text;
end
$$;

/** Counts one occurrence of `p_metric` in the current minute (internal; nothing reads it but ops_stats). */
create or replace function private.ops_count(p_metric text)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into private.ops_counters as c (metric, minute, shard, hits)
  values (p_metric, date_trunc('minute', now()), pg_backend_pid(), 1)
  on conflict (metric, minute, shard) do update set hits = c.hits + 1;
$$;

/**
 * An API error whose transaction must still commit (a failed password attempt has to be
 * remembered, and a raised error would roll the memory back). Sets PostgREST's
 * `response.status` and returns the same body a raised error would have, so clients see no
 * difference: supabase-js reports it as `error` with this code and message.
 */
create or replace function private.committed_error(p_status integer, p_code text, p_detail text, p_hint text)
returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('response.status', p_status::text, true);
  perform private.ops_count('rejected:' || p_code);  -- for ops_stats
  return jsonb_build_object('code', 'PT' || p_status, 'message', p_code, 'details', p_detail, 'hint', p_hint);
end
$$;

/**
 * A committed API error that also tells the client when to come back: `response.status`, a
 * `Retry-After` header (`response.headers`; whole seconds, at least 1, as HTTP requires), and
 * the body of `committed_error` with `retry_after` (seconds, to a tenth: the fair line sends the
 * head of the line back sooner than a second) and any `p_extra` fields (the line adds its
 * position and wait).
 */
create or replace function private.committed_retry(p_status integer, p_code text, p_detail text, p_hint text,
  p_retry_after numeric, p_extra jsonb default '{}')
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_retry numeric := greatest(0.1, round(p_retry_after, 1));
begin
  perform set_config('response.headers', jsonb_build_array(jsonb_build_object('Retry-After', greatest(1, ceil(v_retry))::text))::text, true);
  return private.committed_error(p_status, p_code, p_detail, p_hint) || jsonb_build_object('retry_after', v_retry) || p_extra;
end
$$;

/**
 * The client's address as the trusted proxy saw it: `cf-connecting-ip` where Supabase's edge
 * sets it, else the last `x-forwarded-for` hop (appended by the proxy, never one the client
 * wrote), else 'unknown'. Rate limits and the fair line key on it.
 */
create or replace function private.client_ip()
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_headers jsonb := coalesce(nullif(current_setting('request.headers', true), '')::jsonb, '{}'::jsonb);
  v_hops text[];
  v_ip text := nullif(btrim(v_headers ->> 'cf-connecting-ip'), '');
begin
  if v_ip is null then
    v_hops := regexp_split_to_array(coalesce(v_headers ->> 'x-forwarded-for', ''), '\s*,\s*');
    v_ip := nullif(btrim(v_hops[array_upper(v_hops, 1)]), '');
  end if;
  return left(coalesce(v_ip, 'unknown'), 100);
end
$$;

/** A URL-safe secret of `p_bytes` random bytes (use a multiple of 3: no padding). */
create or replace function private.random_token(p_bytes integer)
returns text
language sql
volatile
set search_path = ''
as $$
  select translate(encode(extensions.gen_random_bytes(p_bytes), 'base64'), E'+/=\n', '-_')
$$;

/** sha256 of a secret or of personal data, for lookups that must not store the value itself. */
create or replace function private.sha256(p_value text)
returns bytea
language sql
immutable
set search_path = ''
as $$
  select extensions.digest(p_value, 'sha256')
$$;

/** Rejects a text argument longer than the API accepts (every text argument has a bound). */
create or replace function private.check_length(p_name text, p_value text, p_max integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if length(p_value) > p_max then
    perform private.fail(400, 'input_too_long',
      format('%s is longer than %s characters.', p_name, p_max), format('Shorten %s.', p_name));
  end if;
end
$$;

/**
 * Normalizes a phone number to E.164 (`+<country><number>`), or raises `invalid_phone`.
 * Numbers typed without `+` or `00` belong to the default country (setting
 * `default_country_code`, Portugal by default): `912 345 678`, `+351 912345678` and
 * `00351912345678` are the same person. Spaces, dots, dashes and parentheses are ignored.
 * This is the rule; the client's normalization is a convenience only.
 */
create or replace function private.normalize_phone(p_phone text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_raw text := regexp_replace(coalesce(p_phone, ''), '[[:space:].()-]', '', 'g');
  v_digits text;
  v_cc text := private.setting('default_country_code') #>> '{}';
  v_e164 text;
begin
  if length(p_phone) > 32 or v_raw !~ '^\+?[0-9]+$' then
    perform private.fail(400, 'invalid_phone', 'That does not look like a phone number.',
      'Type your mobile number, for example 912 345 678 or +44 7700 900123.');
  end if;
  v_digits := ltrim(v_raw, '+');
  if v_raw like '+%' then
    v_e164 := '+' || v_digits;
  elsif v_digits like '00%' then
    v_e164 := '+' || substr(v_digits, 3);
  elsif v_cc = '351' then
    v_e164 := '+351' || v_digits;
  else
    v_e164 := '+' || v_cc || regexp_replace(v_digits, '^0', '');
  end if;

  if v_e164 !~ '^\+[1-9][0-9]{7,14}$'
     or (v_e164 like '+351%' and v_e164 !~ '^\+351[239][0-9]{8}$') then
    perform private.fail(400, 'invalid_phone', 'That does not look like a complete phone number.',
      'Check the number; for another country start with + and the country code.');
  end if;
  return v_e164;
end
$$;

/** Rejects a password that is too weak or too long for bcrypt (72 bytes). */
create or replace function private.check_password(p_password text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if octet_length(coalesce(p_password, '')) > 72 then
    perform private.fail(400, 'password_too_long', 'Passwords can be at most 72 bytes long.', 'Choose a shorter password.');
  end if;
  if length(coalesce(p_password, '')) < 8 or p_password !~ '[[:upper:]]' or p_password !~ '[[:lower:]]'
     or p_password !~ '[0-9]' then
    perform private.fail(400, 'weak_password',
      'Passwords need at least 8 characters, with an upper-case letter, a lower-case letter and a digit.',
      'Choose a longer password that mixes letters and digits.');
  end if;
end
$$;

/**
 * Validates a first or last name and returns it tidied (trimmed, inner spaces collapsed):
 * 2 to 50 letters, with single spaces, hyphens and apostrophes between letters.
 */
create or replace function private.clean_name(p_field text, p_name text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_name text := regexp_replace(btrim(coalesce(p_name, '')), '\s+', ' ', 'g');
begin
  if length(v_name) not between 2 and 50 or v_name !~ '^[[:alpha:]]+([ ''’-][[:alpha:]]+)*$' then
    perform private.fail(400, 'invalid_' || p_field,
      format('The %s must be 2 to 50 letters (spaces, hyphens and apostrophes are fine).', replace(p_field, '_', ' ')),
      format('Check the %s.', replace(p_field, '_', ' ')));
  end if;
  return v_name;
end
$$;

/** Validates an email address and returns it lower-cased. */
create or replace function private.clean_email(p_email text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_email text := lower(btrim(coalesce(p_email, '')));
begin
  if length(v_email) > 254
     or v_email !~ '^[a-z0-9._%+-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$' then
    perform private.fail(400, 'invalid_email', 'That does not look like an email address.', 'Check the email address.');
  end if;
  return v_email;
end
$$;

/** Raises 400 `invalid_slug` unless `p_slug` is lower-case words joined by hyphens (1–100 characters). */
create or replace function private.check_slug(p_slug text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_slug is null or length(p_slug) > 100 or p_slug !~ '^[a-z0-9]+(-[a-z0-9]+)*$' then
    perform private.fail(400, 'invalid_slug', 'A link name uses lower-case letters, digits and single hyphens (up to 100).',
      'For example friday-lux or ana.');
  end if;
end
$$;

/** Trims a display text and raises 400 `invalid_<p_field>` unless it has 1 to `p_max` characters. */
create or replace function private.clean_text(p_field text, p_value text, p_max integer)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v text := btrim(regexp_replace(coalesce(p_value, ''), '\s+', ' ', 'g'));
begin
  if length(v) not between 1 and p_max then
    perform private.fail(400, 'invalid_' || p_field, format('The %s must have 1 to %s characters.', p_field, p_max),
      format('Check the %s.', p_field));
  end if;
  return v;
end
$$;

/** Quotes a CSV cell; a cell a spreadsheet would run as a formula (= + - @) is prefixed with '. */
create or replace function private.csv_cell(p_value text)
returns text
language sql
immutable
set search_path = ''
as $$
  select '"' || replace(case when p_value ~ '^[=+@\t\r-]' then '''' || p_value else coalesce(p_value, '') end, '"', '""') || '"'
$$;

/** Deletes operations counters older than a day (pg_cron, hourly). */
create or replace function private.purge_ops_counters()
returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.ops_counters where minute < now() - interval '1 day';
$$;

-- =============================================================================================
-- Grants: internal helpers, callable only by their owner (the public functions' definer).
-- =============================================================================================

revoke execute on all functions in schema private from public, anon, authenticated;

-- =============================================================================================
-- Jobs
-- =============================================================================================

select cron.schedule('purge-ops-counters', '41 * * * *', 'select private.purge_ops_counters()');
