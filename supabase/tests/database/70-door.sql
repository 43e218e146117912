-- The door: short codes, search by code, plus-ones, statuses that may not enter, the offline list
-- and its reconciliation, exit and re-entry scans; per actor (door staff of the night, staff of
-- another organisation's night, a promoter, anonymous).
begin;
select plan(52);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
update private.settings set value = '4' where key = 'pow_difficulty';

select tests.act_as('anon');
create temporary table pass as select public.register_and_create_guest_v2('936000001', 'Inês', 'Sousa', 'i@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
create temporary table pass2 as select public.register_and_create_guest_v2('936000002', 'Rui', 'Teles', 'r@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
create temporary table pass3 as select public.register_and_create_guest_v2('936000003', 'Vera', 'Lobo', 'v@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
select tests.act_as_postgres();
grant select on pass, pass2, pass3 to anon, authenticated;
create or replace function pg_temp.qr(t text) returns text language sql as $$
  select case t when 'pass' then (select v ->> 'qr_token' from pass) when 'pass2' then (select v ->> 'qr_token' from pass2)
    else (select v ->> 'qr_token' from pass3) end $$;
create temporary table codes as
  select t, (select short_code from public.guests where qr_token = pg_temp.qr(t)) c from unnest(array['pass', 'pass2', 'pass3']) t;
grant select on codes to anon, authenticated;
create or replace function pg_temp.code(k text) returns text language sql as $$ select c from codes where t = k $$;
grant execute on function pg_temp.qr(text), pg_temp.code(text) to anon, authenticated;
-- The list's statuses and plus-ones as the list rules set them.
alter table public.guests drop constraint if exists guests_status_check, drop constraint if exists guests_check;
update public.guests set plus_ones = 2 where qr_token = pg_temp.qr('pass');
update public.guests set status = 'revoked' where qr_token = pg_temp.qr('pass3');

-- short codes
select matches(pg_temp.code('pass'), '^[A-HJ-NP-Z2-9]{6}$', 'every pass gets a 6-character code without look-alikes');
select is(pg_temp.code('pass'), private.pass_code(pg_temp.qr('pass')), '... read from the QR secret (the guest page computes it)');
select is(private.pass_code('abc'), '42Y9RB', '... as sha256 bytes modulo 32 into the alphabet (client/passcode.ts has the same vector)');
create temporary table clash as
  with g as (insert into public.guests (event_id, client_user_id, promoter_id, qr_token)
             values (pg_temp.id('open_event'), null, pg_temp.id('promoter'), pg_temp.qr('pass')) returning qr_token, short_code)
  select * from g;
select isnt((select qr_token from clash), pg_temp.qr('pass'), 'a new pass whose code is taken on the night gets another secret');
select isnt((select short_code from clash), pg_temp.code('pass'), '... and so another code: codes are unique per night');
delete from public.guests where qr_token = (select qr_token from clash);

-- who may use the door functions
select tests.act_as('anon');
select is(tests.error_of(format($$select public.find_guests(%L, %L)$$, pg_temp.id('open_event'), pg_temp.code('pass'))),
  '42501 permission denied for function find_guests', 'anon cannot search');
select is(tests.error_of(format($$select public.door_list(%L)$$, pg_temp.id('open_event'))),
  '42501 permission denied for function door_list', 'anon cannot download the door list');
select is(tests.error_of(format($$select public.door_sync(%L, '[]')$$, pg_temp.id('open_event'))),
  '42501 permission denied for function door_sync', 'anon cannot upload scans');
select is(tests.error_of(format($$select public.set_door_settings(%L, true)$$, pg_temp.id('open_event'))),
  '42501 permission denied for function set_door_settings', 'anon cannot change the door settings');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format($$select public.find_guests(%L, %L)$$, pg_temp.id('open_event'), pg_temp.code('pass'))),
  'PT404 event_not_found', 'door staff of another night: search is a 404');
select is(tests.error_of(format($$select public.door_list(%L)$$, pg_temp.id('open_event'))),
  'PT404 event_not_found', '... so is the door list');
select is(tests.error_of(format($$select public.door_sync(%L, %L)$$, pg_temp.id('open_event'),
  jsonb_build_array(jsonb_build_object('nonce', 'sync-b-0001', 'code', pg_temp.qr('pass'), 'at', now(), 'verdict', 'checked_in'))::text)),
  'PT404 event_not_found', '... and uploading scans');
select is(tests.error_of(format($$select public.check_out_guest(%L, %L, 'out-b-00001')$$, pg_temp.id('open_event'), pg_temp.qr('pass'))),
  'PT404 event_not_found', '... and an exit scan');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of(format($$select public.find_guests(%L, %L)$$, pg_temp.id('open_event'), pg_temp.code('pass'))),
  'PT403 forbidden', 'a promoter cannot search at the door');
select is(tests.error_of(format($$select public.door_list(%L)$$, pg_temp.id('open_event'))),
  'PT403 forbidden', '... nor download the door list');
select is(tests.error_of(format($$select public.door_sync(%L, %L)$$, pg_temp.id('open_event'),
  jsonb_build_array(jsonb_build_object('nonce', 'sync-p-0001', 'code', pg_temp.qr('pass'), 'at', now(), 'verdict', 'checked_in'))::text)),
  'PT403 forbidden', '... nor upload scans');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format($$select public.set_door_settings(%L, true)$$, pg_temp.id('open_event'))),
  'PT403 forbidden', 'door staff cannot change the night''s door settings');
select tests.act_as_postgres();
select is((select count(*)::int from public.checkins), 0, 'refused calls record no scan');

-- search by code and by name, as door staff of the night
select tests.authenticate_as(pg_temp.id('staff_a'));
create temporary table found as
  select public.find_guests(pg_temp.id('open_event'), lower(left(pg_temp.code('pass'), 3) || '-' || right(pg_temp.code('pass'), 3))) as v;
select is((select v -> 0 ->> 'first_name' from found), 'Inês', 'a short code typed in lower case with a dash finds its guest');
select is((select v -> 0 ->> 'plus_ones' from found), '2', '... with the plus-ones');
select is((select v -> 0 ->> 'short_code' from found), pg_temp.code('pass'), '... and the code');
select is((select v -> 0 ? 'phone' or v -> 0 ? 'email' from found), false, '... never a phone or email');
select is(jsonb_array_length(public.find_guests(pg_temp.id('open_event'), 'teles')), 1, 'search by name still works');

-- check-in by code: the guest and the plus-ones
create temporary table by_code as select public.check_in_guest(pg_temp.id('open_event'), pg_temp.code('pass'), 'code-a-00001') as v;
select is((select v ->> 'verdict' from by_code), 'checked_in', 'a typed short code checks the guest in');
select is((select v ->> 'plus_ones' from by_code), '2', '... and says +2 came in with them');
select is(public.check_in_guest(pg_temp.id('open_event'), 'ZZZZZZ', 'code-a-00002') ->> 'verdict', 'unknown',
  'a code nobody on the night has is unknown');
create temporary table revoked as select public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr('pass3'), 'code-a-00003') as v;
select is((select v ->> 'verdict' from revoked), 'not_admitted', 'a revoked pass does not enter');
select is((select v ->> 'reason' from revoked), 'revoked', '... and the door is told why');
select tests.act_as_postgres();
select is((select plus_ones from public.checkins where nonce = 'code-a-00001'), 2::smallint, 'the check-in records the guest and 2 came in');
select is((select checked_in_at from public.guests where qr_token = pg_temp.qr('pass3')), null, 'the revoked guest is not checked in');
update public.guests set status = 'waiting' where qr_token = pg_temp.qr('pass3');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr('pass3'), 'code-a-00004') ->> 'reason', 'waiting',
  'a waiting guest does not enter either');

-- the offline list
create temporary table list as select public.door_list(pg_temp.id('open_event')) as v;
select tests.act_as_postgres();
select is((select jsonb_array_length(v -> 'guests') from list), 3, 'the door list has every pass of the night');
select ok((select v -> 'guests' @> jsonb_build_array(jsonb_build_array(encode(private.sha256(pg_temp.qr('pass2')), 'hex'),
  pg_temp.code('pass2'), 'Rui T.', 0, 'active', false, false)) from list),
  'each as [sha256 of the secret, code, first name and last initial, plus-ones, status, checked in, inside]');
select ok((select v -> 'guests' @> jsonb_build_array(jsonb_build_array(encode(private.sha256(pg_temp.qr('pass3')), 'hex'),
  pg_temp.code('pass3'), 'Vera L.', 0, 'waiting', false, false)) from list), '... a waiting pass says so');
select is((select v::text ~ ('(\+351|@example|Sousa|' || pg_temp.qr('pass') || ')') from list), false,
  '... and no phone, email, last name or QR secret');
update private.rate_limits set max_hits = 1 where bucket = 'door_lists';
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format($$select public.door_list(%L)$$, pg_temp.id('open_event'))),
  'PGRST PT429 rate_limited', 'downloads of the list are counted per staff member');
select tests.act_as_postgres();

-- reconciling offline scans: two devices admitted the same pass
select tests.authenticate_as(pg_temp.id('staff_a'));
create temporary table device1 as select public.door_sync(pg_temp.id('open_event'), jsonb_build_array(
  jsonb_build_object('nonce', 'dev1-000001', 'code', pg_temp.qr('pass2'), 'at', now(), 'verdict', 'checked_in'),
  jsonb_build_object('nonce', 'dev1-000002', 'code', 'forged-code-0000', 'at', now(), 'verdict', 'unknown'))) as v;
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table device2 as select public.door_sync(pg_temp.id('open_event'), jsonb_build_array(
  jsonb_build_object('nonce', 'dev2-000001', 'code', pg_temp.qr('pass2'), 'at', now(), 'verdict', 'checked_in'))) as v;
select tests.act_as_postgres();
select is((select array[v -> 0 ->> 'verdict', v -> 1 ->> 'verdict'] from device1), array['checked_in', 'unknown'],
  'the first device''s upload: its guest checked in, the forged code unknown');
select is((select v -> 0 ->> 'verdict' from device2), 'conflict', 'the second device admitted the same pass: a conflict');
select is((select count(*)::int from public.checkins where guest_id = (select id from public.guests where qr_token = pg_temp.qr('pass2'))
  and result = 'checked_in'), 1, '... the guest counted once');
select is((select offline_verdict from public.checkins where nonce = 'dev2-000001'), 'checked_in', '... with what the device showed');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.door_sync(pg_temp.id('open_event'), jsonb_build_array(
  jsonb_build_object('nonce', 'dev1-000001', 'code', pg_temp.qr('pass2'), 'at', now(), 'verdict', 'checked_in'),
  jsonb_build_object('nonce', 'dev1-000002', 'code', 'forged-code-0000', 'at', now(), 'verdict', 'unknown'))),
  (select v from device1), 'the same upload again returns the same answers');
select tests.act_as_postgres();
select is((select count(*)::int from public.checkins where nonce like 'dev%'), 3, '... and records nothing new');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format($$select public.door_sync(%L, '[{"nonce": "dev1-000009"}]')$$, pg_temp.id('open_event'))),
  'PT400 invalid_scans', 'a scan without a verdict is refused');
select is(tests.error_of(format($$select public.door_sync(%L, '{}')$$, pg_temp.id('open_event'))),
  'PT400 invalid_scans', '... and so is anything but an array');

-- exit and re-entry
select is(tests.error_of(format($$select public.check_out_guest(%L, %L, 'out-a-00001')$$, pg_temp.id('open_event'), pg_temp.qr('pass'))),
  'PT409 exit_scans_off', 'no exit scans on a night without them');
select is(public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr('pass'), 'again-a-0001') ->> 'verdict', 'already_checked_in',
  '... where a second entry is already_checked_in');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.set_door_settings(pg_temp.id('open_event'), true) ->> 'exit_scans', 'true', 'an admin turns exit scans on');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.check_out_guest(pg_temp.id('open_event'), pg_temp.qr('pass'), 'out-a-00002') ->> 'verdict', 'checked_out',
  'a guest inside scans out');
select is(public.check_out_guest(pg_temp.id('open_event'), pg_temp.qr('pass'), 'out-a-00003') ->> 'verdict', 'not_inside',
  '... twice is not_inside');
create temporary table back_in as select public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr('pass'), 'back-a-00001') as v;
select is((select v ->> 'verdict' from back_in), 're_entered', '... and comes back in: re_entered');
select is((select v ->> 'plus_ones' from back_in), '2', '... with their plus-ones');
select is(public.check_in_guest(pg_temp.id('open_event'), pg_temp.qr('pass'), 'back-a-00002') ->> 'verdict', 'already_checked_in',
  'a second entry while inside is already_checked_in');

select * from finish();
rollback;
