-- Door lists: the CSV export (phone only to owners), look-up by name and check-in by id with the scan's nonce rules.
begin;
select plan(21);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
-- Registration proofs at a low difficulty here (22-proof-of-work.sql tests the default).
update private.settings set value = '4' where key = 'pow_difficulty';

select tests.act_as('anon');
create temporary table pass as select public.register_and_create_guest_v2('937000001', 'Beatriz', 'Quintela', 'b@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
create temporary table pass2 as select public.register_and_create_guest_v2('937000002', 'Carlos', 'Quintas', 'c@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('other_promoter'), null, tests.proof());
select tests.act_as_postgres();
grant select on pass to authenticated;
update public.promoters set display_name = '=HYPERLINK("x")' where id = pg_temp.id('other_promoter');
update private.client_users set first_name = '@Carlos' where phone = '+351937000002';
-- A guest of another organisation's night, which no export of this night shows.
with u as (insert into private.client_users (phone, first_name, last_name, password_salt, password_digest)
           values ('+351937000003', 'Outra', 'Noite', tests.salt(), private.sha256('x')) returning id)
insert into public.guests (event_id, client_user_id, promoter_id) select pg_temp.id('event_b'), u.id, pg_temp.id('promoter_b') from u;

-- export_guest_list
select tests.authenticate_as(pg_temp.id('owner_a'));
create temporary table owner_csv as select public.export_guest_list(pg_temp.id('open_event'), 'en', 'UTC') as v;
select tests.act_as_postgres();
select is((select split_part(v, E'\r\n', 1) from owner_csv), chr(65279) || '"First name","Last name","Promoter","Team","Status","Plus-ones","Source","Checked in (UTC)","Phone"',
  'the owner''s CSV has a header with the phone column');
select is((select split_part(v, E'\r\n', 3) from owner_csv),
  format('"Beatriz","Quintela","Pat Promoter","%s","registered","0","link","","+351937000001"', (select name from public.teams where id = pg_temp.id('team'))),
  '... a row per guest, quoted');
select is((select split_part(v, E'\r\n', 2) from owner_csv), '"''@Carlos","Quintas","''=HYPERLINK(""x"")","","registered","0","link","","+351937000002"',
  '... and cells a spreadsheet would run are defused');
select is((select array_length(string_to_array(v, E'\r\n'), 1) from owner_csv), 4, '... and nothing else');
select tests.authenticate_as(pg_temp.id('admin_a'));
create temporary table admin_csv as select public.export_guest_list(pg_temp.id('open_event'), 'en', 'UTC') as v;
select tests.act_as_postgres();
select is((select split_part(v, E'\r\n', 1) from admin_csv), chr(65279) || '"First name","Last name","Promoter","Team","Status","Plus-ones","Source","Checked in (UTC)"',
  'an admin''s CSV has no phone column');
select is((select count(*)::int from admin_csv where v like '%+351%'), 0, '... and no phone anywhere');
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of(format('select public.export_guest_list(%L)', pg_temp.id('open_event'))), 'PT403 forbidden', 'staff cannot export');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of(format('select public.export_guest_list(%L)', pg_temp.id('open_event'))), 'PT403 forbidden', 'promoters cannot export');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.export_guest_list(%L)', pg_temp.id('open_event'))), 'PT404 event_not_found',
  'another organisation cannot export');
select tests.act_as_postgres();
select tests.act_as('anon');
select is(tests.error_of(format('select public.export_guest_list(%L)', pg_temp.id('open_event'))),
  '42501 permission denied for function export_guest_list', 'anon cannot export');
select tests.act_as_postgres();

-- find_guests
select tests.authenticate_as(pg_temp.id('staff_a'));
select is((select jsonb_agg(g ->> 'last_name') from jsonb_array_elements(public.find_guests(pg_temp.id('open_event'), ' quint ')) g),
  '["Quintas", "Quintela"]'::jsonb, 'door staff find guests by part of the name, sorted');
select is((select jsonb_agg(g ->> 'first_name') from jsonb_array_elements(public.find_guests(pg_temp.id('open_event'), 'bea quint')) g),
  '["Beatriz"]'::jsonb, '... every word must match');
select is(public.find_guests(pg_temp.id('open_event'), 'a%'), '[]'::jsonb, '... LIKE wildcards are plain characters');
select is((select count(*)::int from jsonb_array_elements(public.find_guests(pg_temp.id('open_event'), 'quint')) g
           where g::text ~ '93700000[12]|example\.com|qr_token'), 0, '... never a phone, email or pass token');
select is(tests.error_of(format($$select public.find_guests(%L, 'q')$$, pg_temp.id('open_event'))), 'PT400 query_too_short',
  'one letter is not enough');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('promoter_user'));
select is(tests.error_of(format($$select public.find_guests(%L, 'quint')$$, pg_temp.id('open_event'))), 'PT403 forbidden',
  'a promoter cannot search the door list');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format($$select public.find_guests(%L, 'quint')$$, pg_temp.id('open_event'))), 'PT404 event_not_found',
  'staff of another organisation cannot search it');
select tests.act_as_postgres();

-- check_in_guest_by_id
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(public.check_in_guest_by_id(pg_temp.id('open_event'), (select (v ->> 'guest_id')::uuid from pass), 'by-name-0001') ->> 'verdict',
  'checked_in', 'door staff check a guest in by id');
select is(public.check_in_guest_by_id(pg_temp.id('open_event'), (select (v ->> 'guest_id')::uuid from pass), 'by-name-0002') ->> 'verdict',
  'already_checked_in', '... once');
select is(public.check_in_guest_by_id(pg_temp.id('open_event2'), (select (v ->> 'guest_id')::uuid from pass), 'by-name-0003') ->> 'verdict',
  'wrong_event', 'a guest of another night: wrong_event');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of(format('select public.check_in_guest_by_id(%L, %L, %L)', pg_temp.id('open_event'),
  (select v ->> 'guest_id' from pass), 'by-name-0001')), 'PT409 nonce_reused', 'the nonce rules of a scan apply');
select tests.act_as_postgres();

select * from finish();
rollback;
