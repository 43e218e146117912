-- The promoter's view: own links and guests only (a team leader: the team's), and Realtime topics that leak nothing.
begin;
select plan(23);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
-- Registration proofs at a low difficulty here (22-proof-of-work.sql tests the default).
update private.settings set value = '4' where key = 'pow_difficulty';

-- Three guests on the open night: one through Pat (team T), one through Lee (team T), one through Quinn (no team).
select tests.act_as('anon');
create temporary table g_pat as select public.register_and_create_guest_v2('938000001', 'Paula', 'Reis', 'p@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
create temporary table g_lee as select public.register_and_create_guest_v2('938000002', 'Luis', 'Mota', 'l@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('leader'), pg_temp.id('team'), tests.proof()) as v;
create temporary table g_quinn as select public.register_and_create_guest_v2('938000003', 'Quim', 'Barros', 'q@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('other_promoter'), null, tests.proof()) as v;
select tests.act_as_postgres();

-- promoter_overview / promoter_event_feed
select tests.authenticate_as(pg_temp.id('promoter_user'));
create temporary table pat_view as select public.promoter_overview() as v;
create temporary table pat_feed as select public.promoter_event_feed(pg_temp.id('open_event')) as v;
select tests.act_as_postgres();
select is((select jsonb_agg(distinct l #>> '{promoter,display_name}') from pat_view, jsonb_array_elements(v -> 'links') l),
  '["Pat Promoter"]'::jsonb, 'a promoter sees only their own links');
select is((select l ->> 'registered' from pat_view, jsonb_array_elements(v -> 'links') l where l #>> '{event,id}' = pg_temp.id('open_event')::text),
  '1', '... with their registrations only');
select is((select jsonb_agg(g ->> 'first_name') from pat_feed, jsonb_array_elements(v -> 'guests') g), '["Paula"]'::jsonb,
  'the promoter''s feed lists only their guest');
select is((select v -> 'totals' from pat_feed),
  '{"registered": 1, "places": 1, "checked_in": 0, "checked_in_places": 0, "waiting": 0, "pending": 0}'::jsonb, '... and their totals');
select is((select count(*)::int from pat_feed where v::text ~ '938000|example.com|qr_token|Reis'), 0,
  '... first name and last initial only, no phone, email or pass');

select tests.authenticate_as(pg_temp.id('leader_user'));
create temporary table lee_feed as select public.promoter_event_feed(pg_temp.id('open_event')) as v;
create temporary table lee_view as select public.promoter_overview() as v;
select tests.act_as_postgres();
select is((select jsonb_agg(g ->> 'first_name' order by g ->> 'first_name') from lee_feed, jsonb_array_elements(v -> 'guests') g),
  '["Luis", "Paula"]'::jsonb, 'a team leader sees the team''s guests, not Quinn''s');
select is((select jsonb_agg(distinct l #>> '{promoter,display_name}') from lee_view, jsonb_array_elements(v -> 'links') l),
  '["Lee Leader", "Pat Promoter"]'::jsonb, '... and the team''s links');
select is((select jsonb_agg(t ->> 'id') from lee_view, jsonb_array_elements(v -> 'teams') t), jsonb_build_array(pg_temp.id('team')),
  '... and the team they lead');

select tests.authenticate_as(pg_temp.id('other_user'));
select is((select jsonb_agg(g ->> 'first_name') from jsonb_array_elements(public.promoter_event_feed(pg_temp.id('open_event')) -> 'guests') g),
  '["Quim"]'::jsonb, 'another promoter sees only their own guest');
select is(tests.error_of(format('select public.promoter_event_feed(%L)', pg_temp.id('open_event2'))), 'PT404 event_not_found',
  'a night without their link is a 404');
select is(tests.error_of(format('select public.event_dashboard(%L)', pg_temp.id('open_event'))), 'PT403 forbidden',
  'a promoter cannot open the organisers'' dashboard');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.promoter_overview() -> 'links', '[]'::jsonb, 'staff have no promoter links');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.promoter_event_feed(%L)', pg_temp.id('open_event'))), 'PT404 event_not_found',
  'a member of another organisation sees nothing');
select tests.act_as_postgres();
select tests.act_as('service_role');
select is(tests.error_of('select public.promoter_overview()'), '42501 permission denied for function promoter_overview', 'the service role may not call it');
select tests.act_as_postgres();
select tests.act_as('anon');
select is(tests.error_of('select public.promoter_overview()'), '42501 permission denied for function promoter_overview', 'anon cannot');
select tests.act_as_postgres();

-- Realtime: promoter:<id> and team:<id> carry only those guests; RLS admits only that promoter / the leader
select is((select array_agg(payload ->> 'first_name') from realtime.messages where topic = 'promoter:' || pg_temp.id('promoter')),
  array['Paula'], 'promoter:<Pat> carries only Pat''s guest');
select is((select array_agg(payload ->> 'first_name' order by payload ->> 'first_name') from realtime.messages
           where topic = 'team:' || pg_temp.id('team')), array['Luis', 'Paula'], 'team:<T> carries the team''s guests');
select is((select count(*)::int from realtime.messages where topic like 'promoter:%' and payload::text ~ '938000|example.com|qr_token|totals'), 0,
  'no promoter message carries a phone, email, pass or the night''s totals');

/** How many messages of `topic` the signed-in user may read, as Realtime checks a join. */
create or replace function pg_temp.readable(p_topic text) returns integer language plpgsql as $$
declare n integer;
begin
  perform set_config('realtime.topic', p_topic, true);
  select count(*) into n from realtime.messages where topic = p_topic;
  return n;
end $$;
grant execute on function pg_temp.readable(text) to authenticated;
/** How many messages of other topics the signed-in user may read through a channel joined for `p_channel`. */
create or replace function pg_temp.read_through(p_channel text) returns integer language plpgsql as $$
declare n integer;
begin
  perform set_config('realtime.topic', p_channel, true);
  select count(*) into n from realtime.messages where topic <> p_channel;
  return n;
end $$;
grant execute on function pg_temp.read_through(text) to authenticated;

select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(array[pg_temp.readable('promoter:' || pg_temp.id('promoter')), pg_temp.readable('promoter:' || pg_temp.id('other_promoter')),
  pg_temp.readable('team:' || pg_temp.id('team')), pg_temp.readable('event:' || pg_temp.id('open_event'))],
  array[1, 0, 0, 0], 'Pat may listen to promoter:<Pat> only (not Quinn''s, not the team''s, not the night''s)');
-- One topic rule for every topic: a row is read only through a channel of its own topic, so the
-- channel Pat may join carries none of the other topics' messages (Quinn's, the team's, the night's).
select is(pg_temp.read_through('promoter:' || pg_temp.id('promoter')), 0,
  'through the channel of promoter:<Pat>, no message of another topic');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('leader_user'));
select is(array[pg_temp.readable('team:' || pg_temp.id('team')), pg_temp.readable('promoter:' || pg_temp.id('promoter'))],
  array[2, 0], 'the team leader may listen to team:<T>');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(pg_temp.readable('promoter:' || pg_temp.id('promoter')), 0, 'organisers listen to event:<id>, not to promoter topics');
select is(tests.result_of(format($$array[private.can_listen('event:not-a-uuid'), private.can_listen(%L), private.can_listen(%L),
                                         private.can_listen(null)]$$,
            'team:' || pg_temp.id('team') || '0', 'event:' || upper(pg_temp.id('open_event')::text))),
  '[false, false, false, false]'::jsonb, 'a malformed topic is refused (false), never an error');
select tests.act_as_postgres();

select * from finish();
rollback;
