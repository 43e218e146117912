-- Capacity kept for signed-in callers when the API's connection pool saturates.
--
-- Past the database's ceiling the API's pool is the queue: every call waits for a pooled
-- connection in arrival order, and a door scan or an organiser's call waited behind thousands of
-- anonymous guests (p95 about 3 s, a third of them answered 504 PGRST003; docs/benchmarks.md).
-- The pool and its queue belong to PostgREST, which the product does not change (hosted Supabase
-- runs it as it is), so the rule lives in the request hook: anonymous calls may hold at most
-- `api_pool_size - api_pool_reserved` connections at once; one more is answered at once, before
-- any work, with 429 `busy` and Retry-After (the client repeats it by itself). The rest of the
-- pool is left to signed-in callers and service_role, and a refused call gives its connection
-- back within a millisecond, so the queue in front of a staff call drains quickly.
--
-- The count is a semaphore of transaction-level advisory locks (one per anonymous slot, released
-- by the transaction's end, which is when PostgREST frees the connection): it needs no table
-- write (a GET runs read-only), no privilege to read other roles' activity, and costs a few
-- microseconds (docs/load-and-limits.md, "Capacity kept for staff").

insert into private.settings (key, value, description) values
  ('api_pool_size', '10', 'Connections in the API''s pool: PostgREST''s db-pool on hosted (by compute size), POOL_SIZE of the local gateway (10). Keep it equal to the real pool.'),
  ('api_pool_reserved', '3', 'Connections of the API pool kept for signed-in callers and service_role: anonymous calls hold at most api_pool_size minus this at once, and one more is answered 429 busy (Retry-After 1 s). 0 turns the reservation off.')
on conflict (key) do nothing;

/**
 * PostgREST's db_pre_request hook. First, capacity: an anonymous call takes one of the
 * anonymous slots of the API's pool (`api_pool_size - api_pool_reserved`, at least one; a
 * transaction-level advisory lock, freed when the call's transaction ends) or is answered at once
 * with 429 `busy` and Retry-After 1 s, so that `api_pool_reserved` connections stay free for
 * signed-in callers (staff) and service_role however many guests arrive. Then limits: every
 * anonymous API call counts against its client IP (private.client_ip: the address the trusted
 * proxy saw), and every signed-in caller's call against their user id (a generous limit, so that
 * a runaway client cannot take the database). service_role is not counted, except a call an edge
 * function makes on a guest's behalf (`x-client-address`): that one counts against the guest's
 * address like the guest's own. Read-only (GET) requests are not counted: PostgREST runs those
 * in a read-only transaction where no counter can be written (they do take a slot).
 */
create or replace function private.check_request()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := coalesce(auth.role(), 'anon');
  v_size integer;
  v_reserved integer;
  v_slots integer;
  v_first integer;
  v_held boolean := false;
begin
  if v_role = 'anon' then
    select (select s.value::integer from private.settings s where s.key = 'api_pool_size'),
           (select s.value::integer from private.settings s where s.key = 'api_pool_reserved')
    into v_size, v_reserved;
    if v_reserved > 0 and v_size is not null then
      v_slots := greatest(1, v_size - v_reserved);
      -- Each pooled connection starts at its own slot, so a pool with room takes one lock per call.
      v_first := pg_backend_pid() % v_slots;
      for i in 0 .. v_slots - 1 loop
        v_held := pg_try_advisory_xact_lock(74210, (v_first + i) % v_slots);
        exit when v_held;
      end loop;
      if not v_held then
        perform private.fail_retry(429, 'busy', 'Many people are joining right now.',
          'Keep this page open: it tries again by itself in a second.', 1);
      end if;
    end if;
  end if;
  if current_setting('transaction_read_only') = 'on' then
    return;
  end if;
  if v_role = 'anon' or (v_role = 'service_role'
      and coalesce(nullif(current_setting('request.headers', true), '')::jsonb, '{}'::jsonb) ? 'x-client-address') then
    perform private.rate_limit('ip', private.client_ip());
  elsif v_role = 'authenticated' and auth.uid() is not null then
    perform private.rate_limit('user', auth.uid()::text);
  end if;
end
$$;
