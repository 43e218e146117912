-- Mail beyond password resets: alerts by e-mail to the operators, a guest's pass by e-mail, and a
-- scheduled sender so that the outbox is emptied even when no guest is asking for a reset.
-- Everything goes through the same outbox (private.outbox) and the same provider
-- (supabase/functions/_shared/mail.ts): the database decides who gets what, the edge functions
-- only render and send.

alter table private.outbox drop constraint outbox_kind_check;
alter table private.outbox add constraint outbox_kind_check
  check (kind in ('guest_password_reset', 'alert', 'guest_pass'));

insert into private.settings (key, value, description) values
  ('alert_emails', '[]',
   'E-mail addresses (a JSON array) of the operators who get each alert by e-mail when it starts and when it ends. Empty: alerts go only to alert_webhook_url.'),
  ('outbox_sender_url', '""',
   'URL of the edge function send-outbox (https://<ref>.supabase.co/functions/v1/send-outbox), called by pg_cron every minute while e-mail waits. Empty: mail leaves only when a guest asks for a reset or a pass.'),
  ('outbox_sender_key', '""',
   'The project''s anon (publishable) key the scheduled call to send-outbox carries, as Supabase''s guide to scheduled edge functions does. A public key: it only lets the caller ask for what is queued to be sent.')
on conflict (key) do nothing;

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('alert_emails', 6, 3600, 'Alert e-mails per alert (starts and ends both count): past it a flapping alert goes to the webhook only until the hour ends.'),
  ('pass_emails', 3, 86400, 'Pass e-mails per pass (429 rate_limited past it).'),
  ('pass_email_addresses', 10, 900, 'Pass e-mail requests per client address (429 rate_limited past it).')
on conflict do nothing;

-- =============================================================================================
-- Alerts by e-mail
-- =============================================================================================

/**
 * Queues one e-mail per address of `alert_emails` for an alert that started (`p_firing`) or
 * ended. Called by evaluate_alerts once per change of state, so one firing is one e-mail, not one
 * per evaluation; at most `alert_emails` (rate limit) per alert an hour. The message holds the
 * alert's name, numbers and job names, never a guest's data. Returns the number queued.
 */
create or replace function private.queue_alert_email(p_name text, p_firing boolean, p_detail text, p_threshold numeric,
  p_at timestamptz)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_to jsonb := private.setting('alert_emails');
  v_budget record;
  v_count integer;
begin
  if jsonb_typeof(v_to) is distinct from 'array' or jsonb_array_length(v_to) = 0 then
    return 0;
  end if;
  select * into v_budget from private.rate_limit_add('alert_emails', p_name);
  if v_budget.total > v_budget.max_hits then
    return 0;
  end if;
  insert into private.outbox (kind, to_email, payload)
  select 'alert', a.address,
         jsonb_build_object('alert', p_name, 'firing', p_firing, 'detail', p_detail, 'threshold', p_threshold, 'at', p_at)
  from jsonb_array_elements_text(v_to) a(address)
  where a.address ~ '^[^@\s<>]+@[^@\s<>]+$';
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

/**
 * Evaluates every rule, records each state, and for each alert that started or ended posts a
 * message to `alert_webhook_url` (net.http_post, Slack-compatible `{"text": …}`) and queues an
 * e-mail to `alert_emails` (private.queue_alert_email); returns the states.
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
      perform private.queue_alert_email(v_rule.name, v_fire, v_detail, v_rule.threshold, v_now);
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

-- =============================================================================================
-- The scheduled sender
-- =============================================================================================

/**
 * Asks the edge function send-outbox (`outbox_sender_url`, with `outbox_sender_key`) to send
 * the outbox, through pg_net, when at least one e-mail is due; run by pg_cron every minute (job
 * `send-outbox`), the way Supabase documents scheduled edge functions. Returns pg_net's request
 * id, or null when nothing was asked (no URL set, or nothing due).
 */
create or replace function private.send_outbox()
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text := private.setting('outbox_sender_url') #>> '{}';
  v_key text := private.setting('outbox_sender_key') #>> '{}';
begin
  if coalesce(v_url, '') = '' or not exists (
    select from private.outbox o
    where o.sent_at is null and o.attempts < 5 and (o.locked_until is null or o.locked_until < now())) then
    return null;
  end if;
  return net.http_post(
    url := v_url,
    body := '{}'::jsonb,
    headers := jsonb_build_object('Content-Type', 'application/json', 'apikey', v_key, 'Authorization', 'Bearer ' || v_key));
end
$$;

/** Records the outcome of sending one email: sent (its secrets, a reset token or a pass's QR token, are dropped) or the error (retried later). */
create or replace function public.complete_outbox(p_id bigint, p_error text default null)
returns void
language sql
security definer
set search_path = ''
as $$
  update private.outbox o set
    sent_at = case when p_error is null then now() end,
    payload = case when p_error is null then o.payload - 'token' - 'qr_token' else o.payload end,
    last_error = left(p_error, 500),
    locked_until = case when p_error is null then null else now() + make_interval(mins => o.attempts * 5) end
  where o.id = p_id
$$;

-- =============================================================================================
-- The pass by e-mail
-- =============================================================================================

/**
 * A guest asks for one of their passes by e-mail (the pass screen's button, through the edge
 * function guest-pass-email, which passes the guest's address). The e-mail goes to the address of
 * the account only, never to one typed at that moment, so that nobody can send a pass (or mail)
 * to a stranger. It carries the QR, the short code when the pass has one, the night, the venue and
 * the time. Returns `{queued: true, to}` with the address masked (`a***@example.com`).
 * Errors: invalid_session (401), pass_not_found (404: not this account's pass), no_email (409:
 * the account has no e-mail address), pass_revoked (409), rate_limited (429: `pass_email_addresses`
 * per client address, then `pass_emails` per pass).
 */
create or replace function public.request_pass_email(p_session_token text, p_guest_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := private.session_user_id(p_session_token);
  v_guest jsonb;
  v_event public.events;
  v_account private.client_users;
begin
  perform private.rate_limit('pass_email_addresses', private.client_ip());
  select to_jsonb(g) into v_guest from public.guests g where g.id = p_guest_id and g.client_user_id = v_user;
  if v_guest is null then
    perform private.fail(404, 'pass_not_found', 'This pass is not yours or no longer exists.', 'Open the pass from its link again.');
  end if;
  -- `status` (and `short_code`) exist once the door and list features are in; read them as data.
  if v_guest ->> 'status' = 'revoked' then
    perform private.fail(409, 'pass_revoked', 'This pass was cancelled by the organiser.', null);
  end if;
  select * into v_account from private.client_users u where u.id = v_user;
  if v_account.email is null then
    perform private.fail(409, 'no_email', 'Your account has no e-mail address.', 'Save the pass as an image instead.');
  end if;
  perform private.rate_limit('pass_emails', p_guest_id::text);
  select * into v_event from public.events e where e.id = (v_guest ->> 'event_id')::uuid;
  insert into private.outbox (kind, to_email, payload)
  values ('guest_pass', v_account.email, jsonb_build_object(
    'first_name', v_account.first_name, 'event_name', v_event.name, 'venue', v_event.venue,
    'starts_at', v_event.starts_at, 'qr_token', v_guest ->> 'qr_token', 'short_code', v_guest ->> 'short_code'));
  return jsonb_build_object('queued', true,
    'to', left(v_account.email, 1) || '***' || substr(v_account.email, strpos(v_account.email, '@')));
end
$$;

-- =============================================================================================
-- Jobs and grants
-- =============================================================================================

select cron.schedule('send-outbox', '* * * * *', 'select private.send_outbox()');

revoke execute on function private.queue_alert_email(text, boolean, text, numeric, timestamptz), private.evaluate_alerts(),
  private.send_outbox() from public, anon, authenticated;
revoke execute on function public.complete_outbox(bigint, text), public.request_pass_email(text, uuid)
  from public, anon, authenticated;
grant execute on function public.complete_outbox(bigint, text) to service_role;
grant execute on function public.request_pass_email(text, uuid) to anon, service_role;
