-- Bans and suspension: an organisation bans a phone number from its nights (registration and login
-- on its links refused, the number's passes for nights not ended revoked, so the door shows red);
-- the platform operator suspends a guest account everywhere. Both refusals give the guest one
-- neutral answer, 403 `not_admitted`, that never says why. And a night with a minimum age asks an
-- existing account whose date of birth is unknown for it (400 `birth_date_needed`) instead of
-- letting it in unchecked.

-- =============================================================================================
-- Tables
-- =============================================================================================

/** A phone number (E.164, private.normalize_phone) that may not join an organisation's nights. */
create table private.organization_bans (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  phone text not null check (phone ~ '^\+[1-9][0-9]{7,14}$'),
  reason text not null check (length(reason) between 1 and 200),
  banned_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  unique (organization_id, phone)
);
create index organization_bans_banned_by_idx on private.organization_bans (banned_by);
alter table private.organization_bans enable row level security;
create policy "Bans are never read through the API" on private.organization_bans
  as restrictive for all to anon, authenticated using (false) with check (false);

/**
 * The numbers of guest accounts the platform operator suspended (the seed's is_active = false):
 * no night anywhere. Kept by number, so that deleting the account and registering again does not
 * lift it.
 */
create table private.suspended_phones (
  phone text primary key check (phone ~ '^\+[1-9][0-9]{7,14}$'),
  reason text not null check (length(reason) between 1 and 200),
  suspended_at timestamptz not null default now()
);
alter table private.suspended_phones enable row level security;
create policy "Suspensions are never read through the API" on private.suspended_phones
  as restrictive for all to anon, authenticated using (false) with check (false);

-- =============================================================================================
-- Internal functions
-- =============================================================================================

/**
 * The phone's admission lock (advisory class 74211, keyed by the E.164 number): shared while a
 * guest call checks the number's bans and suspension and gives it a pass, exclusive while a ban
 * or a suspension is written and the number's passes are revoked. So a ban racing a registration
 * either comes first (the registration sees it) or waits for the pass and revokes it. Only owners,
 * admins and the operator take it exclusively, for one short statement each.
 */
create or replace function private.admission_lock(p_phone text, p_exclusive boolean)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_exclusive then
    perform pg_advisory_xact_lock(74211, hashtext(p_phone));
  else
    perform pg_advisory_xact_lock_shared(74211, hashtext(p_phone));
  end if;
end
$$;

/**
 * Whether the number may not join the organisation's nights: banned there, or its account
 * suspended. Takes the number's admission lock (shared) first and holds it to the end of the
 * call, so a ban or suspension written meanwhile waits for the pass it must revoke.
 */
create or replace function private.not_admitted(p_organization_id uuid, p_phone text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.admission_lock(p_phone, false);
  return exists (select 1 from private.organization_bans b where b.organization_id = p_organization_id and b.phone = p_phone)
      or exists (select 1 from private.suspended_phones s where s.phone = p_phone);
end
$$;

/** The one answer to a banned number and a suspended account: 403 `not_admitted`, committed. */
create or replace function private.not_admitted_error()
returns jsonb
language sql
security definer
set search_path = ''
as $$
  select private.committed_error(403, 'not_admitted', 'This list cannot take this number.', 'Ask the organiser.')
$$;

/**
 * Revokes the passes of a number (its account's, and those added by hand with it) for nights that
 * have not ended, of one organisation (null: every one), with the reason, as revoke_guest does:
 * the places go to the waiting list (the guests_freed_places trigger), /live hears `guest_revoked`,
 * the door answers `not_admitted`. A guest already in keeps the pass (revoke_guest refuses it too).
 * The nights are locked in one order first. Returns how many passes were revoked.
 */
create or replace function private.revoke_number_passes(p_phone text, p_organization_id uuid, p_reason text)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := (select u.id from private.client_users u where u.phone = p_phone);
  v_count integer;
begin
  perform 1 from public.events e
  where e.id in (select g.event_id from public.guests g
                 where (g.client_user_id = v_user or g.added_phone = p_phone) and g.status <> 'revoked')
    and e.ends_at > now() and (p_organization_id is null or e.organization_id = p_organization_id)
  order by e.id
  for update;
  update public.guests g set status = 'revoked', revoked_reason = left(p_reason, 200), revoked_at = now()
  from public.events e
  where e.id = g.event_id and e.ends_at > now() and (p_organization_id is null or e.organization_id = p_organization_id)
    and (g.client_user_id = v_user or g.added_phone = p_phone)
    and g.status <> 'revoked' and g.checked_in_at is null;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

/** A number as admins see it: country code and last three digits (+351••••••678). */
create or replace function private.mask_phone(p_phone text)
returns text
language sql
immutable
set search_path = ''
as $$
  select left(p_phone, 4) || repeat('•', greatest(length(p_phone) - 7, 0)) || right(p_phone, 3)
$$;

/**
 * Whether an account must give its date of birth before a pass for the night: the night has a
 * minimum age, the account's date of birth is unknown and it has no pass for the night yet.
 */
create or replace function private.birth_date_needed(p_client_user_id uuid, p_event_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((
    select u.birth_date is null
       and not exists (select 1 from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id)
    from public.event_questions q, private.client_users u
    where q.event_id = p_event_id and u.id = p_client_user_id and q.min_age is not null), false)
$$;

/**
 * A date of birth a guest gives on joining (`birth_date_needed` asked for it), for an account that
 * has none: whether it is under the night's minimum age (then the caller answers `too_young` and
 * the date is not kept, so a mistyped year can be corrected); otherwise it is kept on the account.
 * A known date of birth is never replaced; no date given: false.
 */
create or replace function private.given_birth_date_too_young(p_client_user_id uuid, p_event_id uuid, p_birth_date date)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_birth_date is null or not exists (select 1 from private.client_users u where u.id = p_client_user_id and u.birth_date is null) then
    return false;
  end if;
  if coalesce(private.age_at_event(p_birth_date, p_event_id)
              < (select q.min_age from public.event_questions q where q.event_id = p_event_id), false) then
    return true;
  end if;
  update private.client_users u set birth_date = p_birth_date where u.id = p_client_user_id and u.birth_date is null;
  return false;
end
$$;

/**
 * Whether an account is too young for a night it has no pass for: the night has a minimum age
 * and the account's date of birth says younger. An unknown date of birth is not "too young": the
 * joining functions ask for it first (private.birth_date_needed, 400 `birth_date_needed`).
 */
create or replace function private.too_young(p_client_user_id uuid, p_event_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(private.age_at_event(u.birth_date, q.event_id) < q.min_age, false)
     and not exists (select 1 from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id)
  from public.event_questions q, private.client_users u
  where q.event_id = p_event_id and u.id = p_client_user_id and q.min_age is not null
$$;

/** 400 `birth_date_needed`, committed (after password work) or not. */
create or replace function private.birth_date_needed_error()
returns jsonb
language sql
security definer
set search_path = ''
as $$
  select private.committed_error(400, 'birth_date_needed', 'This night has a minimum age and needs your date of birth.',
    'Give your date of birth to join.')
$$;

-- =============================================================================================
-- Functions: the guest's calls
-- =============================================================================================

/**
 * Whether a phone number has an account, and its salt, so that the guest page can log in or
 * register (the phone computes bcrypt with the salt). Answers only {exists, phone, salt}: never a
 * name, email or id; the salt says nothing `exists` does not; a banned number or a suspended
 * account is answered like any other. Served from phone_lookup_cache while fresh (5 minutes); a
 * miss reads the account once. POST only: a GET runs read-only, where the call could be neither
 * cached nor counted against the caller's address (405 `use_post`).
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
    select u.password_salt into v_salt from private.client_users u where u.phone = v_phone;
    v_exists := found;
    perform private.cache_phone(v_phone, v_exists);
    perform private.ops_count('phone_cache_miss');
  else
    perform private.ops_count('phone_cache_hit');
    if v_exists then
      select u.password_salt into v_salt from private.client_users u where u.phone = v_phone;
      v_exists := found;
    end if;
  end if;
  return jsonb_build_object('exists', v_exists, 'phone', v_phone, 'salt', v_salt);
end
$$;

/**
 * A returning guest logs in with phone and password and gets the pass for the event.
 * `p_password` is bcrypt(password, the account's salt from check_phone_with_cache), computed by
 * the phone. Cheap refusals come first (input, link, limits); then one digest comparison, counted
 * against the address and the phone whatever its outcome.
 *
 * A closed or full list: a number with no account is refused at once (409 `guest_list_closed`,
 * no password work: check_phone_with_cache already says the number has no account). A number with
 * an account is answered only after its password: the pass it already has for the night, or 409
 * `guest_list_closed`; so the list's closing never tells someone without the password whether
 * that number is on the list (it would, if the refusal came first for those not on it).
 * A number the organisation banned, or a suspended account, is refused after the password too
 * (403 `not_admitted`, the same words for both), so only the number's owner learns it.
 * `p_birth_date` (YYYY-MM-DD): the date of birth, given when a night with a minimum age asked for
 * it (400 `birth_date_needed`); kept when the account has none.
 * Errors: invalid_phone, invalid_birth_date, input_too_long (400); birth_date_needed (400);
 * event_not_found, promoter_not_linked (404);
 * invalid_credentials (401, also for an unknown phone or a malformed string, after the same
 * work); not_admitted (403); too_young (403: the night's minimum age, by the date of birth the
 * guest gave; a guest already on the list keeps their pass); guest_list_closed (409);
 * account_locked, rate_limited (429), busy (429, the event's pace: repeat the call after Retry-After).
 */
drop function public.authenticate_and_create_guest_v2(text, text, uuid, uuid, uuid);
create function public.authenticate_and_create_guest_v2(p_phone text, p_password text,
  p_event_id uuid, p_promoter_id uuid, p_team_id uuid default null, p_birth_date text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
  v_birth_date date := private.clean_birth_date(p_birth_date);
  v_address text := private.client_ip();
  v_link record;
  v_user private.client_users;
  v_refused boolean;
begin
  perform private.check_length('p_password', p_password, 72);
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  select * into v_user from private.client_users u where u.phone = v_phone;
  if v_user.id is null then
    perform private.check_list_open(v_link.event_id, null);
  end if;
  perform private.check_password_attempt(v_phone, v_address, v_user.id is not null);
  if not private.password_matches(p_password, v_user.password_digest) then
    return private.password_failed(v_phone, v_address, 401, 'invalid_credentials', 'Wrong phone number or password.',
      'Check both and try again.');
  end if;
  -- The number's admission lock before the account's row (password_succeeded writes it), in the
  -- order a ban or suspension takes them.
  v_refused := private.not_admitted(v_link.organization_id, v_phone);
  perform private.password_succeeded(v_phone, v_address, v_user.id);
  if v_refused then
    return private.not_admitted_error();
  end if;
  if private.given_birth_date_too_young(v_user.id, v_link.event_id, v_birth_date)
     or private.too_young(v_user.id, v_link.event_id) then
    return private.committed_error(403, 'too_young', 'This night has a minimum age, and your date of birth is under it.',
      'Ask your promoter about another night.');
  end if;
  if private.birth_date_needed(v_user.id, v_link.event_id) then
    return private.birth_date_needed_error();
  end if;
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
 * per address (`new_accounts`). A closed or full list refuses a new number at once and answers a
 * number with an account only after its password, as authenticate_and_create_guest_v2 does.
 * A number the organisation banned, or a suspended account: 403 `not_admitted` (committed), for a
 * new number after the proof of work and the address's counts, for an account after its
 * password; no account is made.
 * The night's questions (public.event_questions): each one it asks must be answered
 * (`p_birth_date` YYYY-MM-DD, `p_gender` female|male|other, `p_city`); a new account keeps the
 * answers (an existing account without a date of birth gets this one); under the night's minimum
 * age on its date: 403 `too_young`, before anything is counted.
 * Errors: invalid_phone, weak_password (a malformed string or too low a cost), invalid_first_name,
 * invalid_last_name, invalid_email, invalid_birth_date, invalid_gender, invalid_city,
 * input_too_long, proof_required, proof_invalid, proof_reused (400); too_young, not_admitted (403);
 * and those of authenticate_and_create_guest_v2.
 */
create or replace function public.register_and_create_guest_v2(p_phone text, p_first_name text, p_last_name text,
  p_email text, p_password text, p_event_id uuid, p_promoter_id uuid, p_team_id uuid default null,
  p_proof text default null, p_birth_date text default null, p_gender text default null, p_city text default null)
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
  v_birth_date date := private.clean_birth_date(p_birth_date);
  v_gender text := private.clean_gender(p_gender);
  v_city text := private.clean_city(p_city);
  v_address text := private.client_ip();
  v_link record;
  v_user_id uuid;
  v_digest bytea;
  v_new boolean := false;
  v_q jsonb;
begin
  perform private.check_password_hash(p_password);
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  v_q := private.questions_json(v_link.event_id);
  if (v_q ->> 'birth_date')::boolean and v_birth_date is null then
    perform private.fail(400, 'invalid_birth_date', 'This night asks for your date of birth.', 'Fill in the date of birth.');
  end if;
  if (v_q ->> 'gender')::boolean and v_gender is null then
    perform private.fail(400, 'invalid_gender', 'This night asks for your gender.', 'Pick one of the choices.');
  end if;
  if (v_q ->> 'city')::boolean and v_city is null then
    perform private.fail(400, 'invalid_city', 'This night asks for your city.', 'Fill in the city.');
  end if;
  if private.age_at_event(v_birth_date, v_link.event_id) < (v_q ->> 'min_age')::integer then
    perform private.fail(403, 'too_young', 'This night has a minimum age, and the date of birth is under it.',
      'Ask your promoter about another night.');
  end if;
  select u.id into v_user_id from private.client_users u where u.phone = v_phone;
  if v_user_id is null then
    perform private.check_list_open(v_link.event_id, null);
  end if;
  perform private.check_proof(p_proof, v_phone);
  if v_user_id is null then
    perform private.rate_limit('new_accounts', v_address, false);
  end if;
  perform private.check_password_attempt(v_phone, v_address, v_user_id is not null);
  if v_user_id is null and private.not_admitted(v_link.organization_id, v_phone) then
    return private.not_admitted_error();
  end if;

  if v_user_id is null then
    -- Two registrations of one new number at once: one inserts, the other finds its account.
    insert into private.client_users (phone, first_name, last_name, email, password_salt, password_digest, birth_date, gender, city)
    select v_phone, v_first_name, v_last_name, v_email, s.salt, s.digest, v_birth_date, v_gender, v_city
    from private.stored_password(p_password) s
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
    if private.not_admitted(v_link.organization_id, v_phone) then
      return private.not_admitted_error();
    end if;
  end if;
  perform private.password_succeeded(v_phone, v_address, v_user_id);
  if private.given_birth_date_too_young(v_user_id, v_link.event_id, v_birth_date)
     or private.too_young(v_user_id, v_link.event_id) then
    return private.committed_error(403, 'too_young', 'This night has a minimum age, and your date of birth is under it.',
      'Ask your promoter about another night.');
  end if;
  if private.birth_date_needed(v_user_id, v_link.event_id) then
    return private.birth_date_needed_error();
  end if;
  return private.issue_pass_committed(v_user_id, v_link.event_id, v_link.promoter_id, v_link.team_id);
end
$$;

/**
 * A returning guest with a session joins another night without a password (no bcrypt). A guest
 * already on the night's list gets their pass back even when the list is closed or full (the
 * session proves who they are, so this tells them nothing new). A number the organisation banned,
 * or a suspended account: 403 `not_admitted`. `p_birth_date` (YYYY-MM-DD) as in
 * authenticate_and_create_guest_v2: asked by 400 `birth_date_needed`, kept when the account has none.
 * Errors: invalid_session (401), input_too_long, invalid_birth_date, birth_date_needed (400),
 * not_admitted, too_young (403: the night's minimum age, by the date of birth the guest gave),
 * and the link and list errors.
 */
drop function public.join_event_with_session(text, uuid, uuid, uuid);
create function public.join_event_with_session(p_session_token text, p_event_id uuid,
  p_promoter_id uuid, p_team_id uuid default null, p_birth_date text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_client_user_id uuid;
  v_phone text;
  v_birth_date date := private.clean_birth_date(p_birth_date);
  v_link record;
begin
  perform private.check_length('p_session_token', p_session_token, 100);
  select s.client_user_id, u.phone into v_client_user_id, v_phone
  from private.guest_sessions s join private.client_users u on u.id = s.client_user_id
  where s.token_hash = private.sha256(coalesce(p_session_token, '')) and s.expires_at > now();
  if not found then
    perform private.fail(401, 'invalid_session', 'Your session has expired.',
      'Log in with your phone number and password.');
  end if;
  select * into v_link from private.guest_link(p_event_id, p_promoter_id, p_team_id);
  if private.not_admitted(v_link.organization_id, v_phone) then
    return private.not_admitted_error();
  end if;
  if private.given_birth_date_too_young(v_client_user_id, v_link.event_id, v_birth_date)
     or private.too_young(v_client_user_id, v_link.event_id) then
    perform private.fail(403, 'too_young', 'This night has a minimum age, and your date of birth is under it.',
      'Ask your promoter about another night.');
  end if;
  if private.birth_date_needed(v_client_user_id, v_link.event_id) then
    return private.birth_date_needed_error();
  end if;
  return private.issue_pass(v_client_user_id, v_link.event_id, v_link.promoter_id, v_link.team_id, p_session_token);
end
$$;

/**
 * A guest who forgot the password asks for a reset link by phone. When the account has an email
 * and is not suspended, a one-time link (valid `password_reset_minutes`) is queued in the outbox
 * for it. The answer is the same whether or not the number has an account or an email, is
 * suspended (no enumeration), and whether or not this phone's budget from this address is spent:
 * the budget (`password_resets`) is per phone and address, so that nobody can spend a guest's own.
 * The address is the guest's: the function guest-password-reset passes it (private.client_ip).
 * Errors: invalid_phone (400), rate_limited (429, `password_reset_addresses` per address).
 */
create or replace function public.request_password_reset(p_phone text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_address text := private.client_ip();
  v_phone text;
  v_user private.client_users;
  v_token text;
  v_expires timestamptz := now() + make_interval(mins => (private.setting('password_reset_minutes'))::integer);
  v_budget record;
begin
  perform private.rate_limit('password_reset_addresses', v_address);
  v_phone := private.normalize_phone(p_phone);
  select * into v_budget from private.rate_limit_add('password_resets', v_phone || ' ' || v_address);
  if v_budget.total <= v_budget.max_hits or v_budget.max_hits is null then
    select * into v_user from private.client_users u where u.phone = v_phone;
    if v_user.email is not null and not exists (select 1 from private.suspended_phones s where s.phone = v_phone) then
      v_token := private.random_token(33);
      insert into private.password_resets (token_hash, client_user_id, expires_at)
      values (private.sha256(v_token), v_user.id, v_expires);
      insert into private.outbox (kind, to_email, payload)
      values ('guest_password_reset', v_user.email,
              jsonb_build_object('first_name', v_user.first_name, 'token', v_token, 'expires_at', v_expires));
    end if;
  end if;
  return jsonb_build_object('requested', true,
    'message', 'If this number has an account with an email address, a reset link is on its way.');
end
$$;

/**
 * bcrypt(new password, a new random salt) from the phone, checked like a registration's. Every
 * session of the account ends and its failed attempts are cleared. The link proves the guest owns
 * the account's e-mail, so a lockout from wrong passwords does not stop it; a suspension does
 * (403 `not_admitted`, the link stays unused).
 * Errors: weak_password, input_too_long (400), invalid_reset_token (400: unknown, used or expired),
 * not_admitted (403).
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
  if exists (select 1 from private.client_users u join private.suspended_phones s on s.phone = u.phone
             where u.id = v_reset.client_user_id) then
    perform private.fail(403, 'not_admitted', 'This list cannot take this number.', 'Ask the organiser.');
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

-- =============================================================================================
-- Functions: owners and admins ban numbers from their organisation's nights
-- =============================================================================================

/** A ban as the caller may see it: the whole number for owners, masked for admins. */
create or replace function private.ban_json(p_ban private.organization_bans, p_owner boolean)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('id', p_ban.id,
    'phone', case when p_owner then p_ban.phone else private.mask_phone(p_ban.phone) end,
    'reason', p_ban.reason, 'created_at', p_ban.created_at,
    'banned_by', (select u.email from auth.users u where u.id = p_ban.banned_by))
$$;

/**
 * An owner or admin bans a phone number (as a person types it: private.normalize_phone) from the
 * organisation's nights, with a reason (1 to 200 characters): registration and login on its links
 * answer 403 `not_admitted`, and the number's passes for nights not ended are revoked with the
 * reason (the door shows red; a guest already in keeps the pass). Banning a banned number again
 * changes its reason (one row per number; two bans at once give one). Returns the ban (the number
 * masked for admins) and `revoked`, the passes revoked.
 * Errors: not_authenticated (401), organization_not_found (404, also for a non-member),
 * forbidden (403: staff, promoters), invalid_phone, invalid_reason (400).
 */
create or replace function public.ban_phone(p_organization_id uuid, p_phone text, p_reason text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := private.require_org_role(p_organization_id, array['owner', 'admin']);
  v_phone text := private.normalize_phone(p_phone);
  v_reason text := private.clean_text('reason', p_reason, 200);
  v_ban private.organization_bans;
  v_revoked integer;
begin
  perform private.admission_lock(v_phone, true);
  insert into private.organization_bans as b (organization_id, phone, reason, banned_by)
  values (p_organization_id, v_phone, v_reason, (select auth.uid()))
  on conflict (organization_id, phone) do update set reason = excluded.reason
  returning * into v_ban;
  v_revoked := private.revoke_number_passes(v_phone, p_organization_id, v_reason);
  return private.ban_json(v_ban, v_role = 'owner') || jsonb_build_object('revoked', v_revoked);
end
$$;

/**
 * An owner or admin lifts a ban, named by the number (`p_phone`) or by the ban's id from
 * organization_bans (`p_ban_id`: admins see numbers masked). The passes revoked by the ban stay
 * revoked; the number may join again. Returns {removed: true or false (there was no such ban)}.
 * Errors: as ban_phone; invalid_phone (400: neither given).
 */
create or replace function public.unban_phone(p_organization_id uuid, p_phone text default null, p_ban_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text;
begin
  perform private.require_org_role(p_organization_id, array['owner', 'admin']);
  if p_ban_id is null then
    v_phone := private.normalize_phone(p_phone);
  end if;
  delete from private.organization_bans b
  where b.organization_id = p_organization_id and (b.id = p_ban_id or b.phone = v_phone);
  return jsonb_build_object('removed', found);
end
$$;

/**
 * The organisation's banned numbers, newest first, for owners and admins: [{id, phone (the whole
 * number for owners, masked for admins, as export_guest_list keeps phones to owners), reason,
 * created_at, banned_by (the e-mail of who banned it)}].
 * Errors: not_authenticated (401), organization_not_found (404), forbidden (403).
 */
create or replace function public.organization_bans(p_organization_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_owner boolean := private.require_org_role(p_organization_id, array['owner', 'admin']) = 'owner';
begin
  return coalesce((select jsonb_agg(private.ban_json(b, v_owner) order by b.created_at desc, b.id)
                   from private.organization_bans b where b.organization_id = p_organization_id), '[]'::jsonb);
end
$$;

-- =============================================================================================
-- Functions: the platform operator suspends a guest account (it spans organisations)
-- =============================================================================================

/**
 * The operator (service_role) suspends the guest account of a number, with a reason: on every
 * organisation's links it may not log in, register, join with its session or use a reset link
 * (403 `not_admitted`, the ban's words), and its passes for nights not ended are revoked. The
 * account and its data stay (the guest still reads and deletes them on /me); the suspension is
 * kept by number (private.suspended_phones), so a deleted and re-created account stays suspended.
 * Suspending again changes the reason. Returns {phone, suspended_at, revoked}.
 * Errors: invalid_phone, invalid_reason (400), account_not_found (404: no account has the number).
 */
create or replace function public.suspend_guest_account(p_phone text, p_reason text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
  v_reason text := private.clean_text('reason', p_reason, 200);
  v_at timestamptz;
begin
  perform private.admission_lock(v_phone, true);
  if not exists (select 1 from private.client_users u where u.phone = v_phone) then
    perform private.fail(404, 'account_not_found', 'No guest account has this number.', 'Check the number.');
  end if;
  insert into private.suspended_phones as s (phone, reason) values (v_phone, v_reason)
  on conflict (phone) do update set reason = excluded.reason
  returning s.suspended_at into v_at;
  return jsonb_build_object('phone', v_phone, 'suspended_at', v_at,
    'revoked', private.revoke_number_passes(v_phone, null, v_reason));
end
$$;

/**
 * The operator (service_role) lifts the suspension of a number: its account may join nights
 * again; passes revoked by the suspension stay revoked. Returns {phone, reinstated: true, or false
 * when it was not suspended}. Error: invalid_phone (400).
 */
create or replace function public.reinstate_guest_account(p_phone text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
begin
  delete from private.suspended_phones s where s.phone = v_phone;
  return jsonb_build_object('phone', v_phone, 'reinstated', found);
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.admission_lock(text, boolean), private.not_admitted(uuid, text),
  private.not_admitted_error(), private.revoke_number_passes(text, uuid, text), private.mask_phone(text),
  private.birth_date_needed(uuid, uuid), private.given_birth_date_too_young(uuid, uuid, date), private.birth_date_needed_error(),
  private.ban_json(private.organization_bans, boolean)
  from public, anon, authenticated;

revoke execute on function public.authenticate_and_create_guest_v2(text, text, uuid, uuid, uuid, text),
  public.join_event_with_session(text, uuid, uuid, uuid, text),
  public.ban_phone(uuid, text, text), public.unban_phone(uuid, text, uuid), public.organization_bans(uuid),
  public.suspend_guest_account(text, text), public.reinstate_guest_account(text)
  from public, anon, authenticated;
grant execute on function public.authenticate_and_create_guest_v2(text, text, uuid, uuid, uuid, text),
  public.join_event_with_session(text, uuid, uuid, uuid, text) to anon;
grant execute on function public.ban_phone(uuid, text, text), public.unban_phone(uuid, text, uuid),
  public.organization_bans(uuid) to authenticated;
grant execute on function public.suspend_guest_account(text, text), public.reinstate_guest_account(text) to service_role;
