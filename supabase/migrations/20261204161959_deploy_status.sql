-- What `npm run deploy:check` verifies inside the database over HTTP, with the service role key
-- only (no database password): the PostgREST pre-request hook, the pg_cron jobs and their runs,
-- the e-mail outbox and the client-address settings.

/**
 * The deployment's state for `npm run deploy:check` (service_role only): `pre_request` (the hook
 * PostgREST is told to run, from the authenticator role's settings, and whether that function
 * exists), `cron` (each job: schedule, active, runs, last run's status and time), `outbox`
 * (messages waiting, failed, the last error) and `client_ip` (the two settings).
 */
create or replace function public.deploy_status()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'pre_request', (
      select jsonb_build_object('setting', substr(c, length('pgrst.db_pre_request=') + 1),
                                'exists', to_regproc(substr(c, length('pgrst.db_pre_request=') + 1)) is not null)
      from pg_catalog.pg_db_role_setting s
      join pg_catalog.pg_roles r on r.oid = s.setrole
      cross join lateral unnest(s.setconfig) c
      where r.rolname = 'authenticator' and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
        and c like 'pgrst.db_pre_request=%'
      limit 1),
    'cron', coalesce((
      select jsonb_agg(jsonb_build_object(
        'jobname', j.jobname, 'schedule', j.schedule, 'active', j.active,
        'runs', (select count(*) from cron.job_run_details d where d.jobid = j.jobid),
        'last_status', l.status, 'last_start', l.start_time, 'last_message', l.return_message) order by j.jobname)
      from cron.job j
      left join lateral (select d.status, d.start_time, d.return_message from cron.job_run_details d
                         where d.jobid = j.jobid order by d.start_time desc limit 1) l on true), '[]'::jsonb),
    'outbox', (
      select jsonb_build_object('waiting', count(*) filter (where o.sent_at is null),
                                'failed', count(*) filter (where o.sent_at is null and o.last_error is not null),
                                'last_error', (select o2.last_error from private.outbox o2 where o2.sent_at is null
                                               and o2.last_error is not null order by o2.id desc limit 1))
      from private.outbox o),
    'client_ip', jsonb_build_object('header', private.setting('client_ip_header'),
                                    'trusted_hops', private.setting('client_ip_trusted_hops')))
$$;

revoke execute on function public.deploy_status() from public, anon, authenticated;
grant execute on function public.deploy_status() to service_role;
