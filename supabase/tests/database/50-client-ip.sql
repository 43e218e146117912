-- The client's address as configuration (private.client_ip, settings client_ip_header and
-- client_ip_trusted_hops) and the RPC that tells a caller what the database sees for it.
begin;
select plan(13);

select is((select value from private.settings where key = 'client_ip_header'), '"x-forwarded-for"'::jsonb,
  'default header: x-forwarded-for, as Supabase''s guide reads it');
select is((select value from private.settings where key = 'client_ip_trusted_hops'), '0'::jsonb,
  'default hops: 0, the first value, as Supabase''s guide reads it');

-- hops 0 (default): the first value, whatever follows
select tests.set_headers('{"x-forwarded-for": "203.0.113.9, 198.51.100.7, 10.0.0.1"}');
select is(private.client_ip(), '203.0.113.9', 'hops 0: the first x-forwarded-for value');
select tests.set_headers('{}');
select is(private.client_ip(), 'unknown', 'no header: unknown');

-- hops n: the n-th value from the right; a value the client wrote itself does not count
update private.settings set value = '1' where key = 'client_ip_trusted_hops';
select tests.set_headers('{"x-forwarded-for": "192.0.2.1, 198.51.100.7"}');
select is(private.client_ip(), '198.51.100.7', 'hops 1: the last value (the one trusted proxy''s hop)');
update private.settings set value = '2' where key = 'client_ip_trusted_hops';
select tests.set_headers('{"x-forwarded-for": "192.0.2.1, 198.51.100.7 ,10.0.0.1"}');
select is(private.client_ip(), '198.51.100.7', 'hops 2: the second value from the right, trimmed');
select tests.set_headers('{"x-forwarded-for": "198.51.100.8"}');
select is(private.client_ip(), '198.51.100.8', 'fewer values than hops: the first');

-- another header
update private.settings set value = '"cf-connecting-ip"' where key = 'client_ip_header';
update private.settings set value = '0' where key = 'client_ip_trusted_hops';
select tests.set_headers('{"x-forwarded-for": "192.0.2.1, 198.51.100.7", "cf-connecting-ip": "192.0.2.50"}');
select is(private.client_ip(), '192.0.2.50', 'header cf-connecting-ip: its value, x-forwarded-for ignored');
select tests.set_headers('{"x-forwarded-for": "192.0.2.1"}');
select is(private.client_ip(), 'unknown', 'header cf-connecting-ip missing: unknown, never x-forwarded-for');

-- the per-address limit keys on the setting: two callers with different addresses have two counters
update private.settings set value = '"x-forwarded-for"' where key = 'client_ip_header';
update private.settings set value = '1' where key = 'client_ip_trusted_hops';
update private.rate_limits set max_hits = 1 where bucket = 'ip' and subject = '*';
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "192.0.2.1, 198.51.100.20"}');
select is(tests.error_of('select private.check_request()'), null, 'first call of an address passes');
select tests.set_headers('{"x-forwarded-for": "192.0.2.2, 198.51.100.20"}');
select is(tests.error_of('select private.check_request()'), 'PGRST PT429 rate_limited',
  'hops 1: a value the client wrote itself does not get round the limit');
select tests.set_headers('{"x-forwarded-for": "198.51.100.21"}');
select is(public.client_address(), '{"address": "198.51.100.21", "header": "x-forwarded-for", "trusted_hops": 1, "chain": "198.51.100.21"}'::jsonb,
  'client_address: what the database sees, the header, its values and the hops');
select tests.act_as_postgres();
select ok(has_function_privilege('anon', 'public.client_address()', 'execute')
          and (select provolatile = 'v' from pg_proc where oid = 'public.client_address()'::regprocedure),
  'client_address is the anon API and volatile, so a POST of it is counted like any anonymous call');

select * from finish();
rollback;
