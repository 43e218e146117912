-- Sign-up as people have it: names and numbers in any script, the lockout a reset link ends at
-- every address, and a closed or full list that gives back the passes it holds without telling a
-- stranger who is on it. Per actor: anon (the guest page), a guest with a session, service_role (the reset request
-- guest-password-reset makes).
begin;
select plan(37);

create temporary table w as select tests.world() as v;
grant select on w to anon, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, service_role;
update private.settings set value = '4' where key = 'pow_difficulty';
-- Attempts per minute are 05-limits.sql's; here the lockout of 15 minutes is the subject.
update private.rate_limits set max_hits = 1000 where bucket = 'phone_attempts';

/** A call's outcome as one word: 'pass', or the machine code it answered or raised. */
create or replace function pg_temp.outcome(p_sql text, p_ip text) returns text language plpgsql as $$
declare r jsonb;
begin
  perform set_config('request.headers', jsonb_build_object('x-forwarded-for', p_ip)::text, true);
  execute p_sql into r;
  return case when r ? 'qr_token' then 'pass' else r ->> 'message' end;
exception when sqlstate 'PGRST' then
  return sqlerrm::jsonb ->> 'message';
when others then
  return sqlerrm;
end $$;
create or replace function pg_temp.login(p_phone text, p_password text, p_event text, p_ip text default '198.51.100.1') returns text language sql as $$
  select pg_temp.outcome(format('select public.authenticate_and_create_guest_v2(%L, tests.bcrypt(%L, %L), %L, %L, %L)', p_phone, p_password, p_phone,
    pg_temp.id(p_event), pg_temp.id('promoter'), pg_temp.id('team')), p_ip)
$$;
create or replace function pg_temp.register(p_phone text, p_first text, p_last text, p_event text default 'open_event') returns jsonb language sql as $$
  select tests.result_of(format('public.register_and_create_guest_v2(%L, %L, %L, ''a@example.com'', tests.bcrypt(''Noite-2026''), %L, %L, %L, %L)',
    p_phone, p_first, p_last, pg_temp.id(p_event), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()))
$$;
grant execute on function pg_temp.outcome(text, text), pg_temp.login(text, text, text, text), pg_temp.register(text, text, text, text) to anon, service_role;

-- names as people write them (anon) ------------------------------------------------------------
select tests.act_as('anon');
select is(pg_temp.register('936100001', 'देवनागरी', 'क्षत्रिय') ->> 'first_name', 'देवनागरी',
  'a Devanagari name with its vowel signs and virama is accepted');
select tests.act_as_postgres();
select is((select last_name from private.client_users where phone = '+351936100001'), 'क्षत्रिय', '... and kept as written');
select tests.act_as('anon');
select is(pg_temp.register('936100002', 'Jose' || U&'\0301', 'n' || U&'\0308' || 'a') ->> 'first_name', 'José',
  'an accent typed as a combining mark is accepted and stored NFC-normalised');
select tests.act_as_postgres();
select is((select last_name from private.client_users where phone = '+351936100002'), 'n' || U&'\0308' || 'a',
  '... a mark with no precomposed letter stays a mark');
select tests.act_as('anon');
select is(pg_temp.register('936100003', 'J.', 'O''Neil-Smith') ->> 'first_name', 'J.', 'an initial with a dot is a first name');
select is(pg_temp.register('936100004', 'A', 'Li') ->> 'first_name', 'A', 'a one-letter name is accepted');
select is(pg_temp.register('936100005', 'J. R. R.', 'd’Ávila') ->> 'first_name', 'J. R. R.', 'several initials, a curly apostrophe');
select is(pg_temp.register('936100006', U&'\200FAna\00A0\00A0Rita\200B', 'Lima') ->> 'first_name', 'Ana Rita',
  'direction marks and zero-width spaces are removed, non-breaking spaces are spaces');
select is(pg_temp.register('936100007', repeat('é', 50), 'Lima') ->> 'first_name', repeat('é', 50), '50 letters are accepted');
select is(pg_temp.register('936100008', repeat('é', 51), 'Lima') ->> 'error', 'PT400 invalid_first_name',
  '51 are refused, never shortened');
select is(pg_temp.register('936100009', 'Ana', 'R2D2') ->> 'error', 'PT400 invalid_last_name', 'digits are not a name');
select is(pg_temp.register('936100010', 'Ana..Rita', 'Lima') ->> 'error', 'PT400 invalid_first_name', 'nor two dots in a row');
select is(pg_temp.register('936100011', U&'\0301', 'Lima') ->> 'error', null,
  'a lone combining mark counts as a letter (as \p{M} in the client)');

-- numbers as phones paste them ------------------------------------------------------------------
select tests.act_as_postgres();
select is(tests.result_of(format('private.normalize_phone(%L)', U&'\202A+351 912\00A0345\2009678\202C')) #>> '{}', '+351912345678',
  'a number pasted from an iOS contact (embedding marks, non-breaking and thin spaces) is the number');
select is(tests.result_of(format('private.normalize_phone(%L)', U&'\200E912\200B345\FEFF678\200F')) #>> '{}', '+351912345678',
  'direction marks, zero-width space, BOM');
select is(tests.error_of($$select private.normalize_phone('912 345 67x')$$), 'PT400 invalid_phone', 'a letter is still refused');
select is(tests.error_of(format('select private.normalize_phone(%L)', repeat(U&'\200E', 30) || '912345678')), 'PT400 invalid_phone',
  'more than 32 characters as given are refused');

-- the lockout ends with a reset link, at every address -----------------------------------------
select tests.act_as_postgres();
select tests.create_guest_account('936200001', p_password => 'Velha-2026', p_email => 'locked@example.com');
select tests.act_as('anon');
select is((select count(*)::int from generate_series(1, 5) where pg_temp.login('936200001', 'Errada-2026', 'open_event', '198.51.100.21') = 'invalid_credentials'),
  5, 'five wrong passwords from the venue''s address');
select is(pg_temp.login('936200001', 'Velha-2026', 'open_event', '198.51.100.21'), 'account_locked', 'lock that address out of the number');
select is(tests.error_detail(format('select public.authenticate_and_create_guest_v2(%L, tests.bcrypt(%L, %L), %L, %L, %L)',
    '936200001', 'Velha-2026', '936200001', pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'))) -> 'headers' ->> 'Retry-After',
  (ceil(extract(epoch from date_bin('900 seconds', now(), 'epoch') + interval '900 seconds' - now())))::int::text,
  '... and the answer tells the true wait (Retry-After: the 15-minute window''s end)');
select tests.act_as('service_role');
select tests.set_headers('{"x-client-address": "198.51.100.21"}');
select is(public.request_password_reset('936200001') ->> 'requested', 'true', 'the locked-out guest asks for a reset link');
select tests.act_as_postgres();
create temporary table reset_mail as
  select m ->> 'to_email' as to_email, m -> 'payload' ->> 'token' as token
  from jsonb_array_elements(public.claim_outbox(50)) m where m ->> 'to_email' = 'locked@example.com';
grant select on reset_mail to anon;
select is((select count(*)::int from reset_mail), 1, '... which is sent although the number is locked');
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "203.0.113.50"}');
select is(tests.result_of(format('public.reset_guest_password(%L, extensions.crypt(''Nova-2027x'', ''$2a$10$zyxwvutsrqponmlkjihgfe''))',
  (select token from reset_mail))), '{"reset": true}'::jsonb, 'the link, opened at home, sets a new password');
select is(pg_temp.login('936200001', 'Nova-2027x', 'open_event', '198.51.100.21'), 'pass',
  'back at the venue''s address the new password gets the pass: the reset ended that lockout too');
select is(pg_temp.login('936200001', 'Velha-2026', 'open_event', '198.51.100.22'), 'invalid_credentials', 'the old password is gone');

-- a closed or full list gives back the passes it holds ----------------------------------------
select tests.act_as_postgres();
select tests.create_guest_account('936300001', p_password => 'Lista-2026');   -- on the closed and the full list
select tests.create_guest_account('936300002', p_password => 'Fora-2026');    -- on neither
insert into public.guests (event_id, client_user_id, promoter_id, team_id, qr_token)
select pg_temp.id(e), u.id, pg_temp.id('promoter'), pg_temp.id('team'), 'qr-' || e
from private.client_users u, unnest(array['closed_event', 'small_event']) e where u.phone = '+351936300001';
select tests.act_as('anon');
select is(pg_temp.login('936300001', 'Lista-2026', 'closed_event'), 'pass', 'a guest on a closed list logs in and gets the pass');
select is(tests.result_of(format('public.authenticate_and_create_guest_v2(%L, tests.bcrypt(%L, %L), %L, %L, %L) ->> ''qr_token''',
    '936300001', 'Lista-2026', '936300001', pg_temp.id('closed_event'), pg_temp.id('promoter'), pg_temp.id('team'))) #>> '{}',
  'qr-closed_event', '... the pass they already have');
select is(pg_temp.login('936300001', 'Lista-2026', 'small_event'), 'pass', 'a guest on a full list too');
select is(pg_temp.login('936300002', 'Fora-2026', 'closed_event'), 'guest_list_closed', 'a guest not on the closed list: guest_list_closed');
select is(pg_temp.login('936300002', 'Fora-2026', 'small_event'), 'guest_list_closed', '... nor on the full one');
select is(pg_temp.login('936399999', 'Sem-conta-26', 'closed_event'), 'guest_list_closed', 'a number with no account: at once');
select is(pg_temp.login('936300001', 'Errada-2026', 'closed_event', '198.51.100.31'), 'invalid_credentials',
  'without the password, a number on the closed list answers invalid_credentials ...');
select is(pg_temp.login('936300002', 'Errada-2026', 'closed_event', '198.51.100.31'), 'invalid_credentials',
  '... exactly as a number not on it: the closing tells nobody who is on the list');
select is(pg_temp.outcome(format('select public.register_and_create_guest_v2(%L, ''Ana'', ''Lima'', ''a@example.com'', tests.bcrypt(''Outra-2026''), %L, %L, %L, %L)',
    '936300002', pg_temp.id('closed_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()), '198.51.100.32'),
  'phone_already_registered', 'registering an existing number on a closed list answers as on an open one');
select tests.act_as_postgres();
select is((select count(*)::int from public.guests g join private.client_users u on u.id = g.client_user_id
           where u.phone = '+351936300002'), 0, 'and nobody was added to a closed or full list');
select tests.act_as('anon');

-- a guest with a session ---------------------------------------------------------------------------
create temporary table sess as select public.authenticate_and_create_guest_v2('936300001', tests.bcrypt('Lista-2026', '936300001'),
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')) ->> 'session_token' as token;
create temporary table sess2 as select public.authenticate_and_create_guest_v2('936300002', tests.bcrypt('Fora-2026', '936300002'),
  pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team')) ->> 'session_token' as token;
select is(tests.result_of(format('public.join_event_with_session(%L, %L, %L, %L) ->> ''qr_token''', (select token from sess),
  pg_temp.id('closed_event'), pg_temp.id('promoter'), pg_temp.id('team'))) #>> '{}', 'qr-closed_event',
  'with a session, the pass on the closed list comes back in one tap');
select is(tests.error_of(format('select public.join_event_with_session(%L, %L, %L, %L)', (select token from sess2),
  pg_temp.id('closed_event'), pg_temp.id('promoter'), pg_temp.id('team'))), 'PT409 guest_list_closed',
  'a session not on the closed list: guest_list_closed');

select * from finish();
rollback;
