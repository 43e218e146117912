-- Events: create, edit (with the version check), duplicate; the rules the guest side relies on; per actor.
begin;
select plan(27);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;

/** create_event's call for organization `org` with a slug and field overrides, as SQL text. */
create or replace function pg_temp.create_sql(org uuid, slug text, starts text default '2031-06-06 22:00Z',
  ends text default '2031-06-07 06:00Z', closes text default '2031-06-07 01:00Z', cap text default 'null')
returns text language sql as $$
  select format('select public.create_event(%L, %L, %L, %L, %L, %L, %L, %s, true)', org, slug, 'Sexta', 'Lux', starts, ends, closes, cap)
$$;
grant execute on function pg_temp.create_sql(uuid, text, text, text, text, text) to anon, authenticated, service_role;

select tests.act_as('anon');
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'anon-night')), '42501 permission denied for function create_event',
  'anon cannot create events');
select tests.act_as_postgres();
select tests.act_as('service_role');
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'svc-night')), '42501 permission denied for function create_event', 'the service role may not call it');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'staff-night')), 'PT403 forbidden', 'staff cannot create events');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'promo-night')), 'PT403 forbidden', 'a promoter cannot create events');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'b-night')), 'PT404 organization_not_found',
  'a member of another organisation cannot create events in it');
select tests.act_as_postgres();

select tests.authenticate_as(pg_temp.id('admin_a'));
create temporary table ev as select public.create_event(pg_temp.id('org_a'), 'sexta-lux', ' Sexta  na Lux ', 'Lux Frágil',
  '2031-06-06 22:00Z', '2031-06-07 06:00Z', '2031-06-07 01:00Z', 2, true) as v;
grant select on ev to authenticated;
select is((select v ->> 'name' from ev), 'Sexta na Lux', 'an admin creates a night (name tidied)');
select is((select (v ->> 'version')::int from ev), 1, '... at version 1');
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'sexta-lux')), 'PT409 slug_taken', 'a slug is unique per organisation');
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'Sexta Lux')), 'PT400 invalid_slug', 'a slug is lower-case words and hyphens');
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'x1', ends => '2031-06-06 21:00Z', closes => '2031-06-06 20:00Z')),
  'PT400 invalid_times', 'a night ends after it starts');
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'x2', closes => '2031-06-07 07:00Z')),
  'PT400 invalid_closing_time', 'the guest list closes no later than the end');
select is(tests.error_of(pg_temp.create_sql(pg_temp.id('org_a'), 'x3', cap => '0')), 'PT400 invalid_capacity', 'capacity is positive');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select ok(public.create_organization('Org B2') is not null, 'another organisation...');
select ok(tests.error_of(format('select public.create_event(%L, %L, %L, null, %L, %L, %L)',
  (select (o ->> 'id')::uuid from jsonb_array_elements(public.my_organizations()) o where o ->> 'role' = 'owner'),
  'sexta-lux', 'Sexta', '2031-06-06 22:00Z', '2031-06-07 06:00Z', '2031-06-07 01:00Z')) is null, '... may use the same slug');
select tests.act_as_postgres();

-- update_event: the version check and the capacity rule
with u as (
  insert into private.client_users (phone, first_name, last_name, password_salt, password_digest)
  values ('+351935550001', 'Ana', 'Lima', tests.salt(), private.sha256('x')), ('+351935550002', 'Rui', 'Lima', tests.salt(), private.sha256('x')) returning id)
insert into public.guests (event_id, client_user_id, promoter_id)
select (select (v ->> 'id')::uuid from ev), u.id, pg_temp.id('promoter') from u;
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table ev2 as select public.update_event((select (v ->> 'id')::uuid from ev), 1, 'sexta-lux', 'Sexta grande', 'Lux',
  '2031-06-06 22:00Z', '2031-06-07 06:00Z', '2031-06-07 02:00Z', 300, true) as v;
select is((select (v ->> 'version')::int from ev2), 2, 'an owner edits the night: version 2');
select is((select v ->> 'guest_list_closes_at' from ev2)::timestamptz, '2031-06-07 02:00Z'::timestamptz, '... with the new closing time');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of(format($$select public.update_event(%L, 1, 'sexta-lux', 'Overwrite', null, '2031-06-06 22:00Z',
  '2031-06-07 06:00Z', '2031-06-07 01:00Z', 300, true)$$, (select v ->> 'id' from ev))), 'PT409 event_changed',
  'an edit started from version 1 after someone saved version 2 is refused');
select tests.act_as_postgres();
select is((select name from public.events where id = (select (v ->> 'id')::uuid from ev)), 'Sexta grande', '... and changes nothing');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of(format($$select public.update_event(%L, 2, 'sexta-lux', 'Sexta', null, '2031-06-06 22:00Z',
  '2031-06-07 06:00Z', '2031-06-07 01:00Z', 1, true)$$, (select v ->> 'id' from ev))), 'PT409 capacity_below_guests',
  'the capacity cannot go below the two guests on the list');
select is(public.update_event((select (v ->> 'id')::uuid from ev), 2, 'sexta-lux', 'Sexta', null, '2031-06-06 22:00Z',
  '2031-06-07 06:00Z', '2031-06-07 01:00Z', 2, false) ->> 'is_published', 'false', '... but may equal it; and a night can be unpublished');
select is(tests.error_of(format($$select public.update_event(%L, 3, 'closed-x', 'Sexta', null, '2031-06-06 22:00Z',
  '2031-06-07 06:00Z', '2031-06-07 01:00Z', null, true)$$, pg_temp.id('event_b'))), 'PT404 event_not_found',
  'an admin cannot edit another organisation''s night');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format($$select public.update_event(%L, 1, 'x', 'Sexta', null, '2031-06-06 22:00Z',
  '2031-06-07 06:00Z', '2031-06-07 01:00Z', null, true)$$, pg_temp.id('open_event'))), 'PT403 forbidden', 'staff cannot edit nights');
select is(tests.error_of(format($$select public.duplicate_event(%L, 'staff-copy', 99999)$$, pg_temp.id('open_event'))), 'PT403 forbidden',
  'staff cannot copy nights (refused before their input is looked at)');
select tests.act_as_postgres();

-- duplicate_event
select tests.authenticate_as(pg_temp.id('admin_a'));
create temporary table dup as select public.duplicate_event(pg_temp.id('open_event'), 'next-week') as v;
select tests.act_as_postgres();
select is((select starts_at - (select starts_at from public.events where id = pg_temp.id('open_event'))
           from public.events where id = (select (v ->> 'id')::uuid from dup)), interval '7 days',
  'duplicating copies last week''s night a week later');
select is((select is_published from public.events where id = (select (v ->> 'id')::uuid from dup)), false, '... unpublished');
select is((select array_agg(promoter_id order by promoter_id) from public.event_promoters where event_id = (select (v ->> 'id')::uuid from dup)),
  (select array_agg(promoter_id order by promoter_id) from public.event_promoters where event_id = pg_temp.id('open_event')),
  '... with the same promoter links');
select is((select count(*)::int from public.guests where event_id = (select (v ->> 'id')::uuid from dup)), 0, '... and no guests');

select * from finish();
rollback;
