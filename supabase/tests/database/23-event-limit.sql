-- set_event_registration_limit: an organization's owner or admin raises an event's new guests
-- per minute for a big night; every other actor is refused.
begin;
select plan(12);

create temporary table w as select tests.world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
-- An admin of organization A.
insert into public.organization_members values (pg_temp.id('org_a'), tests.create_user('admin-' || gen_random_uuid() || '@a.test'), 'admin');
create temporary table admin as select user_id from public.organization_members where organization_id = pg_temp.id('org_a') and role = 'admin';
grant select on admin to authenticated;
create temporary table default_limit as select max_hits from private.rate_limits where bucket = 'event_registrations' and subject = '*';
grant select on default_limit to authenticated;
create or replace function pg_temp.limit_of(e uuid) returns integer language sql security definer as $$
  select max_hits from private.rate_limits where bucket = 'event_registrations' and subject = e::text
$$;

select tests.authenticate_as(pg_temp.id('owner_a'));
select is((select (e ->> 'registrations_per_minute')::int from jsonb_array_elements(
             public.organization_overview(pg_temp.id('org_a')) -> 'events') e where (e ->> 'id')::uuid = pg_temp.id('open_event')),
  (select max_hits from default_limit),
  'the owner sees the night''s new guests per minute in force: the default before any is set');
select is(public.set_event_registration_limit(pg_temp.id('open_event'), 2000),
  jsonb_build_object('event_id', pg_temp.id('open_event'), 'per_minute', 2000), 'the owner raises the event''s registrations per minute');
select is((select (e ->> 'registrations_per_minute')::int from jsonb_array_elements(
             public.organization_overview(pg_temp.id('org_a')) -> 'events') e where (e ->> 'id')::uuid = pg_temp.id('open_event')),
  2000, '... and its own number once raised');
select tests.act_as_postgres();
select is(pg_temp.limit_of(pg_temp.id('open_event')), 2000, '... kept in the limits table for that event');

select tests.authenticate_as((select user_id from admin));
select lives_ok(format($$select public.set_event_registration_limit(%L, 3000)$$, pg_temp.id('open_event')), 'an admin may too');
select is(tests.error_of(format($$select public.set_event_registration_limit(%L, 0)$$, pg_temp.id('open_event'))), 'PT400 invalid_limit',
  'a limit below 1 is refused');
select tests.act_as_postgres();
select is(pg_temp.limit_of(pg_temp.id('open_event')), 3000, '... the admin''s number holds');

select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format($$select public.set_event_registration_limit(%L, 9999)$$, pg_temp.id('open_event'))), 'PT403 forbidden',
  'staff of the organization may not');
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format($$select public.set_event_registration_limit(%L, 9999)$$, pg_temp.id('open_event'))), 'PT404 event_not_found',
  'another organization''s staff do not even see the event');
select tests.act_as('anon');
select is(tests.error_of(format($$select public.set_event_registration_limit(%L, 9999)$$, pg_temp.id('open_event'))),
  '42501 permission denied for function set_event_registration_limit', 'anon may not call it');
select tests.act_as('service_role');
select is(tests.error_of(format($$select public.set_event_registration_limit(%L, 9999)$$, pg_temp.id('open_event'))),
  '42501 permission denied for function set_event_registration_limit', 'service_role may not call it either');
select tests.act_as_postgres();
select is(pg_temp.limit_of(pg_temp.id('open_event')), 3000, 'no refused call changed the limit');

select * from finish();
rollback;
