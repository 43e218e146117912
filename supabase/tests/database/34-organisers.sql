-- Organisers and promoters: the promoter role names its record, the CSV as spreadsheets read it,
-- the opens of a link counted without anyone's data, the promoter's published nights, and
-- announcements kept for pages opened later. Per actor: anon, owner, admin, door staff, a
-- promoter, a team leader, a promoter without a link, staff of another organisation.
begin;
select plan(38);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
create or replace function pg_temp.s(k text) returns text language sql as $$ select v ->> k from w $$;
grant execute on function pg_temp.s(text) to anon, authenticated, service_role;
-- A promoter record no account signs in as yet.
insert into public.promoters (id, organization_id, slug, display_name)
values ('00000000-0000-4000-8000-0000000034f1', pg_temp.id('org_a'), 'free-34f1', 'Fia Free');
-- A new member of the door team.
create temporary table nb as select tests.create_user('newbie-' || gen_random_uuid() || '@a.test') as id;
grant select on nb to authenticated;
create or replace function pg_temp.nb() returns uuid language sql as $$ select id from nb $$;
grant execute on function pg_temp.nb() to authenticated;
insert into public.organization_members values (pg_temp.id('org_a'), pg_temp.nb(), 'staff');

-- ---- set_member_role: the promoter record is named, never guessed ----------------------------
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L)', pg_temp.id('org_a'), pg_temp.nb(), 'promoter')),
  'PT400 promoter_required', 'staff made promoter without naming the record is refused, although a record is free');
select tests.act_as_postgres();
select is((select role from public.organization_members where organization_id = pg_temp.id('org_a') and user_id = pg_temp.nb()),
  'staff', '... and nothing changed');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.set_member_role(pg_temp.id('org_a'), pg_temp.nb(), 'promoter', '00000000-0000-4000-8000-0000000034f1') ->> 'promoter_id',
  '00000000-0000-4000-8000-0000000034f1', 'naming the record makes them that promoter');
select is(public.set_member_role(pg_temp.id('org_a'), pg_temp.id('promoter_user'), 'promoter') ->> 'promoter_id',
  pg_temp.s('promoter'), 'a promoter who signs in as one record keeps it when none is named');
select tests.act_as_postgres();
select is((select user_id from public.promoters where id = '00000000-0000-4000-8000-0000000034f1'), pg_temp.nb(),
  'the named record is tied to the account');
select is((select user_id from public.promoters where id = pg_temp.id('promoter')), pg_temp.id('promoter_user'),
  '... and the kept one stays tied');
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.set_member_role(%L, %L, %L, %L)', pg_temp.id('org_a'), pg_temp.nb(), 'staff', null)),
  'PT404 organization_not_found', 'staff of another organisation change no role');
select tests.act_as_postgres();

-- ---- export_guest_list: BOM, language, local time, plus-ones and source -------------------
insert into private.client_users (id, phone, first_name, last_name, password_salt, password_digest)
values ('00000000-0000-4000-8000-0000000034a1', '+351939340001', 'Inês', 'Conceição', tests.salt(), private.sha256('x'));
insert into public.guests (event_id, client_user_id, promoter_id, team_id, status, checked_in_at, plus_ones, source)
values (pg_temp.id('open_event'), '00000000-0000-4000-8000-0000000034a1', pg_temp.id('promoter'), null,
        'checked_in', '2026-07-01 22:30:00+00', 2, 'vip');
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table csv_pt as select public.export_guest_list(pg_temp.id('open_event')) as v;
create temporary table csv_en as select public.export_guest_list(pg_temp.id('open_event'), 'en', 'America/New_York') as v;
select tests.act_as_postgres();
select is((select left(v, 1) from csv_pt), chr(65279), 'the CSV starts with the byte-order mark');
select is((select convert_to(left(v, 1), 'UTF8') from csv_pt), '\xefbbbf'::bytea, '... the bytes EF BB BF in UTF-8');
select is((select split_part(substr(v, 2), E'\r\n', 1) from csv_pt),
  '"Nome","Apelido","Promotor","Equipa","Estado","Acompanhantes","Origem","Entrada (Europe/Lisbon)","Telemóvel"',
  'headers in Portuguese by default, with the time zone of the times');
select is((select split_part(substr(v, 2), E'\r\n', 1) from csv_en),
  '"First name","Last name","Promoter","Team","Status","Plus-ones","Source","Checked in (America/New_York)","Phone"',
  'headers in English when asked');
select is((select split_part(v, E'\r\n', 2) from csv_pt),
  '"Inês","Conceição","Pat Promoter","","checked_in","2","vip","2026-07-01 23:30:00","+351939340001"',
  'a row: accents kept, plus-ones, source, and the arrival in Lisbon''s summer time');
select is((select split_part(v, E'\r\n', 2) from csv_en) ~ '"2026-07-01 18:30:00"', true, '... or in the time zone asked for');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(tests.error_of(format('select public.export_guest_list(%L, %L, %L)', pg_temp.id('open_event'), 'pt', 'Mars/Olympus')),
  'PT400 invalid_time_zone', 'an unknown time zone is refused');
select is(tests.error_of(format('select public.export_guest_list(%L, %L)', pg_temp.id('open_event'), 'fr')),
  'PT400 invalid_language', 'a language other than pt or en is refused');
select is((select count(*)::int from (select public.export_guest_list(pg_temp.id('open_event'), 'en', 'UTC') v) x where v like '%+351%'),
  0, 'an admin''s CSV still has no phone numbers');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.export_guest_list(%L, %L, %L)', pg_temp.id('open_event'), 'en', 'UTC')),
  'PT403 forbidden', 'door staff cannot export');
select tests.act_as_postgres();

-- ---- record_link_open: counted, nobody's data kept ----------------------------------------
select tests.act_as('anon');
select public.record_link_open(pg_temp.s('promoter_slug'), pg_temp.s('open_slug'));
select public.record_link_open(upper(pg_temp.s('promoter_slug')), pg_temp.s('open_slug'));
select public.record_link_open(pg_temp.s('promoter_slug'), pg_temp.s('draft_slug'));
select lives_ok(format('select public.record_link_open(%L, %L)', 'nobody-here', pg_temp.s('open_slug')), 'an unknown link counts nothing and says nothing');
select is(tests.error_of(format('select public.record_link_open(%L, %L)', repeat('x', 101), pg_temp.s('open_slug'))),
  'PT400 input_too_long', 'an overlong slug is refused');
select tests.act_as_postgres();
select is((select sum(opens)::int from private.link_opens where event_id = pg_temp.id('open_event') and promoter_id = pg_temp.id('promoter')),
  2, 'two opens of the link, two counted');
select is((select count(*)::int from private.link_opens where event_id = pg_temp.id('draft_event')), 0, 'a draft night''s link counts nothing');
select is((select array_agg(column_name::text order by column_name::text) from information_schema.columns
           where table_schema = 'private' and table_name = 'link_opens'),
  array['event_id', 'opens', 'promoter_id', 'shard'], 'the counter keeps no address, time or device');
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of(format('select public.record_link_open(%L, %L)', pg_temp.s('promoter_slug'), pg_temp.s('open_slug'))),
  '42501 permission denied for function record_link_open', 'signed-in organisers do not count opens');
select tests.act_as_postgres();

-- ---- promoter_overview: published nights, current first, opens --------------------------
select tests.authenticate_as(pg_temp.id('promoter_user'));
create temporary table pat as select public.promoter_overview() -> 'links' as v;
select tests.act_as_postgres();
select is((select count(*)::int from pat, jsonb_array_elements(v) l where l #>> '{event,id}' = pg_temp.s('draft_event')), 0,
  'a promoter does not see an unpublished night');
select is((select v -> -1 #>> '{event,name}' from pat), 'Past night', 'past nights come last');
select is((select v -> 0 #>> '{event,name}' from pat) <> 'Second night', true, 'the soonest night comes first');
select is((select l -> 'opens' from pat, jsonb_array_elements(v) l where l #>> '{event,id}' = pg_temp.s('open_event')), '2'::jsonb,
  'the link shows its opens');

-- ---- send_announcement / latest_announcement ----------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.send_announcement(pg_temp.id('open_event'), 'closing_soon', '  Lista fecha em 15 min ') ->> 'message',
  'Lista fecha em 15 min', 'an owner sends an announcement');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.send_announcement(pg_temp.id('open_event'), 'message', 'Porta 2 aberta') ->> 'topic',
  'event:' || pg_temp.s('open_event'), 'an admin too, to the event''s topic');
select is(tests.error_of(format('select public.send_announcement(%L, %L, %L)', pg_temp.id('open_event'), 'party', 'x')),
  'PT400 invalid_kind', 'an unknown kind is refused');
select is(tests.error_of(format('select public.send_announcement(%L, %L, %L)', pg_temp.id('open_event'), 'message', '   ')),
  'PT400 invalid_message', 'an empty message is refused');
select tests.act_as_postgres();
select is((select array_agg(topic order by topic) from realtime.messages where event = 'announcement' and payload ->> 'message' = 'Porta 2 aberta'),
  (select array_agg(t order by t) from unnest(array['event:' || pg_temp.s('open_event'), 'promoter:' || pg_temp.s('promoter'),
     'promoter:' || pg_temp.s('leader'), 'promoter:' || pg_temp.s('other_promoter'), 'team:' || pg_temp.s('team')]) t),
  'it is broadcast to the door''s topic and to each linked promoter''s and team''s');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.send_announcement(%L, %L, %L)', pg_temp.id('open_event'), 'message', 'x')),
  'PT403 forbidden', 'door staff may not announce');
select is(public.latest_announcement(pg_temp.id('open_event')) ->> 'message', 'Porta 2 aberta', 'door staff see the latest announcement');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(public.latest_announcement(pg_temp.id('open_event')) ->> 'kind', 'message', 'a linked promoter sees it too');
select is(tests.error_of(format('select public.latest_announcement(%L)', pg_temp.id('event_b'))),
  'PT404 event_not_found', '... but not another organisation''s');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.latest_announcement(%L)', pg_temp.id('open_event'))),
  'PT404 event_not_found', 'staff of another organisation see nothing');
select tests.act_as_postgres();
select tests.act_as('anon');
select is(tests.error_of(format('select public.send_announcement(%L, %L, %L)', pg_temp.id('open_event'), 'message', 'x')),
  '42501 permission denied for function send_announcement', 'anonymous callers cannot announce');
select tests.act_as_postgres();

select * from finish();
rollback;
