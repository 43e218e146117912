-- Promoters, teams and links: create, put in teams, link and unlink; unlinking keeps the guests; per actor.
begin;
select plan(24);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
-- Registration proofs at a low difficulty here (22-proof-of-work.sql tests the default).
update private.settings set value = '4' where key = 'pow_difficulty';

select tests.act_as('anon');
select is(tests.error_of(format($$select public.create_promoter(%L, 'zed', 'Zed')$$, pg_temp.id('org_a'))),
  '42501 permission denied for function create_promoter', 'anon cannot create promoters');
select tests.act_as_postgres();
select tests.act_as('service_role');
select is(tests.error_of(format($$select public.link_promoter(%L, %L)$$, pg_temp.id('open_event2'), pg_temp.id('other_promoter'))),
  '42501 permission denied for function link_promoter', 'the service role may not call it');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format($$select public.create_promoter(%L, 'zed', 'Zed')$$, pg_temp.id('org_a'))), 'PT403 forbidden',
  'staff cannot create promoters');
select is(tests.error_of(format($$select public.create_team(%L, 'Sul')$$, pg_temp.id('org_a'))), 'PT403 forbidden',
  'staff cannot create teams');
select is(tests.error_of(format($$select public.set_team_member(%L, %L)$$, pg_temp.id('team'), pg_temp.id('other_promoter'))),
  'PT403 forbidden', 'staff cannot put promoters in teams');
select is(tests.error_of(format($$select public.link_promoter(%L, %L)$$, pg_temp.id('open_event2'), pg_temp.id('other_promoter'))),
  'PT403 forbidden', 'staff cannot link promoters');
select is(tests.error_of(format($$select public.unlink_promoter(%L, %L)$$, pg_temp.id('open_event'), pg_temp.id('promoter'))),
  'PT403 forbidden', 'staff cannot unlink promoters');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('leader_user'));
select is(tests.error_of(format($$select public.link_promoter(%L, %L)$$, pg_temp.id('open_event2'), pg_temp.id('leader'))), 'PT403 forbidden',
  'a team leader cannot link promoters');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format($$select public.create_team(%L, 'Team B')$$, pg_temp.id('org_a'))), 'PT404 organization_not_found',
  'a member of another organisation cannot create teams in it');
select is(tests.error_of(format($$select public.link_promoter(%L, %L)$$, pg_temp.id('event_b'), pg_temp.id('promoter'))), 'PT403 forbidden',
  'staff of B cannot link either');
select tests.act_as_postgres();

select tests.authenticate_as(pg_temp.id('admin_a'));
create temporary table zed as select public.create_promoter(pg_temp.id('org_a'), 'zed-' || left(gen_random_uuid()::text, 8), ' Zed  Zé ') as v;
grant select on zed to anon, authenticated;
select is((select v ->> 'display_name' from zed), 'Zed Zé', 'an admin creates a promoter');
select is(tests.error_of(format($$select public.create_promoter(%L, %L, 'Again')$$, pg_temp.id('org_a'), (select v ->> 'slug' from zed))),
  'PT409 slug_taken', 'promoter slugs are unique');
create temporary table norte as select public.create_team(pg_temp.id('org_a'), 'Norte') as v;
grant select on norte to authenticated;
select is(tests.error_of(format($$select public.create_team(%L, 'Norte')$$, pg_temp.id('org_a'))), 'PT409 name_taken',
  'team names are unique per organisation');
select is(tests.error_of(format($$select public.link_promoter(%L, %L, %L)$$, pg_temp.id('open_event2'), (select v ->> 'id' from zed),
  (select v ->> 'id' from norte))), 'PT404 team_not_found', 'a link for a team needs the promoter in it');
select is(public.set_team_member((select (v ->> 'id')::uuid from norte), (select (v ->> 'id')::uuid from zed), true, true) ->> 'is_leader',
  'true', 'an admin puts the promoter in the team, as its leader');
select is(tests.error_of(format($$select public.set_team_member(%L, %L)$$, (select v ->> 'id' from norte), pg_temp.id('promoter_b'))),
  'PT404 promoter_not_found', 'a promoter of another organisation cannot join');
select is(tests.error_of(format($$select public.link_promoter(%L, %L)$$, pg_temp.id('open_event2'), pg_temp.id('promoter_b'))),
  'PT404 promoter_not_found', 'a promoter of another organisation cannot be linked');
create temporary table link as select public.link_promoter(pg_temp.id('open_event'), (select (v ->> 'id')::uuid from zed),
  (select (v ->> 'id')::uuid from norte)) as v;
select tests.act_as_postgres();
select is((select v ->> 'path' from link), format('/p/%s/%s', (select v ->> 'slug' from zed), (w.v ->> 'open_slug')), 'linking answers the link''s path')
  from w;
select is((public.resolve_promoter_link((select v ->> 'slug' from zed), (select v ->> 'open_slug' from w)) #>> '{team,name}'), 'Norte',
  'the link works on the guest page, for the team');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.link_promoter(pg_temp.id('open_event'), (select (v ->> 'id')::uuid from zed)) ->> 'team_id', null,
  'linking again changes the link''s team (here: none)');
select tests.act_as_postgres();

-- a guest registers through the link; unlinking keeps them
select tests.act_as('anon');
select lives_ok(format($$select public.register_and_create_guest_v2('936100001', 'Rita', 'Sousa', 'rita@example.com', tests.bcrypt('Noite-2026'), %L, %L, null, tests.proof())$$,
  pg_temp.id('open_event'), (select v ->> 'id' from zed)), 'a guest registers through the new link');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.unlink_promoter(pg_temp.id('open_event'), (select (v ->> 'id')::uuid from zed)) ->> 'unlinked', 'true', 'the owner unlinks the promoter');
select tests.act_as_postgres();
select is((select count(*)::int from public.guests where promoter_id = (select (v ->> 'id')::uuid from zed)), 1,
  'the guest who registered through the link stays on the list');
select is(tests.error_of(format($$select public.resolve_promoter_link(%L, %L)$$, (select v ->> 'slug' from zed), (select v ->> 'open_slug' from w))),
  'PT404 event_not_found', 'and the link no longer opens');

select * from finish();
rollback;
