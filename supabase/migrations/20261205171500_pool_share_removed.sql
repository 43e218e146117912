-- The anonymous share of the API's pool (20261204202932_capacity.sql) is removed.
--
-- It answered an anonymous call 429 `busy` at once whenever `api_pool_size - api_pool_reserved`
-- anonymous calls were already in the database, to keep connections for staff. The full benchmark
-- of 5 December 2026 (docs/benchmarks.md, docs/load-and-limits.md) measured it on a quiet machine:
--
-- - Below the database's ceiling it refused guests while the database had room: the seed's Teste 1
--   (100 users, the platform's core 70 % busy) had 7 % of its requests answered `busy`, and a guest
--   told `busy` waits a second. Arrivals are bursty, so more than seven calls at once is normal
--   long before the ceiling; a queue of a few milliseconds is what those calls needed.
-- - Past the ceiling it did not keep staff out of the queue: 44 of 132 staff calls during the
--   overload still met the pool's 504, p95 3.3 s (60 of 136 and 3.7-3.9 s in the run without the
--   rule, 13 minutes later): a little better, still a miss. A staff call waits in PostgREST's pool
--   queue behind every call that arrived before it, and a rule inside the database only runs once
--   a call already holds a connection: it cannot reorder that queue.
-- - In the seed's Teste 2 and 3 (at the ceiling) 15 % of the requests were answered `busy`: the
--   seed's success thresholds (98 %, 97 %) missed, where the run without the rule served 100 %.
--
-- The request hook goes back to counting calls only; the two settings go with the rule.

delete from private.settings where key in ('api_pool_size', 'api_pool_reserved');

/**
 * PostgREST's db_pre_request hook: every anonymous API call counts against its client IP
 * (private.client_ip: the address the trusted proxy saw), and every signed-in caller's call against
 * their user id (a generous limit, so that a runaway client cannot take the database). service_role
 * is not counted, except a call an edge function makes on a guest's behalf (`x-client-address`):
 * that one counts against the guest's address like the guest's own. Read-only (GET) requests are
 * not counted: PostgREST runs those in a read-only transaction where no counter can be written
 * (docs/load-and-limits.md lists the uncounted calls). Its grants are unchanged (rate_limits).
 */
create or replace function private.check_request()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_role text := coalesce(auth.role(), 'anon');
begin
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
