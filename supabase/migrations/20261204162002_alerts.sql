-- Alerts evaluated in the database and posted to a webhook, the way Supabase documents scheduled
-- calls: pg_cron runs private.evaluate_alerts() every minute and pg_net (`net.http_post`) posts a
-- Slack-compatible message ({"text": …}) when an alert starts or ends (docs/operations.md).
--
-- What the database can honestly see: its own transactions (pg_stat_database: every API error is
-- a rolled-back transaction), the requests it is working on (pg_stat_activity: PostgREST's
-- sessions log in as authenticator), the outbox and pg_cron's runs. The gateway's /metrics (time
-- spent waiting for a connection, answers refused before the database) is not in the database.

-- pg_net on a project; locally the platform bootstrap provides the same `net` interface.
do $$
begin
  if not exists (select from pg_namespace where nspname = 'net') then
    create extension if not exists pg_net with schema extensions;
  end if;
end
$$;

insert into private.settings (key, value, description) values
  ('alert_webhook_url', '""',
   'Incoming webhook (Slack-compatible: POST {"text": ...}) alerts are posted to when they start and end. Empty: alerts are evaluated, not sent.')
on conflict (key) do nothing;

/** The alert rules (the seed's numbers); operators change them without a migration. */
create table private.alert_rules (
  name text primary key,
  threshold numeric not null,
  window_seconds integer not null check (window_seconds >= 0),
  min_count integer not null default 0,
  description text not null
);
alter table private.alert_rules enable row level security;
create policy "Alert rules are never read through the API" on private.alert_rules
  as restrictive for all to anon, authenticated using (false) with check (false);

insert into private.alert_rules (name, threshold, window_seconds, min_count, description) values
  ('response_time', 5, 60, 0,
   'An API request (a PostgREST session, role authenticator) has been running longer than threshold seconds, at evaluations window_seconds apart.'),
  ('error_rate', 5, 300, 20,
   'Rolled-back transactions (every API error rolls back) as a percentage of all transactions of the database over window_seconds, above threshold, once at least min_count rolled back.'),
  ('outbox_backlog', 50, 0, 0,
   'E-mails waiting in the outbox (guest password resets) above threshold.'),
  ('cron_failed', 0, 0, 0,
   'A pg_cron job whose last run failed.')
on conflict (name) do nothing;

/** Each alert's current state: firing, since when its condition holds, the last value. */
create table private.alert_state (
  name text primary key references private.alert_rules on delete cascade,
  firing boolean not null default false,
  pending_since timestamptz,
  value numeric,
  detail text,
  changed_at timestamptz
);
alter table private.alert_state enable row level security;
create policy "Alert state is never read through the API" on private.alert_state
  as restrictive for all to anon, authenticated using (false) with check (false);

/** The database's transaction counters at each evaluation (error_rate's baseline); an hour kept. */
create table private.alert_samples (
  at timestamptz primary key,
  commits bigint not null,
  rollbacks bigint not null
);
alter table private.alert_samples enable row level security;
create policy "Alert samples are never read through the API" on private.alert_samples
  as restrictive for all to anon, authenticated using (false) with check (false);

/**
 * Evaluates every rule, records each state, posts a message to `alert_webhook_url` for each alert
 * that started or ended (net.http_post, Slack-compatible `{"text": …}`) and returns the states.
 * Run by pg_cron every minute (job `evaluate-alerts`).
 */
create or replace function private.evaluate_alerts()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rule record;
  v_state private.alert_state;
  v_now timestamptz := clock_timestamp();
  v_commits bigint;
  v_rollbacks bigint;
  v_base private.alert_samples;
  v_value numeric;
  v_count bigint;
  v_detail text;
  v_holds boolean;
  v_fire boolean;
  v_url text := private.setting('alert_webhook_url') #>> '{}';
begin
  select d.xact_commit, d.xact_rollback into v_commits, v_rollbacks
  from pg_catalog.pg_stat_database d where d.datname = current_database();

  for v_rule in select * from private.alert_rules order by name loop
    v_value := null; v_detail := null; v_count := 0;
    if v_rule.name = 'response_time' then
      select extract(epoch from v_now - min(a.query_start)), count(*)
        into v_value, v_count
      from pg_catalog.pg_stat_activity a
      where a.usename = 'authenticator' and a.state = 'active' and a.pid <> pg_backend_pid();
      v_value := round(coalesce(v_value, 0), 1);
      v_holds := v_value > v_rule.threshold;
      v_detail := format('longest API request running: %s s (%s running)', v_value, v_count);
    elsif v_rule.name = 'error_rate' then
      select * into v_base from private.alert_samples s
      where s.at <= v_now - make_interval(secs => v_rule.window_seconds)
      order by s.at desc limit 1;
      if v_base is null then
        select * into v_base from private.alert_samples s order by s.at limit 1;
      end if;
      v_count := v_rollbacks - coalesce(v_base.rollbacks, v_rollbacks);
      v_value := case when v_base is null or (v_commits - v_base.commits) + v_count = 0 then 0
                      else round(100.0 * v_count / ((v_commits - v_base.commits) + v_count), 1) end;
      v_holds := v_value > v_rule.threshold and v_count >= v_rule.min_count;
      v_detail := format('%s%% of transactions rolled back since %s (%s)', v_value,
                         coalesce(to_char(v_base.at, 'HH24:MI:SS'), 'now'), v_count);
    elsif v_rule.name = 'outbox_backlog' then
      select count(*) into v_count from private.outbox o where o.sent_at is null;
      v_value := v_count;
      v_holds := v_value > v_rule.threshold;
      v_detail := format('%s e-mails waiting in the outbox', v_count);
    elsif v_rule.name = 'cron_failed' then
      select count(*), string_agg(j.jobname, ', ' order by j.jobname) into v_count, v_detail
      from cron.job j
      cross join lateral (select d.status from cron.job_run_details d where d.jobid = j.jobid
                          order by d.start_time desc limit 1) l
      where l.status = 'failed';
      v_value := v_count;
      v_holds := v_count > v_rule.threshold;
      v_detail := case when v_count > 0 then 'last run failed: ' || v_detail else 'no failed job' end;
    else
      continue;
    end if;

    insert into private.alert_state (name) values (v_rule.name) on conflict (name) do nothing;
    select * into v_state from private.alert_state s where s.name = v_rule.name for update;
    v_state.pending_since := case when v_holds then coalesce(v_state.pending_since, v_now) end;
    -- response_time must hold for its window (less 5 s: pg_cron's minutes are not exact); the
    -- others' windows are the period they measure over, so they fire at once.
    v_fire := v_holds and (v_rule.name <> 'response_time'
                           or v_now - v_state.pending_since >= make_interval(secs => greatest(0, v_rule.window_seconds - 5)));
    if v_fire is distinct from v_state.firing then
      v_state.changed_at := v_now;
      if v_url <> '' then
        perform net.http_post(
          url := v_url,
          body := jsonb_build_object('text', format('[%s] %s: %s (threshold %s). %s', case when v_fire then 'ALERT' else 'RESOLVED' end,
            v_rule.name, v_detail, v_rule.threshold, 'See docs/operations.md.')),
          headers := '{"Content-Type": "application/json"}'::jsonb);
      end if;
    end if;
    update private.alert_state s
    set firing = v_fire, pending_since = v_state.pending_since, value = v_value, detail = v_detail, changed_at = v_state.changed_at
    where s.name = v_rule.name;
  end loop;

  insert into private.alert_samples (at, commits, rollbacks) values (v_now, v_commits, v_rollbacks) on conflict (at) do nothing;
  delete from private.alert_samples s where s.at < v_now - interval '1 hour';

  return (select jsonb_object_agg(s.name, jsonb_build_object('firing', s.firing, 'value', s.value, 'detail', s.detail,
                                                             'since', s.pending_since, 'changed_at', s.changed_at))
          from private.alert_state s);
end
$$;

revoke execute on function private.evaluate_alerts() from public, anon, authenticated;

select cron.schedule('evaluate-alerts', '* * * * *', 'select private.evaluate_alerts()');
