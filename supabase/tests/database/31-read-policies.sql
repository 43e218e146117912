-- Row-level security as the last line: no API role has table privileges (02), but should a
-- grant ever be added, every table's read policy admits the organization's members (owner,
-- admin, staff) to their own rows only, and nobody else. The grants below are rolled back.
begin;
select plan(9);

create temporary table w as select tests.world() as v;
grant select on w to anon, authenticated;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated;
create temporary table admin_a as select tests.create_user('admin-' || gen_random_uuid() || '@a.test') as id;
insert into public.organization_members select pg_temp.id('org_a'), id, 'admin' from admin_a;
grant select on admin_a to authenticated;

-- One guest and one check-in of organization A.
insert into private.client_users (id, phone, first_name, last_name, password_salt, password_digest)
values ('00000000-0000-4000-8000-0000000000b1', '+351938000001', 'Olga', 'Pires', tests.salt(), private.sha256(tests.bcrypt('x')));
insert into public.guests (event_id, client_user_id, promoter_id, team_id)
values (pg_temp.id('open_event'), '00000000-0000-4000-8000-0000000000b1', pg_temp.id('promoter'), pg_temp.id('team'));
insert into public.checkins (nonce, event_id, result, scanned_by) values ('policy-nonce-1', pg_temp.id('open_event'), 'unknown', pg_temp.id('staff_a'));

grant select on public.organizations, public.organization_members, public.events, public.promoters, public.teams,
  public.team_members, public.event_promoters, public.guests, public.checkins to anon, authenticated;

/** How many of organization A's rows the current role sees, table by table. */
create or replace function pg_temp.visible() returns int[] language sql as $$
  select array[
    (select count(*)::int from public.organizations where id = pg_temp.id('org_a')),
    (select count(*)::int from public.organization_members where organization_id = pg_temp.id('org_a')),
    (select count(*)::int from public.events where organization_id = pg_temp.id('org_a')),
    (select count(*)::int from public.promoters where organization_id = pg_temp.id('org_a')),
    (select count(*)::int from public.teams where organization_id = pg_temp.id('org_a')),
    (select count(*)::int from public.team_members where team_id = pg_temp.id('team')),
    (select count(*)::int from public.event_promoters where promoter_id = pg_temp.id('promoter')),
    (select count(*)::int from public.guests where event_id = pg_temp.id('open_event')),
    (select count(*)::int from public.checkins where event_id = pg_temp.id('open_event'))]
$$;
grant execute on function pg_temp.visible() to anon, authenticated;
create temporary table everything as select pg_temp.visible() as v;
grant select on everything to anon, authenticated;

select ok((select 0 <> all (v) from everything), 'organization A has rows in every table (as the table owner sees them)');

select tests.authenticate_as(pg_temp.id('owner_a'));
select is(pg_temp.visible(), (select v from everything), 'an owner reads every row of the organization');
select tests.act_as_postgres();
select tests.authenticate_as((select id from admin_a));
select is(pg_temp.visible(), (select v from everything), 'an admin reads every row of the organization');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(pg_temp.visible(), (select v from everything), 'door staff read every row of the organization');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(pg_temp.visible(), array[0, 0, 0, 0, 0, 0, 0, 0, 0], 'staff of another organization read none of them');
select tests.act_as_postgres();
select tests.act_as('anon');
select is(pg_temp.visible(), array[0, 0, 0, 0, 0, 0, 0, 0, 0], 'anonymous callers read none of them');
select tests.act_as_postgres();

-- Invitations are the owners' and admins' alone (a pending invitation names a person's email).
insert into public.invitations (organization_id, email, role, token_hash, expires_at)
values (pg_temp.id('org_a'), 'invited@example.com', 'staff', private.sha256('policy-invitation'), now() + interval '1 day');
grant select on public.invitations to authenticated;
select tests.authenticate_as(pg_temp.id('owner_a'));
select is((select count(*)::int from public.invitations where organization_id = pg_temp.id('org_a')), 1, 'an owner reads the invitations');
select tests.act_as_postgres();
select tests.authenticate_as((select id from admin_a));
select is((select count(*)::int from public.invitations where organization_id = pg_temp.id('org_a')), 1, '... and an admin');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is((select count(*)::int from public.invitations where organization_id = pg_temp.id('org_a')), 0, '... but not door staff');
select tests.act_as_postgres();

select * from finish();
rollback;
