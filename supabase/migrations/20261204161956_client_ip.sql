-- The client's address as configuration: which request header carries it and how many proxies in
-- front of the API are trusted to append to it (docs/deploy.md, "The client address"), and an
-- RPC that tells a caller which address the database sees for it, so that `npm run deploy:check`
-- can verify the setting on the real project.

insert into private.settings (key, value, description) values
  ('client_ip_header', '"x-forwarded-for"',
   'Request header that carries the client''s address (lower case). Supabase''s guide reads x-forwarded-for.'),
  ('client_ip_trusted_hops', '0',
   'How to read a comma-separated client_ip_header: 0 = its first value (Supabase''s guide; a client can write it itself), '
   || 'n > 0 = the n-th value from the right (n proxies that each append the address they saw are trusted). '
   || 'Set it from npm run deploy:check.')
on conflict (key) do nothing;

/**
 * The client's address as the trusted proxies saw it, by the settings `client_ip_header` and
 * `client_ip_trusted_hops`: the header's first value (hops 0, Supabase's documented reading), or
 * its n-th value from the right (hops n), or the first when the header has fewer values than
 * that; 'unknown' without the header. Rate limits key on it.
 */
create or replace function private.client_ip()
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_headers jsonb := coalesce(nullif(current_setting('request.headers', true), '')::jsonb, '{}'::jsonb);
  v_hops integer := greatest(0, coalesce((private.setting('client_ip_trusted_hops') #>> '{}')::integer, 0));
  v_values text[];
  v_ip text;
begin
  select coalesce(array_agg(btrim(v) order by n), '{}') into v_values
  from unnest(regexp_split_to_array(coalesce(v_headers ->> (private.setting('client_ip_header') #>> '{}'), ''), ','))
       with ordinality u(v, n)
  where btrim(v) <> '';
  if cardinality(v_values) > 0 then
    v_ip := v_values[greatest(1, case when v_hops = 0 then 1 else cardinality(v_values) - v_hops + 1 end)];
  end if;
  return left(coalesce(v_ip, 'unknown'), 100);
end
$$;

/**
 * The address the database sees for the caller (`address`, what every per-address limit keys
 * on), the header it was read from with all its values (`chain`, to choose the trusted hops) and
 * the settings used. Counted like any anonymous call (POST: the request hook counts it).
 */
create or replace function public.client_address()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_header text := private.setting('client_ip_header') #>> '{}';
begin
  return jsonb_build_object(
    'address', private.client_ip(),
    'header', v_header,
    'trusted_hops', (private.setting('client_ip_trusted_hops') #>> '{}')::integer,
    'chain', coalesce(nullif(current_setting('request.headers', true), '')::jsonb ->> v_header, ''));
end
$$;

revoke execute on function public.client_address() from public;
grant execute on function public.client_address() to anon, service_role;
