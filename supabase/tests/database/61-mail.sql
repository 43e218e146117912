-- Mail beyond reset links: the pass by e-mail (request_pass_email), alerts by e-mail
-- (evaluate_alerts → queue_alert_email), the scheduled sender (send_outbox) and the sender's
-- outbox calls, per actor.
begin;
select plan(39);

create temporary table w as select tests.manage_world() as v;
grant select on w to anon, authenticated, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to anon, authenticated, service_role;
update private.settings set value = '4' where key = 'pow_difficulty';
-- Nothing else in the outbox is due in this transaction: what is due below is this file's.
update private.outbox set sent_at = now() where sent_at is null;

select tests.act_as('anon');
create temporary table pass as select public.register_and_create_guest_v2('939100001', 'Sofia', 'Matos', 'Sofia@Example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
create temporary table other as select public.register_and_create_guest_v2('939100002', 'Rui', 'Reis', 'rui@example.com',
  tests.bcrypt('Noite-2026'), pg_temp.id('open_event'), pg_temp.id('promoter'), pg_temp.id('team'), tests.proof()) as v;
select tests.act_as_postgres();
grant select on pass, other to anon, authenticated, service_role;
create or replace function pg_temp.p(k text) returns text language sql as $$ select v ->> k from pass $$;
create or replace function pg_temp.o(k text) returns text language sql as $$ select v ->> k from other $$;
grant execute on function pg_temp.p(text), pg_temp.o(text) to anon, authenticated, service_role;

-- =============================================================================================
-- request_pass_email
-- =============================================================================================

select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "203.0.113.50"}');
select is(public.request_pass_email(pg_temp.p('session_token'), pg_temp.p('guest_id')::uuid),
  '{"queued": true, "to": "s***@example.com"}'::jsonb, 'a guest asks for their pass by e-mail: the answer names the address, masked');
select tests.act_as_postgres();
select is((select count(*)::int from private.outbox where kind = 'guest_pass' and to_email = 'sofia@example.com'), 1,
  '... one e-mail is queued to the account''s own address');
select is((select payload ->> 'qr_token' from private.outbox where kind = 'guest_pass' and to_email = 'sofia@example.com'), pg_temp.p('qr_token'),
  '... carrying the pass''s QR');
select is((select payload ->> 'event_name' = e.name and (payload ->> 'starts_at')::timestamptz = e.starts_at and payload ? 'venue' and payload ? 'short_code'
           from private.outbox, public.events e where kind = 'guest_pass' and to_email = 'sofia@example.com' and e.id = pg_temp.id('open_event')), true,
  '... the night, its time, venue and short code');
select is((select count(*)::int from private.outbox where payload::text ~ 'phone|939100001|session'), 0, '... and no phone or session');

select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "203.0.113.50"}');
select is(tests.error_of(format('select public.request_pass_email(%L, %L)', pg_temp.p('session_token'), pg_temp.o('guest_id'))),
  'PT404 pass_not_found', 'another guest''s pass: 404, as one that does not exist');
select is(tests.error_of(format('select public.request_pass_email(%L, %L)', 'forged', pg_temp.p('guest_id'))),
  'PT401 invalid_session', 'a forged session: 401');
-- A pass not yet on the list has no QR to send.
select tests.act_as_postgres();
create temporary table was as select status from public.guests where id = pg_temp.p('guest_id')::uuid;
update public.guests set status = 'pending' where id = pg_temp.p('guest_id')::uuid;
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "203.0.113.53"}');
select is(tests.error_of(format('select public.request_pass_email(%L, %L)', pg_temp.p('session_token'), pg_temp.p('guest_id'))),
  'PT409 pass_not_confirmed', 'a pass waiting for the organisers'' approval is not sent: 409 pass_not_confirmed');
select tests.act_as_postgres();
update public.guests set status = (select status from was) where id = pg_temp.p('guest_id')::uuid;
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "203.0.113.50"}');
select lives_ok(format('select public.request_pass_email(%L, %L)', pg_temp.p('session_token'), pg_temp.p('guest_id')), 'a second e-mail of the pass');
select lives_ok(format('select public.request_pass_email(%L, %L)', pg_temp.p('session_token'), pg_temp.p('guest_id')), '... a third');
select is(tests.error_of(format('select public.request_pass_email(%L, %L)', pg_temp.p('session_token'), pg_temp.p('guest_id'))),
  'PGRST PT429 rate_limited', '... the fourth of a pass is refused (pass_emails)');
select is((tests.error_detail(format('select public.request_pass_email(%L, %L)', pg_temp.p('session_token'), pg_temp.p('guest_id'))) -> 'headers' ->> 'Retry-After') ~ '^\d+$',
  true, '... with Retry-After');
select tests.act_as_postgres();
select is((select count(*)::int from private.outbox where kind = 'guest_pass' and to_email = 'sofia@example.com'), 3, '... and queues nothing');

-- Per client address, across passes.
insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('pass_email_addresses', '198.51.100.60', 1, 900);
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "198.51.100.60"}');
select lives_ok(format('select public.request_pass_email(%L, %L)', pg_temp.o('session_token'), pg_temp.o('guest_id')), 'one pass e-mail from an address');
select is(tests.error_of(format('select public.request_pass_email(%L, %L)', pg_temp.o('session_token'), pg_temp.o('guest_id'))),
  'PGRST PT429 rate_limited', '... past its pass_email_addresses limit the next is refused, while the pass has e-mails left');

-- An account without an e-mail address.
select tests.act_as_postgres();
update private.client_users set email = null where id = pg_temp.o('client_user_id')::uuid;
select tests.act_as('anon');
select tests.set_headers('{"x-forwarded-for": "203.0.113.51"}');
select is(tests.error_of(format('select public.request_pass_email(%L, %L)', pg_temp.o('session_token'), pg_temp.o('guest_id'))),
  'PT409 no_email', 'an account without an e-mail address: 409 no_email');

select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of(format('select public.request_pass_email(%L, %L)', pg_temp.p('session_token'), pg_temp.p('guest_id'))),
  '42501 permission denied for function request_pass_email', 'organisers cannot call it');
select tests.act_as('service_role');
select tests.set_headers('{"x-client-address": "203.0.113.52"}');
select is(tests.error_of(format('select public.request_pass_email(%L, %L)', pg_temp.p('session_token'), pg_temp.p('guest_id'))),
  'PGRST PT429 rate_limited', 'the service role (the edge function, with the guest''s address) may call it; the pass''s limit holds');

-- =============================================================================================
-- The sender's calls: service role only; a sent message loses its secrets
-- =============================================================================================

select tests.act_as('anon');
select is(tests.error_of('select public.claim_outbox(10)'), '42501 permission denied for function claim_outbox', 'anon cannot take the outbox');
select is(tests.error_of('select public.complete_outbox(1, null)'), '42501 permission denied for function complete_outbox', '... nor mark it sent');
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of('select public.claim_outbox(10)'), '42501 permission denied for function claim_outbox', 'organisers cannot take the outbox');
select tests.act_as('service_role');
create temporary table claimed as select public.claim_outbox(100) as v;
select is((select count(*)::int from claimed, jsonb_array_elements(v) m where m ->> 'kind' = 'guest_pass'), 4, 'the sender takes the queued passes');
select lives_ok($$select public.complete_outbox((m ->> 'id')::bigint, null) from claimed, jsonb_array_elements(v) m$$, '... and marks them sent');
select tests.act_as_postgres();
select is((select count(*)::int from private.outbox where kind = 'guest_pass' and (payload ? 'qr_token' or sent_at is null)), 0,
  'a sent pass e-mail keeps no QR token');

-- =============================================================================================
-- Alerts by e-mail
-- =============================================================================================

update private.settings set value = '["ops@example.test", "not an address", "oncall@example.test"]' where key = 'alert_emails';
update private.alert_state set firing = false, pending_since = null where name = 'outbox_backlog';
delete from private.rate_limit_counters where bucket = 'alert_emails';
update private.alert_rules set threshold = -1 where name = 'outbox_backlog';
select private.evaluate_alerts();
select private.evaluate_alerts();
select private.evaluate_alerts();
select is((select count(*)::int from private.outbox where kind = 'alert' and created_at = now() and payload ->> 'alert' = 'outbox_backlog'), 2,
  'an alert that fires is one e-mail to each valid address of alert_emails, however many evaluations see it');
select is((select array_agg(distinct payload ->> 'alert') from private.outbox where kind = 'alert' and created_at = now() and payload ->> 'alert' = 'outbox_backlog'), array['outbox_backlog'], '... naming the alert');
select is((select array_agg(distinct k order by k) from private.outbox, jsonb_object_keys(payload) k where kind = 'alert' and created_at = now()),
  array['alert', 'at', 'detail', 'firing', 'threshold'], '... with its numbers only (no guest''s data)');
update private.alert_rules set threshold = 1000 where name = 'outbox_backlog';
select private.evaluate_alerts();
select private.evaluate_alerts();
select is((select count(*)::int from private.outbox where kind = 'alert' and created_at = now() and payload ->> 'alert' = 'outbox_backlog' and payload ->> 'firing' = 'false'), 2, 'its end is one more e-mail each');

insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('alert_emails', 'outbox_backlog', 3, 3600);
update private.alert_rules set threshold = -1 where name = 'outbox_backlog';
select private.evaluate_alerts();
update private.alert_rules set threshold = 1000 where name = 'outbox_backlog';
select private.evaluate_alerts();
select is((select count(*)::int from private.outbox where kind = 'alert' and created_at = now() and payload ->> 'alert' = 'outbox_backlog'), 6,
  'a flapping alert: past alert_emails changes an hour, no more e-mails (the third change is sent, the fourth is not)');
select is(private.queue_alert_email('cron_failed', true, 'x', 0, now()), 2, 'queue_alert_email returns the e-mails queued');
update private.settings set value = '[]' where key = 'alert_emails';
select is(private.queue_alert_email('cron_failed', false, 'x', 0, now()), 0, 'without alert_emails nothing is queued');

-- =============================================================================================
-- The scheduled sender
-- =============================================================================================

update private.outbox set sent_at = now() where sent_at is null;
select is(private.send_outbox(), null, 'without outbox_sender_url the job asks nothing');
update private.settings set value = '"https://project.example/functions/v1/send-outbox"' where key = 'outbox_sender_url';
update private.settings set value = '"anon-key"' where key = 'outbox_sender_key';
select is(private.send_outbox(), null, '... nor with nothing due');
insert into private.outbox (kind, to_email, payload) values ('alert', 'ops@example.test', '{}');
select isnt(private.send_outbox(), null, 'with mail due it calls send-outbox through pg_net');
select is((select headers ->> 'Authorization' from net.http_request_queue where url = 'https://project.example/functions/v1/send-outbox' order by id desc limit 1),
  'Bearer anon-key', '... at outbox_sender_url with outbox_sender_key');
select is((select schedule from cron.job where jobname = 'send-outbox'), '* * * * *', 'pg_cron runs it every minute');

select tests.act_as('anon');
select is(tests.error_of('select private.send_outbox()'), '42501 permission denied for function send_outbox', 'the API roles cannot call the sender''s job');
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.error_of('select private.evaluate_alerts()'), '42501 permission denied for function evaluate_alerts', '... nor the alerts');
select tests.act_as('service_role');
select is(tests.error_of($$select private.queue_alert_email('x', true, 'x', 0, now())$$), '42501 permission denied for function queue_alert_email',
  '... nor the service role');
select tests.act_as_postgres();

select * from finish();
rollback;
