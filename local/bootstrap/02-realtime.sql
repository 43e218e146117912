-- The part of Supabase Realtime's schema that the project uses: realtime.messages, topic() and
-- send() with the current upstream body (it stores the message and adds `payload.id`; it does
-- not NOTIFY). On Supabase, Realtime reads new rows of realtime.messages through logical
-- replication, so a payload of any size is delivered. The local stand-in reads them the same
-- way in spirit: a trigger NOTIFYs only the new row's id (far below NOTIFY's 8000 bytes) and the
-- local Realtime server reads the row once the transaction has committed.
create schema if not exists realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  id uuid not null default gen_random_uuid(),
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  primary key (id, inserted_at)
);
create index if not exists messages_inserted_at_topic_index on realtime.messages (inserted_at desc, topic)
  where extension = 'broadcast' and private is true;
alter table realtime.messages enable row level security;
-- As on Supabase: the API roles hold table privileges; RLS policies (the project's) decide.
grant select, insert, update on realtime.messages to anon, authenticated;
grant all on realtime.messages to service_role;

do $$
begin
  if to_regprocedure('realtime.topic()') is null then
    create function realtime.topic() returns text language sql stable as $f$
      select nullif(current_setting('realtime.topic', true), '')::text
    $f$;
  end if;
end $$;

-- Upstream's body (supabase/realtime, tenant migrations BroadcastSendIncludePayloadId and
-- RenameBroadcastSendWarning).
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void language plpgsql as $f$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();
    if payload ? 'id' then
      final_payload := payload;
    else
      final_payload := jsonb_set(payload, '{id}', to_jsonb(generated_id));
    end if;
    execute format('set local realtime.topic to %L', topic);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception when others then
    -- A failed broadcast must not undo the caller's write.
    raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end
$f$;

grant execute on function realtime.topic() to anon, authenticated, service_role;

-- Local stand-in only (Supabase replicates the table instead): tell the local Realtime server
-- which row to deliver. The notification goes out when the transaction commits, and never for
-- a rolled-back one.
create or replace function realtime.local_notify_broadcast() returns trigger language plpgsql as $f$
begin
  perform pg_notify('realtime:broadcast', json_build_object('id', new.id)::text);
  return null;
end
$f$;
revoke execute on function realtime.local_notify_broadcast() from public;

drop trigger if exists local_notify_broadcast on realtime.messages;
create trigger local_notify_broadcast after insert on realtime.messages
  for each row when (new.extension = 'broadcast') execute function realtime.local_notify_broadcast();

-- Supabase's Realtime keeps realtime.messages for 72 hours (its janitor drops older daily
-- partitions). Locally pg_cron does it, hourly; the job belongs to the platform, not the project.
-- It runs as postgres (which holds every privilege on the table and bypasses RLS), so that it
-- works the same whoever runs this bootstrap, and postgres can see it in cron.job.
create extension if not exists pg_cron with schema pg_catalog;
select cron.schedule_in_database('realtime-messages-retention', '23 * * * *',
  $$delete from realtime.messages where inserted_at < localtimestamp - interval '72 hours'$$, current_database(), 'postgres');
