-- Guests' own data (GDPR): with their session a guest sees what is stored about them and deletes
-- their account; accounts unused for a configurable period are anonymised by pg_cron; a guest
-- who forgot the password gets a one-time link by email, through an outbox that an edge
-- function (guest-password-reset) sends.
-- Deleting an account keeps the passes of nights that are over, without a person behind them,
-- so the organisers' counts stay right.

-- =============================================================================================
-- Tables
-- =============================================================================================

/** One-time password reset links; only sha256 of the token is kept. */
create table private.password_resets (
  id uuid primary key default gen_random_uuid(),
  token_hash bytea not null unique,
  client_user_id uuid not null references private.client_users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index password_resets_client_user_id_idx on private.password_resets (client_user_id);
create index password_resets_expires_at_idx on private.password_resets (expires_at);
alter table private.password_resets enable row level security;
create policy "Password resets are never read through the API" on private.password_resets
  as restrictive for all to anon, authenticated using (false) with check (false);

/**
 * Emails waiting to be sent (transactional outbox): written in the same transaction as the
 * change that causes them, sent by an edge function with the service role. The secret in
 * `payload` is removed once the message is sent.
 */
create table private.outbox (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('guest_password_reset')),
  to_email text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  locked_until timestamptz,
  last_error text,
  sent_at timestamptz
);
create index outbox_pending_idx on private.outbox (id) where sent_at is null;
alter table private.outbox enable row level security;
create policy "The outbox is never read through the API" on private.outbox
  as restrictive for all to anon, authenticated using (false) with check (false);

insert into private.settings (key, value, description) values
  ('guest_data_retention_months', '24', 'Guests who have not used the service for this many months are anonymised.'),
  ('password_reset_minutes', '60', 'How long a guest''s password reset link stays valid.')
on conflict (key) do nothing;

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('password_resets', 3, 900, 'Password reset emails per phone number.')
on conflict do nothing;

-- =============================================================================================
-- Internal functions
-- =============================================================================================

/** The account of a valid session, or 401 `invalid_session`. */
create or replace function private.session_user_id(p_session_token text)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  perform private.check_length('p_session_token', p_session_token, 100);
  select s.client_user_id into v_id from private.guest_sessions s
  where s.token_hash = private.sha256(coalesce(p_session_token, '')) and s.expires_at > now();
  if v_id is null then
    perform private.fail(401, 'invalid_session', 'Your session has expired.', 'Log in with your phone number and password.');
  end if;
  return v_id;
end
$$;

/**
 * Erases a guest account: passes for nights not over yet are deleted; passes of past nights stay
 * without a person (client_user_id set null by the foreign key), so counts stay right; sessions
 * and reset links go with the account; the phone lookup cache forgets the number.
 */
create or replace function private.erase_client_user(p_client_user_id uuid, out passes_deleted integer, out passes_anonymised integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text;
begin
  delete from public.guests g using public.events e
  where g.client_user_id = p_client_user_id and e.id = g.event_id and e.ends_at > now();
  get diagnostics passes_deleted = row_count;
  select count(*) into passes_anonymised from public.guests g where g.client_user_id = p_client_user_id;
  delete from private.client_users u where u.id = p_client_user_id returning u.phone into v_phone;
  if v_phone is not null then
    perform private.cache_phone(v_phone, false);
  end if;
end
$$;

/**
 * pg_cron (daily): anonymises the accounts of guests who have not used the service for
 * `guest_data_retention_months` (no registration, login, pass or session since). Returns how
 * many accounts were erased. Also drops used or expired reset links and sent emails.
 */
create or replace function private.anonymise_inactive_guests()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_cutoff timestamptz := now() - make_interval(months => (private.setting('guest_data_retention_months'))::integer);
  v_id uuid;
  v_count integer := 0;
begin
  for v_id in
    select u.id from private.client_users u
    where greatest(u.created_at, u.last_login_at) < v_cutoff
      and not exists (select 1 from public.guests g where g.client_user_id = u.id and g.created_at >= v_cutoff)
      and not exists (select 1 from private.guest_sessions s where s.client_user_id = u.id and s.created_at >= v_cutoff)
  loop
    perform private.erase_client_user(v_id);
    v_count := v_count + 1;
  end loop;
  delete from private.password_resets r where r.used_at is not null or r.expires_at <= now();
  delete from private.outbox o where o.sent_at < now() - interval '7 days';
  return v_count;
end
$$;

-- =============================================================================================
-- Public functions (anonymous guests)
-- =============================================================================================

/**
 * Everything stored about the guest of this session: the account (phone, names, email, dates)
 * and every pass (night, promoter, status, times). Error: invalid_session (401).
 */
create or replace function public.my_guest_data(p_session_token text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_id uuid := private.session_user_id(p_session_token);
begin
  return jsonb_build_object(
    'account', (select jsonb_build_object('phone', u.phone, 'first_name', u.first_name, 'last_name', u.last_name,
                  'email', u.email, 'created_at', u.created_at, 'last_login_at', u.last_login_at)
                from private.client_users u where u.id = v_id),
    'passes', coalesce((
      select jsonb_agg(jsonb_build_object('event', jsonb_build_object('name', e.name, 'venue', e.venue,
               'starts_at', e.starts_at, 'ends_at', e.ends_at), 'organization', o.name, 'promoter', p.display_name,
               'status', g.status, 'registered_at', g.created_at, 'checked_in_at', g.checked_in_at) order by e.starts_at desc)
      from public.guests g
      join public.events e on e.id = g.event_id
      join public.organizations o on o.id = e.organization_id
      join public.promoters p on p.id = g.promoter_id
      where g.client_user_id = v_id), '[]'::jsonb),
    'sessions', (select count(*) from private.guest_sessions s where s.client_user_id = v_id and s.expires_at > now()));
end
$$;

/**
 * Deletes the guest's account (and so every session): passes for nights to come are deleted,
 * passes of past nights are kept without name, phone or email. Error: invalid_session (401).
 */
create or replace function public.delete_my_guest_account(p_session_token text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
begin
  select * into r from private.erase_client_user(private.session_user_id(p_session_token));
  return jsonb_build_object('deleted', true, 'passes_deleted', r.passes_deleted, 'passes_anonymised', r.passes_anonymised);
end
$$;

/**
 * A guest who forgot the password asks for a reset link by phone. When the account has an email,
 * a one-time link (valid `password_reset_minutes`) is queued in the outbox for it. The answer is
 * the same whether or not the number has an account or an email (no enumeration).
 * Errors: invalid_phone (400), rate_limited (429, 3 per phone per 15 minutes).
 */
create or replace function public.request_password_reset(p_phone text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone text := private.normalize_phone(p_phone);
  v_user private.client_users;
  v_token text;
  v_expires timestamptz := now() + make_interval(mins => (private.setting('password_reset_minutes'))::integer);
begin
  perform private.rate_limit('password_resets', v_phone);
  select * into v_user from private.client_users u where u.phone = v_phone;
  if v_user.email is not null then
    v_token := private.random_token(33);
    insert into private.password_resets (token_hash, client_user_id, expires_at)
    values (private.sha256(v_token), v_user.id, v_expires);
    insert into private.outbox (kind, to_email, payload)
    values ('guest_password_reset', v_user.email,
            jsonb_build_object('first_name', v_user.first_name, 'token', v_token, 'expires_at', v_expires));
  end if;
  return jsonb_build_object('requested', true,
    'message', 'If this number has an account with an email address, a reset link is on its way.');
end
$$;

/**
 * Sets a new password with a reset link's token (single use, unexpired): every session of the
 * account ends and this address's failed attempts for the phone are cleared. The bcrypt goes
 * through the fair line like a login (429 `busy` with Retry-After: repeat the same call, the
 * token stays valid). Errors: weak_password, password_too_long, input_too_long (400),
 * invalid_reset_token (400: unknown, used or expired), busy and the password limits (429).
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
  v_address text := private.client_ip();
  v_busy jsonb;
begin
  perform private.check_length('p_token', p_token, 100);
  perform private.check_password(p_password);
  -- The row lock makes the token single use even when the link is opened twice at once.
  select * into v_reset from private.password_resets r
  where r.token_hash = private.sha256(coalesce(p_token, '')) and r.used_at is null and r.expires_at > now()
  for update;
  if not found then
    perform private.fail(400, 'invalid_reset_token', 'This reset link is not valid any more.',
      'Ask for a new link: each one works once, for an hour.');
  end if;
  select u.phone into v_phone from private.client_users u where u.id = v_reset.client_user_id;
  perform private.check_password_attempt(v_phone, v_address, true);
  v_busy := private.admit_password_attempt(v_phone, v_address);
  if v_busy is not null then
    return v_busy;
  end if;
  update private.client_users u set password_hash = extensions.crypt(p_password, extensions.gen_salt('bf', 10))
  where u.id = v_reset.client_user_id;
  perform private.record_bcrypt();
  update private.password_resets r set used_at = now() where r.id = v_reset.id;
  delete from private.guest_sessions s where s.client_user_id = v_reset.client_user_id;
  perform private.password_succeeded(v_phone, v_address, v_reset.client_user_id);
  return jsonb_build_object('reset', true);
end
$$;

-- =============================================================================================
-- Public functions (the sender, with the service role)
-- =============================================================================================

/**
 * Takes up to `p_limit` unsent emails for two minutes (others running at once take others:
 * SKIP LOCKED), for the sending edge function. Messages that failed five times stay for a person.
 */
create or replace function public.claim_outbox(p_limit integer default 10)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  with claimed as (
    update private.outbox o set attempts = o.attempts + 1, locked_until = now() + interval '2 minutes'
    where o.id in (select x.id from private.outbox x
                   where x.sent_at is null and x.attempts < 5 and (x.locked_until is null or x.locked_until < now())
                   order by x.id limit least(greatest(coalesce(p_limit, 10), 1), 100) for update skip locked)
    returning o.id, o.kind, o.to_email, o.payload)
  select coalesce(jsonb_agg(to_jsonb(c) order by c.id), '[]'::jsonb) from claimed c
$$;

/** Records the outcome of sending one email: sent (its secret is dropped) or the error (retried later). */
create or replace function public.complete_outbox(p_id bigint, p_error text default null)
returns void
language sql
security definer
set search_path = ''
as $$
  update private.outbox o set
    sent_at = case when p_error is null then now() end,
    payload = case when p_error is null then o.payload - 'token' else o.payload end,
    last_error = left(p_error, 500),
    locked_until = case when p_error is null then null else now() + make_interval(mins => o.attempts * 5) end
  where o.id = p_id
$$;

-- =============================================================================================
-- Jobs
-- =============================================================================================

select cron.schedule('anonymise-inactive-guests', '23 3 * * *', 'select private.anonymise_inactive_guests()');

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.session_user_id(text), private.erase_client_user(uuid),
  private.anonymise_inactive_guests() from public, anon, authenticated;
revoke execute on function public.my_guest_data(text), public.delete_my_guest_account(text),
  public.request_password_reset(text), public.reset_guest_password(text, text),
  public.claim_outbox(integer), public.complete_outbox(bigint, text)
  from public, anon, authenticated;
grant execute on function public.my_guest_data(text), public.delete_my_guest_account(text),
  public.request_password_reset(text), public.reset_guest_password(text, text) to anon;
grant execute on function public.claim_outbox(integer), public.complete_outbox(bigint, text) to service_role;
