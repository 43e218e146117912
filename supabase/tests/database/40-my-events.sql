-- my_events: the events a signed-in member may pick on the door and live pages, per actor.
begin;
select plan(8);

create temporary table w as select tests.world() as v;
grant select on w to anon, authenticated;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated;

-- anon ---------------------------------------------------------------------------------------
select tests.act_as('anon');
select is(tests.error_of('select public.my_events()'), '42501 permission denied for function my_events',
  'anon cannot call my_events');
select tests.act_as_postgres();

-- owner of organization A ---------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table mine as select public.my_events() as v;
select tests.act_as_postgres();
select is((select jsonb_array_length(v) from mine), 6, 'the owner sees every event of the organization, drafts included');
select is((select count(*)::int from mine, jsonb_array_elements(v) e where e ->> 'role' = 'owner' and e ->> 'organization_name' = 'Org A'),
  6, '... each with the organization''s name and the caller''s role');
select is((select (v -> 0 ->> 'starts_at')::timestamptz from mine),
  (select min(e.starts_at) from public.events e where e.organization_id = pg_temp.id('org_a') and e.ends_at >= now()),
  'the nearest upcoming night comes first');
select is((select v -> -1 ->> 'id' from mine)::uuid, pg_temp.id('past_event'), 'past nights come last');

-- staff of A, staff of B ----------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('staff_a'));
select ok((select public.my_events() @> jsonb_build_array(jsonb_build_object('id', pg_temp.id('open_event'), 'role', 'staff'))),
  'staff of the organization see its events as staff');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is((select array_agg(e ->> 'id') from jsonb_array_elements(public.my_events()) e), array[pg_temp.id('event_b')::text],
  'staff of another organization see only their own organization''s events');
select tests.act_as_postgres();

-- service_role (no user) --------------------------------------------------------------------
select tests.act_as('service_role');
select is(tests.error_of('select public.my_events()'), '42501 permission denied for function my_events',
  'the service role may not call it (nothing is granted to it by default)');
select tests.act_as_postgres();

select * from finish();
rollback;
