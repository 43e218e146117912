-- Test helpers for the pgTAP files (applied by `npm test` before pg_prove, never in production;
-- in the spirit of supabase-test-helpers): act as a role or user, and build a small world.
create extension if not exists pgtap with schema extensions;
create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;
-- The project revokes PUBLIC's default EXECUTE; pgTAP's assertions must run under any role.
grant execute on all functions in schema extensions to anon, authenticated, service_role;

/**
 * The API's allow-list, the one list of who may call what: every function of schema `public`,
 * the role that calls it, and what it is for. `service_role` (the operator, and the edge
 * functions that act for the platform) may call every one of them; the rows for
 * `service_role` are the functions no other role may call. Checked against the database by
 * 02-security.sql (exactly these functions are executable, per role) and 28-definer-functions.sql
 * (Supabase's lints 0028/0029: the only SECURITY DEFINER functions anon/authenticated may execute),
 * and against README's "Public API" by tests/docs.test.ts. A new API function is a row here and
 * its name in README under its role.
 */
create or replace function tests.api_functions()
returns table (name text, caller text, purpose text) language sql immutable as $$
  values
    -- Guest page (anonymous): the calls of the guest flow.
    ('resolve_promoter_link', 'anon', 'event and promoter card for a link'),
    ('check_phone_with_cache', 'anon', '{exists, phone, salt} only, anti-enumeration'),
    ('authenticate_and_create_guest_v2', 'anon', 'returning guest: password, then the pass'),
    ('register_and_create_guest_v2', 'anon', 'new guest: account and pass'),
    ('join_event_with_session', 'anon', 'returning guest with a session, no password'),
    ('registration_challenge', 'anon', 'single-use proof-of-work challenge for registering'),
    ('link_questions', 'anon', 'what a night asks new guests besides their names'),
    -- A guest's own data (docs/manage.md), with their session token or a reset link's token.
    ('my_guest_data', 'anon', 'what is stored about the guest of the session'),
    ('delete_my_guest_account', 'anon', 'erase the account (past passes anonymised)'),
    ('request_password_reset', 'anon', 'queue a one-time reset link (same answer for every number)'),
    ('reset_guest_password', 'anon', 'set a new password with the link''s token'),
    ('request_pass_email', 'anon', 'queue the pass by e-mail to the account''s own address'),
    ('update_my_answers', 'anon', 'the guest''s date of birth, gender and city'),
    -- The guest's own pass on the night's list (docs/manage.md, "The list"), with their session.
    ('my_pass', 'anon', 'the pass''s status and plus-ones, through the session'),
    ('set_my_plus_ones', 'anon', 'the guest chooses their plus-ones within the night''s most'),
    -- Deployment check (docs/deploy.md): the address the database sees for the caller.
    ('client_address', 'anon', 'its own address, the header''s values, the settings'),
    -- Promoters' statistics: one open of a link's card counted, nobody's data kept.
    ('record_link_open', 'anon', 'counts an open of a promoter''s link'),
    -- Door staff and organisers (signed in), checked against organization membership inside.
    ('check_in_guest', 'authenticated', 'a scan at the door'),
    ('event_dashboard', 'authenticated', 'live totals for the organiser page'),
    ('authorize_event_broadcast', 'authenticated', 'may this user announce on the event''s channel'),
    ('send_announcement', 'authenticated', 'owner/admin: an announcement kept and broadcast to the night''s team'),
    ('latest_announcement', 'authenticated', 'the night''s latest announcement, for its team and promoters'),
    ('set_event_registration_limit', 'authenticated', 'owner/admin raises an event''s registrations per minute'),
    ('my_events', 'authenticated', 'the caller''s organizations'' events, for the staff pages'),
    -- Management (docs/manage.md): each checks the caller's role in the organisation inside.
    ('create_organization', 'authenticated', 'the caller becomes its owner'),
    ('my_organizations', 'authenticated', 'the caller''s organisations and roles'),
    ('organization_overview', 'authenticated', 'owner/admin: members, invitations, promoters, teams, events'),
    ('set_member_role', 'authenticated', 'owner/admin; the last owner stays'),
    ('remove_member', 'authenticated', 'owner/admin, or a member leaving; the last owner stays'),
    ('create_event', 'authenticated', 'owner/admin'),
    ('update_event', 'authenticated', 'owner/admin, with the version it started from'),
    ('duplicate_event', 'authenticated', 'owner/admin: last week''s night, a week later'),
    ('set_event_questions', 'authenticated', 'owner/admin: what a night asks, and its minimum age'),
    ('event_guest_stats', 'authenticated', 'members, or the night''s promoters for their guests: gender and age counts'),
    ('create_promoter', 'authenticated', 'owner/admin'),
    ('create_team', 'authenticated', 'owner/admin'),
    ('set_team_member', 'authenticated', 'owner/admin: a promoter in or out of a team, leader or not'),
    ('link_promoter', 'authenticated', 'owner/admin: a promoter''s link to a night'),
    ('unlink_promoter', 'authenticated', 'owner/admin; the guests stay'),
    ('invite_member', 'authenticated', 'owner/admin: a single-use invitation token'),
    ('revoke_invitation', 'authenticated', 'owner/admin'),
    ('accept_invitation', 'authenticated', 'the invitee, with the invited email'),
    ('export_guest_list', 'authenticated', 'owner/admin: CSV, phones for owners only'),
    ('find_guests', 'authenticated', 'door staff: look a guest up by name'),
    ('check_in_guest_by_id', 'authenticated', 'door staff: check_in_guest for a guest found by name or code'),
    ('check_out_guest', 'authenticated', 'door staff: an exit scan on a night with exit scans'),
    ('door_list', 'authenticated', 'door staff: the night''s hashed passes for offline judging'),
    ('door_sync', 'authenticated', 'door staff: scans judged offline, reconciled once per nonce'),
    ('set_door_settings', 'authenticated', 'owner/admin: exit and re-entry scans for a night'),
    ('promoter_overview', 'authenticated', 'a promoter''s own links and counts'),
    ('promoter_event_feed', 'authenticated', 'a promoter''s own (a leader: the team''s) guests of a night'),
    -- The night's list (docs/manage.md, "The list").
    ('event_list', 'authenticated', 'members: rules, quotas, totals, waiting/pending/revoked/by-hand passes'),
    ('add_guest_by_hand', 'authenticated', 'owner/admin/staff: a guest added at the door or by the organisers'),
    ('revoke_guest', 'authenticated', 'owner/admin: revoke one pass with a reason'),
    ('decide_pending_guest', 'authenticated', 'owner/admin: approve or refuse a pending pass'),
    ('set_event_list_rules', 'authenticated', 'owner/admin: plus-ones most, waiting list, approval'),
    ('set_event_quota', 'authenticated', 'owner/admin: places per promoter or team on a night'),
    -- Bans (docs/manage.md, "Bans and suspension").
    ('ban_phone', 'authenticated', 'owner/admin: a number may not join the organisation''s nights; its passes revoked'),
    ('unban_phone', 'authenticated', 'owner/admin: lift a ban'),
    ('organization_bans', 'authenticated', 'owner/admin: the banned numbers (whole for owners, masked for admins)'),
    ('ops_stats', 'authenticated', 'owner/admin: the night''s operations (service_role sees all)'),
    -- The platform only: the mail senders (edge functions send-outbox, guest-password-reset, guest-pass-email) with the service key.
    ('claim_outbox', 'service_role', 'take the next queued messages to send'),
    ('deploy_status', 'service_role', 'the pre-request hook, cron jobs and outbox, for npm run deploy:check'),
    ('complete_outbox', 'service_role', 'record a message sent, or its error'),
    -- The operator suspends a guest account on every organisation (docs/operations.md).
    ('suspend_guest_account', 'service_role', 'a guest account may join no night; its passes revoked'),
    ('reinstate_guest_account', 'service_role', 'lift a suspension')
$$;

/**
 * Creates a Supabase Auth user (password Password-1, email confirmed) and returns its id. The row
 * and its `email` identity are written the way GoTrue writes them (nil instance id, token columns
 * '' rather than NULL), so the user can sign in through a real Auth server as well as the local one.
 */
create or replace function tests.create_user(p_email text)
returns uuid language sql security definer set search_path = '' as $$
  with u as (
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
      confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
      phone_change, phone_change_token, reauthentication_token, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', p_email,
      extensions.crypt('Password-1', extensions.gen_salt('bf', 4)), now(), '', '', '', '', '', '', '', '',
      '{"provider": "email", "providers": ["email"]}', '{}', now(), now())
    returning id, email
  ), i as (
    insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
    select id::text, id, jsonb_build_object('sub', id::text, 'email', email, 'email_verified', true, 'phone_verified', false),
      'email', now(), now(), now()
    from u
  )
  select id from u
$$;

/** Acts as the signed-in user from here on in this transaction (like PostgREST with a JWT). */
create or replace function tests.authenticate_as(p_user_id uuid)
returns void language plpgsql as $$
begin
  perform set_config('request.jwt.claims', json_build_object('sub', p_user_id, 'role', 'authenticated')::text, true);
  execute 'set local role authenticated';
end $$;

/** Acts as an API role without a user: anon or service_role. */
create or replace function tests.act_as(p_role text)
returns void language plpgsql as $$
begin
  perform set_config('request.jwt.claims', json_build_object('role', p_role)::text, true);
  execute format('set local role %I', p_role);
end $$;

/** Back to the test's own session (postgres, which on Supabase is no superuser). */
create or replace function tests.act_as_postgres()
returns void language plpgsql as $$
begin
  execute 'reset role';
  perform set_config('request.jwt.claims', '', true);
end $$;

/**
 * A small world: organization A (owner, staff) with an open event, a closed event and an
 * event of capacity 1, promoter P in team T linked to all three; organization B with its own
 * staff, event and promoter. Returns the ids as jsonb.
 */
create or replace function tests.world()
returns jsonb language plpgsql as $$
declare
  w jsonb;
  org_a uuid := gen_random_uuid(); org_b uuid := gen_random_uuid();
  owner_a uuid := tests.create_user('owner-' || gen_random_uuid() || '@a.test');
  staff_a uuid := tests.create_user('staff-' || gen_random_uuid() || '@a.test');
  staff_b uuid := tests.create_user('staff-' || gen_random_uuid() || '@b.test');
  open_event uuid := gen_random_uuid(); open_event2 uuid := gen_random_uuid(); closed_event uuid := gen_random_uuid();
  small_event uuid := gen_random_uuid(); past_event uuid := gen_random_uuid(); draft_event uuid := gen_random_uuid(); event_b uuid := gen_random_uuid();
  promoter uuid := gen_random_uuid(); other_promoter uuid := gen_random_uuid(); promoter_b uuid := gen_random_uuid();
  team uuid := gen_random_uuid();
begin
  insert into public.organizations (id, name) values (org_a, 'Org A'), (org_b, 'Org B');
  insert into public.organization_members values
    (org_a, owner_a, 'owner'), (org_a, staff_a, 'staff'), (org_b, staff_b, 'staff');
  insert into public.events (id, organization_id, slug, name, starts_at, ends_at, guest_list_closes_at, capacity, is_published) values
    (open_event, org_a, 'open-' || left(open_event::text, 8), 'Open night', now() + interval '1 day', now() + interval '1 day 6 hours', now() + interval '1 day', null, true),
    (open_event2, org_a, 'open2-' || left(open_event2::text, 8), 'Second night', now() + interval '2 days', now() + interval '2 days 6 hours', now() + interval '2 days', null, true),
    (closed_event, org_a, 'closed-' || left(closed_event::text, 8), 'Closed night', now() + interval '1 day', now() + interval '1 day 6 hours', now() - interval '1 minute', null, true),
    (small_event, org_a, 'small-' || left(small_event::text, 8), 'Small night', now() + interval '1 day', now() + interval '1 day 6 hours', now() + interval '1 day', 1, true),
    (past_event, org_a, 'past-' || left(past_event::text, 8), 'Past night', now() - interval '1 day', now() - interval '1 hour', now() - interval '1 day', null, true),
    (event_b, org_b, 'b-' || left(event_b::text, 8), 'B night', now() + interval '1 day', now() + interval '1 day 6 hours', now() + interval '1 day', null, true);
  insert into public.events (id, organization_id, slug, name, starts_at, ends_at, guest_list_closes_at, is_published)
    values (draft_event, org_a, 'draft-' || left(open_event::text, 8), 'Draft', now() + interval '1 day', now() + interval '2 days', now() + interval '1 day', false);
  insert into public.promoters (id, organization_id, slug, display_name) values
    (promoter, org_a, 'p-' || left(promoter::text, 8), 'Pat Promoter'),
    (other_promoter, org_a, 'q-' || left(other_promoter::text, 8), 'Quinn Unlinked'),
    (promoter_b, org_b, 'pb-' || left(promoter_b::text, 8), 'Bea Promoter');
  insert into public.teams (id, organization_id, name) values (team, org_a, 'Team ' || left(team::text, 8));
  insert into public.team_members values (team, promoter);
  insert into public.event_promoters (event_id, promoter_id, team_id) values
    (open_event, promoter, team), (open_event2, promoter, team), (draft_event, promoter, team), (closed_event, promoter, team), (small_event, promoter, team), (past_event, promoter, team);
  insert into public.event_promoters (event_id, promoter_id) values (event_b, promoter_b);
  return jsonb_build_object('org_a', org_a, 'org_b', org_b, 'owner_a', owner_a, 'staff_a', staff_a, 'staff_b', staff_b,
    'open_event', open_event, 'open_event2', open_event2, 'closed_event', closed_event, 'small_event', small_event, 'past_event', past_event,
    'event_b', event_b, 'draft_event', draft_event, 'promoter', promoter, 'other_promoter', other_promoter, 'promoter_b', promoter_b, 'team', team,
    'promoter_slug', 'p-' || left(promoter::text, 8), 'open_slug', 'open-' || left(open_event::text, 8),
    'draft_slug', 'draft-' || left(open_event::text, 8));
end $$;

/** The SQLSTATE and message of running `p_sql`, or null when it succeeds. */
create or replace function tests.error_of(p_sql text)
returns text language plpgsql as $$
declare v_state text; v_message text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;
  -- PGRST errors carry their body as JSON in the message; report its machine code.
  if v_state = 'PGRST' then
    return v_state || ' ' || (v_message::jsonb ->> 'code') || ' ' || (v_message::jsonb ->> 'message');
  end if;
  return v_state || ' ' || v_message;
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

/**
 * The value of the query `p_sql` (one value, as jsonb), or `{"error": "<SQLSTATE> <message>"}`
 * when it raises: a call that should succeed then fails its assertion (with the error in the
 * diagnostics) instead of stopping the file.
 */
create or replace function tests.result_of(p_sql text)
returns jsonb language plpgsql as $$
declare v_result jsonb; v_state text; v_message text;
begin
  execute format('select to_jsonb((%s))', p_sql) into v_result;
  return v_result;
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;
  return jsonb_build_object('error', v_state || ' ' || v_message);
end $$;

/** The DETAIL of the error raised by `p_sql` as jsonb (PGRST errors: status and headers). */
create or replace function tests.error_detail(p_sql text)
returns jsonb language plpgsql as $$
declare v_detail text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return v_detail::jsonb;
end $$;

/** Simulates one API request's headers, as PostgREST sets them. */
create or replace function tests.set_headers(p_headers jsonb)
returns void language sql as $$
  select set_config('request.headers', p_headers::text, true) is not null and null
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

/**
 * tests.world() plus the management actors of organization A: an admin, a promoter account
 * signed in as promoter P (Pat), a team leader (promoter L, leader of team T, linked to the open
 * event for T), and an account for promoter Q (Quinn), linked to the open event without a team.
 */
create or replace function tests.manage_world()
returns jsonb language plpgsql as $$
declare
  w jsonb := tests.world();
  org_a uuid := (w ->> 'org_a')::uuid;
  admin_a uuid := tests.create_user('admin-' || gen_random_uuid() || '@a.test');
  promoter_user uuid := tests.create_user('pat-' || gen_random_uuid() || '@a.test');
  leader_user uuid := tests.create_user('lee-' || gen_random_uuid() || '@a.test');
  other_user uuid := tests.create_user('quinn-' || gen_random_uuid() || '@a.test');
  leader uuid := gen_random_uuid();
begin
  insert into public.organization_members values
    (org_a, admin_a, 'admin'), (org_a, promoter_user, 'promoter'), (org_a, leader_user, 'promoter'), (org_a, other_user, 'promoter');
  insert into public.promoters (id, organization_id, slug, display_name, user_id)
    values (leader, org_a, 'l-' || left(leader::text, 8), 'Lee Leader', leader_user);
  update public.promoters set user_id = promoter_user where id = (w ->> 'promoter')::uuid;
  update public.promoters set user_id = other_user where id = (w ->> 'other_promoter')::uuid;
  insert into public.team_members (team_id, promoter_id, is_leader) values ((w ->> 'team')::uuid, leader, true);
  insert into public.event_promoters (event_id, promoter_id, team_id) values
    ((w ->> 'open_event')::uuid, leader, (w ->> 'team')::uuid), ((w ->> 'open_event')::uuid, (w ->> 'other_promoter')::uuid, null);
  return w || jsonb_build_object('admin_a', admin_a, 'promoter_user', promoter_user, 'leader_user', leader_user,
    'other_user', other_user, 'leader', leader);
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

/**
 * A registration proof of work for register_and_create_guest_v2's p_proof: asks
 * public.registration_challenge() (as the current role) and finds the nonce in SQL. Files that
 * register many guests lower `pow_difficulty` first; 22-proof-of-work.sql keeps the default.
 */
create or replace function tests.proof()
returns text language plpgsql as $$
declare
  c jsonb := public.registration_challenge();
  n bigint := 0;
begin
  while coalesce(nullif(position('1' in right(('x' || encode(extensions.digest((c ->> 'challenge') || ':' || n, 'sha256'), 'hex'))::bit(256)::text, 256)), 0) - 1, 256)
        < (c ->> 'difficulty')::integer loop
    n := n + 1;
  end loop;
  return (c ->> 'challenge') || ':' || n;
end $$;
grant execute on function tests.proof() to anon, authenticated, service_role;

/** The salt tests register new accounts with (pgcrypto makes `$2a$` bcrypt; phones make `$2b$`). */
create or replace function tests.salt()
returns text language sql immutable as $$ select '$2a$10$abcdefghijklmnopqrstuu' $$;

/**
 * The phone's work, done here with pgcrypto: bcrypt of `p_password` with the salt of the account
 * of `p_phone` (for logging in), or with tests.salt() when the phone has no account or none is
 * given (for registering; the same string each time, as a retried registration sends).
 */
create or replace function tests.bcrypt(p_password text, p_phone text default null)
returns text language plpgsql security definer set search_path = '' as $$
declare
  v_salt text;
begin
  if p_phone is not null then
    select u.password_salt into v_salt from private.client_users u where u.phone = private.normalize_phone(p_phone);
  end if;
  return extensions.crypt(p_password, coalesce(v_salt, tests.salt()));
end $$;

/**
 * A guest account as an earlier server made it (bcrypt of `p_password` at cost 10), stored as the
 * database keeps it now: private.stored_password's salt and sha256. Returns its id.
 */
create or replace function tests.create_guest_account(p_phone text, p_first_name text default 'Ana',
  p_last_name text default 'Lima', p_password text default 'Guest-2026', p_id uuid default gen_random_uuid(),
  p_email text default null)
returns uuid language sql security definer set search_path = '' as $$
  insert into private.client_users (id, phone, first_name, last_name, email, password_salt, password_digest)
  select p_id, private.normalize_phone(p_phone), p_first_name, p_last_name, p_email, s.salt, s.digest
  from private.stored_password(extensions.crypt(p_password, extensions.gen_salt('bf', 10))) s
  returning id
$$;
grant execute on function tests.salt(), tests.bcrypt(text, text),
  tests.create_guest_account(text, text, text, text, uuid, text) to anon, authenticated, service_role;
