-- Every management function refuses every actor without the role, before it changes anything:
-- anon and the service role (no EXECUTE), staff and promoters of the organisation (403), a
-- member of another organisation (404, exactly as for something that does not exist: an
-- organisation, team, invitation or event of another organisation is not disclosed).
begin;
select plan(7);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table inv as select public.invite_member(pg_temp.id('org_a'), 'someone@example.com', 'staff') as v;
select tests.act_as_postgres();
grant select on inv to anon, authenticated, service_role;

-- Owner/admin-only calls, each with the scope the refusal is decided on.
create temporary table calls (scope text, sql text);
insert into calls values
  ('org', format('select public.organization_overview(%L)', pg_temp.id('org_a'))),
  ('org', format('select public.set_member_role(%L, %L, %L)', pg_temp.id('org_a'), pg_temp.id('staff_a'), 'admin')),
  ('org', format('select public.remove_member(%L, %L)', pg_temp.id('org_a'), pg_temp.id('owner_a'))),
  ('org', format($$select public.create_event(%L, 'x-night', 'X', null, '2031-01-01', '2031-01-02', '2031-01-01 23:00')$$, pg_temp.id('org_a'))),
  ('org', format($$select public.create_promoter(%L, 'x-promoter', 'X')$$, pg_temp.id('org_a'))),
  ('org', format($$select public.create_team(%L, 'X team')$$, pg_temp.id('org_a'))),
  ('org', format($$select public.invite_member(%L, 'x@example.com', 'staff')$$, pg_temp.id('org_a'))),
  ('team', format('select public.set_team_member(%L, %L)', pg_temp.id('team'), pg_temp.id('other_promoter'))),
  ('invitation', format('select public.revoke_invitation(%L)', (select v ->> 'id' from inv))),
  ('event', format($$select public.update_event(%L, 1, 'x', 'X', null, '2031-01-01', '2031-01-02', '2031-01-01 23:00')$$, pg_temp.id('open_event'))),
  ('event', format($$select public.duplicate_event(%L, 'x-copy')$$, pg_temp.id('open_event'))),
  ('event', format('select public.link_promoter(%L, %L)', pg_temp.id('open_event2'), pg_temp.id('other_promoter'))),
  ('event', format('select public.unlink_promoter(%L, %L)', pg_temp.id('open_event'), pg_temp.id('promoter'))),
  ('event', format('select public.export_guest_list(%L)', pg_temp.id('open_event')));
grant select on calls to anon, authenticated, service_role;

/** The calls whose refusal differs from `expected(scope)`, as "sql => answer". */
create or replace function pg_temp.unexpected(p_expected jsonb) returns text[] language sql as $$
  select array_agg(c.sql || ' => ' || coalesce(tests.error_of(c.sql), 'allowed'))
  from calls c
  where coalesce(tests.error_of(c.sql), 'allowed') is distinct from coalesce(p_expected ->> c.scope, p_expected ->> '*')
$$;
grant execute on function pg_temp.unexpected(jsonb) to anon, authenticated, service_role;
create temporary table before as select (select count(*) from public.events) events, (select count(*) from public.organization_members) members,
  (select count(*) from public.event_promoters) links, (select count(*) from public.invitations) invitations;

select tests.act_as('anon');
select is((select count(*)::int from calls where tests.error_of(sql) like '42501 permission denied for function %'), 14,
  'anon may call none of them');
select tests.act_as_postgres();
select tests.act_as('service_role');
select is((select count(*)::int from calls where tests.error_of(sql) like '42501 permission denied for function %'), 14,
  'nor the service role: nothing in public is granted to it by default (a project of 2026)');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(pg_temp.unexpected('{"*": "PT403 forbidden"}'), null, 'staff of the organisation: forbidden');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(pg_temp.unexpected('{"*": "PT403 forbidden"}'), null, 'a promoter of the organisation: forbidden');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(pg_temp.unexpected('{"*": "PT404 organization_not_found", "team": "PT404 team_not_found",
    "invitation": "PT404 invitation_not_found", "event": "PT404 event_not_found"}'), null,
  'a member of another organisation: not found, whatever the call names');
select is(array[tests.error_of(format('select public.set_team_member(%L, %L)', gen_random_uuid(), pg_temp.id('other_promoter'))),
                tests.error_of(format('select public.revoke_invitation(%L)', gen_random_uuid())),
                tests.error_of(format('select public.unlink_promoter(%L, %L)', gen_random_uuid(), pg_temp.id('promoter'))),
                tests.error_of(format('select public.organization_overview(%L)', gen_random_uuid()))],
  array['PT404 team_not_found', 'PT404 invitation_not_found', 'PT404 event_not_found', 'PT404 organization_not_found'],
  '... the same answer as for what does not exist');
select tests.act_as_postgres();
select is((select to_jsonb(b) from before b), jsonb_build_object('events', (select count(*) from public.events),
  'members', (select count(*) from public.organization_members), 'links', (select count(*) from public.event_promoters),
  'invitations', (select count(*) from public.invitations)), 'and none of them changed anything');

select * from finish();
rollback;
