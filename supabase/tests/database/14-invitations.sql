-- Invitations: who may invite whom, the token (sha256 only, single use, expiring, for one email), accepting.
begin;
select plan(28);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
create temporary table invitee as select tests.create_user('New.Person@Example.com') as id;
create temporary table stranger as select tests.create_user('stranger@example.com') as id;
grant select on invitee, stranger to authenticated;

select tests.act_as('anon');
select is(tests.error_of(format($$select public.invite_member(%L, 'x@example.com', 'staff')$$, pg_temp.id('org_a'))),
  '42501 permission denied for function invite_member', 'anon cannot invite');
select is(tests.error_of($$select public.accept_invitation('whatever')$$), '42501 permission denied for function accept_invitation',
  'anon cannot accept');
select tests.act_as_postgres();
select tests.act_as('service_role');
select is(tests.error_of(format($$select public.invite_member(%L, 'x@example.com', 'staff')$$, pg_temp.id('org_a'))),
  '42501 permission denied for function invite_member', 'the service role may not call it');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format($$select public.invite_member(%L, 'x@example.com', 'staff')$$, pg_temp.id('org_a'))),
  'PT403 forbidden', 'staff cannot invite');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('leader_user'));
select is(tests.error_of(format($$select public.invite_member(%L, 'x@example.com', 'promoter', %L)$$, pg_temp.id('org_a'), pg_temp.id('leader'))),
  'PT403 forbidden', 'a team leader cannot invite');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format($$select public.invite_member(%L, 'x@example.com', 'staff')$$, pg_temp.id('org_a'))),
  'PT404 organization_not_found', 'a member of another organisation cannot invite into it');
select tests.act_as_postgres();

select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of(format($$select public.invite_member(%L, 'x@example.com', 'owner')$$, pg_temp.id('org_a'))),
  'PT403 forbidden', 'an admin cannot invite an owner');
select is(tests.error_of(format($$select public.invite_member(%L, 'not an email', 'staff')$$, pg_temp.id('org_a'))),
  'PT400 invalid_email', 'the email is checked');
select is(tests.error_of(format($$select public.invite_member(%L, 'x@example.com', 'promoter', %L)$$, pg_temp.id('org_a'), pg_temp.id('promoter'))),
  'PT409 promoter_taken', 'a promoter invitation needs a promoter record without an account');
select is(tests.error_of(format($$select public.invite_member(%L, 'x@example.com', 'promoter', %L)$$, pg_temp.id('org_a'), pg_temp.id('promoter_b'))),
  'PT404 promoter_not_found', '... of this organisation');
create temporary table first_inv as select public.invite_member(pg_temp.id('org_a'), 'new.person@example.com', 'staff') as v;
create temporary table inv as select public.invite_member(pg_temp.id('org_a'), ' NEW.person@example.com ', 'admin') as v;
grant select on first_inv, inv to authenticated;
select ok((select length(v ->> 'token') >= 40 from inv), 'an admin invites an admin and gets a long random token');
select tests.act_as_postgres();
select is((select array_agg(role) from public.invitations where email = 'new.person@example.com'), array['admin'],
  'a new invitation to the same email replaces the open one');
select is((select count(*)::int from public.invitations where token_hash = private.sha256((select v ->> 'token' from inv))), 1,
  'only the token''s sha256 is stored');
select is((select count(*)::int from public.invitations i, inv where to_jsonb(i)::text like '%' || (inv.v ->> 'token') || '%'), 0,
  '... never the token itself');

-- accepting
select tests.authenticate_as((select id from stranger));
select is(tests.error_of(format('select public.accept_invitation(%L)', (select v ->> 'token' from inv))),
  'PT403 invitation_for_another_email', 'another account cannot use the invitation');
select is(tests.error_of(format('select public.accept_invitation(%L)', (select v ->> 'token' from first_inv))),
  'PT404 invitation_not_found', 'a replaced invitation no longer exists');
select tests.act_as_postgres();
select tests.authenticate_as((select id from invitee));
select is(public.accept_invitation((select v ->> 'token' from inv)), jsonb_build_object('organization_id', pg_temp.id('org_a'),
  'role', 'admin', 'already_accepted', false), 'the invitee (email in any case) accepts and joins as admin');
select is(public.accept_invitation((select v ->> 'token' from inv)) ->> 'already_accepted', 'true',
  'accepting again answers the same membership, once');
select tests.act_as_postgres();
select is((select role from public.organization_members where user_id = (select id from invitee)), 'admin', 'the membership is there');
select tests.authenticate_as((select id from invitee));
select is(tests.error_of($$select public.accept_invitation('no-such-token')$$), 'PT404 invitation_not_found', 'an unknown token is a 404');
select tests.act_as_postgres();

-- a promoter invitation, expiry and revocation
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table promo_inv as select public.invite_member(pg_temp.id('org_a'), 'stranger@example.com', 'promoter', pg_temp.id('promoter_b')) as v
  where false;
select tests.act_as_postgres();
update public.promoters set user_id = null where id = pg_temp.id('other_promoter');
select tests.authenticate_as(pg_temp.id('owner_a'));
insert into promo_inv select public.invite_member(pg_temp.id('org_a'), 'stranger@example.com', 'promoter', pg_temp.id('other_promoter'));
select tests.act_as_postgres();
grant select on promo_inv to authenticated;
update public.invitations set expires_at = now() - interval '1 second' where email = 'stranger@example.com';
select tests.authenticate_as(pg_temp.id('owner_a'));
select is((select count(*)::int from jsonb_array_elements(public.organization_overview(pg_temp.id('org_a')) -> 'invitations') i
           where i ->> 'email' = 'stranger@example.com'), 0, 'the overview lists no expired invitation');
select tests.act_as_postgres();
select tests.authenticate_as((select id from stranger));
select is(tests.error_of(format('select public.accept_invitation(%L)', (select v ->> 'token' from promo_inv))),
  'PT410 invitation_expired', 'an expired invitation is refused');
select tests.act_as_postgres();
update public.invitations set expires_at = now() + interval '1 day' where email = 'stranger@example.com';
select tests.authenticate_as((select id from stranger));
select is(public.accept_invitation((select v ->> 'token' from promo_inv)) ->> 'role', 'promoter', 'a promoter invitation is accepted');
select tests.act_as_postgres();
select is((select user_id from public.promoters where id = pg_temp.id('other_promoter')), (select id from stranger),
  '... and ties the account to the promoter record');
select tests.authenticate_as(pg_temp.id('admin_a'));
create temporary table last_inv as select public.invite_member(pg_temp.id('org_a'), 'later@example.com', 'staff') as v;
grant select on last_inv to authenticated;
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.revoke_invitation(%L)', (select v ->> 'id' from last_inv))), 'PT403 forbidden',
  'staff cannot withdraw an invitation');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.revoke_invitation((select (v ->> 'id')::uuid from last_inv)) ->> 'revoked', 'true', 'an admin withdraws an invitation');
select tests.act_as_postgres();

-- an owner invited with a lesser role stays owner
create temporary table owner_email as select email from auth.users where id = pg_temp.id('owner_a');
grant select on owner_email to authenticated;
select tests.authenticate_as(pg_temp.id('admin_a'));
create temporary table owner_inv as select public.invite_member(pg_temp.id('org_a'), (select email from owner_email), 'staff') as v;
grant select on owner_inv to authenticated;
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.result_of(format('public.accept_invitation(%L)', (select v ->> 'token' from owner_inv))) ->> 'role', 'owner',
  'an owner who accepts an invitation as staff stays owner');
select tests.act_as_postgres();

-- invitations per organisation are limited (each one is an email)
update private.rate_limits set max_hits = 1 where bucket = 'invitations';
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of(format($$select public.invite_member(%L, 'one.more@example.com', 'staff')$$, pg_temp.id('org_a'))),
  'PGRST PT429 rate_limited', 'invitations per organisation are rate limited');
select tests.act_as_postgres();

select * from finish();
rollback;
