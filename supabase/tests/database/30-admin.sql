-- The admin role: an organization's admins run the night like its owner (scan, dashboard,
-- announcements, live messages) within their own organization only.
begin;
select plan(10);

create temporary table w as select tests.world() as v;
grant select on w to anon, authenticated;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated;
create temporary table admin_a as select tests.create_user('admin-' || gen_random_uuid() || '@a.test') as id;
insert into public.organization_members select pg_temp.id('org_a'), id, 'admin' from admin_a;
create or replace function pg_temp.admin() returns uuid language sql as $$ select id from admin_a $$;

-- A guest on the open night (written directly: the joining functions have their own tests).
insert into private.client_users (id, phone, first_name, last_name, password_salt, password_digest)
values ('00000000-0000-4000-8000-0000000000c1', '+351937000001', 'Ines', 'Alves', tests.salt(), private.sha256(tests.bcrypt('x')));
create temporary table pass as
  with g as (insert into public.guests (event_id, client_user_id, promoter_id, team_id)
             values (pg_temp.id('open_event'), '00000000-0000-4000-8000-0000000000c1', pg_temp.id('promoter'), pg_temp.id('team'))
             returning qr_token)
  select jsonb_build_object('qr_token', qr_token) as v from g;
grant select on pass to authenticated;

select tests.authenticate_as(pg_temp.admin());
-- tests.result_of: a refusal fails the assertion (with its error) instead of stopping the file.
select is(tests.result_of(format($$public.check_in_guest(%L, %L, 'admin-nonce-1')$$, pg_temp.id('open_event'),
    (select v ->> 'qr_token' from pass))) ->> 'verdict',
  'checked_in', 'an admin can scan passes at the door');
select is((tests.result_of(format('public.event_dashboard(%L)', pg_temp.id('open_event'))) -> 'totals') - array['places', 'checked_in_places', 'waiting', 'pending', 'revoked'], '{"registered": 1, "checked_in": 1}'::jsonb,
  'an admin reads the dashboard');
select is(tests.result_of(format('public.authorize_event_broadcast(%L)', pg_temp.id('open_event'))) ->> 'topic', 'event:' || pg_temp.id('open_event'),
  'an admin may announce to the door team');
select tests.act_as_postgres();

select set_config('realtime.topic', 'event:' || pg_temp.id('open_event'), true);
select tests.authenticate_as(pg_temp.admin());
select ok((select count(*) from realtime.messages where topic = realtime.topic()) >= 2,
  'an admin receives the event''s live messages');
select tests.act_as_postgres();
select set_config('realtime.topic', 'event:' || pg_temp.id('event_b'), true);
select tests.authenticate_as(pg_temp.admin());
select ok(not private.can_listen(realtime.topic()), '... but not another organization''s');

select is(tests.error_of(format($$select public.check_in_guest(%L, 'x', 'admin-nonce-2')$$, pg_temp.id('event_b'))),
  'PT404 event_not_found', 'an admin cannot scan for another organization');
select is(tests.error_of(format('select public.event_dashboard(%L)', pg_temp.id('event_b'))),
  'PT404 event_not_found', 'nor read its dashboard');
select is(tests.error_of(format('select public.authorize_event_broadcast(%L)', pg_temp.id('event_b'))),
  'PT404 event_not_found', 'nor announce to it');
select tests.act_as_postgres();

-- An admin is no owner of a different organization even when it has one of its own.
insert into public.organization_members select pg_temp.id('org_b'), id, 'staff' from admin_a;
select tests.authenticate_as(pg_temp.admin());
select is(tests.error_of(format('select public.authorize_event_broadcast(%L)', pg_temp.id('event_b'))),
  'PT403 forbidden', 'staff rights in organization B do not become admin rights there');
select is(tests.error_of(format($$select public.check_in_guest(%L, 'x', 'admin-nonce-3')$$, pg_temp.id('event_b'))),
  null, '... while staff rights there do hold');
select tests.act_as_postgres();

select * from finish();
rollback;
