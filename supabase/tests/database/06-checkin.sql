-- The door: check_in_guest for every actor and verdict, idempotent per nonce.
begin;
select plan(24);

create temporary table w as select tests.world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;

-- Registration proofs at a low difficulty here (22-proof-of-work.sql tests the default).
update private.settings set value = '4' where key = 'pow_difficulty';
select tests.act_as('anon');
create temporary table pass as select public.register_and_create_guest_v2('935000001', 'Duarte', 'Melo', 'd@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
create temporary table other_pass as select public.register_and_create_guest_v2('935000002', 'Eva', 'Neves', 'e@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event2'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
grant select on pass, other_pass to anon, authenticated, service_role;
create or replace function pg_temp.qr() returns text language sql as $$ select v ->> 'qr_token' from pass $$;
grant execute on function pg_temp.qr() to anon, authenticated, service_role;

-- who may scan
select is(tests.error_of(format($$select public.check_in_guest(%L, %L, 'nonce-anon-1')$$, pg_temp.id('open_event'), pg_temp.qr())),
  '42501 permission denied for function check_in_guest', 'anon cannot scan');
select tests.act_as_postgres();
select tests.act_as('service_role');
select is(tests.error_of(format($$select public.check_in_guest(%L, %L, 'nonce-service-1')$$, pg_temp.id('open_event'), pg_temp.qr())),
  '42501 permission denied for function check_in_guest', 'the service role may not call it (nothing is granted to it by default)');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format($$select public.check_in_guest(%L, %L, 'nonce-b-00001')$$, pg_temp.id('open_event'), pg_temp.qr())),
  'PT404 event_not_found', 'staff of another organization: not found, as an unknown event (docs/manage.md)');
select is(tests.error_of(format($$select public.check_in_guest(%L, %L, 'nonce-b-00002')$$, gen_random_uuid(), pg_temp.qr())),
  'PT404 event_not_found', 'an unknown event is a 404');
select tests.act_as_postgres();
select is((select count(*)::int from public.checkins), 0, 'refused scans record nothing');

-- verdicts, as staff of this organization
select tests.authenticate_as(pg_temp.id('staff_a'));
create temporary table first_scan as
  select tests.result_of(format($$public.check_in_guest(%L, %L, 'nonce-a-00001')$$, pg_temp.id('open_event'), pg_temp.qr())) as v;
select is((select v ->> 'verdict' from first_scan), 'checked_in', 'a valid pass checks in');
select is((select v #>> '{guest,first_name}' from first_scan), 'Duarte', '... and shows the guest''s name');
select is((select v #>> '{guest,promoter}' from first_scan), 'Pat Promoter', '... and promoter');
select is(public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr(), 'nonce-a-00001'), (select v from first_scan),
  'the same nonce again returns the first verdict, unchanged');
create temporary table second_scan as select public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr(), 'nonce-a-00002') as v;
select is((select v ->> 'verdict' from second_scan), 'already_checked_in', 'a second scan of the pass: already_checked_in');
select is((select v ->> 'checked_in_at' from second_scan), (select v ->> 'checked_in_at' from first_scan), '... with the first check-in time');
select is(public.check_in_guest(pg_temp.id('open_event'), 'no-such-pass', 'nonce-a-00003') ->> 'verdict', 'unknown', 'an unknown QR: unknown');
create temporary table wrong as select public.check_in_guest(pg_temp.id('open_event'), (select v ->> 'qr_token' from other_pass), 'nonce-a-00004') as v;
select is((select v ->> 'verdict' from wrong), 'wrong_event', 'a pass for another night: wrong_event');
select is((select v -> 'guest' from wrong), 'null'::jsonb, '... without the other night''s guest details');
select is(public.check_in_guest(pg_temp.id('past_event'), 'whatever-token', 'nonce-a-00005') ->> 'verdict', 'unknown', 'unknown beats list_closed');
select tests.act_as_postgres();
create temporary table past_pass (qr text);
grant select on past_pass to authenticated;
with g as (
  insert into public.guests (event_id, client_user_id, promoter_id, team_id)
  select pg_temp.id('past_event'), (v ->> 'client_user_id')::uuid, pg_temp.id('promoter'), pg_temp.id('team') from pass
  returning qr_token)
insert into past_pass select qr_token from g;
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.check_in_guest(pg_temp.id('past_event'), (select qr from past_pass), 'nonce-a-00006') ->> 'verdict',
  'list_closed', 'a pass for a night that is over: list_closed (owners can scan too)');
select is(tests.error_of(format($$select public.check_in_guest(%L, %L, 'short')$$, pg_temp.id('open_event'), pg_temp.qr())),
  'PT400 invalid_nonce', 'a nonce shorter than 8 characters is a 400');
select is(tests.error_of(format($$select public.check_in_guest(%L, %L, 'nonce-a-00001')$$, pg_temp.id('open_event'), pg_temp.qr())),
  'PT409 nonce_reused', 'another scanner reusing a nonce gets 409');
select is(tests.error_of(format($$select public.check_in_guest(%L, %L, 'nonce-a-00007')$$, pg_temp.id('open_event'), repeat('x', 65))),
  'PT400 input_too_long', 'an absurd QR payload is a 400');
select tests.act_as_postgres();

select is((select array_agg(result order by nonce) from public.checkins),
  array['checked_in', 'already_checked_in', 'unknown', 'wrong_event', 'unknown', 'list_closed'],
  'every accepted scan is recorded once, with its verdict');
select is((select count(*)::int from public.guests where checked_in_at is not null and event_id = pg_temp.id('open_event')), 1,
  'the guest is checked in once');
select is((select status from public.guests g join pass on g.id = (pass.v ->> 'guest_id')::uuid), 'checked_in', 'and marked checked_in');

-- staff_a has scanned 10 times in this window; lower the limit (300/min by default) below that.
update private.rate_limits set max_hits = 3 where bucket = 'staff_scans';
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format($$select public.check_in_guest(%L, 'x', 'nonce-limit-1')$$, pg_temp.id('open_event'))),
  'PGRST PT429 rate_limited', 'scans are rate limited per staff member');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of(format($$select public.check_in_guest(%L, 'x', 'nonce-limit-2')$$, pg_temp.id('open_event'))),
  null, '... each member separately');
select tests.act_as_postgres();

select * from finish();
rollback;
