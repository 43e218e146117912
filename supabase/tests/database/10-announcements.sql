-- authorize_event_broadcast: who may announce to the door team, and how often.
begin;
select plan(6);

create temporary table w as select tests.world() as v;
grant select on w to authenticated, anon;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to authenticated, anon;

select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.authorize_event_broadcast(pg_temp.id('open_event')), jsonb_build_object('topic', 'event:' || pg_temp.id('open_event')),
  'an owner may announce, to the event''s private topic');
select is((select count(*)::int from generate_series(1, 9) where tests.error_of(format('select public.authorize_event_broadcast(%L)', pg_temp.id('open_event'))) is null),
  9, 'ten announcements a minute per event...');
select is(tests.error_of(format('select public.authorize_event_broadcast(%L)', pg_temp.id('open_event'))), 'PGRST PT429 rate_limited', '... and not eleven');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.authorize_event_broadcast(%L)', pg_temp.id('open_event'))), 'PT403 forbidden', 'door staff may not announce');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.authorize_event_broadcast(%L)', pg_temp.id('open_event'))), 'PT404 event_not_found', 'nor another organization');
select tests.act_as_postgres();
select tests.act_as('anon');
select is(tests.error_of(format('select public.authorize_event_broadcast(%L)', pg_temp.id('open_event'))),
  '42501 permission denied for function authorize_event_broadcast', 'nor anonymous callers');
select tests.act_as_postgres();

select * from finish();
rollback;
