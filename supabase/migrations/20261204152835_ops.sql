-- Operations: the database's side of a busy night, for the /ops page and the benchmark.
-- `ops_stats()` answers service_role (everything) and organisation owners and admins (their
-- organisations' events). The gateway's side (requests, latency, pool, websockets) is
-- Prometheus text at /metrics.
--
-- A rejection that is raised rolls back its transaction, so the database can only count the
-- rejections it commits (`private.committed_error`: the answers given after a bcrypt, such as
-- `invalid_credentials`); the gateway's `gateway_http_errors_total` counts every code.

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * The password line for operators (the fair line's migration): live tickets (`length`), the
 * estimated wait of a guest joining now (`wait_seconds`, as the line itself estimates it),
 * bcrypts per second it counts on, how long the oldest live ticket has waited, and the slots.
 */
create or replace function private.line_stats()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'length', count(*),
    'wait_seconds', ceil((count(*) + 1) / private.line_rate())::integer,
    'per_second', round(private.line_rate()::numeric, 1),
    'oldest_seconds', coalesce(round(extract(epoch from clock_timestamp() - min(l.arrived_at))::numeric, 1), 0),
    'slots', private.bcrypt_slots(),
    -- bcrypt slots running a bcrypt right now (the advisory locks private.enter_line hands out):
    -- with a long line, slots that idle mean the line, not the cores, sets the pace.
    'slots_busy', private.bcrypt_slots_busy())
  from private.password_line l
  where l.due_at + make_interval(secs => (private.setting('line_grace_seconds'))::integer) > clock_timestamp()
$$;

/**
 * What an operator watches on the night, over the last 15 minutes, per minute:
 * `passes` (guests put on a list) and `check_ins`; for service_role also `new_accounts`,
 * `rejections` by code (committed ones, see above), the phone cache's hits and misses, and
 * pg_cron's runs per job in the last hour. `line` is the password line's length and wait (global: every
 * guest waits in it). An owner or admin sees the events of their
 * organisations (or one of them with `p_event_id`); staff and anonymous callers see nothing.
 */
create or replace function public.ops_stats(p_event_id uuid default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_all boolean := coalesce((select auth.jwt()) ->> 'role', '') = 'service_role';
  v_uid uuid := (select auth.uid());
  v_events uuid[];
  v_from timestamptz := date_trunc('minute', now()) - interval '14 minutes';
  v_minutes jsonb;
  v_platform jsonb := null;
begin
  if p_event_id is not null then
    if not v_all then
      perform private.require_event(p_event_id, array['owner', 'admin']);
    end if;
    v_events := array[p_event_id];
  elsif not v_all then
    if v_uid is null then
      perform private.fail(401, 'not_authenticated', 'Sign in to see the operations page.', 'Sign in and try again.');
    end if;
    select coalesce(array_agg(e.id), '{}') into v_events
    from public.events e
    join public.organization_members m on m.organization_id = e.organization_id
    where m.user_id = v_uid and m.role in ('owner', 'admin');
    if not exists (select 1 from public.organization_members m where m.user_id = v_uid and m.role in ('owner', 'admin')) then
      perform private.fail(403, 'forbidden', 'Only owners and admins of an organization see its operations.',
        'Ask an owner of your organization.');
    end if;
  end if;

  select jsonb_agg(jsonb_build_object(
           'minute', m.minute,
           'passes', (select count(*) from public.guests g
                      where g.created_at >= m.minute and g.created_at < m.minute + interval '1 minute'
                        and (v_events is null or g.event_id = any (v_events))),
           'check_ins', (select count(*) from public.guests g
                         where g.checked_in_at >= m.minute and g.checked_in_at < m.minute + interval '1 minute'
                           and (v_events is null or g.event_id = any (v_events))))
         || case when v_all then jsonb_build_object('new_accounts',
              (select count(*) from private.client_users u
               where u.created_at >= m.minute and u.created_at < m.minute + interval '1 minute'))
            else '{}'::jsonb end
         order by m.minute)
    into v_minutes
  from generate_series(v_from, date_trunc('minute', now()), interval '1 minute') as m(minute);

  if v_all then
    v_platform := jsonb_build_object(
      'rejections', (select coalesce(jsonb_object_agg(r.code, r.n), '{}'::jsonb)
                     from (select substr(c.metric, 10) as code, sum(c.hits) as n from private.ops_counters c
                           where c.metric like 'rejected:%' and c.minute >= v_from group by 1) r),
      'phone_cache', (select jsonb_build_object('hits', h, 'misses', m,
                               'hit_ratio', case when h + m > 0 then round(h::numeric / (h + m), 3) end)
                      from (select coalesce(sum(c.hits) filter (where c.metric = 'phone_cache_hit'), 0) as h,
                                   coalesce(sum(c.hits) filter (where c.metric = 'phone_cache_miss'), 0) as m
                            from private.ops_counters c where c.minute >= v_from) x),
      'cron', (select coalesce(jsonb_agg(jsonb_build_object(
                 'job', j.jobname, 'schedule', j.schedule, 'active', j.active,
                 'last_start', r.last_start, 'last_status', r.last_status, 'last_ms', r.last_ms,
                 'runs', coalesce(r.runs, 0), 'failures', coalesce(r.failures, 0)) order by j.jobname), '[]'::jsonb)
               from cron.job j
               left join lateral (
                 select max(d.start_time) as last_start,
                        (array_agg(d.status order by d.runid desc))[1] as last_status,
                        (array_agg(round(extract(epoch from d.end_time - d.start_time) * 1000) order by d.runid desc))[1] as last_ms,
                        count(*) as runs, count(*) filter (where d.status = 'failed') as failures
                 from (select * from cron.job_run_details d where d.jobid = j.jobid and d.start_time > now() - interval '1 hour'
                       order by d.runid desc limit 60) d
               ) r on true));
  end if;

  return jsonb_build_object(
    'generated_at', now(),
    'scope', case when p_event_id is not null then 'event' when v_all then 'all' else 'organization' end,
    'events', case when v_all and p_event_id is null then null else to_jsonb(v_events) end,
    'per_minute', v_minutes,
    'line', private.line_stats()) || coalesce(v_platform, '{}'::jsonb);
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.line_stats()
  from public, anon, authenticated;
revoke execute on function public.ops_stats(uuid) from public, anon, authenticated;
grant execute on function public.ops_stats(uuid) to authenticated, service_role;
