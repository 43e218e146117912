-- The low findings of the third security round fixed in SQL: drafts hidden from door staff and
-- promoters, guest ids of another organisation indistinguishable at the door, invitations
-- withdrawn with their inviter's right to invite, Realtime asked to re-authorize a removed member.
begin;
select plan(8);

create temporary table w as select tests.world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;

-- Drafts: the owner sees them, door staff do not.
select tests.authenticate_as(pg_temp.id('owner_a'));
select ok(public.my_events() @> jsonb_build_array(jsonb_build_object('id', pg_temp.id('draft_event'))), 'the owner sees the draft night');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
create temporary table staff_events as select public.my_events() as v;
select tests.act_as_postgres();
select is((select count(*)::int from staff_events, jsonb_array_elements(v) e
           join public.events ev on ev.id = (e ->> 'id')::uuid where not ev.is_published), 0,
  'door staff see published nights only');

-- A guest of organisation B, looked up by id at organisation A's door.
insert into private.client_users (id, phone, first_name, last_name, password_salt, password_digest)
values ('00000000-0000-4000-8000-0000000000c1', '+351939000021', 'Beatriz', 'Outra', tests.salt(), private.sha256('x'));
insert into public.guests (id, event_id, client_user_id, promoter_id)
values ('00000000-0000-4000-8000-0000000000c2', pg_temp.id('event_b'), '00000000-0000-4000-8000-0000000000c1', pg_temp.id('promoter_b'));
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.check_in_guest_by_id(pg_temp.id('open_event'), '00000000-0000-4000-8000-0000000000c2', 'nonce-other-org-0001') - 'nonce',
  public.check_in_guest_by_id(pg_temp.id('open_event'), gen_random_uuid(), 'nonce-other-org-0002') - 'nonce',
  'a guest id of another organisation answers exactly as an unknown id');
select tests.act_as_postgres();
select is((select status from public.guests where id = '00000000-0000-4000-8000-0000000000c2'), 'registered', '... and checks nobody in');

-- Invitations of an admin who is removed, or demoted, are withdrawn.
insert into public.organization_members values (pg_temp.id('org_a'), pg_temp.id('staff_b'), 'admin');
select tests.authenticate_as(pg_temp.id('staff_b'));
select public.invite_member(pg_temp.id('org_a'), 'later@example.com', 'staff') is not null;
select public.invite_member(pg_temp.id('org_a'), 'later2@example.com', 'staff') is not null;
select tests.act_as_postgres();
select is((select count(*)::int from public.invitations where invited_by = pg_temp.id('staff_b')), 2, 'an admin invites two people');
update public.organization_members set role = 'staff' where organization_id = pg_temp.id('org_a') and user_id = pg_temp.id('staff_b');
select is((select count(*)::int from public.invitations where invited_by = pg_temp.id('staff_b')), 0,
  'demoted to staff: the invitations nobody accepted are withdrawn');
select is((select count(*)::int from public.organization_members where user_id = pg_temp.id('staff_b')), 2, '... and the member stays');

-- Realtime is asked to re-authorize a removed member's channels.
listen "realtime:broadcast";
delete from public.organization_members where organization_id = pg_temp.id('org_a') and user_id = pg_temp.id('staff_b');
select is((select count(*)::int from pg_trigger where tgname = 'organization_members_reauthorize_channels' and tgenabled = 'O'), 1,
  'a membership removed or changed notifies Realtime (the local Realtime re-authorizes its channels: tests/realtime.test.ts)');

select * from finish();
rollback;
