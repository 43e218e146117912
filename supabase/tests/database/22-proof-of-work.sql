-- Registration proof of work: issued and checked by the database, single use, expiring, with
-- the default difficulty enforced, and checked before any password work.
begin;
select plan(14);

create temporary table w as select tests.world() as v;
grant select on w to anon;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon;
/** Registers `p_phone` with `p_proof`: 'pass', or the machine code of the answer. */
create or replace function pg_temp.register(p_phone text, p_proof text) returns text language plpgsql as $$
declare r jsonb;
begin
  r := public.register_and_create_guest_v2(p_phone, 'Ana', 'Lima', 'a@example.com', tests.bcrypt('Noite-2026'),
    pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), p_proof);
  return case when r ? 'qr_token' then 'pass' else r ->> 'message' end;
exception when others then
  return sqlstate || ' ' || sqlerrm;
end $$;
/** Leading zero bits of sha256(p_text). */
create or replace function pg_temp.bits(p_text text) returns integer language sql as $$
  select coalesce(nullif(position('1' in right(('x' || encode(extensions.digest(p_text, 'sha256'), 'hex'))::bit(256)::text, 256)), 0) - 1, 256)
$$;
grant execute on function pg_temp.register(text, text), pg_temp.bits(text) to anon;
create temporary table ops as select coalesce(sum(hits), 0) n from private.rate_limit_counters where bucket = 'password_ops';

select is((select value from private.settings where key = 'pow_difficulty'), '16'::jsonb, 'the default difficulty is 16 bits');

select tests.act_as('anon');
create temporary table c as select public.registration_challenge() v;
select is((select array_agg(k order by k) from c, jsonb_object_keys(v) k), array['algorithm', 'challenge', 'difficulty', 'expires_at'],
  'anon gets a challenge: {challenge, difficulty, algorithm, expires_at}');
select is((select (v ->> 'difficulty') || ' ' || (v ->> 'algorithm') from c), '16 SHA-256', '... at the default difficulty');
select ok((select length(v ->> 'challenge') >= 24 and (v ->> 'expires_at')::timestamptz between now() + interval '9 minutes' and now() + interval '11 minutes' from c),
  '... random (144 bits) and valid for 10 minutes');

-- A nonce with some zero bits but fewer than 16, and a real solution (both found here in SQL).
create temporary table weak as select (select v ->> 'challenge' from c) || ':' || n as proof
  from generate_series(0, 1000000) n where pg_temp.bits((select v ->> 'challenge' from c) || ':' || n) between 8 and 15 limit 1;
create temporary table good as select (select v ->> 'challenge' from c) || ':' || n as proof
  from generate_series(0, 10000000) n where pg_temp.bits((select v ->> 'challenge' from c) || ':' || n) >= 16 limit 1;

select is(pg_temp.register('936100001', null), 'PT400 proof_required', 'registering without a proof is a 400 proof_required');
select is(pg_temp.register('936100001', 'nonsense'), 'PT400 proof_invalid', 'a malformed proof is proof_invalid');
select is(pg_temp.register('936100001', 'unknown-challenge:1'), 'PT400 proof_invalid', 'an unknown challenge is proof_invalid');
select is(pg_temp.register('936100001', (select proof from weak)), 'PT400 proof_invalid',
  'too little work for the default difficulty is proof_invalid');
select tests.act_as_postgres();
select is((select coalesce(sum(hits), 0) from private.rate_limit_counters where bucket = 'password_ops')::bigint - (select n from ops)::bigint, 0::bigint,
  'a refused proof costs no password work');
select tests.act_as('anon');

select is(pg_temp.register('936100001', (select proof from good)), 'pass', 'a solved challenge registers');
select is(pg_temp.register('936100001', (select proof from good)), 'pass',
  'the same registration retried with the same proof is the same registration (idempotent)');
select is(pg_temp.register('936100002', (select proof from good)), 'PT400 proof_reused', 'the proof cannot register another phone');

select tests.act_as_postgres();
update private.registration_challenges set expires_at = now() - interval '1 second' where challenge = (select v ->> 'challenge' from c);
select tests.act_as('anon');
select is(pg_temp.register('936100001', (select proof from good)), 'PT400 proof_invalid', 'an expired challenge is refused');
select tests.act_as_postgres();
select private.purge_registration_challenges();
select is((select count(*)::int from private.registration_challenges where challenge = (select v ->> 'challenge' from c)), 0,
  'expired challenges are purged');

select * from finish();
rollback;
