-- The night's list: plus-ones, guests added by hand, quotas per promoter and team, revoking,
-- the waiting list and approval mode, per actor (owner, admin, door staff, promoter, guest
-- session, anonymous, staff of another organisation).
begin;
select plan(52);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated;

-- Six guests with sessions 'tok-1' … 'tok-6'.
insert into private.guest_sessions (token_hash, client_user_id, expires_at)
select private.sha256('tok-' || i), tests.create_guest_account('93700000' || i, 'G' || i, 'Last' || i), now() + interval '1 day'
from generate_series(1, 6) i;
create or replace function pg_temp.join(i int, k text default 'small_event') returns jsonb language sql as $$
  select public.join_event_with_session('tok-' || i, pg_temp.id(k), pg_temp.id('promoter'), pg_temp.id('team')) $$;
grant execute on function pg_temp.join(int, text) to anon;
create or replace function pg_temp.places(k text default 'small_event') returns bigint language sql security definer as $$
  select private.places_taken(pg_temp.id(k)) $$;
grant execute on function pg_temp.places(text) to anon, authenticated;
create temporary table slugs as select slug from public.events where id = pg_temp.id('small_event');
grant select on slugs to anon;
create or replace function pg_temp.gid(t text, k text default 'small_event') returns uuid language sql security definer as $$
  select g.id from public.guests g join private.guest_sessions s on s.client_user_id = g.client_user_id
  where s.token_hash = private.sha256(t) and g.event_id = pg_temp.id(k) $$;
grant execute on function pg_temp.gid(text, text) to authenticated;

-- rules: who may set them ---------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of($$select public.set_event_list_rules(pg_temp.id('small_event'), 2, true, false)$$),
  'PT403 forbidden', 'door staff cannot set the list rules');
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of($$select public.set_event_list_rules(pg_temp.id('small_event'), 2, true, false)$$),
  'PT403 forbidden', 'a promoter cannot set the list rules');
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of($$select public.set_event_list_rules(pg_temp.id('small_event'), 2, true, false)$$),
  'PT404 event_not_found', 'another organisation''s staff do not see the night');
select tests.act_as('anon');
select is(tests.error_of($$select public.set_event_list_rules(pg_temp.id('small_event'), 2, true, false)$$),
  '42501 permission denied for function set_event_list_rules', 'anonymous callers cannot set the list rules');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of($$select public.set_event_list_rules(pg_temp.id('small_event'), 21, true, false)$$),
  'PT400 invalid_plus_ones', 'at most 20 plus-ones');
select tests.authenticate_as(pg_temp.id('owner_a'));
select is((public.set_event_list_rules(pg_temp.id('small_event'), 2, false, false) ->> 'plus_ones_max')::int, 2,
  'the owner sets the most plus-ones');
select tests.act_as_postgres();
update public.events set capacity = 4 where id = pg_temp.id('small_event');

-- plus-ones -----------------------------------------------------------------------------------
select tests.act_as('anon');
select is(pg_temp.join(1) ->> 'status', 'registered', 'a guest joins with a place');
select is(tests.error_of($$select public.set_my_plus_ones('tok-1', pg_temp.id('small_event'), 3)$$),
  'PT400 invalid_plus_ones', 'no more plus-ones than the night allows');
select is((public.set_my_plus_ones('tok-1', pg_temp.id('small_event'), 2) ->> 'plus_ones')::int, 2,
  'the guest chooses +2 within the most');
select is(pg_temp.places(), 3::bigint, 'a guest with +2 takes 3 places');
select is(tests.error_of($$select public.set_my_plus_ones('nope', pg_temp.id('small_event'), 1)$$),
  'PT401 invalid_session', 'plus-ones need the guest''s session');
select is(tests.error_of($$select public.set_my_plus_ones('tok-2', pg_temp.id('small_event'), 1)$$),
  'PT404 pass_not_found', 'plus-ones need a pass');
select is(pg_temp.join(2) ->> 'status', 'registered', 'the fourth place goes to the next guest');
select is(tests.error_of($$select public.set_my_plus_ones('tok-2', pg_temp.id('small_event'), 1)$$),
  'PT409 not_enough_places', 'no plus-one past the capacity');
select is(tests.error_of($$select pg_temp.join(3)$$), 'PT409 guest_list_closed', 'a full night (with plus-ones) refuses new guests');
select is((public.resolve_promoter_link((select v ->> 'promoter_slug' from w), (select slug from slugs)) -> 'event')
  - array['id', 'slug', 'name', 'venue', 'starts_at', 'ends_at', 'guest_list_closes_at'],
  '{"is_open": false, "is_full": true, "waiting_list": false, "requires_approval": false, "plus_ones_max": 2}'::jsonb,
  'the link card says the night is full before the form');
select is((public.my_pass('tok-1', pg_temp.id('small_event')) - array['guest_id', 'qr_token', 'checked_in_at']),
  '{"status": "registered", "plus_ones": 2, "plus_ones_max": 2, "list_open": true}'::jsonb, 'the guest sees their pass');

-- the dashboard counts places -----------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.event_dashboard(pg_temp.id('small_event')) #> '{totals,places}', '4'::jsonb, 'the dashboard counts places with plus-ones');
select is(public.event_dashboard(pg_temp.id('small_event')) #> '{by_promoter,0,places}', '4'::jsonb, 'and per promoter');
select tests.act_as_postgres();
create temporary table ev as select * from public.events e where e.id = pg_temp.id('small_event');
grant select on ev to authenticated;
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of($$select public.update_event(e.id, e.version, e.slug, e.name, e.venue, e.starts_at, e.ends_at,
  e.guest_list_closes_at, 3, true) from ev e$$),
  'PT409 capacity_below_guests', 'the capacity cannot go below the places taken');

-- waiting list --------------------------------------------------------------------------------
select public.set_event_list_rules(pg_temp.id('small_event'), 2, true, false);
select tests.act_as('anon');
select is(pg_temp.join(3) ->> 'status', 'waiting', 'a full night with a waiting list puts the guest on it');
select is(pg_temp.join(4) ->> 'status', 'waiting', 'and the next one after');
select is(pg_temp.join(3) ->> 'status', 'waiting', 'joining again gives the same waiting pass');
select is(pg_temp.places(), 4::bigint, 'waiting guests take no place');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of($$select public.revoke_guest(pg_temp.id('small_event'), pg_temp.gid('tok-1'), 'spam')$$), 'PT403 forbidden', 'door staff cannot revoke');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of($$select public.revoke_guest(pg_temp.id('small_event'), pg_temp.gid('tok-1'), '')$$), 'PT400 invalid_reason', 'a revoke needs a reason');
select is(public.revoke_guest(pg_temp.id('small_event'), pg_temp.gid('tok-1'), 'Sold the pass') ->> 'status', 'revoked', 'the admin revokes a pass with a reason');
select tests.act_as('anon');
select is(public.my_pass('tok-1', pg_temp.id('small_event')) ->> 'status', 'revoked', 'the guest sees the pass revoked');
select is(public.my_pass('tok-3', pg_temp.id('small_event')) ->> 'status', 'registered', 'the first waiting guest is promoted');
select is(public.my_pass('tok-4', pg_temp.id('small_event')) ->> 'status', 'registered', 'the second too: 3 places freed');
select is(tests.error_of($$select public.set_my_plus_ones('tok-1', pg_temp.id('small_event'), 0)$$),
  'PT404 pass_not_found', 'a revoked pass takes no plus-ones');
select tests.act_as_postgres();
select is((select count(*)::int from realtime.messages where topic = 'event:' || pg_temp.id('small_event')
  and event = 'guest_status' and payload ->> 'status' = 'registered'), 2, '/live hears of both promotions');
select is((select count(*)::int from realtime.messages where topic = 'event:' || pg_temp.id('small_event')
  and event = 'guest_revoked'), 1, 'and of the revoked pass');

-- guests by hand ------------------------------------------------------------------------------
update public.events set capacity = 6 where id = pg_temp.id('small_event');
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of($$select public.add_guest_by_hand(pg_temp.id('small_event'), 'Vera VIP', null, pg_temp.id('promoter'), 'vip')$$),
  'PT403 forbidden', 'a promoter cannot add a guest by hand');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of($$select public.add_guest_by_hand(pg_temp.id('small_event'), 'Vera VIP', null, pg_temp.id('promoter'), 'link')$$),
  'PT400 invalid_source', 'the source is door, organiser or vip');
create temporary table vip as
  select public.add_guest_by_hand(pg_temp.id('small_event'), 'Vera VIP', null, pg_temp.id('promoter'), 'vip', 1) v;
select is((select v ->> 'status' from vip), 'registered', 'door staff add a guest by hand, without a phone');
select is(pg_temp.places(), 5::bigint, 'counted like any pass, plus-ones included');
select is(tests.error_of($$select public.add_guest_by_hand(pg_temp.id('small_event'), 'Ana', '937000005', pg_temp.id('promoter'), 'door', 1)$$),
  'PT409 guest_list_full', 'a guest by hand needs the places too');
select is(public.add_guest_by_hand(pg_temp.id('small_event'), 'Ana', '937000005', pg_temp.id('promoter'), 'door') ->> 'source', 'door',
  'a guest at the door with a phone');
select tests.act_as('anon');
select is(public.my_pass('tok-5', pg_temp.id('small_event')) ->> 'status', 'registered', 'a phone with an account gets the pass on it');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is((select jsonb_agg(x ->> 'name' order by x ->> 'name') from jsonb_array_elements(public.event_list(pg_temp.id('small_event')) -> 'guests') x
  where x ->> 'source' <> 'link'), '["G5 L.", "Vera VIP"]'::jsonb, '/live lists the guests added by hand');
select is(public.check_in_guest(pg_temp.id('small_event'), (select v ->> 'qr_token' from vip), 'nonce-vip-1') ->> 'verdict',
  'checked_in', 'the pass of a guest added by hand works at the door');

-- quotas --------------------------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of($$select public.set_event_quota(pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), 1)$$),
  'PT400 invalid_quota', 'a quota is for one promoter or one team');
select is((public.set_event_quota(pg_temp.id('open_event'), pg_temp.id('promoter'), null, 2) -> 'quotas' -> 0 ->> 'places')::int, 2,
  'the admin sets a quota for a promoter');
select tests.act_as('anon');
select is(pg_temp.join(1, 'open_event') ->> 'status', 'registered', 'a guest within the quota');
select is(pg_temp.join(2, 'open_event') ->> 'status', 'registered', 'the last place of the quota');
select is(tests.error_of($$select pg_temp.join(3, 'open_event')$$), 'PT409 quota_full', 'past the promoter''s quota: quota_full');
select is(public.join_event_with_session('tok-3', pg_temp.id('open_event'), pg_temp.id('leader'), pg_temp.id('team')) ->> 'status',
  'registered', 'another promoter''s link of the night still has room');
select tests.authenticate_as(pg_temp.id('admin_a'));
select public.set_event_quota(pg_temp.id('open_event'), null, pg_temp.id('team'), 3);
select tests.act_as('anon');
select is(tests.error_of($$select public.join_event_with_session('tok-4', pg_temp.id('open_event'), pg_temp.id('leader'), pg_temp.id('team'))$$),
  'PT409 quota_full', 'past the team''s quota: quota_full');
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of($$select public.set_event_quota(pg_temp.id('open_event'), null, pg_temp.id('team'), 2)$$),
  'PT409 quota_below_guests', 'a quota cannot go below the places taken');

-- approval mode -------------------------------------------------------------------------------
select public.set_event_list_rules(pg_temp.id('open_event2'), 0, false, true);
select tests.act_as('anon');
select is(pg_temp.join(6, 'open_event2') ->> 'status', 'pending', 'with approval, a new guest is pending');
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.decide_pending_guest(pg_temp.id('open_event2'), pg_temp.gid('tok-6', 'open_event2'), true) ->> 'status', 'registered', 'the owner approves: the pass is on the list');

select * from finish();
rollback;
