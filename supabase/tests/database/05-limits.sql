-- Rate limits and back-off, with the default numbers (nobody raised them here).
begin;
select plan(44);

create temporary table w as select tests.world() as v;
grant select on w to anon;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon;
-- Registration proofs at a low difficulty here (22-proof-of-work.sql tests the default).
update private.settings set value = '4' where key = 'pow_difficulty';

/** A call's outcome as one word: 'pass', or the machine code it answered or raised. */
create or replace function pg_temp.outcome(p_sql text, p_ip text) returns text language plpgsql as $$
declare r jsonb;
begin
  perform set_config('request.headers', jsonb_build_object('x-forwarded-for', p_ip)::text, true);
  execute p_sql into r;
  return case when r ? 'qr_token' then 'pass' else r ->> 'message' end;
exception when sqlstate 'PGRST' then
  return sqlerrm::jsonb ->> 'message';
when others then
  return sqlerrm;
end $$;
create or replace function pg_temp.login(p_phone text, p_password text, p_ip text) returns text language sql as $$
  select pg_temp.outcome(format('select public.authenticate_and_create_guest_v2(%L, tests.bcrypt(%L, %L), %L, %L, %L)', p_phone, p_password, p_phone,
    pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')), p_ip)
$$;
create or replace function pg_temp.register(p_phone text, p_event text, p_ip text) returns text language sql as $$
  select pg_temp.outcome(format('select public.register_and_create_guest_v2(%L, ''Ana'', ''Lima'', ''a@example.com'', tests.bcrypt(''Noite-2026''), %L, %L, %L, %L)',
    p_phone, pg_temp.id(p_event), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()), p_ip)
$$;
grant execute on function pg_temp.outcome(text, text), pg_temp.login(text, text, text), pg_temp.register(text, text, text) to anon;

select is((select row(max_hits, window_seconds)::text from private.rate_limits where bucket = b and subject = '*'), expected,
  'default limit for ' || b)
from (values ('ip', '(3000,60)'), ('user', '(1200,60)'), ('phone_attempts', '(5,60)'), ('address_passwords', '(1000,60)'),
             ('login_failures', '(5,900)'), ('phone_failures', '(20,900)'), ('new_accounts', '(1000,3600)'),
             ('event_registrations', '(1000,60)')) d(b, expected);
select is((select array_agg(bucket::text order by bucket) from private.rate_limits where answer = 'busy'), array['event_registrations'],
  'only the event''s pace answers busy (the client waits and repeats); every other limit answers rate_limited');

-- per IP, in the request hook ------------------------------------------------------------------
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "198.51.100.7"}');
select is((select count(*)::int from generate_series(1, 3000) where tests.error_of('select private.check_request()') is null), 3000,
  '3000 anonymous calls a minute from one address pass (a thousand phones behind one carrier NAT)');
select is(tests.error_of('select private.check_request()'), 'PGRST PT429 rate_limited', 'the 3001st is refused');
select is(tests.error_detail('select private.check_request()'), ('{"status": 429, "headers": {"Retry-After": "' ||
  (ceil(extract(epoch from date_bin('60 seconds', now(), 'epoch') + interval '60 seconds' - now())))::int || '"}}')::jsonb,
  '... with 429 and Retry-After until the window ends');
-- Which header value is the address (the client_ip settings): 50-client-ip.sql.
select tests.act_as_postgres();
insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('ip', '198.51.100.7', 5000, 60);
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "198.51.100.7"}');
select is(tests.error_of('select private.check_request()'), null, 'one address (a carrier NAT) can be given a higher limit');
select tests.act_as_postgres();

select tests.authenticate_as(pg_temp.id('staff_a'));
select tests.set_headers('{"x-forwarded-for": "198.51.100.99"}');
select is((select count(*)::int from generate_series(1, 150) where tests.error_of('select private.check_request()') is null), 150,
  'signed-in staff are not counted against the anonymous limit');
select tests.act_as_postgres();
select is((select count(*)::int from private.rate_limit_counters where key_hash in (convert_to('198.51.100.7', 'utf8'))), 0,
  'counters keep no IP address or phone in clear');

-- per signed-in user, in the request hook -------------------------------------------------------
update private.rate_limits set max_hits = 3 where bucket = 'user' and subject = '*';
select tests.authenticate_as(pg_temp.id('owner_a'));
select is((select count(*)::int from generate_series(1, 3) where tests.error_of('select private.check_request()') is null), 3,
  'a signed-in user''s calls pass within their own limit');
select is(tests.error_of('select private.check_request()'), 'PGRST PT429 rate_limited', '... and past it are refused: staff calls have a limit too');
select tests.act_as('service_role');
select is((select count(*)::int from generate_series(1, 10) where tests.error_of('select private.check_request()') is null), 10,
  'service_role is not counted');
select tests.act_as_postgres();
update private.rate_limits set max_hits = 1200 where bucket = 'user' and subject = '*';

-- per phone and address: attempts and back-off (never a lockout of the owner) ----------------------
insert into private.client_users (phone, first_name, last_name, password_salt, password_digest)
values ('+351931111111', 'Lia', 'Reis', tests.salt(), private.sha256(tests.bcrypt('Right-2026'))),
       ('+351932222222', 'Rita', 'Lobo', tests.salt(), private.sha256(tests.bcrypt('Right-2026'))),
       ('+351933333333', 'Tó', 'Cruz', tests.salt(), private.sha256(tests.bcrypt('Right-2026'))),
       ('+351937777777', 'Vera', 'Paz', tests.salt(), private.sha256(tests.bcrypt('Right-2026')));
select tests.act_as('anon');
select is((select count(*)::int from generate_series(1, 5) where pg_temp.login('931111111', 'Wrong-2026', '198.51.100.1') = 'invalid_credentials'), 5,
  'five wrong passwords from one address are five invalid_credentials');
select is(pg_temp.login('931111111', 'Right-2026', '198.51.100.1'), 'account_locked',
  'then that address is locked out of the phone, even with the right password');
select ok((tests.error_detail(format($$select public.authenticate_and_create_guest_v2('931111111', tests.bcrypt('Right-2026', '931111111'), %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))) #>> '{headers,Retry-After}')::int between 1 and 900,
  '... for up to 15 minutes, said in Retry-After');
select is(pg_temp.login('931111111', 'Right-2026', '203.0.113.50'), 'pass',
  'the owner at another address still gets in: the attacker cannot lock them out');
select tests.act_as_postgres();
update private.rate_limits set max_hits = 100 where bucket = 'phone_attempts';
select tests.act_as('anon');
select is((select count(*)::int from generate_series(1, 6) where pg_temp.login('939990000', 'Wrong-2026', '198.51.100.1') = 'invalid_credentials'), 6,
  'wrong passwords for a number with no account ...');
select is(pg_temp.register('939990000', 'open_event', '198.51.100.1'), 'pass', '... never lock it: it can still be registered');
select tests.act_as_postgres();
update private.rate_limits set max_hits = 5 where bucket = 'phone_attempts';
select tests.act_as('anon');

select tests.act_as_postgres();
update private.rate_limits set max_hits = 6 where bucket = 'phone_failures' and subject = '*';
select tests.act_as('anon');
select is((select count(*)::int from generate_series(1, 5) where pg_temp.login('937777777', 'Wrong-2026', '198.51.100.1') = 'invalid_credentials')
          + (select count(*)::int from generate_series(1, 1) where pg_temp.login('937777777', 'Wrong-2026', '198.51.100.3') = 'invalid_credentials'), 6,
  'guesses from several addresses add up for the phone');
select is(pg_temp.login('937777777', 'Right-2026', '198.51.100.3'), 'account_locked',
  'past phone_failures, every address that failed once is locked out');
select is(pg_temp.login('937777777', 'Right-2026', '198.51.100.4'), 'pass', '... but one that never failed (the owner) is not');
select tests.act_as_postgres();
update private.rate_limits set max_hits = 20 where bucket = 'phone_failures' and subject = '*';

select tests.act_as('anon');
select is((select count(*)::int from generate_series(1, 5) where pg_temp.login('932222222', 'Right-2026', '198.51.100.5') = 'pass'), 5,
  'five logins a minute for one phone from one address pass');
select is(pg_temp.login('932222222', 'Right-2026', '198.51.100.5'), 'rate_limited', 'the sixth is rate limited');
select is(pg_temp.login('932222222', 'Right-2026', '198.51.100.6'), 'pass', '... at that address only');

-- A success clears the address's failures.
select tests.act_as_postgres();
update private.rate_limits set max_hits = 100 where bucket = 'phone_attempts';
select tests.act_as('anon');
select pg_temp.login('933333333', 'Wrong-2026', '198.51.100.7') from generate_series(1, 4);
select pg_temp.login('933333333', 'Right-2026', '198.51.100.7');
select pg_temp.login('933333333', 'Wrong-2026', '198.51.100.7') from generate_series(1, 4);
select is(pg_temp.login('933333333', 'Right-2026', '198.51.100.7'), 'pass',
  'a correct password resets the failure count (4 + 4 failures do not lock)');
select tests.act_as_postgres();
update private.rate_limits set max_hits = 5 where bucket = 'phone_attempts';

-- refusals come before any account is made, or are committed after the password check ---------
select tests.act_as('anon');
select is((select count(*)::int from generate_series(1, 5) i where pg_temp.register('93400000' || i, 'closed_event', '198.51.100.8') = 'guest_list_closed'),
  5, 'registrations on a closed list are refused ...');
select is(pg_temp.register('934000009', 'small_event', '198.51.100.8'), 'pass', 'the last place of a small list is taken');
select is(pg_temp.register('934000010', 'small_event', '198.51.100.8'), 'guest_list_closed', 'a full list is closed ...');
select tests.act_as_postgres();
select is((select count(*)::int from private.client_users where phone in ('+351934000001', '+351934000005', '+351934000010')), 0,
  '... and none of the refused made an account');
-- tests.result_of: a refusal raised instead of returned fails the next assertion, with the error in view.
create temporary table late as select tests.result_of(format('private.issue_pass_committed(%L, %L, %L, %L)',
  (select id from private.client_users where phone = '+351931111111'), pg_temp.id('closed_event'), pg_temp.id('promoter'), pg_temp.id('team'))) v;
select is((select v ->> 'message' from late) || ' ' || current_setting('response.status', true), 'guest_list_closed 409',
  'a refusal after the password check (the list closed meanwhile) is committed, not raised, so its counts stay');
insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('event_registrations', pg_temp.id('open_event2')::text, 1, 60);
select private.rate_limit_add('event_registrations', pg_temp.id('open_event2')::text, 1);
select is(private.issue_pass_committed((select id from private.client_users where phone = '+351932222222'), pg_temp.id('open_event2'),
  pg_temp.id('promoter'), pg_temp.id('team')) ->> 'message', 'busy', '... and so is the event''s pace running out meanwhile');
select ok(current_setting('response.headers', true)::jsonb -> 0 ? 'Retry-After', '... with its Retry-After header');

-- per event and per address: new guests ---------------------------------------------------------
select tests.act_as('anon');
select is(pg_temp.register('934000011', 'open_event2', '198.51.100.9'), 'busy',
  'an event''s own pace (1/min here) makes the next new guest wait (busy, repeated after Retry-After), before any account is made');
select tests.act_as_postgres();
select is((select count(*)::int from private.client_users where phone = '+351934000011'), 0, '... no account yet');
select tests.act_as('anon');
select is(pg_temp.register('934000011', 'open_event', '198.51.100.9'), 'pass', 'other events keep the default');
select tests.act_as_postgres();
insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('new_accounts', '198.51.100.10', 1, 3600);
select tests.act_as('anon');
select is(pg_temp.register('934000012', 'open_event', '198.51.100.10'), 'pass', 'an address''s new accounts are counted ...');
select is(pg_temp.register('934000013', 'open_event', '198.51.100.10'), 'rate_limited', '... and limited (1 here)');
select is(pg_temp.register('934000013', 'open_event', '198.51.100.11'), 'pass', '... per address');

select * from finish();
rollback;
