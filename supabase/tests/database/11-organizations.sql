-- Organisations and members: create, list, overview, change roles, remove; per actor; the last owner.
begin;
select plan(32);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;

-- create_organization / my_organizations
select tests.act_as('anon');
select is(tests.error_of($$select public.create_organization('Anon Club')$$),
  '42501 permission denied for function create_organization', 'anon cannot create an organisation');
select tests.act_as_postgres();
select tests.act_as('service_role');
select is(tests.error_of($$select public.create_organization('Service Club')$$),
  '42501 permission denied for function create_organization', 'the service role may not call it (nothing is granted to it by default)');
select tests.act_as_postgres();

select tests.authenticate_as(pg_temp.id('staff_b'));
create temporary table new_org as select public.create_organization('  Noite   Nova ') as v;
select is((select v ->> 'name' from new_org), 'Noite Nova', 'any signed-in person can create an organisation (name tidied)');
select is((select count(*)::int from jsonb_array_elements(public.my_organizations()) o
           where o ->> 'id' = (select v ->> 'id' from new_org) and o ->> 'role' = 'owner'), 1, '... and is its owner');
select is(tests.error_of($$select public.create_organization('')$$), 'PT400 invalid_name', 'an empty name is a 400');
select tests.act_as_postgres();
update private.rate_limits set max_hits = 1 where bucket = 'organizations_created';
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of($$select public.create_organization('Third')$$), 'PGRST PT429 rate_limited',
  'organisations per account are rate limited');
select tests.act_as_postgres();

select tests.authenticate_as(pg_temp.id('staff_b'));
select is((select jsonb_agg(o ->> 'role' order by o ->> 'role') from jsonb_array_elements(public.my_organizations()) o),
  '["owner", "staff"]'::jsonb, 'my_organizations lists every organisation of the caller with their role');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is((select jsonb_agg(o ->> 'promoter_id') from jsonb_array_elements(public.my_organizations()) o),
  jsonb_build_array(pg_temp.id('promoter')), 'a promoter sees their organisation with their promoter record');
select tests.act_as_postgres();

-- organization_overview: owner and admin only
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table overview as select public.organization_overview(pg_temp.id('org_a')) as v;
select is((select jsonb_array_length(v -> 'members') from overview), 6, 'the owner sees all six members');
select ok((select v -> 'members' @> jsonb_build_array(jsonb_build_object('user_id', pg_temp.id('promoter_user'),
  'role', 'promoter', 'promoter_id', pg_temp.id('promoter'))) from overview), '... with each promoter''s record');
select ok((select (v -> 'members' -> 0 ->> 'email') like '%@a.test' from overview), '... and emails');
select is((select jsonb_array_length(v -> 'events') from overview), 6, '... and the organisation''s events only');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('admin_a'));
select is((select v ->> 'my_role' from (select public.organization_overview(pg_temp.id('org_a')) v) x), 'admin', 'an admin sees the overview');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.organization_overview(%L)', pg_temp.id('org_a'))), 'PT403 forbidden',
  'staff cannot manage');
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L)', pg_temp.id('org_a'), pg_temp.id('other_user'), 'staff')),
  'PT403 forbidden', 'staff cannot change roles');
select is(tests.error_of(format('select public.remove_member(%L, %L)', pg_temp.id('org_a'), pg_temp.id('other_user'))),
  'PT403 forbidden', 'staff cannot remove others');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of(format('select public.organization_overview(%L)', pg_temp.id('org_a'))), 'PT403 forbidden',
  'a promoter cannot manage');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.organization_overview(%L)', pg_temp.id('org_a'))), 'PT404 organization_not_found',
  'a member of another organisation learns nothing');
select tests.act_as_postgres();

-- set_member_role
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.set_member_role(pg_temp.id('org_a'), pg_temp.id('staff_a'), 'admin') ->> 'role', 'admin', 'an admin can promote staff to admin');
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L)', pg_temp.id('org_a'), pg_temp.id('staff_a'), 'owner')),
  'PT403 forbidden', 'an admin cannot make an owner');
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L)', pg_temp.id('org_a'), pg_temp.id('owner_a'), 'staff')),
  'PT403 forbidden', 'an admin cannot demote an owner');
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L)', pg_temp.id('org_a'), pg_temp.id('staff_a'), 'boss')),
  'PT400 invalid_role', 'an unknown role is a 400');
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L)', pg_temp.id('org_a'), pg_temp.id('staff_a'), 'promoter')),
  'PT400 promoter_required', 'the promoter role names its promoter record: never a guess');
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L, %L)', pg_temp.id('org_a'), pg_temp.id('staff_a'), 'promoter', pg_temp.id('promoter'))),
  'PT409 promoter_taken', '... one that no other account signs in as');
select is(public.set_member_role(pg_temp.id('org_a'), pg_temp.id('promoter_user'), 'staff') ->> 'role', 'staff',
  'a promoter account can become staff');
select tests.act_as_postgres();
select is((select user_id from public.promoters where id = pg_temp.id('promoter')), null, '... which frees the promoter record');

select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L)', pg_temp.id('org_a'), pg_temp.id('owner_a'), 'admin')),
  'PT409 last_owner', 'the last owner cannot step down');
select is(public.set_member_role(pg_temp.id('org_a'), pg_temp.id('admin_a'), 'owner') ->> 'role', 'owner', 'an owner can make another owner');

-- remove_member
select is(public.remove_member(pg_temp.id('org_a'), pg_temp.id('admin_a')) ->> 'removed', 'true', 'an owner removes a co-owner');
select is(tests.error_of(format('select public.remove_member(%L, %L)', pg_temp.id('org_a'), pg_temp.id('owner_a'))),
  'PT409 last_owner', 'the last owner cannot be removed, even by themself');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.remove_member(%L, %L)', pg_temp.id('org_a'), pg_temp.id('owner_a'))),
  'PT403 forbidden', 'an admin cannot remove an owner');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('other_user'));
select is(public.remove_member(pg_temp.id('org_a'), pg_temp.id('other_user')) ->> 'removed', 'true', 'a promoter may leave');
select tests.act_as_postgres();

select * from finish();
rollback;
