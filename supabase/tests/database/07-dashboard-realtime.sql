-- Organisers' view: event_dashboard, the broadcasts on register and check-in, and who may
-- receive them (RLS on realtime.messages).
begin;
select plan(21);

create temporary table w as select tests.world() as v;
grant select on w to anon, authenticated;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated;
create or replace function pg_temp.topic() returns text language sql as $$ select 'event:' || pg_temp.id('open_event') $$;
grant execute on function pg_temp.topic() to anon, authenticated;

-- Registration proofs at a low difficulty here (22-proof-of-work.sql tests the default).
update private.settings set value = '4' where key = 'pow_difficulty';
select tests.act_as('anon');
create temporary table pass as select public.register_and_create_guest_v2('936000001', 'Filipa', 'Gomes', 'filipa@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
select public.register_and_create_guest_v2('936000002', 'Gil', 'Horta', 'gil@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof());
select tests.act_as_postgres();
grant select on pass to authenticated;

-- broadcasts ---------------------------------------------------------------------------------
select is((select count(*)::int from realtime.messages where topic = pg_temp.topic() and event = 'guest_registered'), 2,
  'each registration broadcasts guest_registered to event:<id>');
select is((select payload #>> '{totals,registered}' from realtime.messages where topic = pg_temp.topic()
           and payload ->> 'first_name' = 'Gil'), '2', '... with the event''s running totals');
select is((select payload ->> 'last_initial' from realtime.messages where topic = pg_temp.topic() and payload ->> 'first_name' = 'Filipa'), 'G',
  '... first name and last initial only');
select is((select count(*)::int from realtime.messages
           where payload::text ~ '936000001|filipa@example.com|Gomes|client_user_id|qr_token'), 0,
  'no broadcast carries a phone, an email, a last name or a secret');
select ok((select bool_and(private) from realtime.messages where topic = pg_temp.topic()), 'broadcasts are private');

select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.check_in_guest(pg_temp.id('open_event'), (select v ->> 'qr_token' from pass), 'dash-nonce-1') ->> 'verdict', 'checked_in', 'staff checks Filipa in');
select is(public.check_in_guest(pg_temp.id('open_event'), (select v ->> 'qr_token' from pass), 'dash-nonce-2') ->> 'verdict', 'already_checked_in', 'and scans her again');
select tests.act_as_postgres();
select is((select count(*)::int from realtime.messages where topic = pg_temp.topic() and event = 'guest_checked_in'), 1,
  'the first check-in broadcasts guest_checked_in, a repeat scan does not');

-- who receives them ------------------------------------------------------------------------------
select set_config('realtime.topic', pg_temp.topic(), true);
select tests.authenticate_as(pg_temp.id('staff_a'));
select is((select count(*)::int from realtime.messages where topic = realtime.topic()), 3, 'staff of the organization may receive the event''s messages');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is((select count(*)::int from realtime.messages where topic = realtime.topic()), 0, 'staff of another organization receive nothing');
select tests.act_as_postgres();
select tests.act_as('anon');
select is((select count(*)::int from realtime.messages), 0, 'anonymous clients receive nothing');
select tests.act_as_postgres();
-- A channel authorized for one event reads that event's messages only, even for a member of both.
select realtime.send('{"note": "second night"}', 'announcement', 'event:' || pg_temp.id('open_event2'), true);
select set_config('realtime.topic', pg_temp.topic(), true);
select tests.authenticate_as(pg_temp.id('staff_a'));
select is((select count(*)::int from realtime.messages where topic <> realtime.topic()), 0,
  'a member reads only the rows of the channel''s own topic, not another event''s of the same organization');
select tests.act_as_postgres();
select tests.act_as('anon');
select is(tests.error_of(format('insert into realtime.messages (topic, extension, event, payload, private) values (%L, ''broadcast'', ''x'', ''{}'', true)', pg_temp.topic())),
  '42501 new row violates row-level security policy for table "messages"', 'anonymous callers cannot write to realtime.messages');
select tests.act_as_postgres();
select set_config('realtime.topic', pg_temp.topic(), true);
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of(format('insert into realtime.messages (topic, extension, event, payload, private) values (%L, ''broadcast'', ''x'', ''{}'', true)', pg_temp.topic())),
  '42501 new row violates row-level security policy for table "messages"', 'nor can members: broadcasts come from the database and the service role');
select tests.act_as_postgres();
select set_config('realtime.topic', 'event:not-a-uuid', true);
select tests.authenticate_as(pg_temp.id('staff_a'));
select is((select count(*)::int from realtime.messages), 0, 'a malformed topic admits nobody');
select tests.act_as_postgres();

-- dashboard ----------------------------------------------------------------------------------------
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table dash as select public.event_dashboard(pg_temp.id('open_event')) as v;
select is((select v -> 'totals' from dash),
  '{"registered": 2, "checked_in": 1, "places": 2, "checked_in_places": 1, "waiting": 0, "pending": 0, "revoked": 0}'::jsonb,
  'the dashboard totals');
select is((select v -> 'by_promoter' -> 0 ->> 'display_name' from dash), 'Pat Promoter', 'per promoter');
select is((select (v -> 'arrivals_per_15_min' -> 0 ->> 'arrivals')::int from dash), 1, 'arrivals per 15 minutes');
select is((select (v -> 'registrations_per_15_min' -> 0 ->> 'registrations')::int from dash), 2, 'registrations per 15 minutes');
select is((select v -> 'latest_arrivals' -> 0 ->> 'last_initial' from dash), 'G', 'latest arrivals, first name and initial');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.event_dashboard(%L)', pg_temp.id('open_event'))), 'PT404 event_not_found',
  'another organization''s staff cannot read the dashboard');
select tests.act_as_postgres();

select * from finish();
rollback;
