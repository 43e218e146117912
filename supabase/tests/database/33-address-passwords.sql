-- Password checks per client address, whatever their outcome and whichever phones they name:
-- one address cannot try one password on many numbers.
begin;
select plan(3);

create temporary table w as select tests.world() as v;
grant select on w to anon;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon;

/** A login's outcome from `p_ip` as one word: 'pass', or the machine code it answered or raised. */
create or replace function pg_temp.login(p_phone text, p_ip text) returns text language plpgsql as $$
declare r jsonb;
begin
  perform set_config('request.headers', jsonb_build_object('x-forwarded-for', p_ip)::text, true);
  r := public.authenticate_and_create_guest_v2(p_phone, tests.bcrypt('Wrong-2026x', p_phone), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'));
  return case when r ? 'qr_token' then 'pass' else r ->> 'message' end;
exception when sqlstate 'PGRST' then
  return sqlerrm::jsonb ->> 'message';
end $$;
grant execute on function pg_temp.login(text, text) to anon;

-- Three password checks a minute for this address (1000 by default, 05-limits.sql).
insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('address_passwords', '198.51.100.77', 3, 60);

select tests.act_as('anon');
select is(array[pg_temp.login('939200001', '198.51.100.77'), pg_temp.login('939200002', '198.51.100.77'), pg_temp.login('939200003', '198.51.100.77')],
  array['invalid_credentials', 'invalid_credentials', 'invalid_credentials'], 'three password checks from one address, three phones');
select is(pg_temp.login('939200004', '198.51.100.77'), 'rate_limited', 'the fourth, for yet another phone, is refused before its password is compared');
select is(pg_temp.login('939200004', '198.51.100.78'), 'invalid_credentials', 'another address is not affected');

select * from finish();
rollback;
