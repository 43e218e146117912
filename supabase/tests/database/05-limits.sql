-- Rate limits and admission control, with the default numbers (nobody raised them here).
begin;
select plan(25);

create temporary table w as select tests.world() as v;
grant select on w to anon;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon;

select is((select row(max_hits, window_seconds)::text from private.rate_limits where bucket = b and subject = '*'), expected,
  'default limit for ' || b)
from (values ('ip', '(100,60)'), ('phone_attempts', '(5,60)'), ('login_failures', '(5,900)'),
             ('event_registrations', '(200,60)'), ('password_ops', '(1000,60)')) d(b, expected);

-- per IP, in the request hook ------------------------------------------------------------------
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "203.0.113.9, 198.51.100.7"}');
select is((select count(*)::int from generate_series(1, 100) where tests.error_of('select private.check_request()') is null), 100,
  '100 anonymous calls a minute from one IP pass');
select is(tests.error_of('select private.check_request()'), 'PGRST PT429 rate_limited', 'the 101st is refused');
select is(tests.error_detail('select private.check_request()'), ('{"status": 429, "headers": {"Retry-After": "' ||
  (ceil(extract(epoch from date_bin('60 seconds', now(), 'epoch') + interval '60 seconds' - now())))::int || '"}}')::jsonb,
  '... with 429 and Retry-After until the window ends');
select tests.set_headers('{"x-forwarded-for": "192.0.2.1, 198.51.100.7"}');
select is(tests.error_of('select private.check_request()'), 'PGRST PT429 rate_limited',
  'a hop the client wrote itself (first in x-forwarded-for) does not get round the limit');
select tests.set_headers('{"x-forwarded-for": "198.51.100.7", "cf-connecting-ip": "192.0.2.50"}');
select is(tests.error_of('select private.check_request()'), null, 'cf-connecting-ip, set by Supabase''s edge, is the client IP');
select tests.act_as_postgres();
insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('ip', '198.51.100.7', 1000, 60);
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

-- per phone: attempts and lockout ----------------------------------------------------------------
insert into private.client_users (phone, first_name, last_name, password_hash)
values ('+351931111111', 'Lia', 'Reis', extensions.crypt('Right-2026', extensions.gen_salt('bf', 10)));
select tests.act_as('anon');
select is((select count(*)::int from generate_series(1, 5)
           where public.authenticate_and_create_guest_v2('931111111', 'Wrong-2026', pg_temp.id('open_event'),
                   pg_temp.id('promoter'), pg_temp.id('team')) ->> 'message' = 'invalid_credentials'), 5,
  'five wrong passwords are five invalid_credentials');
select is(tests.error_of(format($$select public.authenticate_and_create_guest_v2('931111111', 'Right-2026', %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PGRST PT429 account_locked',
  'then the phone is locked, even for the right password');
select ok((tests.error_detail(format($$select public.authenticate_and_create_guest_v2('931111111', 'Right-2026', %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))) #>> '{headers,Retry-After}')::int between 1 and 900,
  '... for up to 15 minutes, said in Retry-After');

select tests.act_as_postgres();
insert into private.client_users (phone, first_name, last_name, password_hash)
values ('+351932222222', 'Rita', 'Lobo', extensions.crypt('Right-2026', extensions.gen_salt('bf', 10)));
select tests.act_as('anon');
select is((select count(*)::int from generate_series(1, 5)
           where public.authenticate_and_create_guest_v2('932222222', 'Right-2026', pg_temp.id('open_event'),
                   pg_temp.id('promoter'), pg_temp.id('team')) ? 'qr_token'), 5, 'five logins a minute for one phone pass');
select is(tests.error_of(format($$select public.authenticate_and_create_guest_v2('932222222', 'Right-2026', %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PGRST PT429 rate_limited', 'the sixth is rate limited');

-- A success clears the failures.
select tests.act_as_postgres();
update private.rate_limits set max_hits = 100 where bucket = 'phone_attempts';
insert into private.client_users (phone, first_name, last_name, password_hash)
values ('+351933333333', 'Tó', 'Cruz', extensions.crypt('Right-2026', extensions.gen_salt('bf', 10)));
select tests.act_as('anon');
select public.authenticate_and_create_guest_v2('933333333', 'Wrong-2026', pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))
from generate_series(1, 4);
select public.authenticate_and_create_guest_v2('933333333', 'Right-2026', pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'));
select public.authenticate_and_create_guest_v2('933333333', 'Wrong-2026', pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))
from generate_series(1, 4);
select ok(public.authenticate_and_create_guest_v2('933333333', 'Right-2026', pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')) ? 'qr_token',
  'a correct password resets the failure count (4 + 4 failures do not lock)');
select tests.act_as_postgres();
update private.rate_limits set max_hits = 5 where bucket = 'phone_attempts';

-- per event: new registrations ------------------------------------------------------------------
insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('event_registrations', pg_temp.id('open_event2')::text, 1, 60);
select tests.act_as('anon');
select lives_ok(format($$select public.register_and_create_guest_v2('934000001', 'Ana', 'Lima', 'a@example.com', 'Noite-2026', %L, %L, %L)$$,
  pg_temp.id('open_event2'), pg_temp.id('promoter'), pg_temp.id('team')), 'an event''s own limit (1/min here) admits the first');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('934000002', 'Ana', 'Lima', 'a@example.com', 'Noite-2026', %L, %L, %L)$$,
  pg_temp.id('open_event2'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PGRST PT429 rate_limited', 'and refuses the next new guest');
select lives_ok(format($$select public.register_and_create_guest_v2('934000002', 'Ana', 'Lima', 'a@example.com', 'Noite-2026', %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')), 'other events keep the default');

-- global password budget and admission control ---------------------------------------------------
select tests.act_as_postgres();
update private.rate_limits set max_hits = (select coalesce(sum(hits), 0) from private.rate_limit_counters where bucket = 'password_ops')
  where bucket = 'password_ops';
select tests.act_as('anon');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('934000003', 'Ana', 'Lima', 'a@example.com', 'Noite-2026', %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PGRST PT429 rate_limited', 'the global password budget is enforced before bcrypt');
select tests.act_as_postgres();
update private.rate_limits set max_hits = 1000 where bucket = 'password_ops';
update private.settings set value = '0' where key = 'bcrypt_slots';
select tests.act_as('anon');
select is(tests.error_of(format($$select public.register_and_create_guest_v2('934000003', 'Ana', 'Lima', 'a@example.com', 'Noite-2026', %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PGRST PT503 busy', 'with every bcrypt slot taken the answer is 503 busy');
select is(tests.error_detail(format($$select public.register_and_create_guest_v2('934000003', 'Ana', 'Lima', 'a@example.com', 'Noite-2026', %L, %L, %L)$$,
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), '{"status": 503, "headers": {"Retry-After": "1"}}'::jsonb,
  '... with Retry-After: 1');
select tests.act_as_postgres();

select * from finish();
rollback;
