-- Guests' own data: see and delete with the session, anonymisation of inactive accounts, password reset by email.
begin;
select plan(41);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
-- Registration proofs at a low difficulty here (22-proof-of-work.sql tests the default).
update private.settings set value = '4' where key = 'pow_difficulty';

-- A guest with a pass for tonight's list and one for a night that is over.
select tests.act_as('anon');
create temporary table pass as select public.register_and_create_guest_v2('939000001', 'Sofia', 'Matos', 'Sofia@Example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
select tests.act_as_postgres();
grant select on pass to anon, authenticated, service_role;
create or replace function pg_temp.session() returns text language sql as $$ select v ->> 'session_token' from pass $$;
grant execute on function pg_temp.session() to anon, authenticated, service_role;
insert into public.guests (event_id, client_user_id, promoter_id, team_id, status, checked_in_at)
select pg_temp.id('past_event'), (v ->> 'client_user_id')::uuid, pg_temp.id('promoter'), pg_temp.id('team'), 'checked_in', now() - interval '20 hours'
from pass;
-- Another guest's pass on the same night, which no one else's data shows.
insert into private.client_users (id, phone, first_name, last_name, password_salt, password_digest) values
  ('00000000-0000-4000-8000-0000000000b4', '+351939000014', 'Outra', 'Pessoa', tests.salt(), private.sha256('x'));
insert into public.guests (event_id, client_user_id, promoter_id)
values (pg_temp.id('open_event'), '00000000-0000-4000-8000-0000000000b4', pg_temp.id('promoter'));

-- my_guest_data
select tests.act_as('anon');
create temporary table mine as select public.my_guest_data(pg_temp.session()) as v;
select is((select v -> 'account' ->> 'phone' from mine), '+351939000001', 'with their session a guest sees their account');
select is((select v -> 'account' ->> 'email' from mine), 'sofia@example.com', '... with the email');
select is((select jsonb_array_length(v -> 'passes') from mine), 2, '... and both passes');
select is((select v #>> '{passes,0,promoter}' from mine), 'Pat Promoter', '... with night and promoter');
select is((select count(*)::int from mine where v::text ~ 'password|qr_token|session_token|token_hash'), 0,
  '... but no password hash or secret');
select is(tests.error_of($$select public.my_guest_data('not-a-session')$$), 'PT401 invalid_session', 'without a session: 401');
select tests.act_as_postgres();
update private.guest_sessions set expires_at = expires_at - interval '10 years' where token_hash = private.sha256(pg_temp.session());
select tests.act_as('anon');
select is(tests.error_of(format('select public.my_guest_data(%L)', pg_temp.session())), 'PT401 invalid_session',
  'with an expired session: 401');
select tests.act_as_postgres();
update private.guest_sessions set expires_at = expires_at + interval '10 years' where token_hash = private.sha256(pg_temp.session());
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of(format('select public.my_guest_data(%L)', pg_temp.session())),
  '42501 permission denied for function my_guest_data', 'organisers cannot call it');
select tests.act_as_postgres();

-- password reset: request, outbox, reset
select tests.act_as('anon');
select is(public.request_password_reset('939 000 001') ->> 'requested', 'true', 'a guest asks for a reset link');
select is(public.request_password_reset('939 999 999'), public.request_password_reset('939 000 001'),
  '... and an unknown number gets exactly the same answer');
select tests.act_as_postgres();
select is((select count(*)::int from private.outbox where to_email = 'sofia@example.com' and kind = 'guest_password_reset'), 2,
  'each request queues an email to the address given at registration');
select is((select count(*)::int from private.outbox where to_email not like 'sofia%' and created_at = now()), 0,
  '... and nothing for an unknown number');
select is((select count(*)::int from private.password_resets r, private.outbox o
           where r.token_hash = private.sha256(o.payload ->> 'token')), 2, 'only the token''s sha256 is kept beside the outbox');
select tests.act_as('anon');
select public.request_password_reset('939000001') is not null;
select is(public.request_password_reset('939000001'), public.request_password_reset('939 999 999'),
  'past 3 requests per phone from one address the answer stays the same');
select tests.act_as_postgres();
select is((select count(*)::int from private.outbox where to_email = 'sofia@example.com'), 3, '... and no email is queued');
-- A guest cannot claim another address: x-client-address is believed from the service role only.
select set_config('request.headers', '{"x-client-address": "198.51.100.7"}', true);
select tests.act_as('anon');
select is(public.request_password_reset('939000001') ->> 'requested', 'true', 'anon''s own x-client-address is not believed');
select tests.act_as_postgres();
select is((select count(*)::int from private.outbox where to_email = 'sofia@example.com'), 3, '... (its budget there would have sent one)');

select tests.act_as('anon');
select is(tests.error_of('select public.claim_outbox()'), '42501 permission denied for function claim_outbox', 'anon cannot read the outbox');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of('select public.claim_outbox()'), '42501 permission denied for function claim_outbox', 'nor can organisers');
select tests.act_as_postgres();
select tests.act_as('service_role');
create temporary table claimed as select public.claim_outbox(10) as v;
select is((select jsonb_array_length(v) from claimed), 3, 'the sender (service role) claims the pending emails');
select is(public.claim_outbox(10), '[]'::jsonb, '... which nobody else gets while they are being sent');
select public.complete_outbox((v -> 0 ->> 'id')::bigint, null) from claimed;
select public.complete_outbox((v -> 1 ->> 'id')::bigint, 'provider down') from claimed;
select tests.act_as_postgres();
select is((select payload ? 'token' from private.outbox where id = (select (v -> 0 ->> 'id')::bigint from claimed)), false,
  'a sent email''s token is dropped from the outbox');
select is((select last_error from private.outbox where id = (select (v -> 1 ->> 'id')::bigint from claimed)), 'provider down',
  'a failed one keeps the error, for a later attempt');
insert into private.outbox (kind, to_email, payload, attempts) values ('guest_password_reset', 'gave.up@example.com', '{}', 5);
select tests.act_as('service_role');
select is((select count(*)::int from jsonb_array_elements(public.claim_outbox(10)) m where m ->> 'to_email' = 'gave.up@example.com'), 0,
  'an email that failed five times is left for a person');
select tests.act_as_postgres();

-- The function asks with the service role and the guest's address (x-client-address): another
-- address has its own budget for the phone, and each address its own limit.
select set_config('request.headers', '{"x-client-address": "198.51.100.7"}', true);
select tests.act_as('service_role');
select is(public.request_password_reset('939000001') ->> 'requested', 'true', 'the function asks from the guest''s address');
select tests.act_as_postgres();
select is((select count(*)::int from private.outbox where to_email = 'sofia@example.com'), 4,
  '... which has its own budget for the phone: others cannot spend it');
select set_config('request.headers', '{"x-client-address": "198.51.100.8"}', true);
select tests.act_as('service_role');
select is((select count(*)::int from generate_series(1, 10) i where public.request_password_reset('9390' || lpad(i::text, 5, '0')) ? 'requested'), 10,
  'ten requests from one address');
select is(tests.error_of($$select public.request_password_reset('939000001')$$), 'PGRST PT429 rate_limited',
  'the eleventh in 15 minutes is refused, whatever the number');
select set_config('request.headers', '{"x-client-address": "198.51.100.9"}', true);
select is(public.request_password_reset('939000002') ->> 'requested', 'true', '... and another address is not');
select tests.act_as_postgres();
select set_config('request.headers', '{"x-forwarded-for": "2001:db8:1:2:3:4:5:6"}', true);
select is(private.client_ip(), '2001:db8:1:2::/64', 'an IPv6 client stands for its /64');
select set_config('request.headers', '', true);

grant select on claimed to anon;
select tests.act_as('anon');
select is(tests.error_of(format($$select public.reset_guest_password(%L, 'weak')$$, (select v -> 0 -> 'payload' ->> 'token' from claimed))),
  'PT400 weak_password', 'the new password must arrive as the phone''s bcrypt string');
select is(public.reset_guest_password((select v -> 0 -> 'payload' ->> 'token' from claimed),
  extensions.crypt('Nova-Senha-2027', '$2a$10$zyxwvutsrqponmlkjihgfe')), '{"reset": true}'::jsonb,
  'the link sets a new password (with the new salt the phone chose)');
select is(tests.error_of(format($$select public.reset_guest_password(%L, tests.bcrypt('Outra-Senha-2027'))$$, (select v -> 0 -> 'payload' ->> 'token' from claimed))),
  'PT400 invalid_reset_token', 'once');
select is(tests.error_of(format('select public.my_guest_data(%L)', pg_temp.session())), 'PT401 invalid_session',
  'a reset ends every session');
select is(public.authenticate_and_create_guest_v2('939000001', tests.bcrypt('Nova-Senha-2027', '939000001'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))
  ->> 'first_name', 'Sofia', 'the guest logs in with the new password');
select tests.act_as_postgres();
update private.password_resets set expires_at = now() - interval '1 second' where used_at is null;
select tests.act_as('anon');
select is(tests.error_of(format($$select public.reset_guest_password(%L, tests.bcrypt('Outra-Senha-2027'))$$, (select v -> 1 -> 'payload' ->> 'token' from claimed))),
  'PT400 invalid_reset_token', 'an expired link does nothing');

-- delete_my_guest_account (with the session from the new login)
create temporary table relogin as select public.join_event_with_session(
  (select s from (select public.authenticate_and_create_guest_v2('939000001', tests.bcrypt('Nova-Senha-2027', '939000001'), pg_temp.id('open_event'),
     pg_temp.id('promoter'), pg_temp.id('team')) ->> 'session_token' s) x), pg_temp.id('open_event2'), pg_temp.id('promoter'), pg_temp.id('team')) as v;
select is(public.delete_my_guest_account((select v ->> 'session_token' from relogin)),
  '{"deleted": true, "passes_deleted": 2, "passes_anonymised": 1}'::jsonb,
  'a guest deletes their account: the two passes to come go, the past one is anonymised');
select tests.act_as_postgres();
select is((select count(*)::int from public.guests where event_id = pg_temp.id('past_event') and client_user_id is null and checked_in_at is not null), 1,
  'the past night still counts the arrival, without a person');
select is((select count(*)::int from private.client_users where phone = '+351939000001'), 0, 'the account is gone');
select is((public.check_phone_with_cache('939000001') ->> 'exists')::boolean, false, 'and the phone check forgets the number at once');

-- anonymisation by pg_cron
insert into private.client_users (id, phone, first_name, last_name, password_salt, password_digest, created_at, last_login_at) values
  ('00000000-0000-4000-8000-0000000000b1', '+351939000011', 'Velho', 'Cliente', tests.salt(), private.sha256('x'), now() - interval '30 months', now() - interval '25 months'),
  ('00000000-0000-4000-8000-0000000000b2', '+351939000012', 'Ativo', 'Cliente', tests.salt(), private.sha256('x'), now() - interval '30 months', now() - interval '1 month'),
  ('00000000-0000-4000-8000-0000000000b3', '+351939000013', 'Recente', 'Cliente', tests.salt(), private.sha256('x'), now() - interval '30 months', now() - interval '25 months');
-- A pass of this month (put on the list by a session that has since ended) is use too.
insert into public.guests (event_id, client_user_id, promoter_id)
values (pg_temp.id('past_event'), '00000000-0000-4000-8000-0000000000b3', pg_temp.id('promoter'));
select private.anonymise_inactive_guests() >= 1;
select is((select array_agg(first_name order by first_name) from private.client_users
           where id in ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000b3')),
  array['Ativo', 'Recente'], 'pg_cron anonymises accounts unused for 24 months, and keeps active ones (a login or a pass)');

select * from finish();
rollback;
