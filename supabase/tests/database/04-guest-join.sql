-- The three joining functions, as anon: register, log in, join with a session. Same shape,
-- idempotent, one pass per guest and event, and every rule's error code.
begin;
select plan(58);

-- Many attempts for one phone here; the per-phone limits have their own test (06).
update private.rate_limits set max_hits = 1000 where bucket in ('phone_attempts', 'login_failures');
-- Registration proofs at a low difficulty here (22-proof-of-work.sql tests the default).
update private.settings set value = '4' where key = 'pow_difficulty';
create temporary table w as select tests.world() as v;
grant select on w to anon;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon;

select tests.act_as('anon');
create temporary table proof1 as select tests.proof() as v;

-- register ---------------------------------------------------------------------------------
select is(public.check_phone_with_cache('930000001') ->> 'exists', 'false', 'before registering, the phone is unknown (and cached so)');
-- tests.result_of: should registering raise at all, the next assertion fails with the error in view.
create temporary table r1 as select tests.result_of(format($$public.register_and_create_guest_v2('+351 930 000 001', '  Mariana ', 'Sá   Nogueira',
  'Mariana@Example.COM', tests.bcrypt('Noite-2026'), %L, %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), (select v from proof1))) as v;

select is((select array_agg(k order by k) from r1, jsonb_object_keys(v) k),
  array['already_registered', 'client_user_id', 'first_name', 'guest_id', 'plus_ones', 'qr_token', 'session_expires_at',
        'session_token', 'status'],
  'register returns the shared shape');
select is((select v ->> 'already_registered' from r1), 'false', 'a new guest is not already registered');
select ok((select length(v ->> 'qr_token') >= 22 and (v ->> 'qr_token') ~ '^[A-Za-z0-9_-]+$' from r1), 'the QR token is >=128 bits, base64url');
select ok((select length(v ->> 'session_token') >= 43 from r1), 'the session token is 256 bits');
select ok((select (v ->> 'session_expires_at')::timestamptz between now() + interval '29 days' and now() + interval '31 days' from r1),
  'the session lasts 30 days');

select tests.act_as_postgres();
select is((select row(first_name, last_name, email, phone)::text from private.client_users where phone = '+351930000001'),
  row('Mariana', 'Sá Nogueira', 'mariana@example.com', '+351930000001')::text,
  'names are tidied, the email lower-cased, the phone E.164');
select ok((select u.password_salt = tests.salt() and u.password_digest = private.sha256(tests.bcrypt('Noite-2026'))
                  and position(tests.bcrypt('Noite-2026') in u::text) = 0
           from private.client_users u where phone = '+351930000001'),
  'the account keeps the salt and sha256 of the bcrypt string the phone sent, never the string itself');
select is((select token_hash from private.guest_sessions s join r1 on true where s.client_user_id = (r1.v ->> 'client_user_id')::uuid),
  (select private.sha256(v ->> 'session_token') from r1), 'only the sha256 of the session token is stored');
select is((select team_id from public.guests g join r1 on g.id = (r1.v ->> 'guest_id')::uuid), pg_temp.id('team'),
  'the guest is credited to the link''s promoter and team');
select tests.act_as('anon');

select is(public.check_phone_with_cache('930000001') ->> 'exists', 'true', 'registering updates the cache: the phone now exists');

-- the same registration again (a double tap, with the same proof) -> the same pass
create temporary table r2 as select public.register_and_create_guest_v2('930000001', 'Mariana', 'Sá Nogueira',
  'mariana@example.com', tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), (select v from proof1)) as v;
select is((select v ->> 'qr_token' from r2), (select v ->> 'qr_token' from r1), 'registering twice gives the same pass');
select is((select v ->> 'already_registered' from r2), 'true', '... marked already_registered');

select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000001', 'Mariana', 'Sá', 'm@example.com',
  tests.bcrypt('Other-2026x'), %L, %L, %L, %L)$$, pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof())), null,
  'a different password does not raise (the failure must be committed) ...');
select is(public.register_and_create_guest_v2('930000001', 'Mariana', 'Sá', 'm@example.com', tests.bcrypt('Other-2026x'),
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) ->> 'message', 'phone_already_registered',
  '... it answers phone_already_registered');
select is(current_setting('response.status', true), '409', '... with HTTP 409');

-- input rules: each a 400 with its own code, none creates a row
select is(tests.error_of(format($$select public.register_and_create_guest_v2(%L, 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, %L)$$,
  p, pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT400 invalid_phone', 'invalid phone: ' || p)
from unnest(array['12', '+351 123']) p;
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000002', 'Ana', 'Lima', 'a@example.com', %L, %L, %L, %L)$$,
  pw, pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT400 weak_password', 'weak password: ' || pw)
from unnest(array['Noite-2026', '$2a$10$short', left(tests.bcrypt('Noite-2026'), 59) || '!', tests.bcrypt('Noite-2026') || 'x']) pw;
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000002', 'Ana', 'Lima', 'a@example.com', %L, %L, %L, %L)$$,
  extensions.crypt('Noite-2026', '$2a$04$abcdefghijklmnopqrstuu'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))),
  'PT400 weak_password', 'a bcrypt string of cost 4 (below min_bcrypt_cost) is refused');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000002', %L, 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, %L)$$,
  n, pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT400 invalid_first_name', 'invalid first name: ' || n)
from unnest(array['A1', 'R2D2', repeat('a', 51), '-Ana', 'Ana--Rita']) n;
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000002', 'Ana', %L, 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, %L)$$,
  '', pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT400 invalid_last_name', 'empty last name');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000002', 'Ana', 'Lima', %L, tests.bcrypt('Noite-2026'), %L, %L, %L)$$,
  e, pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT400 invalid_email', 'invalid email: ' || coalesce(e, 'null'))
from unnest(array['no-at-sign', 'a@b', null]) e;
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000002', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, null)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'))), 'PT404 promoter_not_linked', 'a team other than the link''s');
select is(tests.error_of($$select public.register_and_create_guest_v2('930000002', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), 'not-a-uuid', null, null)$$),
  '22P02 invalid input syntax for type uuid: "not-a-uuid"', 'a malformed uuid is a 400 (22P02)');
select tests.act_as_postgres();
select is((select count(*)::int from private.client_users where phone = '+351930000002'), 0, 'no rejected registration created an account');
select tests.act_as('anon');

-- link and list rules
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000003', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, %L)$$,
  gen_random_uuid(), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT404 event_not_found', 'an unknown event is a 404');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000003', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, null)$$,
  pg_temp.id('open_event'), pg_temp.id('other_promoter'))), 'PT404 promoter_not_linked', 'a promoter without a link is a 404');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000003', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, %L)$$,
  pg_temp.id('draft_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT404 event_not_found', 'an unpublished event is a 404, even with a valid link');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000003', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, %L)$$,
  pg_temp.id('closed_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT409 guest_list_closed', 'a list past its closing time is closed');
select lives_ok(format($$select public.register_and_create_guest_v2('930000004', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, %L, %L)$$,
  pg_temp.id('small_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()), 'the last place of a capacity-1 list is taken');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('930000005', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'), %L, %L, %L)$$,
  pg_temp.id('small_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT409 guest_list_closed', 'a full list is closed');
select is(public.register_and_create_guest_v2('930000004', 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'),
  pg_temp.id('small_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) ->> 'already_registered', 'true',
  'a guest already on a full list still gets the pass back');

-- login -------------------------------------------------------------------------------------
select is(public.authenticate_and_create_guest_v2('930 000 001', tests.bcrypt('Noite-2026', '930 000 001'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')) ->> 'qr_token',
  (select v ->> 'qr_token' from r1), 'logging in for the same night gives the same pass');
select is(public.authenticate_and_create_guest_v2('930000001', tests.bcrypt('Wrong-2026x', '930000001'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')) ->> 'message',
  'invalid_credentials', 'a wrong password is invalid_credentials');
select is(current_setting('response.status', true), '401', '... HTTP 401');
select tests.act_as_postgres();
create temporary table checks_before as select coalesce(sum(hits), 0) n from private.rate_limit_counters where bucket = 'address_passwords';
select tests.act_as('anon');
select is(public.authenticate_and_create_guest_v2('939999999', tests.bcrypt('Noite-2026', '939999999'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')) ->> 'message',
  'invalid_credentials', 'an unknown phone is invalid_credentials too');
select tests.act_as_postgres();
select is((select coalesce(sum(hits), 0) from private.rate_limit_counters where bucket = 'address_passwords') - (select n from checks_before), 1::bigint,
  '... counted as a password check like a known phone''s');

-- An account made when the server ran bcrypt (as the seed made them), stored converted: the
-- phone, given its salt, computes the same bcrypt string again and logs in.
select tests.create_guest_account('+351930000009', 'Rui', 'Vaz', 'Velha-Senha-1');
create temporary table old_salt as select password_salt as v from private.client_users where phone = '+351930000009';
grant select on old_salt to anon;
select tests.act_as('anon');
select is(public.check_phone_with_cache('930000009') ->> 'salt', (select v from old_salt),
  'a converted account gives its old salt');
select ok(public.authenticate_and_create_guest_v2('930000009', tests.bcrypt('Velha-Senha-1', '930000009'), pg_temp.id('open_event'),
  pg_temp.id('promoter'), pg_temp.id('team')) ? 'qr_token', 'a converted account logs in with the bcrypt its phone computes');
select is(public.authenticate_and_create_guest_v2('930000009', tests.bcrypt('Velha-Senha-1'), pg_temp.id('open_event'),
  pg_temp.id('promoter'), pg_temp.id('team')) ->> 'message', 'invalid_credentials', 'the right password with another salt does not');

-- No function of the product runs bcrypt: the phone does (pgcrypto's crypt() appears in no body).
select tests.act_as_postgres();
select is((select array_agg(p.proname::text order by p.proname) from pg_proc p
           where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and p.prosrc ~* 'crypt\s*\('), null,
  'no function in public or private calls crypt(): no server bcrypt on any guest path');
select tests.act_as('anon');

-- session -----------------------------------------------------------------------------------
create temporary table r3 as select public.join_event_with_session((select v ->> 'session_token' from r1), pg_temp.id('open_event2'),
  pg_temp.id('promoter'), pg_temp.id('team')) as v;
select is((select v ->> 'already_registered' from r3), 'false', 'a session joins another night without a password');
select is((select v ->> 'client_user_id' from r3), (select v ->> 'client_user_id' from r1), '... as the same account');
select is((select v ->> 'session_token' from r3), (select v ->> 'session_token' from r1), '... keeping its session');
select isnt((select v ->> 'qr_token' from r3), (select v ->> 'qr_token' from r1), '... with a pass of its own');
select is(public.join_event_with_session((select v ->> 'session_token' from r1), pg_temp.id('open_event2'),
  pg_temp.id('promoter'), pg_temp.id('team')) ->> 'qr_token', (select v ->> 'qr_token' from r3), 'joining again is idempotent');
select is(tests.error_of(format($$select public.join_event_with_session(%L, %L, %L, %L)$$, 'nonsense-token',
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT401 invalid_session', 'an unknown session token is a 401');
select tests.act_as_postgres();
update private.guest_sessions set expires_at = now() - interval '1 second'
  where client_user_id = (select (v ->> 'client_user_id')::uuid from r2);
select tests.act_as('anon');
select is(tests.error_of(format($$select public.join_event_with_session(%L, %L, %L, %L)$$, (select v ->> 'session_token' from r2),
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT401 invalid_session', 'an expired session is a 401');

select * from finish();
rollback;
