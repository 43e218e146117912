-- The seed's fields as questions an organiser chooses per night: set per night by owners and
-- admins, asked and checked at registration (date of birth with a minimum age, gender, city),
-- checked again when an existing guest joins, shown at the door, the guest's own on /me, gone
-- with the account, and seen by organisers and promoters as counts only. Per actor: anon, a guest
-- with a session, owner, admin, staff, promoter, staff of another organization, service_role.
begin;
select plan(46);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
update private.settings set value = '4' where key = 'pow_difficulty';

/** A registration on the open night with these answers: the pass's first name, or the error. */
create or replace function pg_temp.register(p_phone text, p_birth text, p_gender text, p_city text, p_event text default 'open_event')
returns text language sql as $$
  select coalesce(r ->> 'first_name', r ->> 'error') from (select tests.result_of(format(
    'public.register_and_create_guest_v2(%L, ''Ana'', ''Lima'', ''a@example.com'', tests.bcrypt(''Noite-2026''), %L, %L, %L, %L, %L, %L, %L)',
    p_phone, pg_temp.id(p_event), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof(), p_birth, p_gender, p_city)) r) x
$$;
grant execute on function pg_temp.register(text, text, text, text, text) to anon;
/** A date of birth `p_years` years before the open night, give or take `p_days`. */
create temporary table night as select (e.starts_at at time zone 'Europe/Lisbon')::date as d from public.events e where e.id = pg_temp.id('open_event');
grant select on night to anon;
create or replace function pg_temp.born(p_years integer, p_days integer default 0) returns text language sql as $$
  select ((d - make_interval(years => p_years))::date + p_days)::text from night
$$;
grant execute on function pg_temp.born(integer, integer) to anon;

-- the organiser chooses ---------------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.set_event_questions(pg_temp.id('open_event'), true, 18, true, true),
  '{"city": true, "gender": true, "min_age": 18, "birth_date": true}'::jsonb, 'the owner asks date of birth (18+), gender and city');
select is(tests.error_of(format('select public.set_event_questions(%L, false, 18, false, false)', pg_temp.id('open_event'))),
  'PT400 invalid_min_age', 'a minimum age needs the date of birth asked');
select is(tests.error_of(format('select public.set_event_questions(%L, true, 0, false, false)', pg_temp.id('open_event'))),
  'PT400 invalid_min_age', '... and is 1 to 99');
select tests.authenticate_as(pg_temp.id('admin_a'));
select is(public.set_event_questions(pg_temp.id('open_event2'), false, null, true, false) ->> 'gender', 'true', 'an admin may choose too');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.set_event_questions(%L, false, null, false, false)', pg_temp.id('open_event'))),
  'PT403 forbidden', 'door staff may not');
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of(format('select public.set_event_questions(%L, false, null, false, false)', pg_temp.id('open_event'))),
  'PT403 forbidden', 'nor a promoter');
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.set_event_questions(%L, false, null, false, false)', pg_temp.id('open_event'))),
  'PT404 event_not_found', 'another organization does not even see the night');
select tests.act_as('anon');
select is(tests.error_of(format('select public.set_event_questions(%L, false, null, false, false)', pg_temp.id('open_event'))),
  '42501 permission denied for function set_event_questions', 'anon may not call it');

-- the guest page reads them -----------------------------------------------------------------------
select is(public.link_questions(pg_temp.id('open_event')), '{"city": true, "gender": true, "min_age": 18, "birth_date": true}'::jsonb,
  'the guest page reads what the night asks');
select is(public.link_questions(pg_temp.id('closed_event')), '{"city": false, "gender": false, "min_age": null, "birth_date": false}'::jsonb,
  'a night that asks nothing');
select is(tests.error_of(format('select public.link_questions(%L)', pg_temp.id('draft_event'))), 'PT404 event_not_found',
  'an unpublished night is not found');

-- registration -------------------------------------------------------------------------------------
select is(pg_temp.register('937100001', null, 'female', 'Porto'), 'PT400 invalid_birth_date', 'the date of birth the night asks is required');
select is(pg_temp.register('937100001', pg_temp.born(20), null, 'Porto'), 'PT400 invalid_gender', '... the gender');
select is(pg_temp.register('937100001', pg_temp.born(20), 'female', '  '), 'PT400 invalid_city', '... the city');
select is(pg_temp.register('937100001', '2001-02-30', 'female', 'Porto'), 'PT400 invalid_birth_date', 'a date that does not exist');
select is(pg_temp.register('937100001', '2999-01-01', 'female', 'Porto'), 'PT400 invalid_birth_date', 'a date in the future');
select is(pg_temp.register('937100001', pg_temp.born(20), 'robot', 'Porto'), 'PT400 invalid_gender', 'a gender not among the choices');
select is(pg_temp.register('937100001', pg_temp.born(20), 'female', 'Porto<script>'), 'PT400 invalid_city', 'a city with markup');
select is(pg_temp.register('937100001', pg_temp.born(18, 1), 'female', 'Porto'), 'PT403 too_young',
  'one day short of 18 on the night: too young');
select tests.act_as_postgres();
select is((select count(*)::int from private.client_users where phone = '+351937100001'), 0, '... and no account was made');
select tests.act_as('anon');
select is(pg_temp.register('937100001', pg_temp.born(18), 'female', U&'\200ELisboa\00A0 Norte'), 'Ana', '18 on the night: the pass');
select tests.act_as_postgres();
select is((select row(birth_date::text, gender, city)::text from private.client_users where phone = '+351937100001'),
  row(pg_temp.born(18), 'female', 'Lisboa Norte')::text, 'the answers are stored once, on the account');
select is(pg_temp.register('937100002', pg_temp.born(16), null, null, 'closed_event'), 'PT409 guest_list_closed',
  'a night that asks nothing checks nothing (here: only that the list is closed)');

-- an existing guest joins a night with a minimum age ---------------------------------------------
select tests.act_as('anon');
select is(pg_temp.register('937100003', pg_temp.born(16), 'male', null, 'open_event2'), 'Ana', 'a 16-year-old registers for a night with no minimum age');
create temporary table young as select public.authenticate_and_create_guest_v2('937100003', tests.bcrypt('Noite-2026', '937100003'),
  pg_temp.id('open_event2'), pg_temp.id('promoter'), pg_temp.id('team')) ->> 'session_token' as token;
select tests.act_as_postgres();
grant select on young to anon;
select tests.act_as('anon');
select is(tests.error_of(format('select public.join_event_with_session(%L, %L, %L, %L)', (select token from young),
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT403 too_young', 'with a session, the 18+ night says too young');
select set_config('request.headers', '{"x-forwarded-for": "198.51.100.71"}', true);
select is(public.authenticate_and_create_guest_v2('937100003', tests.bcrypt('Noite-2026', '937100003'),
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')) ->> 'message', 'too_young',
  'logging in: too young, answered (committed) after the password, so the attempt stays counted');
select is(current_setting('response.status', true), '403', '... with HTTP 403');
select tests.act_as_postgres();
insert into public.guests (event_id, client_user_id, promoter_id, team_id)
select pg_temp.id('open_event'), id, pg_temp.id('promoter'), pg_temp.id('team') from private.client_users where phone = '+351937100003';
select tests.act_as('anon');
select ok(tests.result_of(format('public.join_event_with_session(%L, %L, %L, %L)', (select token from young),
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))) ? 'qr_token',
  'a guest the organiser put on the list keeps their pass (the minimum age refuses new passes only)');

-- the door -----------------------------------------------------------------------------------------
select tests.act_as_postgres();
select is(private.door_age_json((select id from private.client_users where phone = '+351937100001'), pg_temp.id('open_event')),
  '{"age": 18, "min_age": 18, "old_enough": true}'::jsonb, 'the door reads the age on the night and whether it is enough');
select is(private.door_age_json((select id from private.client_users where phone = '+351937100003'), pg_temp.id('open_event')),
  '{"age": 16, "min_age": 18, "old_enough": false}'::jsonb, '... and when it is not');
select is(private.door_age_json(tests.create_guest_account('937100009'), pg_temp.id('open_event')),
  '{"age": null, "min_age": 18, "old_enough": null}'::jsonb, '... and that an age was not given');
select is(private.door_age_json((select id from private.client_users where phone = '+351937100001'), pg_temp.id('closed_event')),
  null, 'a night that does not ask the date of birth shows nothing');

-- the guest's own answers -------------------------------------------------------------------------
create temporary table mine as select public.authenticate_and_create_guest_v2('937100001', tests.bcrypt('Noite-2026', '937100001'),
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')) ->> 'session_token' as token;
grant select on mine to anon;
select tests.act_as('anon');
select is(public.my_guest_data((select token from mine)) -> 'account' ->> 'city', 'Lisboa Norte', 'the answers are in the guest''s data export');
select is(public.update_my_answers((select token from mine), '1990-05-01', 'other', 'Braga'),
  '{"city": "Braga", "gender": "other", "birth_date": "1990-05-01"}'::jsonb, 'the guest changes them on /me');
select is(tests.error_of(format('select public.update_my_answers(%L, %L, null, null)', (select token from mine), 'ontem')),
  'PT400 invalid_birth_date', '... with the same rules');
select is(tests.error_of($$select public.update_my_answers('forged', null, null, null)$$), 'PT401 invalid_session', 'only with their session');

-- counts for organisers and promoters, never a guest ----------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table stats as select public.event_guest_stats(pg_temp.id('open_event')) as v;
select is((select v -> 'gender' from stats), '{"male": 1, "other": 1, "female": 0, "unknown": 0}'::jsonb,
  'the owner sees the night''s gender ratio');
select is((select jsonb_agg(b ->> 'band' || ' ' || (b ->> 'guests')) from stats, jsonb_array_elements(v -> 'age_bands') b),
  '["under_18 1", "18-20 0", "21-24 0", "25-29 0", "30-34 0", "35-44 1", "45+ 0", "unknown 0"]'::jsonb, '... and its age bands');
select is((select count(*)::int from stats where v::text ~ 'Ana|Lima|phone|client_user|guest_id|birth_date"\s*:\s*"'), 0,
  '... counts only: no name, phone, id or date');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.event_guest_stats(pg_temp.id('open_event')) ->> 'guests', '2', 'door staff see the same counts');
select tests.act_as_postgres();
insert into public.guests (event_id, promoter_id, status, source, added_name)
values (pg_temp.id('open_event'), pg_temp.id('promoter'), 'waiting', 'door', 'Waiting Guest'),
       (pg_temp.id('open_event'), pg_temp.id('promoter'), 'pending', 'door', 'Pending Guest'),
       (pg_temp.id('open_event'), pg_temp.id('promoter'), 'revoked', 'door', 'Revoked Guest');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.event_guest_stats(pg_temp.id('open_event')) ->> 'guests', '2',
  'waiting, pending and revoked passes are not counted among the night''s guests');
select tests.authenticate_as(pg_temp.id('other_user'));
select is(public.event_guest_stats(pg_temp.id('open_event')) ->> 'guests', '0', 'another promoter of the night sees their own guests only');
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(public.event_guest_stats(pg_temp.id('open_event2')) -> 'age_bands', 'null'::jsonb, 'a night that does not ask the date of birth has no age bands');
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.event_guest_stats(%L)', pg_temp.id('open_event'))), 'PT404 event_not_found',
  'another organization sees nothing');
select tests.act_as('anon');
select is(tests.error_of(format('select public.event_guest_stats(%L)', pg_temp.id('open_event'))),
  '42501 permission denied for function event_guest_stats', 'anon may not call it');

-- deleting the account erases the answers ----------------------------------------------------------
select public.delete_my_guest_account((select token from mine)) is not null;
select tests.act_as_postgres();
select is((select count(*)::int from private.client_users where birth_date = '1990-05-01' and city = 'Braga'), 0,
  'deleting the account erases its answers');

select * from finish();
rollback;
