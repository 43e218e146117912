-- Server relief: the slow password hash runs on the guest's phone.
--
-- bcrypt (cost 10, about 55 ms of a core) was the only expensive step of a guest's visit and
-- capped a night at 20–36 passes a second on two cores. The phone now computes bcrypt of the
-- password with the account's salt (the standard `$2b$` string, cost >= 10) and sends that string
-- in `p_password`; the database stores only sha256 of it and compares digests. No crypt() of a
-- guest password runs on the server on any guest path. A stolen database still costs one cost-10
-- bcrypt per guess per account; an online guess costs the guesser a bcrypt and the server a
-- sha256 (docs/security.md). With the hash gone the fair line that rationed it has nothing left
-- to ration and is removed (docs/load-and-limits.md says what is left).

-- =============================================================================================
-- Settings and limits
-- =============================================================================================

insert into private.settings (key, value, description) values
  ('min_bcrypt_cost', '10', 'The lowest bcrypt cost the database accepts from a phone for a new password.')
on conflict (key) do nothing;

delete from private.settings
where key in ('bcrypt_slots', 'bcrypt_ms', 'dummy_password_hash', 'line_wait_ms', 'line_room_per_slot',
              'line_overtake_ms', 'line_grace_seconds', 'line_max_retry_after');
delete from private.rate_limits where bucket = 'password_ops';

alter table private.rate_limits add column answer text not null default 'rate_limited'
  check (answer in ('rate_limited', 'busy'));
comment on column private.rate_limits.answer is
  'What a caller past the limit is told: rate_limited (final, with Retry-After) or busy (a pace: the client repeats the call after Retry-After).';

-- Sized for a venue Wi-Fi or carrier-NAT address carrying a crowd: a thousand phones behind one
-- address, each making about three counted calls (check the phone, a challenge, log in or
-- register) within a few minutes. The abuse controls are the proof of work (new accounts) and
-- the per-phone limits (guessing), not the address.
update private.rate_limits set max_hits = 3000,
  description = 'Anonymous API calls per client address and minute (db_pre_request): a thousand phones behind one carrier-NAT or venue address.'
where bucket = 'ip' and subject = '*';
update private.rate_limits set max_hits = 1000,
  description = 'Password checks per client address and minute, whatever their outcome (a crowd behind one address logs in at once).'
where bucket = 'address_passwords' and subject = '*';
update private.rate_limits set max_hits = 1000,
  description = 'New guest accounts per client address and hour (on top of the proof of work each one costs).'
where bucket = 'new_accounts' and subject = '*';
update private.rate_limits set max_hits = 1000, answer = 'busy',
  description = 'New guests per event and minute, a pace rather than a refusal (429 busy: the page waits and tries again); raised per event by its owner or admin (set_event_registration_limit).'
where bucket = 'event_registrations' and subject = '*';
update private.rate_limits set
  description = 'Password checks per phone from one address and minute.'
where bucket = 'phone_attempts' and subject = '*';

-- =============================================================================================
-- Tables: the stored password becomes a salt and a digest
-- =============================================================================================

alter table private.client_users
  add column password_salt text check (password_salt ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{22}$'),
  add column password_digest bytea check (octet_length(password_digest) = 32);
comment on column private.client_users.password_salt is
  'The first 29 characters of the account''s bcrypt string ($2b$10$ and 22 salt characters): given to the phone, which computes bcrypt(password, salt).';
comment on column private.client_users.password_digest is
  'sha256 of the bcrypt string the phone computed: never the string itself.';

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * The stored form of a bcrypt string: its salt (first 29 characters) and sha256 of the whole
 * string. Converts accounts made when the server ran bcrypt (the seed's
 * `crypt(p_password, gen_salt('bf', 10))`) without their passwords and without running bcrypt:
 * the phone, given that salt, computes the same string again.
 */
create or replace function private.stored_password(p_bcrypt text, out salt text, out digest bytea)
language sql
immutable
set search_path = ''
as $$
  select left(p_bcrypt, 29), private.sha256(p_bcrypt)
$$;

/**
 * Rejects a new password as sent by a phone unless it is a well-formed bcrypt string of at least
 * the `min_bcrypt_cost` (400 `weak_password`). The password itself never reaches the server, so
 * its rules (length, common passwords) are the phone's (client/schemas.ts).
 */
create or replace function private.check_password_hash(p_bcrypt text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_bcrypt is null or p_bcrypt !~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$' then
    perform private.fail(400, 'weak_password', 'The password did not arrive prepared by the page (a bcrypt string).',
      'Reload the page and try again.');
  end if;
  if substr(p_bcrypt, 5, 2)::integer < (private.setting('min_bcrypt_cost') #>> '{}')::integer then
    perform private.fail(400, 'weak_password', 'The password was prepared with too low a cost.',
      'Reload the page and try again.');
  end if;
end
$$;

/**
 * Whether the bcrypt string a phone sent is the account's: sha256 of it against the stored
 * digest, compared in constant time (xor of the two digests, every bit counted). With no account
 * (unknown phone) it compares against a digest nobody can produce, so a miss does the same work
 * as a hit.
 */
create or replace function private.password_matches(p_bcrypt text, p_digest bytea)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select p_digest is not null
     and bit_count(('x' || encode(private.sha256(coalesce(p_bcrypt, '')), 'hex'))::bit(256)
                   # ('x' || encode(coalesce(p_digest, '\x00'::bytea || private.sha256('')), 'hex'))::bit(256)) = 0
$$;

/**
 * The checks before a password comparison, for a phone from the caller's address (`p_address`):
 * a phone with an account that this address has locked itself out of (429 `account_locked`), then
 * the per-(phone, address) attempts and the per-address password checks, each counted now (429
 * `rate_limited` past them).
 *
 * Back-off is keyed by phone and address: wrong passwords from one address lock that address
 * out of the phone (`login_failures`); past `phone_failures` from all addresses together, every
 * address that has failed at least once is locked out too, while an address that never failed
 * (the owner's) still gets in. A number with no account is never locked.
 */
create or replace function private.check_password_attempt(p_phone text, p_address text, p_has_account boolean)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  p record;
begin
  if p_has_account then
    select * into r from private.rate_limit_add('login_failures', p_phone || ' ' || p_address, 0);
    select * into p from private.rate_limit_add('phone_failures', p_phone, 0);
    if r.total >= r.max_hits or (p.total >= p.max_hits and r.total >= 1) then
      perform private.fail_retry(429, 'account_locked',
        'Too many wrong passwords for this phone number from here; it is locked for a while.',
        format('Try again in %s minutes.', ceil(greatest(r.retry_after, p.retry_after) / 60.0)),
        greatest(r.retry_after, p.retry_after));
    end if;
  end if;
  perform private.rate_limit('phone_attempts', p_phone || ' ' || p_address);
  perform private.rate_limit('address_passwords', p_address);
end
$$;

/**
 * Whether a phone number has an account, so the page can ask for a password (returning guest,
 * with `salt`, the account's bcrypt salt the phone hashes the password with) or for a name (new
 * guest). Answers only {exists, phone, salt}: never a name, email or id; the salt says nothing
 * `exists` does not. Served from phone_lookup_cache while fresh (5 minutes). POST only: a GET runs
 * read-only, where the call could be neither cached nor counted against the caller's address
 * (405 `use_post`).
 */
create or replace function public.check_phone_with_cache(p_phone text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
  v_exists boolean;
  v_salt text;
begin
  if current_setting('transaction_read_only') = 'on' then
    perform private.fail(405, 'use_post', 'Check a phone number with POST.', 'Use POST for this call.');
  end if;
  select c.phone_exists into v_exists
  from private.phone_lookup_cache c
  where c.phone_hash = private.sha256(v_phone) and c.expires_at > now();
  if not found then
    v_exists := exists (select 1 from private.client_users u where u.phone = v_phone);
    perform private.cache_phone(v_phone, v_exists);
    perform private.ops_count('phone_cache_miss');
  else
    perform private.ops_count('phone_cache_hit');
  end if;
  if v_exists then
    select u.password_salt into v_salt from private.client_users u where u.phone = v_phone;
    v_exists := found;
  end if;
  return jsonb_build_object('exists', v_exists, 'phone', v_phone, 'salt', v_salt);
end
$$;

/**
 * A returning guest logs in with phone and password and gets the pass for the event.
 * `p_password` is bcrypt(password, the account's salt from check_phone_with_cache), computed by
 * the phone. Cheap refusals come first (input, link, list, limits); then one digest comparison,
 * counted against the address and the phone whatever its outcome.
 * Errors: invalid_phone, input_too_long (400); event_not_found, promoter_not_linked (404);
 * invalid_credentials (401, also for an unknown phone or a malformed string, after the same
 * work); guest_list_closed (409); account_locked, rate_limited (429), busy (429, the event's
 * pace: repeat the call after Retry-After).
 */
create or replace function public.authenticate_and_create_guest_v2(p_phone text, p_password text,
  p_event_id uuid, p_promoter_id uuid, p_team_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
  v_address text := private.client_ip();
  v_link record;
  v_user private.client_users;
begin
  perform private.check_length('p_password', p_password, 72);
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  select * into v_user from private.client_users u where u.phone = v_phone;
  perform private.check_list_open(v_link.event_id, v_user.id);
  perform private.check_password_attempt(v_phone, v_address, v_user.id is not null);
  if not private.password_matches(p_password, v_user.password_digest) then
    return private.password_failed(v_phone, v_address, 401, 'invalid_credentials', 'Wrong phone number or password.',
      'Check both and try again.');
  end if;
  perform private.password_succeeded(v_phone, v_address, v_user.id);
  return private.issue_pass_committed(v_user.id, v_link.event_id, v_link.promoter_id, v_link.team_id);
end
$$;

/**
 * A new guest registers and gets the pass for the event. `p_password` is bcrypt(password, a new
 * random salt) computed by the phone, cost at least `min_bcrypt_cost`; the database keeps its salt
 * and sha256. Needs a proof of work from registration_challenge (p_proof "<challenge>:<nonce>",
 * client/pow.ts); a retry of the same registration presents the same proof and the same string,
 * and gets the same pass (the account exists by then and the string matches). Another string for
 * a phone that already has an account: 409 `phone_already_registered`. New accounts are limited
 * per address (`new_accounts`).
 * Errors: invalid_phone, weak_password (a malformed string or too low a cost), invalid_first_name,
 * invalid_last_name, invalid_email, input_too_long, proof_required, proof_invalid, proof_reused
 * (400); and those of authenticate_and_create_guest_v2.
 */
create or replace function public.register_and_create_guest_v2(p_phone text, p_first_name text, p_last_name text,
  p_email text, p_password text, p_event_id uuid, p_promoter_id uuid, p_team_id uuid default null,
  p_proof text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
  v_first_name text := private.clean_name('first_name', p_first_name);
  v_last_name text := private.clean_name('last_name', p_last_name);
  v_email text := private.clean_email(p_email);
  v_address text := private.client_ip();
  v_link record;
  v_user_id uuid;
  v_digest bytea;
  v_new boolean := false;
begin
  perform private.check_password_hash(p_password);
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  select u.id into v_user_id from private.client_users u where u.phone = v_phone;
  perform private.check_list_open(v_link.event_id, v_user_id);
  perform private.check_proof(p_proof, v_phone);
  if v_user_id is null then
    perform private.rate_limit('new_accounts', v_address, false);
  end if;
  perform private.check_password_attempt(v_phone, v_address, v_user_id is not null);

  if v_user_id is null then
    -- Two registrations of one new number at once: one inserts, the other finds its account.
    insert into private.client_users (phone, first_name, last_name, email, password_salt, password_digest)
    select v_phone, v_first_name, v_last_name, v_email, s.salt, s.digest from private.stored_password(p_password) s
    on conflict (phone) do nothing
    returning id into v_user_id;
    v_new := v_user_id is not null;
  end if;
  if v_new then
    perform private.rate_limit_add('new_accounts', v_address, 1);
    perform private.cache_phone(v_phone, true);
  else
    select u.id, u.password_digest into v_user_id, v_digest from private.client_users u where u.phone = v_phone;
    if not private.password_matches(p_password, v_digest) then
      return private.password_failed(v_phone, v_address, 409, 'phone_already_registered',
        'This phone number already has an account.', 'Log in with your password instead.');
    end if;
  end if;
  perform private.password_succeeded(v_phone, v_address, v_user_id);
  return private.issue_pass_committed(v_user_id, v_link.event_id, v_link.promoter_id, v_link.team_id);
end
$$;

/**
 * Sets a new password with a reset link's token (single use, unexpired): `p_password` is
 * bcrypt(new password, a new random salt) from the phone, checked like a registration's. Every
 * session of the account ends and its failed attempts are cleared. The link proves the guest owns
 * the account's e-mail, so a lockout from wrong passwords does not stop it.
 * Errors: weak_password, input_too_long (400), invalid_reset_token (400: unknown, used or expired).
 */
create or replace function public.reset_guest_password(p_token text, p_password text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_reset private.password_resets;
  v_phone text;
begin
  perform private.check_length('p_token', p_token, 100);
  perform private.check_password_hash(p_password);
  -- The row lock makes the token single use even when the link is opened twice at once.
  select * into v_reset from private.password_resets r
  where r.token_hash = private.sha256(coalesce(p_token, '')) and r.used_at is null and r.expires_at > now()
  for update;
  if not found then
    perform private.fail(400, 'invalid_reset_token', 'This reset link is not valid any more.',
      'Ask for a new link: each one works once, for an hour.');
  end if;
  update private.client_users u set password_salt = s.salt, password_digest = s.digest
  from private.stored_password(p_password) s
  where u.id = v_reset.client_user_id
  returning u.phone into v_phone;
  update private.password_resets r set used_at = now() where r.id = v_reset.id;
  delete from private.guest_sessions s where s.client_user_id = v_reset.client_user_id;
  -- The owner proved the e-mail: this address's failures and the phone's total start again.
  delete from private.rate_limit_counters c where c.bucket = 'phone_failures' and c.key_hash = private.sha256(v_phone);
  perform private.password_succeeded(v_phone, private.client_ip(), v_reset.client_user_id);
  return jsonb_build_object('reset', true);
end
$$;

/**
 * Counts one hit for (bucket, key) and raises 429 past the limit, with Retry-After: `rate_limited`
 * for a limit on abuse, or `busy` for a bucket that only paces (`rate_limits.answer`), which the
 * client repeats by itself after Retry-After. With `p_count` false it only checks that the
 * window still has room, for a bucket whose hit is counted later.
 */
create or replace function private.rate_limit(p_bucket text, p_key text, p_count boolean default true)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  v_answer text;
begin
  select * into r from private.rate_limit_add(p_bucket, p_key, case when p_count then 1 else 0 end);
  -- Counting: this hit may be the last allowed one. Only checking: the next hit must still fit.
  if r.total + (case when p_count then 0 else 1 end) > r.max_hits then
    select l.answer into v_answer from private.rate_limits l
    where l.bucket = p_bucket and l.subject = '*';
    if v_answer = 'busy' then
      perform private.fail_retry(429, 'busy', 'Many people are joining right now.',
        format('Keep this page open: it tries again by itself in %s seconds.', r.retry_after), r.retry_after);
    end if;
    perform private.fail_retry(429, 'rate_limited', 'Too many requests. Please wait a moment.',
      format('Try again in %s seconds.', r.retry_after), r.retry_after);
  end if;
end
$$;

/**
 * Raises an API error that carries a Retry-After header (429 rate limits), in PostgREST's PGRST
 * form: the message is the response body (with `retry_after` in seconds, for clients that cannot
 * read headers), the detail the status and headers.
 */
create or replace function private.fail_retry(p_status integer, p_code text, p_detail text, p_hint text, p_retry_after integer)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise sqlstate 'PGRST' using
    message = json_build_object('code', 'PT' || p_status, 'message', p_code, 'details', p_detail, 'hint', p_hint,
                                'retry_after', greatest(1, p_retry_after))::text,
    detail = json_build_object('status', p_status,
                               'headers', json_build_object('Retry-After', greatest(1, p_retry_after)::text))::text;
end
$$;

-- =============================================================================================
-- Existing accounts: converted without their passwords and without running bcrypt
-- =============================================================================================

update private.client_users u
set (password_salt, password_digest) = (select s.salt, s.digest from private.stored_password(u.password_hash) s);
alter table private.client_users
  alter column password_salt set not null,
  alter column password_digest set not null,
  drop column password_hash;

-- =============================================================================================
-- The fair line and the server's bcrypt go
-- =============================================================================================

select cron.unschedule('purge-password-line');
drop function private.enter_line(text, text), private.admit_password_attempt(text, text),
  private.purge_password_line(), private.line_stats(), private.line_weight(text), private.line_rate(),
  private.line_room(), private.record_bcrypt(), private.bcrypt_slots_busy(), private.bcrypt_slots(),
  private.password_matches(text, text), private.check_password(text);
drop table private.password_line, private.password_completions;

/**
 * What an operator watches on the night, over the last 15 minutes, per minute:
 * `passes` (guests put on a list) and `check_ins`; for service_role also `new_accounts`,
 * `rejections` by code (committed ones), the phone cache's hits and misses, and pg_cron's runs
 * per job in the last hour. An owner or admin sees the events of their organisations (or one of
 * them with `p_event_id`); staff and anonymous callers see nothing.
 */
create or replace function public.ops_stats(p_event_id uuid default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_all boolean := coalesce((select auth.jwt()) ->> 'role', '') = 'service_role';
  v_uid uuid := (select auth.uid());
  v_events uuid[];
  v_from timestamptz := date_trunc('minute', now()) - interval '14 minutes';
  v_minutes jsonb;
  v_platform jsonb := null;
begin
  if p_event_id is not null then
    if not v_all then
      perform private.require_event_member(p_event_id, array['owner', 'admin']);
    end if;
    v_events := array[p_event_id];
  elsif not v_all then
    if v_uid is null then
      perform private.fail(401, 'not_authenticated', 'Sign in to see the operations page.', 'Sign in and try again.');
    end if;
    select coalesce(array_agg(e.id), '{}') into v_events
    from public.events e
    join public.organization_members m on m.organization_id = e.organization_id
    where m.user_id = v_uid and m.role in ('owner', 'admin');
    if not exists (select 1 from public.organization_members m where m.user_id = v_uid and m.role in ('owner', 'admin')) then
      perform private.fail(403, 'forbidden', 'Only owners and admins of an organization see its operations.',
        'Ask an owner of your organization.');
    end if;
  end if;

  select jsonb_agg(jsonb_build_object(
           'minute', m.minute,
           'passes', (select count(*) from public.guests g
                      where g.created_at >= m.minute and g.created_at < m.minute + interval '1 minute'
                        and (v_events is null or g.event_id = any (v_events))),
           'check_ins', (select count(*) from public.guests g
                         where g.checked_in_at >= m.minute and g.checked_in_at < m.minute + interval '1 minute'
                           and (v_events is null or g.event_id = any (v_events))))
         || case when v_all then jsonb_build_object('new_accounts',
              (select count(*) from private.client_users u
               where u.created_at >= m.minute and u.created_at < m.minute + interval '1 minute'))
            else '{}'::jsonb end
         order by m.minute)
    into v_minutes
  from generate_series(v_from, date_trunc('minute', now()), interval '1 minute') as m(minute);

  if v_all then
    v_platform := jsonb_build_object(
      'rejections', (select coalesce(jsonb_object_agg(r.code, r.n), '{}'::jsonb)
                     from (select substr(c.metric, 10) as code, sum(c.hits) as n from private.ops_counters c
                           where c.metric like 'rejected:%' and c.minute >= v_from group by 1) r),
      'phone_cache', (select jsonb_build_object('hits', h, 'misses', m,
                               'hit_ratio', case when h + m > 0 then round(h::numeric / (h + m), 3) end)
                      from (select coalesce(sum(c.hits) filter (where c.metric = 'phone_cache_hit'), 0) as h,
                                   coalesce(sum(c.hits) filter (where c.metric = 'phone_cache_miss'), 0) as m
                            from private.ops_counters c where c.minute >= v_from) x),
      'cron', (select coalesce(jsonb_agg(jsonb_build_object(
                 'job', j.jobname, 'schedule', j.schedule, 'active', j.active,
                 'last_start', r.last_start, 'last_status', r.last_status, 'last_ms', r.last_ms,
                 'runs', coalesce(r.runs, 0), 'failures', coalesce(r.failures, 0)) order by j.jobname), '[]'::jsonb)
               from cron.job j
               left join lateral (
                 select max(d.start_time) as last_start,
                        (array_agg(d.status order by d.runid desc))[1] as last_status,
                        (array_agg(round(extract(epoch from d.end_time - d.start_time) * 1000) order by d.runid desc))[1] as last_ms,
                        count(*) as runs, count(*) filter (where d.status = 'failed') as failures
                 from (select * from cron.job_run_details d where d.jobid = j.jobid and d.start_time > now() - interval '1 hour'
                       order by d.runid desc limit 60) d
               ) r on true));
  end if;

  return jsonb_build_object(
    'generated_at', now(),
    'scope', case when p_event_id is not null then 'event' when v_all then 'all' else 'organization' end,
    'events', case when v_all and p_event_id is null then null else to_jsonb(v_events) end,
    'per_minute', v_minutes) || coalesce(v_platform, '{}'::jsonb);
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.stored_password(text), private.check_password_hash(text),
  private.password_matches(text, bytea) from public, anon, authenticated;
