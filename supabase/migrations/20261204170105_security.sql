-- Security round three: the guest's address on calls a function makes for the guest, a reset
-- budget per phone and address, IPv6 clients aggregated to their /64.

-- =============================================================================================
-- The client address
-- =============================================================================================

/**
 * The client's address as the trusted proxies saw it, by the settings `client_ip_header` and
 * `client_ip_trusted_hops`: the header's first value (hops 0, Supabase's documented reading), or
 * its n-th value from the right (hops n), or the first when the header has fewer values than
 * that; 'unknown' without the header. Rate limits key on it.
 * An edge function calling with the service role on a guest's behalf sends the address header it
 * received as `x-client-address`, read by the same rule; that header is trusted from the
 * service role only (anyone else could write it). An IPv6 address stands for its /64, which one
 * client controls whole.
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
  v_header text := private.setting('client_ip_header') #>> '{}';
  v_values text[];
  v_ip text;
begin
  if auth.role() = 'service_role' and v_headers ? 'x-client-address' then
    v_header := 'x-client-address';
  end if;
  select coalesce(array_agg(btrim(v) order by n), '{}') into v_values
  from unnest(regexp_split_to_array(coalesce(v_headers ->> v_header, ''), ','))
       with ordinality u(v, n)
  where btrim(v) <> '';
  if cardinality(v_values) > 0 then
    v_ip := v_values[greatest(1, case when v_hops = 0 then 1 else cardinality(v_values) - v_hops + 1 end)];
  end if;
  if v_ip ~ '^[0-9A-Fa-f:.]+$' and v_ip like '%:%' then
    begin
      v_ip := network(set_masklen(v_ip::inet, 64))::text;
    exception when invalid_text_representation then
      null;
    end;
  end if;
  return left(coalesce(v_ip, 'unknown'), 100);
end
$$;

/**
 * PostgREST's db_pre_request hook: every anonymous API call counts against its client IP
 * (private.client_ip: the address the trusted proxy saw), and every signed-in caller's call
 * against their user id (a generous limit, so that a runaway client cannot take the database).
 * service_role is not counted, except a call an edge function makes on a guest's behalf
 * (`x-client-address`): that one counts against the guest's address like the guest's own.
 * Read-only (GET) requests are not counted: PostgREST runs those in a read-only transaction
 * where no counter can be written.
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

-- =============================================================================================
-- Password reset: limited per address first, then per phone and address, silently
-- =============================================================================================

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('password_reset_addresses', 10, 900, 'Password reset requests per client address (429 past it).')
on conflict do nothing;
update private.rate_limits
set description = 'Password reset emails per phone number and client address: past it the answer stays the same and no email is sent, '
                  || 'so that nobody spends another address''s budget for a phone.'
where bucket = 'password_resets' and subject = '*';

/**
 * A guest who forgot the password asks for a reset link by phone. When the account has an email,
 * a one-time link (valid `password_reset_minutes`) is queued in the outbox for it. The answer is
 * the same whether or not the number has an account or an email (no enumeration), and whether
 * or not this phone's budget from this address is spent: the budget (`password_resets`) is per
 * phone and address, so that nobody can spend a guest's own. The address is the guest's: the
 * function guest-password-reset passes it (private.client_ip).
 * Errors: invalid_phone (400), rate_limited (429, `password_reset_addresses` per address).
 */
create or replace function public.request_password_reset(p_phone text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_address text := private.client_ip();
  v_phone text;
  v_user private.client_users;
  v_token text;
  v_expires timestamptz := now() + make_interval(mins => (private.setting('password_reset_minutes'))::integer);
  v_budget record;
begin
  perform private.rate_limit('password_reset_addresses', v_address);
  v_phone := private.normalize_phone(p_phone);
  select * into v_budget from private.rate_limit_add('password_resets', v_phone || ' ' || v_address);
  if v_budget.total <= v_budget.max_hits or v_budget.max_hits is null then
    select * into v_user from private.client_users u where u.phone = v_phone;
    if v_user.email is not null then
      v_token := private.random_token(33);
      insert into private.password_resets (token_hash, client_user_id, expires_at)
      values (private.sha256(v_token), v_user.id, v_expires);
      insert into private.outbox (kind, to_email, payload)
      values ('guest_password_reset', v_user.email,
              jsonb_build_object('first_name', v_user.first_name, 'token', v_token, 'expires_at', v_expires));
    end if;
  end if;
  return jsonb_build_object('requested', true,
    'message', 'If this number has an account with an email address, a reset link is on its way.');
end
$$;

-- =============================================================================================
-- Realtime: a membership that ends or changes re-authorizes the member's open channels
-- =============================================================================================

/**
 * Asks Realtime to re-authorize the open channels of a member whose membership was removed or
 * changed (NOTIFY `realtime:broadcast` with `{"reauthorize": user id}`, which the local Realtime
 * listens to), so that a removed member stops receiving guests' names at once instead of when
 * the token expires. Hosted Realtime re-checks RLS at join and on a new access token only.
 */
create or replace function private.reauthorize_member_channels()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_notify('realtime:broadcast', jsonb_build_object('reauthorize', old.user_id)::text);
  return null;
end
$$;

create trigger organization_members_reauthorize_channels
after delete or update of role, user_id, organization_id on public.organization_members
for each row execute function private.reauthorize_member_channels();

-- guest-password-reset asks with the service role, which a project created in 2026 grants
-- nothing in public by default.
grant execute on function public.request_password_reset(text) to service_role;

-- =============================================================================================
-- Invitations do not outlive their inviter's right to invite
-- =============================================================================================

/**
 * When a member leaves the organisation or stops being an owner or admin, the invitations they
 * sent there that nobody has accepted yet are withdrawn: an invitation is the inviter's act, and
 * it should not grant a place after the inviter lost the right to grant it.
 */
create or replace function private.withdraw_inviter_invitations()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' or new.role not in ('owner', 'admin') or new.user_id <> old.user_id
     or new.organization_id <> old.organization_id then
    delete from public.invitations i
    where i.organization_id = old.organization_id and i.invited_by = old.user_id and i.accepted_at is null;
  end if;
  return null;
end
$$;

create trigger organization_members_withdraw_invitations
after delete or update of role, user_id, organization_id on public.organization_members
for each row execute function private.withdraw_inviter_invitations();

-- =============================================================================================
-- Door staff and promoters see published nights only; guest ids stay within the organisation
-- =============================================================================================

/**
 * The events of every organization the signed-in user belongs to, with the organization's name
 * and the user's role, the nearest nights first: upcoming and running nights by start time, then
 * past ones, newest first. Owners and admins see drafts too; door staff and promoters see
 * published nights only. Anonymous callers get 401 `not_authenticated`.
 */
create or replace function public.my_events()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to see your events.', 'Sign in and try again.');
  end if;
  return coalesce((
    select jsonb_agg(jsonb_build_object(
        'id', e.id, 'name', e.name, 'slug', e.slug, 'venue', e.venue, 'starts_at', e.starts_at,
        'ends_at', e.ends_at, 'organization_name', o.name, 'role', m.role)
      order by e.ends_at < now(), case when e.ends_at >= now() then e.starts_at end, e.starts_at desc, e.name, e.id)
    from public.organization_members m
    join public.organizations o on o.id = m.organization_id
    join public.events e on e.organization_id = m.organization_id
    where m.user_id = (select auth.uid())
      and (e.is_published or m.role in ('owner', 'admin'))), '[]'::jsonb);
end
$$;

/**
 * Checks in a guest found by name (find_guests), with exactly the rules of a scan: the same
 * verdicts, roles, limits and nonce idempotency as check_in_guest, which it calls with the
 * guest's pass. A guest id of another organisation is treated as an unknown one, so the answer
 * tells nothing about other organisations' guests.
 */
create or replace function public.check_in_guest_by_id(p_event_id uuid, p_guest_id uuid, p_nonce text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  return public.check_in_guest(p_event_id,
    coalesce((select g.qr_token from public.guests g
              join public.events ge on ge.id = g.event_id
              join public.events e on e.id = p_event_id and e.organization_id = ge.organization_id
              where g.id = p_guest_id), ''), p_nonce);
end
$$;
