-- Bans and suspension: an organisation's owners and admins ban a phone number from its nights (its
-- passes for nights not ended revoked, registration, login and joining refused with 403
-- `not_admitted`); the operator (service_role) suspends a guest account everywhere; a night with a
-- minimum age asks an account with no date of birth for it. Per actor: anon, a guest, owner,
-- admin, door staff, promoter, staff of another organisation, service_role.
begin;
select plan(70);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
update private.settings set value = '4' where key = 'pow_difficulty';
create temporary table refused0 as select coalesce(sum(hits), 0) n from private.ops_counters where metric = 'rejected:not_admitted';

-- Guests with sessions 'ban-1' … 'ban-4' (password Guest-2026, no date of birth).
insert into private.guest_sessions (token_hash, client_user_id, expires_at)
select private.sha256('ban-' || i), tests.create_guest_account('93720000' || i, 'B' || i, 'Last' || i, p_email => 'ban' || i || '@example.com'),
       now() + interval '1 day'
from generate_series(1, 4) i;
/** Guest i joins a night of organisation A with the session (the pass, or {error}). */
create or replace function pg_temp.join(i int, k text default 'open_event', p_birth text default null) returns jsonb language sql as $$
  select tests.result_of(format('public.join_event_with_session(%L, %L, %L, %L, %L)', 'ban-' || i, pg_temp.id(k),
    pg_temp.id('promoter'), pg_temp.id('team'), p_birth)) $$;
/** Guest i joins organisation B's night. */
create or replace function pg_temp.join_b(i int) returns jsonb language sql as $$
  select tests.result_of(format('public.join_event_with_session(%L, %L, %L)', 'ban-' || i, pg_temp.id('event_b'), pg_temp.id('promoter_b'))) $$;
/** Guest i logs in on a night of A with a password (the answer, committed errors included). */
create or replace function pg_temp.login(i int, p_password text default 'Guest-2026', k text default 'open_event', p_birth text default null)
returns jsonb language sql as $$
  select tests.result_of(format('public.authenticate_and_create_guest_v2(%L, tests.bcrypt(%L, %L), %L, %L, %L, %L)',
    '93720000' || i, p_password, '93720000' || i, pg_temp.id(k), pg_temp.id('promoter'), pg_temp.id('team'), p_birth)) $$;
/** A registration on A's open night (the answer). */
create or replace function pg_temp.register(p_phone text, p_password text default 'Noite-2026') returns jsonb language sql as $$
  select tests.result_of(format(
    'public.register_and_create_guest_v2(%L, ''Ana'', ''Lima'', ''ana@example.com'', tests.bcrypt(%L, %L), %L, %L, %L, %L)',
    p_phone, p_password, p_phone, pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof())) $$;
/** The statuses of guest i's passes, by night key. */
create or replace function pg_temp.statuses(i int) returns jsonb language sql security definer as $$
  select jsonb_object_agg(k, g.status) from public.guests g
  join private.client_users u on u.id = g.client_user_id
  join (select key as k, value #>> '{}' as id from w, jsonb_each(v)) ids on ids.id = g.event_id::text
  where u.phone = '+35193720000' || i $$;
grant execute on function pg_temp.join(int, text, text), pg_temp.join_b(int), pg_temp.login(int, text, text, text),
  pg_temp.register(text, text), pg_temp.statuses(int) to anon, authenticated, service_role;

-- Guests 1 and 2 hold passes for A's two open nights, A's past night and B's night.
select tests.act_as('anon');
select pg_temp.join(i, k) from generate_series(1, 2) i, unnest(array['open_event', 'open_event2']) k;
select pg_temp.join_b(i) from generate_series(1, 2) i;
select tests.act_as_postgres();
insert into public.guests (event_id, client_user_id, promoter_id, team_id)
select pg_temp.id('past_event'), u.id, pg_temp.id('promoter'), pg_temp.id('team') from private.client_users u where u.phone in ('+351937200001', '+351937200002');
select is(pg_temp.statuses(1), '{"event_b": "registered", "open_event": "registered", "past_event": "registered", "open_event2": "registered"}'::jsonb,
  'guest 1 holds four passes');

-- who may ban ----------------------------------------------------------------------------------
select tests.act_as('anon');
select is(tests.error_of(format('select public.ban_phone(%L, %L, %L)', pg_temp.id('org_a'), '937200001', 'x')),
  '42501 permission denied for function ban_phone', 'anon may not ban');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.ban_phone(%L, %L, %L)', pg_temp.id('org_a'), '937200001', 'x')),
  'PT403 forbidden', 'door staff may not ban');
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of(format('select public.ban_phone(%L, %L, %L)', pg_temp.id('org_a'), '937200001', 'x')),
  'PT403 forbidden', 'a promoter may not ban');
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.ban_phone(%L, %L, %L)', pg_temp.id('org_a'), '937200001', 'x')),
  'PT404 organization_not_found', 'another organisation does not even see the organisation');
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of(format('select public.ban_phone(%L, %L, %L)', pg_temp.id('org_a'), '937200001', '  ')),
  'PT400 invalid_reason', 'a ban needs a reason');
select is(tests.error_of(format('select public.ban_phone(%L, %L, %L)', pg_temp.id('org_a'), '12', 'x')),
  'PT400 invalid_phone', '... and a phone number');

-- the owner bans guest 1 ------------------------------------------------------------------------
create temporary table ban1 as select public.ban_phone(pg_temp.id('org_a'), '937 200 001', 'Fight at the door') as v;
select is((select v - 'id' - 'created_at' - 'banned_by' from ban1),
  '{"phone": "+351937200001", "reason": "Fight at the door", "revoked": 2}'::jsonb, 'the owner bans a number as typed; two passes revoked');
select tests.act_as_postgres();
select is((select v ->> 'banned_by' from ban1), (select email from auth.users where id = pg_temp.id('owner_a'))::text, '... and who banned it is kept');
select is(pg_temp.statuses(1), '{"event_b": "registered", "open_event": "revoked", "past_event": "registered", "open_event2": "revoked"}'::jsonb,
  '... the passes for the organisation''s nights not ended; not a past night''s, not another organisation''s');
select is((select array_agg(distinct g.revoked_reason) from public.guests g join private.client_users u on u.id = g.client_user_id
           where u.phone = '+351937200001' and g.status = 'revoked'), array['Fight at the door'],
  '... each with the reason, as revoke_guest records it');
create temporary table qr as select g.qr_token from public.guests g
  join private.client_users u on u.id = g.client_user_id where u.phone = '+351937200001' and g.event_id = pg_temp.id('open_event');
grant select on qr to authenticated;
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.check_in_guest(pg_temp.id('open_event'), (select qr_token from qr), 'ban-door-000001') ->> 'verdict', 'not_admitted', 'the door shows red');

select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.ban_phone(pg_temp.id('org_a'), '+351937200001', 'Again') ->> 'phone', '+351••••••001',
  'an admin bans the same number again: the answer masks the number');
select tests.act_as_postgres();
select is((select count(*)::int from private.organization_bans where phone = '+351937200001'), 1, '... still one ban for the number');
select is((select reason from private.organization_bans where phone = '+351937200001'), 'Again', '... with the newer reason');

-- the list ---------------------------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.organization_bans(pg_temp.id('org_a')) -> 0 ->> 'phone', '+351937200001', 'the owner sees the whole number');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.organization_bans(pg_temp.id('org_a')) -> 0 ->> 'phone', '+351••••••001', 'an admin sees it masked');
select is(public.organization_bans(pg_temp.id('org_a')) -> 0 ->> 'reason', 'Again', '... and the reason');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.organization_bans(%L)', pg_temp.id('org_a'))), 'PT403 forbidden', 'door staff may not list them');
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of(format('select public.organization_bans(%L)', pg_temp.id('org_a'))), 'PT403 forbidden', 'nor a promoter');
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.organization_bans(%L)', pg_temp.id('org_a'))), 'PT404 organization_not_found',
  'nor another organisation');
select tests.act_as('anon');
select is(tests.error_of(format('select public.organization_bans(%L)', pg_temp.id('org_a'))),
  '42501 permission denied for function organization_bans', 'anon may not list them');

-- the banned guest -------------------------------------------------------------------------------
select tests.act_as('anon');
select set_config('request.headers', '{"x-forwarded-for": "198.51.100.72"}', true);
select is(pg_temp.login(1) ->> 'message', 'not_admitted', 'logging in on the organisation''s link: not admitted');
select is(current_setting('response.status', true), '403', '... 403, committed after the password');
select is(pg_temp.login(1) ->> 'details', 'This list cannot take this number.', '... in words that do not say why');
select is(pg_temp.login(1, 'Wrong-2026') ->> 'message', 'invalid_credentials', 'without the password, nothing is told about the ban');
select is(pg_temp.join(1) -> 'message', '"not_admitted"', 'joining with the session: not admitted');
select ok(pg_temp.join_b(1) ? 'qr_token', 'another organisation''s night is unaffected');
select is(pg_temp.register('937200001') ->> 'message', 'phone_already_registered', 'registering the number with another password: as before');
select is(pg_temp.register('937200001', 'Guest-2026') ->> 'message', 'not_admitted', '... with its password: not admitted');
select is(public.check_phone_with_cache('937200001') - 'salt', '{"exists": true, "phone": "+351937200001"}'::jsonb,
  'the phone check says what it says of any number');

select tests.act_as_postgres();
select tests.create_guest_account('937200008') is not null;
create temporary table reads0 as select coalesce(sum(seq_scan + idx_scan), 0) n from pg_stat_xact_user_tables
  where schemaname = 'private' and relname = 'client_users';
select is(public.check_phone_with_cache('937200008') ->> 'exists', 'true', 'a number with an account, not yet cached');
select is((select sum(seq_scan + idx_scan) from pg_stat_xact_user_tables where schemaname = 'private' and relname = 'client_users')
          - (select n from reads0), 1::numeric, '... is read from the accounts once');

-- a number with no account ----------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.ban_phone(pg_temp.id('org_a'), '937200009', 'Known troublemaker') ->> 'revoked', '0', 'a number with no account can be banned');
select tests.act_as('anon');
select is(pg_temp.register('937200009') ->> 'message', 'not_admitted', 'registering it: not admitted');
select tests.act_as_postgres();
select is((select count(*)::int from private.client_users where phone = '+351937200009'), 0, '... and no account is made');
select ok((select coalesce(sum(hits), 0) from private.ops_counters where metric = 'rejected:not_admitted') > (select n from refused0),
  'the refusals are counted like others');

-- by hand: the staff cannot give a banned number a pass either ------------------------------------
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.add_guest_by_hand(%L, %L, %L, %L, %L)', pg_temp.id('open_event'), 'Known Troublemaker',
  '937200009', pg_temp.id('promoter'), 'door')), 'PT409 phone_banned', 'door staff adding a banned number by hand are told it is banned');
select is(tests.error_of(format('select public.add_guest_by_hand(%L, %L, %L, %L, %L)', pg_temp.id('open_event'), 'Known Troublemaker',
  '+351 937 200 009', pg_temp.id('promoter'), 'vip')), 'PT409 phone_banned', '... however the number is written');
select is(public.add_guest_by_hand(pg_temp.id('open_event'), 'Somebody Else', '937200010', pg_temp.id('promoter'), 'door') ->> 'status',
  'registered', '... while another number is added');

-- unbanning -------------------------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.unban_phone(%L, %L)', pg_temp.id('org_a'), '937200001')), 'PT403 forbidden',
  'door staff may not unban');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.unban_phone(pg_temp.id('org_a'), p_ban_id => (select (e ->> 'id')::uuid from jsonb_array_elements(public.organization_bans(pg_temp.id('org_a'))) e
                                             where e ->> 'phone' like '%001')),
  '{"removed": true}'::jsonb, 'an admin unbans by the ban''s id (the number is masked for them)');
select is(public.unban_phone(pg_temp.id('org_a'), '937200009'), '{"removed": true}'::jsonb, '... or by the number');
select is(jsonb_array_length(public.organization_bans(pg_temp.id('org_a'))), 0, 'the list is empty');
select tests.act_as('anon');
select is(pg_temp.join(1) ->> 'status', 'revoked', 'the guest may join again; the revoked pass stays revoked');

-- suspension (the operator) ----------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of($$select public.suspend_guest_account('937200002', 'Fraud')$$),
  '42501 permission denied for function suspend_guest_account', 'an owner may not suspend an account (it spans organisations)');
select tests.act_as('anon');
select is(tests.error_of($$select public.suspend_guest_account('937200002', 'Fraud')$$),
  '42501 permission denied for function suspend_guest_account', 'nor anon');
-- A reset link asked before the suspension.
select public.request_password_reset('937200002') is not null;
select tests.act_as('service_role');
select is(tests.error_of($$select public.suspend_guest_account('937209999', 'Fraud')$$), 'PT404 account_not_found',
  'the operator suspends an account that exists');
select is(public.suspend_guest_account('937200002', 'Fraud') ->> 'revoked', '3',
  'the operator suspends guest 2: the passes for nights not ended are revoked in every organisation');
select tests.act_as_postgres();
select is(pg_temp.statuses(2), '{"event_b": "revoked", "open_event": "revoked", "past_event": "registered", "open_event2": "revoked"}'::jsonb,
  '... not a past night''s');
select tests.act_as('anon');
select is(pg_temp.login(2) ->> 'message', 'not_admitted', 'the suspended account may not log in (the ban''s answer)');
select is(pg_temp.join_b(2) ->> 'message', 'not_admitted', '... nor join with its session anywhere');
select is(pg_temp.register('937200002', 'Guest-2026') ->> 'message', 'not_admitted', '... nor register again');
select is(public.request_password_reset('937200002') ->> 'requested', 'true', 'a reset asked for it is answered as for any number');
select tests.act_as_postgres();
select is((select count(*)::int from private.outbox where to_email = 'ban2@example.com'), 1, '... but no new link is sent');
create temporary table link as select payload ->> 'token' as token from private.outbox where to_email = 'ban2@example.com';
grant select on link to anon;
select tests.act_as('anon');
select is(tests.error_of(format('select public.reset_guest_password(%L, tests.bcrypt(%L))', (select token from link), 'Nova-2026')),
  'PT403 not_admitted', 'a link sent before the suspension does not work');
select tests.act_as('service_role');
select is(public.reinstate_guest_account('937200002'), '{"phone": "+351937200002", "reinstated": true}'::jsonb, 'the operator reinstates it');
select tests.act_as('anon');
select is(pg_temp.login(2) ->> 'status', 'revoked', 'it logs in again; the revoked passes stay revoked');

-- a suspension outlives the account ------------------------------------------------------------
select tests.act_as_postgres();
insert into private.guest_sessions (token_hash, client_user_id, expires_at)
values (private.sha256('ban-6'), tests.create_guest_account('937200006'), now() + interval '1 day');
select tests.act_as('service_role');
select is(public.suspend_guest_account('937200006', 'Fraud') ->> 'revoked', '0', 'the operator suspends another account');
select tests.act_as('anon');
select public.delete_my_guest_account('ban-6') is not null;
select is(pg_temp.register('937200006') ->> 'message', 'not_admitted',
  'the guest deletes the account and registers the number again: still not admitted');
select tests.act_as_postgres();
select is((select count(*)::int from private.client_users where phone = '+351937200006'), 0, '... and no account is made');

-- a minimum age and an unknown date of birth -------------------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
select public.set_event_questions(pg_temp.id('open_event2'), true, 18, false, false) is not null;
select tests.act_as('anon');
select is(pg_temp.join(3, 'open_event2') ->> 'message', 'birth_date_needed',
  'an account with no date of birth joining an 18+ night is asked for it');
select is(current_setting('response.status', true), '400', '... 400');
select is(pg_temp.join(3, 'open_event2', '2015-01-01') ->> 'error', 'PT403 too_young', 'given, and under the age: too young');
select tests.act_as_postgres();
select is((select birth_date from private.client_users where phone = '+351937200003'), null,
  '... and the date is not kept, so a mistyped year can be corrected');
select tests.act_as('anon');
select ok(pg_temp.join(3, 'open_event2', '2000-01-01') ? 'qr_token', 'the corrected date: the pass');
select is(pg_temp.login(4, 'Guest-2026', 'open_event2') ->> 'message', 'birth_date_needed', 'logging in: asked after the password');
select ok(pg_temp.login(4, 'Guest-2026', 'open_event2', '1990-03-04') ? 'qr_token', 'given, and old enough: the pass');
select tests.act_as_postgres();
select is((select birth_date::text from private.client_users where phone = '+351937200004'), '1990-03-04', '... and the account keeps it');
select tests.act_as('anon');
select ok(pg_temp.join(4, 'open_event2', '2015-01-01') ? 'qr_token', 'a known date of birth is never replaced (the pass is back)');

select * from finish();
rollback;
