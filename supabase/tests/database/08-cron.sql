-- Housekeeping: named pg_cron jobs, and what they delete.
begin;
select plan(5);

select is((select array_agg(jobname::text order by jobname) from cron.job where jobname <> 'realtime-messages-retention'),
  array['anonymise-inactive-guests', 'evaluate-alerts', 'fold-guest-counts', 'purge-guest-sessions', 'purge-ops-counters', 'purge-phone-lookup-cache',
        'purge-rate-limit-counters', 'purge-registration-challenges', 'send-outbox'], 'the jobs are scheduled by name');
select is((select schedule from cron.job where jobname = 'purge-phone-lookup-cache'), '* * * * *', 'the phone cache is purged every minute');

insert into private.phone_lookup_cache values (private.sha256('+351900000001'), true, now() - interval '1 second'),
                                              (private.sha256('+351900000002'), true, now() + interval '1 minute');
select private.purge_phone_lookup_cache();
select is((select count(*)::int from private.phone_lookup_cache where phone_hash in (private.sha256('+351900000001'), private.sha256('+351900000002'))), 1,
  'expired phone lookups are deleted, fresh ones kept');

insert into private.rate_limit_counters values ('ip', private.sha256('old'), now() - interval '1 hour', 1, 3),
                                               ('ip', private.sha256('new'), date_bin('60 seconds', now(), 'epoch'), 1, 3);
select private.purge_rate_limit_counters();
select is((select array_agg(key_hash = private.sha256('new')) from private.rate_limit_counters where key_hash in (private.sha256('old'), private.sha256('new'))),
  array[true], 'ended counter windows are deleted, the current one kept');

insert into private.client_users (id, phone, first_name, last_name, password_salt, password_digest)
values ('00000000-0000-4000-8000-0000000000aa', '+351900000003', 'Ze', 'Povinho', tests.salt(), private.sha256(tests.bcrypt('x')));
insert into private.guest_sessions (token_hash, client_user_id, expires_at) values
  (private.sha256('expired'), '00000000-0000-4000-8000-0000000000aa', now() - interval '1 second'),
  (private.sha256('valid'), '00000000-0000-4000-8000-0000000000aa', now() + interval '1 day');
select private.purge_guest_sessions();
select is((select array_agg(token_hash = private.sha256('valid')) from private.guest_sessions
           where client_user_id = '00000000-0000-4000-8000-0000000000aa'), array[true], 'expired sessions are deleted');

select * from finish();
rollback;
