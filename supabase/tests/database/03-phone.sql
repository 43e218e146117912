-- Phone numbers: normalization to E.164 in SQL, and the anonymous existence check with its cache.
begin;
select plan(19);

select is(private.normalize_phone('912 345 678'), '+351912345678', 'a Portuguese mobile without prefix');
select is(private.normalize_phone('+351 912345678'), '+351912345678', 'with +351');
select is(private.normalize_phone('00351912345678'), '+351912345678', 'with 00351');
select is(private.normalize_phone(' (+351) 912-345.678 '), '+351912345678', 'punctuation and spaces are ignored');
select is(private.normalize_phone('+44 7700 900123'), '+447700900123', 'another country with +');
select is(tests.error_of($$select private.normalize_phone('91234567')$$), 'PT400 invalid_phone', 'too short for Portugal');
select is(tests.error_of($$select private.normalize_phone('+351 812345678')$$), 'PT400 invalid_phone', 'not a Portuguese number range');
select is(tests.error_of($$select private.normalize_phone('912abc678')$$), 'PT400 invalid_phone', 'letters');
select is(tests.error_of($$select private.normalize_phone(null)$$), 'PT400 invalid_phone', 'null');
select is(tests.error_of($$select private.normalize_phone(repeat('9', 40))$$), 'PT400 invalid_phone', 'absurdly long');

update private.settings set value = '"44"' where key = 'default_country_code';
select is(private.normalize_phone('07700 900123'), '+447700900123', 'the default country is a setting (UK, trunk 0 dropped)');
update private.settings set value = '"351"' where key = 'default_country_code';

-- check_phone_with_cache, as anon
insert into private.client_users (phone, first_name, last_name, password_hash)
values ('+351919999991', 'Ana', 'Lima', extensions.crypt('Password-1', extensions.gen_salt('bf', 10)));

select tests.act_as('anon');
select is(public.check_phone_with_cache('919 999 991'), '{"exists": true, "phone": "+351919999991"}'::jsonb,
  'a registered phone exists; the answer carries nothing else');
select is(public.check_phone_with_cache('919 999 992'), '{"exists": false, "phone": "+351919999992"}'::jsonb,
  'an unknown phone does not');
select is(tests.error_of($$select public.check_phone_with_cache('hello')$$), 'PT400 invalid_phone', 'bad input is a 400');
select tests.act_as_postgres();

select is((select phone_exists from private.phone_lookup_cache where phone_hash = private.sha256('+351919999992')),
  false, 'the answer is cached under the sha256 of the phone, not the phone');

-- A cached answer is served while fresh: delete the account, the cache still answers.
delete from private.client_users where phone = '+351919999991';
select is((public.check_phone_with_cache('+351919999991') ->> 'exists')::boolean, true, 'a fresh cache entry is served');
update private.phone_lookup_cache set expires_at = now() - interval '1 second';
select is((public.check_phone_with_cache('+351919999991') ->> 'exists')::boolean, false, 'an expired one is not');

-- GET runs read-only: a cache miss must answer as a hit does, not fail on the cache write
-- (a 405 on a miss only would tell whether someone looked the number up in the last minutes).
set local transaction_read_only = on;
select tests.act_as('anon');
select is(tests.error_of($$select public.check_phone_with_cache('919 999 993')$$), null,
  'a read-only call (GET) on a number nobody looked up answers, like a cached one');
select is(public.check_phone_with_cache('919 999 993'), '{"exists": false, "phone": "+351919999993"}'::jsonb,
  '... with the same answer as POST');
select tests.act_as_postgres();

select * from finish();
rollback;
