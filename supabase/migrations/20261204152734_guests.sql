-- Guests: accounts (phone + bcrypt password), sessions, the phone-lookup cache and the passes.
-- A guest goes from phone number to QR pass in one round trip per step, with at most one
-- bcrypt, and every joining call is idempotent: a retry or a double tap returns the same pass.
-- "Is the list open?" is answered once, by private.is_list_open.

-- =============================================================================================
-- Tables
-- =============================================================================================

/** A guest's account. Personal data: never readable through the API. */
create table private.client_users (
  id uuid primary key default gen_random_uuid(),
  phone text not null unique check (phone ~ '^\+[1-9][0-9]{7,14}$'),
  first_name text not null,
  last_name text not null,
  email text check (email = lower(email)),
  password_hash text not null check (password_hash like '$2_$10$%'),
  created_at timestamptz not null default now(),
  last_login_at timestamptz
);
alter table private.client_users enable row level security;
create policy "Guest accounts are never read through the API" on private.client_users
  as restrictive for all to anon, authenticated using (false) with check (false);

/** Sessions let a returning guest join another night without a password; only sha256 is kept. */
create table private.guest_sessions (
  id uuid primary key default gen_random_uuid(),
  token_hash bytea not null unique,
  client_user_id uuid not null references private.client_users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index guest_sessions_client_user_id_idx on private.guest_sessions (client_user_id);
create index guest_sessions_expires_at_idx on private.guest_sessions (expires_at);
alter table private.guest_sessions enable row level security;
create policy "Guest sessions are never read through the API" on private.guest_sessions
  as restrictive for all to anon, authenticated using (false) with check (false);

/** Short-lived answers of check_phone_with_cache, keyed by sha256 of the E.164 phone. */
create table private.phone_lookup_cache (
  phone_hash bytea primary key,
  phone_exists boolean not null,
  expires_at timestamptz not null
);
create index phone_lookup_cache_expires_at_idx on private.phone_lookup_cache (expires_at);
alter table private.phone_lookup_cache enable row level security;
create policy "Phone lookups are never read through the API" on private.phone_lookup_cache
  as restrictive for all to anon, authenticated using (false) with check (false);

/** A guest on an event's list: one per (event, account), with the QR secret of the pass. */
create table public.guests (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null references public.events (id) on delete cascade,
  -- Null once the guest deleted their account: a pass of a night that is over stays, without
  -- a person, so that the organisers' counts stay right.
  client_user_id uuid references private.client_users (id) on delete set null,
  promoter_id uuid not null references public.promoters (id),
  team_id uuid references public.teams (id),
  qr_token text not null unique default private.random_token(18),
  status text not null default 'registered' check (status in ('registered', 'checked_in')),
  created_at timestamptz not null default now(),
  checked_in_at timestamptz,
  unique (event_id, client_user_id),
  check ((status = 'checked_in') = (checked_in_at is not null))
);
create index guests_client_user_id_idx on public.guests (client_user_id);
create index guests_promoter_id_idx on public.guests (promoter_id);
create index guests_team_id_idx on public.guests (team_id);
create index guests_event_id_checked_in_at_idx on public.guests (event_id, checked_in_at);
alter table public.guests enable row level security;
-- Registrations and arrivals per minute (ops_stats) are read from the passes themselves.
create index guests_created_at_idx on public.guests (created_at);
create index client_users_created_at_idx on private.client_users (created_at);

-- =============================================================================================
-- Internal functions
-- =============================================================================================

/**
 * Whether the event's guest list takes new guests: before its closing time and below its
 * capacity. The one rule for "is the list open?": the link card shows it (is_open), and joining
 * checks it before any password work (check_list_open) and again under the last seats' lock
 * (issue_pass).
 */
create or replace function private.is_list_open(p_event_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select e.guest_list_closes_at > now()
         and (e.capacity is null or (select count(*) from public.guests g where g.event_id = e.id) < e.capacity)
  from public.events e
  where e.id = p_event_id
$$;

/**
 * Whether the account may join the event, checked before any password work: an account with a
 * pass for it always may (it gets the pass back); a new guest needs the list open
 * (private.is_list_open, else 409 `guest_list_closed`) and room in the event's registrations per
 * minute (429 `rate_limited`, only checked here). issue_pass checks again under the lock of the
 * last seats.
 */
create or replace function private.check_list_open(p_event_id uuid, p_client_user_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_client_user_id is not null
     and exists (select 1 from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id) then
    return;
  end if;
  if not private.is_list_open(p_event_id) then
    perform private.fail(409, 'guest_list_closed', 'The guest list for this night is closed.',
      'Ask your promoter about the door.');
  end if;
  perform private.rate_limit('event_registrations', p_event_id::text, false);
end
$$;

/**
 * The cheap checks before any password work, for a phone from the caller's address
 * (`p_address`): a phone with an account that this address has locked itself out of
 * (429 `account_locked`), the per-(phone, address) attempts and the per-address password
 * checks (429 `rate_limited`). Only checks: the hits are counted once the fair line admits the
 * call (private.admit_password_attempt), so that waiting in line costs nothing.
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
  perform private.rate_limit('phone_attempts', p_phone || ' ' || p_address, false);
  perform private.rate_limit('address_passwords', p_address, false);
end
$$;

/**
 * The fair line's turn for password work on `p_phone` (private.enter_line): null once admitted,
 * with the attempt counted against the phone (from this address) and the address; else the
 * committed `busy` body to return.
 */
create or replace function private.admit_password_attempt(p_phone text, p_address text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_busy jsonb := private.enter_line(p_phone, p_address);
begin
  if v_busy is null then
    perform private.rate_limit_add('phone_attempts', p_phone || ' ' || p_address, 1);
    perform private.rate_limit_add('address_passwords', p_address, 1);
  end if;
  return v_busy;
end
$$;

/**
 * bcrypt comparison. With no stored hash (unknown phone) it still hashes against a dummy of
 * the same cost, so a miss takes as long as a hit. Counted (private.record_bcrypt).
 */
create or replace function private.password_matches(p_password text, p_hash text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_hash text := coalesce(p_hash, private.setting('dummy_password_hash') #>> '{}');
  v_ok boolean := extensions.crypt(coalesce(p_password, ''), v_hash) = v_hash;
begin
  perform private.record_bcrypt();
  return v_ok and p_hash is not null;
end
$$;

/**
 * Records a failed password for the phone from the address (towards the back-off) and returns
 * the error, committed.
 */
create or replace function private.password_failed(p_phone text, p_address text, p_status integer, p_code text,
  p_detail text, p_hint text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.rate_limit_add('login_failures', p_phone || ' ' || p_address, 1);
  perform private.rate_limit_add('phone_failures', p_phone, 1);
  return private.committed_error(p_status, p_code, p_detail, p_hint);
end
$$;

/**
 * Gives the account its pass for the event (the existing one if it already has one) and a
 * session. A new guest needs the list open (private.is_list_open, else 409
 * `guest_list_closed`) under the lock of the last seats, and room in the event's registrations
 * per minute (429, counted here). Returns the shape shared by the three joining functions.
 */
create or replace function private.issue_pass(p_client_user_id uuid, p_event_id uuid, p_promoter_id uuid,
  p_team_id uuid, p_session_token text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_guest public.guests;
  v_new boolean := false;
  v_token text := p_session_token;
  v_expires timestamptz;
begin
  select * into v_guest from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id;
  if not found then
    if (select e.capacity from public.events e where e.id = p_event_id) is not null then
      -- Serialize the last seats: the count and the insert must not interleave.
      perform 1 from public.events e where e.id = p_event_id for update;
    end if;
    if not private.is_list_open(p_event_id) then
      perform private.fail(409, 'guest_list_closed', 'The guest list for this night is closed.',
        'Ask your promoter about the door.');
    end if;
    perform private.rate_limit('event_registrations', p_event_id::text);
    insert into public.guests (event_id, client_user_id, promoter_id, team_id)
    values (p_event_id, p_client_user_id, p_promoter_id, p_team_id)
    on conflict (event_id, client_user_id) do nothing
    returning * into v_guest;
    v_new := found;
    if not v_new then
      select * into v_guest from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id;
    end if;
  end if;

  if v_token is null then
    v_token := private.random_token(33);
    insert into private.guest_sessions (token_hash, client_user_id, expires_at)
    values (private.sha256(v_token), p_client_user_id,
            now() + make_interval(days => (private.setting('session_days'))::integer))
    returning expires_at into v_expires;
  else
    select s.expires_at into v_expires from private.guest_sessions s where s.token_hash = private.sha256(v_token);
  end if;

  return jsonb_build_object(
    'guest_id', v_guest.id,
    'qr_token', v_guest.qr_token,
    'client_user_id', p_client_user_id,
    'first_name', (select u.first_name from private.client_users u where u.id = p_client_user_id),
    'already_registered', not v_new,
    'session_token', v_token,
    'session_expires_at', v_expires);
end
$$;

/** Marks the phone as existing in the lookup cache (after a registration). */
create or replace function private.cache_phone(p_phone text, p_exists boolean)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into private.phone_lookup_cache as c (phone_hash, phone_exists, expires_at)
  values (private.sha256(p_phone), p_exists,
          now() + make_interval(secs => (private.setting('phone_cache_seconds'))::integer))
  on conflict (phone_hash) do update set phone_exists = excluded.phone_exists, expires_at = excluded.expires_at;
$$;

/**
 * issue_pass after password work: a refusal then (the list closed or filled, or the event's
 * registrations per minute ran out, since the checks before the bcrypt) is returned as a
 * committed error, so that the bcrypt stays counted; only issue_pass's own writes are undone.
 */
create or replace function private.issue_pass_committed(p_client_user_id uuid, p_event_id uuid, p_promoter_id uuid,
  p_team_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_state text;
  v_message text;
  v_detail text;
  v_hint text;
  v_meta jsonb;
begin
  return private.issue_pass(p_client_user_id, p_event_id, p_promoter_id, p_team_id, null);
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail,
    v_hint = pg_exception_hint;
  if v_state = 'PGRST' then
    v_meta := v_detail::jsonb;
    return private.committed_retry((v_meta ->> 'status')::integer, v_message::jsonb ->> 'message',
      v_message::jsonb ->> 'details', v_message::jsonb ->> 'hint', (v_meta #>> '{headers,Retry-After}')::integer);
  elsif v_state ~ '^PT[0-9]{3}$' then
    return private.committed_error(substr(v_state, 3)::integer, v_message, v_detail, v_hint);
  end if;
  raise;
end
$$;

/** After a correct password: clear this address's failures for the phone, note the login. */
create or replace function private.password_succeeded(p_phone text, p_address text, p_client_user_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.rate_limit_counters
  where bucket = 'login_failures' and key_hash = private.sha256(p_phone || ' ' || p_address);
  update private.client_users set last_login_at = now() where id = p_client_user_id;
$$;

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

-- =============================================================================================
-- Public functions (anonymous guests)
-- =============================================================================================

/**
 * The card a guest sees on the promoter's link: the event and the promoter, or 404.
 * Anonymous; answers no personal data.
 */
create or replace function public.resolve_promoter_link(p_promoter_slug text, p_event_slug text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  perform private.check_length('p_promoter_slug', p_promoter_slug, 100);
  perform private.check_length('p_event_slug', p_event_slug, 100);

  select jsonb_build_object(
      'event', jsonb_build_object(
        'id', e.id, 'slug', e.slug, 'name', e.name, 'venue', e.venue,
        'starts_at', e.starts_at, 'ends_at', e.ends_at,
        'guest_list_closes_at', e.guest_list_closes_at,
        'is_open', private.is_list_open(e.id)),
      'promoter', jsonb_build_object('id', p.id, 'slug', p.slug, 'display_name', p.display_name),
      'team', case when t.id is null then null else jsonb_build_object('id', t.id, 'name', t.name) end)
    into v_result
  from public.promoters p
  join public.events e on e.organization_id = p.organization_id and e.slug = lower(p_event_slug) and e.is_published
  join public.event_promoters ep on ep.event_id = e.id and ep.promoter_id = p.id
  left join public.teams t on t.id = ep.team_id
  where p.slug = lower(p_promoter_slug);

  if v_result is null then
    perform private.fail(404, 'event_not_found', 'This link does not lead to an event that is open to guests.',
      'Check the link, or ask your promoter for a new one.');
  end if;
  -- The hottest request of a viral night: a CDN in front of the API may keep the card briefly.
  perform set_config('response.headers', '[{"Cache-Control": "public, max-age=30"}]', true);
  return v_result;
end
$$;

/**
 * Whether a phone number has an account, so the page can ask for a password (returning guest)
 * or for a name (new guest). Answers only {exists, phone}: never a name, email or id.
 * Served from phone_lookup_cache while fresh (5 minutes). A read-only call (GET) answers the
 * same and leaves the cache alone, so that GET and POST answer alike whatever the cache holds
 * (an error on a cache miss only would tell whether someone looked the number up lately).
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
begin
  select c.phone_exists into v_exists
  from private.phone_lookup_cache c
  where c.phone_hash = private.sha256(v_phone) and c.expires_at > now();
  if not found then
    v_exists := exists (select 1 from private.client_users u where u.phone = v_phone);
    if current_setting('transaction_read_only') = 'off' then
      perform private.cache_phone(v_phone, v_exists);
      perform private.ops_count('phone_cache_miss');
    end if;
  elsif current_setting('transaction_read_only') = 'off' then
    -- for ops_stats; a GET (read-only) lookup cannot be counted
    perform private.ops_count('phone_cache_hit');
  end if;
  return jsonb_build_object('exists', v_exists, 'phone', v_phone);
end
$$;

/**
 * A returning guest logs in with phone and password and gets the pass for the event.
 * Cheap refusals come first (input, link, list, limits); then the fair line (429 `busy` with
 * Retry-After, position and wait_seconds: repeat the same call); then one bcrypt, counted
 * against the address and the phone whatever its outcome.
 * Errors: invalid_phone, input_too_long (400); event_not_found, promoter_not_linked (404);
 * invalid_credentials (401, also for an unknown phone, after the same bcrypt work);
 * guest_list_closed (409); account_locked, rate_limited, busy (429).
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
  v_user_id uuid;
  v_hash text;
  v_busy jsonb;
begin
  perform private.check_length('p_password', p_password, 72);
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  select u.id into v_user_id from private.client_users u where u.phone = v_phone;
  perform private.check_list_open(v_link.event_id, v_user_id);
  perform private.check_password_attempt(v_phone, v_address, v_user_id is not null);

  v_busy := private.admit_password_attempt(v_phone, v_address);
  if v_busy is not null then
    return v_busy;
  end if;

  select u.id, u.password_hash into v_user_id, v_hash from private.client_users u where u.phone = v_phone;
  if not private.password_matches(p_password, v_hash) then
    return private.password_failed(v_phone, v_address, 401, 'invalid_credentials', 'Wrong phone number or password.',
      'Check both and try again.');
  end if;
  perform private.password_succeeded(v_phone, v_address, v_user_id);
  return private.issue_pass_committed(v_user_id, v_link.event_id, v_link.promoter_id, v_link.team_id);
end
$$;

/**
 * A new guest registers and gets the pass for the event. Needs a proof of work from
 * registration_challenge (p_proof "<challenge>:<nonce>", client/pow.ts); a retry of the same
 * registration may present the same proof. A phone that already has an account with this
 * password proceeds as a login; with another password the answer is 409
 * `phone_already_registered`. New accounts are limited per address (`new_accounts`).
 * Errors: invalid_phone, weak_password, password_too_long, invalid_first_name,
 * invalid_last_name, invalid_email, input_too_long, proof_required, proof_invalid,
 * proof_reused (400); and those of authenticate_and_create_guest_v2.
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
  v_hash text;
  v_busy jsonb;
begin
  perform private.check_password(p_password);
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  select u.id into v_user_id from private.client_users u where u.phone = v_phone;
  perform private.check_list_open(v_link.event_id, v_user_id);
  perform private.check_proof(p_proof, v_phone);
  if v_user_id is null then
    perform private.rate_limit('new_accounts', v_address, false);
  end if;
  perform private.check_password_attempt(v_phone, v_address, v_user_id is not null);

  v_busy := private.admit_password_attempt(v_phone, v_address);
  if v_busy is not null then
    return v_busy;
  end if;

  -- Under the phone's lock now: another call may have created the account meanwhile.
  select u.id, u.password_hash into v_user_id, v_hash from private.client_users u where u.phone = v_phone;
  if found then
    if not private.password_matches(p_password, v_hash) then
      return private.password_failed(v_phone, v_address, 409, 'phone_already_registered',
        'This phone number already has an account.', 'Log in with your password instead.');
    end if;
  else
    insert into private.client_users (phone, first_name, last_name, email, password_hash)
    values (v_phone, v_first_name, v_last_name, v_email, extensions.crypt(p_password, extensions.gen_salt('bf', 10)))
    returning id into v_user_id;
    perform private.record_bcrypt();
    perform private.rate_limit_add('new_accounts', v_address, 1);
    perform private.cache_phone(v_phone, true);
  end if;
  perform private.password_succeeded(v_phone, v_address, v_user_id);
  return private.issue_pass_committed(v_user_id, v_link.event_id, v_link.promoter_id, v_link.team_id);
end
$$;

/**
 * A returning guest with a session joins another night without a password (no bcrypt).
 * Errors: invalid_session (401), input_too_long (400), and the link and list errors.
 */
create or replace function public.join_event_with_session(p_session_token text, p_event_id uuid,
  p_promoter_id uuid, p_team_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_client_user_id uuid;
  v_link record;
begin
  perform private.check_length('p_session_token', p_session_token, 100);
  select s.client_user_id into v_client_user_id
  from private.guest_sessions s
  where s.token_hash = private.sha256(coalesce(p_session_token, '')) and s.expires_at > now();
  if not found then
    perform private.fail(401, 'invalid_session', 'Your session has expired.',
      'Log in with your phone number and password.');
  end if;
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  return private.issue_pass(v_client_user_id, v_link.event_id, v_link.promoter_id, v_link.team_id, p_session_token);
end
$$;

-- =============================================================================================
-- Policies
-- =============================================================================================

create policy "Organization members can read their events' guests" on public.guests
  for select to authenticated using (private.is_event_member(event_id));

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke all on public.guests from anon, authenticated;
revoke execute on function public.check_phone_with_cache(text),
  public.authenticate_and_create_guest_v2(text, text, uuid, uuid, uuid),
  public.register_and_create_guest_v2(text, text, text, text, text, uuid, uuid, uuid, text),
  public.join_event_with_session(text, uuid, uuid, uuid)
  from public, anon, authenticated;
grant execute on function public.check_phone_with_cache(text),
  public.authenticate_and_create_guest_v2(text, text, uuid, uuid, uuid),
  public.register_and_create_guest_v2(text, text, text, text, text, uuid, uuid, uuid, text),
  public.join_event_with_session(text, uuid, uuid, uuid)
  to anon;

revoke execute on function private.is_list_open(uuid), private.check_list_open(uuid, uuid)
  from public, anon, authenticated;
revoke execute on function public.resolve_promoter_link(text, text) from public, anon, authenticated;
grant execute on function public.resolve_promoter_link(text, text) to anon;

-- =============================================================================================
-- Jobs (pg_cron; named jobs: scheduling again under the same name replaces them)
-- =============================================================================================

select cron.schedule('purge-phone-lookup-cache', '* * * * *', 'select private.purge_phone_lookup_cache()');
select cron.schedule('purge-guest-sessions', '17 * * * *', 'select private.purge_guest_sessions()');
