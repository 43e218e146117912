begin;
select plan(7);

select has_extension('pgcrypto', 'pgcrypto is installed');
select has_extension('pg_cron', 'pg_cron is installed');
select is(
  (select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pgcrypto'),
  'extensions', 'pgcrypto lives in the extensions schema, not public');
select isnt(
  (select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_cron'),
  'public', 'pg_cron is not in public');
select is(current_setting('cron.database_name'), 'postgres', 'pg_cron runs jobs in this database');
select ok(length(extensions.gen_random_bytes(16)) = 16, 'gen_random_bytes answers');
select has_function('realtime', 'send', array['jsonb', 'text', 'text', 'boolean'], 'the platform provides realtime.send');

select * from finish();
rollback;
