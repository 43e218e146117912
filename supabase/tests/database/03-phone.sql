-- Phone numbers: normalization to E.164 in SQL, and the anonymous existence check with its cache.
begin;
select plan(20);

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
insert into private.client_users (phone, first_name, last_name, password_salt, password_digest)
values ('+351919999991', 'Ana', 'Lima', tests.salt(), private.sha256(tests.bcrypt('Password-1')));

select tests.act_as('anon');
select is(public.check_phone_with_cache('919 999 991'),
  jsonb_build_object('exists', true, 'phone', '+351919999991', 'salt', tests.salt()),
  'a registered phone exists, with the salt its phone hashes the password with; the answer carries nothing else');
select is(public.check_phone_with_cache('919 999 992'), '{"exists": false, "phone": "+351919999992", "salt": null}'::jsonb,
  'an unknown phone does not, and has no salt');
select is(tests.error_of($$select public.check_phone_with_cache('hello')$$), 'PT400 invalid_phone', 'bad input is a 400');
select tests.act_as_postgres();

select is((select phone_exists from private.phone_lookup_cache where phone_hash = private.sha256('+351919999992')),
  false, 'the answer is cached under the sha256 of the phone, not the phone');

-- A cached answer is served while fresh: an account made behind the cache's back is not seen
-- until the entry expires (registration itself updates the cache).
select tests.create_guest_account('+351919999992');
select is((public.check_phone_with_cache('+351919999992') ->> 'exists')::boolean, false, 'a fresh cache entry is served');
update private.phone_lookup_cache set expires_at = now() - interval '1 second';
select is((public.check_phone_with_cache('+351919999992') ->> 'exists')::boolean, true, 'an expired one is not');
-- A cached "exists" for an account that is gone gives no salt and says it does not exist.
delete from private.client_users where phone = '+351919999992';
select is(public.check_phone_with_cache('+351919999992') ->> 'salt', null, 'a deleted account has no salt, even while cached');

-- GET runs read-only, where the call could be neither cached nor counted against the address:
-- it is refused, cached number or not.
set local transaction_read_only = on;
select tests.act_as('anon');
select is(tests.error_of($$select public.check_phone_with_cache('919 999 993')$$), 'PT405 use_post',
  'a read-only call (GET) on a number nobody looked up is refused');
select is(tests.error_of($$select public.check_phone_with_cache('919 999 991')$$), 'PT405 use_post',
  '... and so is one on a cached number');
select tests.act_as_postgres();

select * from finish();
rollback;
