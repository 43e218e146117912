-- The door and the list's counts after review: guests added by hand found, named and exported
-- everywhere; counts of passes holding a place (with plus-ones) for promoters and in the live
-- messages; waiting registrations not announced as registrations; the guest's age at the door;
-- offline scans recorded at the device's time within bounds; the status vocabulary. Per actor:
-- door staff, owner, admin, promoter, staff of another organisation, anonymous.
begin;
select plan(47);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated;

-- The night asks the date of birth, with a minimum age of 18; its door opened an hour ago.
select tests.authenticate_as(pg_temp.id('owner_a'));
select public.set_event_questions(pg_temp.id('open_event'), true, 18, false, false);
select tests.act_as_postgres();
update public.events set starts_at = now() - interval '1 hour' where id = pg_temp.id('open_event');
update public.events set plus_ones_max = 3 where id = pg_temp.id('open_event');

-- Three guests with accounts (20 years old, 16, no date of birth), one waiting.
create temporary table acc as select k, tests.create_guest_account(p, f, l) id from (values
  ('marta', '937100001', 'Marta', 'Costa'), ('tiago', '937100002', 'Tiago', 'Novo'),
  ('nuno', '937100003', 'Nuno', 'Semdata'), ('wanda', '937100004', 'Wanda', 'Espera')) x(k, p, f, l);
update private.client_users set birth_date = current_date - interval '20 years' - interval '30 days' where id = (select id from acc where k = 'marta');
update private.client_users set birth_date = current_date - interval '16 years' - interval '30 days' where id = (select id from acc where k = 'tiago');
insert into public.guests (event_id, client_user_id, promoter_id, team_id, status, plus_ones, created_at)
select pg_temp.id('open_event'), a.id, pg_temp.id('promoter'), pg_temp.id('team'),
  case when a.k = 'wanda' then 'waiting' else 'registered' end, case when a.k = 'marta' then 2 else 0 end, now() - interval '2 hours'
from acc a;
create temporary table gid as select a.k, g.id, g.qr_token, g.short_code from acc a join public.guests g on g.client_user_id = a.id;
grant select on gid to anon, authenticated;
create or replace function pg_temp.g(k text) returns uuid language sql as $$ select id from gid where gid.k = $1 $$;
create or replace function pg_temp.qr(k text) returns text language sql as $$ select qr_token from gid where gid.k = $1 $$;
grant execute on function pg_temp.g(text), pg_temp.qr(text) to anon, authenticated;

-- status vocabulary -----------------------------------------------------------------------------
select is(tests.error_of($$update public.guests set status = 'active' where id = pg_temp.g('nuno')$$),
  '23514 new row for relation "guests" violates check constraint "guests_status_check"', 'no pass may be `active`: the status is not in the vocabulary');

-- guests added by hand: found, named, checked in -------------------------------------------------
select tests.authenticate_as(pg_temp.id('staff_a'));
create temporary table hand as select public.add_guest_by_hand(pg_temp.id('open_event'), 'Joana Mão', '912000111',
  pg_temp.id('promoter'), 'door', 1) as v;
grant select on hand to anon, authenticated;
create or replace function pg_temp.hand() returns uuid language sql as $$ select (v ->> 'guest_id')::uuid from hand $$;
grant execute on function pg_temp.hand() to anon, authenticated;
select tests.act_as_postgres();
insert into gid select 'hand', g.id, g.qr_token, g.short_code from public.guests g where g.id = pg_temp.hand();
select tests.authenticate_as(pg_temp.id('staff_a'));

select is((select jsonb_agg(x ->> 'guest_id') from jsonb_array_elements(public.find_guests(pg_temp.id('open_event'), 'joana')) x),
  jsonb_build_array(pg_temp.hand()), 'door staff find a guest added by hand by the name typed');
select is((select jsonb_agg(x ->> 'guest_id') from jsonb_array_elements(public.find_guests(pg_temp.id('open_event'), 'MÃO jo')) x),
  jsonb_build_array(pg_temp.hand()), '... with the same word rules (every word, any order, any case)');
select is((select x - 'guest_id' - 'short_code' from jsonb_array_elements(public.find_guests(pg_temp.id('open_event'), 'joana')) x),
  jsonb_build_object('first_name', 'Joana Mão', 'last_name', '', 'promoter', 'Pat Promoter', 'status', 'registered',
    'checked_in_at', null, 'plus_ones', 1, 'source', 'door', 'age', jsonb_build_object('age', null, 'min_age', 18, 'old_enough', null)),
  '... named, with the source and "age not given"');
select is((select x -> 'age' from jsonb_array_elements(public.find_guests(pg_temp.id('open_event'), 'marta costa')) x),
  '{"age": 20, "min_age": 18, "old_enough": true}'::jsonb, 'a search answer carries the age on the night');
select is(jsonb_array_length(public.find_guests(pg_temp.id('open_event'), 'joana silva')), 0, 'a word the name lacks finds nobody');

create temporary table hand_in as select public.check_in_guest_by_id(pg_temp.id('open_event'), pg_temp.hand(), 'hand-in-0001') as v;
grant select on hand_in to anon, authenticated;
select is((select v ->> 'verdict' from hand_in), 'checked_in', 'a guest added by hand checks in from the search');
select is((select v -> 'guest' ->> 'first_name' from hand_in), 'Joana Mão', '... and the verdict names them');
select is((select v -> 'guest' ->> 'last_name' from hand_in), '', '... (the name typed, last name empty, never null)');
select is((select (v ->> 'plus_ones')::int from hand_in), 1, '... with their plus-one');
select is((select v -> 'age' from hand_in), '{"age": null, "min_age": 18, "old_enough": null}'::jsonb, '... and "age not given"');
select is(public.check_in_guest_by_id(pg_temp.id('open_event'), pg_temp.hand(), 'hand-in-0002') -> 'guest' ->> 'first_name',
  'Joana Mão', 'a second scan of them names them too');

-- the age at the door ---------------------------------------------------------------------------
select is(public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr('tiago'), 'age-young-01') -> 'age',
  '{"age": 16, "min_age": 18, "old_enough": false}'::jsonb, 'a scan of a 16-year-old says so against the minimum of 18');
select is(public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr('nuno'), 'age-none-001') -> 'age',
  '{"age": null, "min_age": 18, "old_enough": null}'::jsonb, 'a guest who gave no date of birth: age not given');
select is(public.check_in_guest(pg_temp.id('open_event'), 'not-a-pass-at-all', 'age-unkn-001') -> 'age',
  'null'::jsonb, 'an unknown pass has no age');

-- the door's offline list ---------------------------------------------------------------------
create temporary table dl as select public.door_list(pg_temp.id('open_event')) as v;
grant select on dl to anon, authenticated;
select is((select e ->> 2 from dl, jsonb_array_elements(v -> 'guests') e where e ->> 1 = (select short_code from gid where k = 'hand')),
  'Joana Mão', 'the offline list names a guest added by hand');
select is((select jsonb_build_object('birth_date', v -> 'birth_date', 'min_age', v -> 'min_age') from dl),
  '{"birth_date": true, "min_age": 18}'::jsonb, '... says the night asks the date of birth, minimum 18');
select is((select (e ->> 7)::int from dl, jsonb_array_elements(v -> 'guests') e where e ->> 1 = (select short_code from gid where k = 'marta')),
  20, '... and carries each guest''s age');
select is((select e -> 7 from dl, jsonb_array_elements(v -> 'guests') e where e ->> 1 = (select short_code from gid where k = 'nuno')),
  'null'::jsonb, '... null when not given');

-- the CSV ----------------------------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
select ok(public.export_guest_list(pg_temp.id('open_event'), 'en') like '%"Joana Mão","","Pat Promoter",%"door",%"+351912000111"%',
  'the owner''s CSV has the guest added by hand, named, with the source and the phone typed');
select tests.authenticate_as(pg_temp.id('admin_a'));
select ok(public.export_guest_list(pg_temp.id('open_event'), 'en') like '%"Joana Mão","","Pat Promoter",%"door",%',
  'an admin''s CSV has them too');
select ok(public.export_guest_list(pg_temp.id('open_event'), 'en') not like '%351912000111%', '... without the phone');

-- live messages: hand-added guests named, waiting registrations apart ----------------------------
select tests.act_as_postgres();
create or replace function pg_temp.msg(p_topic text, p_event text, p_guest uuid, p_status text default null) returns jsonb language sql as $$
  select m.payload from realtime.messages m where m.topic = p_topic and m.event = p_event and m.payload ->> 'guest_id' = p_guest::text
    and (p_status is null or m.payload ->> 'status' = p_status)
  order by m.inserted_at desc limit 1 $$;
select is(pg_temp.msg('event:' || pg_temp.id('open_event'), 'guest_registered', pg_temp.hand()) ->> 'first_name', 'Joana Mão',
  'the organisers hear of a guest added by hand, named');
select is(pg_temp.msg('event:' || pg_temp.id('open_event'), 'guest_checked_in', pg_temp.hand()) ->> 'first_name', 'Joana Mão',
  '... and of their arrival');
select is(pg_temp.msg('promoter:' || pg_temp.id('promoter'), 'guest_checked_in', pg_temp.hand()) ->> 'first_name', 'Joana Mão',
  '... and so does their promoter');
select is(pg_temp.msg('event:' || pg_temp.id('open_event'), 'guest_checked_in', pg_temp.hand()) -> 'totals' -> 'checked_in_places',
  '2'::jsonb, 'the arrival''s totals count places with plus-ones');

create temporary table late as select tests.create_guest_account('937100009', 'Lia', 'Tarde') as id;
insert into public.guests (event_id, client_user_id, promoter_id, team_id, status)
values (pg_temp.id('open_event'), (select id from late), pg_temp.id('promoter'), pg_temp.id('team'), 'waiting');
create temporary table late_g as select id from public.guests where client_user_id = (select id from late);
select is(pg_temp.msg('event:' || pg_temp.id('open_event'), 'guest_registered', (select id from late_g)), null,
  'a waiting registration is not announced as a registration to the organisers');
select is(pg_temp.msg('promoter:' || pg_temp.id('promoter'), 'guest_registered', (select id from late_g)), null,
  '... nor to the promoter');
select is(pg_temp.msg('event:' || pg_temp.id('open_event'), 'guest_status', (select id from late_g), 'waiting') ->> 'status', 'waiting',
  '... but as a change of the list (the page refetches)');
select is((pg_temp.msg('event:' || pg_temp.id('open_event'), 'guest_status', (select id from late_g), 'waiting') -> 'totals' ->> 'registered')::int, 4,
  '... with totals of passes holding a place (Marta, Tiago, Nuno, Joana; not the waiting ones)');
update public.guests set status = 'registered' where id = (select id from late_g);
select is((pg_temp.msg('event:' || pg_temp.id('open_event'), 'guest_status', (select id from late_g), 'registered') -> 'totals' ->> 'registered')::int, 5,
  'a promotion from the waiting list counts in the organisers'' totals');
select is(pg_temp.msg('promoter:' || pg_temp.id('promoter'), 'guest_status', (select id from late_g), 'registered') ->> 'guest_id', (select id::text from late_g),
  '... and is told to the promoter');
select is(pg_temp.msg('team:' || pg_temp.id('team'), 'guest_status', (select id from late_g), 'registered') ->> 'guest_id', (select id::text from late_g),
  '... and to the team');

-- promoters' counts -------------------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is((select l - 'event' - 'promoter' - 'team_id' - 'path' - 'opens' - 'announcement'
           from jsonb_array_elements(public.promoter_overview() -> 'links') l where l #>> '{event,id}' = pg_temp.id('open_event')::text),
  '{"registered": 5, "places": 8, "checked_in": 3, "checked_in_places": 4, "waiting": 1, "pending": 0}'::jsonb,
  'a promoter''s link counts passes holding a place, places with plus-ones and arrivals, waiting apart');
select is(public.promoter_event_feed(pg_temp.id('open_event')) -> 'totals',
  '{"registered": 5, "places": 8, "checked_in": 3, "checked_in_places": 4, "waiting": 1, "pending": 0}'::jsonb,
  '... and so does their night''s feed');
select is((select g ->> 'first_name' from jsonb_array_elements(public.promoter_event_feed(pg_temp.id('open_event')) -> 'guests') g
           where g ->> 'guest_id' = pg_temp.hand()::text), 'Joana Mão', '... which names the guest added by hand');
select is(tests.error_of($$select public.check_in_guest_by_id(pg_temp.id('open_event'), pg_temp.hand(), 'hand-p-00001')$$),
  'PT403 forbidden', 'a promoter cannot check in a guest added by hand');
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of($$select public.find_guests(pg_temp.id('open_event'), 'joana')$$),
  'PT404 event_not_found', 'staff of another organisation cannot search for them');
select tests.act_as('anon');
select is(tests.error_of($$select public.promoter_event_feed(pg_temp.id('open_event'))$$),
  '42501 permission denied for function promoter_event_feed', 'anonymous callers cannot read a promoter''s feed');

-- offline scans: recorded at the device's time, within bounds ----------------------------------
select tests.act_as_postgres();
create temporary table more as select k, tests.create_guest_account(p, f, 'Offline') id from (values
  ('o1', '937200001', 'Off1'), ('o2', '937200002', 'Off2'), ('o3', '937200003', 'Off3'), ('o4', '937200004', 'Off4'),
  ('o5', '937200005', 'Off5')) x(k, p, f);
insert into public.guests (event_id, client_user_id, promoter_id, team_id, created_at)
select pg_temp.id('open_event'), m.id, pg_temp.id('promoter'), pg_temp.id('team'), now() - interval '2 hours' from more m;
insert into gid select m.k, g.id, g.qr_token, g.short_code from more m join public.guests g on g.client_user_id = m.id;
select tests.authenticate_as(pg_temp.id('staff_a'));
select public.door_sync(pg_temp.id('open_event'), jsonb_build_array(
  jsonb_build_object('nonce', 'off-time-001', 'code', pg_temp.qr('o1'), 'scanned_at', now() - interval '10 minutes', 'verdict', 'checked_in'),
  jsonb_build_object('nonce', 'off-time-002', 'code', pg_temp.qr('o2'), 'scanned_at', now() + interval '1 hour', 'verdict', 'checked_in'),
  jsonb_build_object('nonce', 'off-time-003', 'code', pg_temp.qr('o3'), 'scanned_at', now() - interval '1 day', 'verdict', 'checked_in'),
  jsonb_build_object('nonce', 'off-time-004', 'code', pg_temp.qr('o4'), 'at', now() - interval '5 minutes', 'verdict', 'checked_in'),
  jsonb_build_object('nonce', 'off-time-005', 'code', pg_temp.qr('o5'), 'scanned_at', 'infinity', 'verdict', 'checked_in')));
select tests.act_as_postgres();
select is((select checked_in_at from public.guests where id = pg_temp.g('o1')), now() - interval '10 minutes',
  'an offline scan is recorded at the time the device took it');
select is((select checked_in_at from public.guests where id = pg_temp.g('o2')), now(),
  'a device time in the future (beyond the skew) is taken as now');
select is((select checked_in_at from public.guests where id = pg_temp.g('o3')), now(),
  'a device time before the night''s door opened is taken as now');
select is((select checked_in_at from public.guests where id = pg_temp.g('o4')), now() - interval '5 minutes',
  'the time under its older name (`at`) is taken too');
select is((select checked_in_at from public.guests where id = pg_temp.g('o5')), now(),
  'an unreadable time is taken as now, without failing the upload');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.door_sync(pg_temp.id('open_event'), jsonb_build_array(
  jsonb_build_object('nonce', 'off-time-011', 'code', pg_temp.qr('o1'), 'scanned_at', now() - interval '5 minutes', 'verdict', 'checked_in'),
  jsonb_build_object('nonce', 'off-time-012', 'code', pg_temp.qr('o1'), 'scanned_at', now() - interval '20 minutes', 'verdict', 'checked_in')))
  -> 1 ->> 'verdict', 'conflict', 'another device that admitted the same guest earlier: a conflict');
select tests.act_as_postgres();
select is((select checked_in_at from public.guests where id = pg_temp.g('o1')), now() - interval '20 minutes',
  '... and the arrival moves to the earliest scan (a later one leaves it)');
select is(private.door_scan_time(pg_temp.id('open_event'), (now() + interval '1 minute')::text), now(),
  'a device clock a minute ahead counts as now');

select * from finish();
rollback;
