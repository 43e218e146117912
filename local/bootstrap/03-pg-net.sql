-- The part of pg_net (supabase/pg_net, sql/pg_net.sql and its upgrades) that the product uses,
-- since Debian packages no pg_net: `net.http_post` queues a request in `net.http_request_queue`
-- and returns its id; a worker (local/gateway/net.ts, in place of pg_net's background worker)
-- takes queued rows in id order, deletes them, sends them, and records each outcome in
-- `net._http_response` (status, headers, body, or timed_out / error_msg), deleting responses
-- older than pg_net's default `pg_net.ttl` of 6 hours. Upstream wakes its worker with
-- `net.wake()`; this worker polls the queue every half second instead. On a project the migration
-- enables the real extension (`create extension pg_net`) where the `net` schema does not exist.
create schema if not exists net;

do $$
begin
  if not exists (select from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'net' and t.typname = 'http_method') then
    create domain net.http_method as text check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
  end if;
end $$;

create unlogged table if not exists net.http_request_queue (
  id bigserial,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds int not null
);

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out bool,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- Upstream's C helpers, in SQL: percent-encoding (RFC 3986 unreserved characters kept) and the
-- query string appended to the URL.
create or replace function net._urlencode_string(string varchar)
returns text
language sql
immutable
as $$
  select coalesce(string_agg(case when ch ~ '^[A-Za-z0-9_.~-]$' then ch
                                  else upper(regexp_replace(encode(convert_to(ch, 'UTF8'), 'hex'), '(..)', '%\1', 'g')) end,
                             '' order by i), '')
  from regexp_split_to_table(string, '') with ordinality t(ch, i)
$$;

create or replace function net._encode_url_with_params_array(url text, params_array text[])
returns text
language sql
immutable
as $$
  select case when cardinality(params_array) = 0 then url
              else url || case when url like '%?%' then '&' else '?' end || array_to_string(params_array, '&') end
$$;

-- As upstream (0.4 on: security definer), minus net.wake(): the worker polls.
create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
)
returns bigint
language plpgsql
security definer
as $$
declare
  request_id bigint;
  params_array text[];
  content_type text;
begin
  select header_value into content_type
  from jsonb_each_text(coalesce(headers, '{}'::jsonb)) r(header_name, header_value)
  where lower(header_name) = 'content-type'
  limit 1;
  if content_type is null then
    select headers || '{"Content-Type": "application/json"}'::jsonb into headers;
  end if;
  if content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  select coalesce(array_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value)), '{}')
  into params_array
  from jsonb_each_text(params);
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._encode_url_with_params_array(url, params_array), headers, convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
