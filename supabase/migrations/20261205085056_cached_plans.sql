-- The small helpers on a guest's path keep their plans: the same bodies, in PL/pgSQL.
--
-- A `language sql` function with a `set` clause is never inlined, and PostgreSQL 15 plans its
-- body again at every call made from PL/pgSQL (the plan lives in the calling expression's state,
-- which PL/pgSQL makes afresh for each execution of a statement). PL/pgSQL keeps each
-- statement's plan for the session, and runs a simple expression without the executor. Measured
-- on this machine, 20,000 calls of private.setting: 18 µs each in SQL, 6 µs in PL/pgSQL;
-- guest_broadcast_payload: 160 µs against 40 µs. The bench's profile had these helpers at over
-- a third of the database's time per guest (docs/benchmarks.md).
--
-- Only the language changes: the same queries, volatility, strictness, owners, comments and
-- grants (create or replace keeps the last three). A query that could return more than one row
-- does not exist among them (each reads a row by its key), so `return (select …)` answers as the
-- SQL function did, null when nothing is found.

-- =============================================================================================
-- Reads by key
-- =============================================================================================

/** A setting's value (private.settings), null when absent. */
create or replace function private.setting(p_key text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select value from private.settings where key = p_key);
end
$$;

/** sha256 of a text (its UTF-8 bytes). */
create or replace function private.sha256(p_value text)
returns bytea
language plpgsql
immutable
set search_path = ''
as $$
begin
  return extensions.digest(p_value, 'sha256');
end
$$;

/** A random URL-safe token of p_bytes bytes from gen_random_bytes. */
create or replace function private.random_token(p_bytes integer)
returns text
language plpgsql
volatile
set search_path = ''
as $$
begin
  return translate(encode(extensions.gen_random_bytes(p_bytes), 'base64'), E'+/=\n', '-_');
end
$$;

/**
 * The six characters a person reads and types for a pass (letters and digits that cannot be
 * confused), from sha256 of its QR secret; the guest page computes the same.
 */
create or replace function private.pass_code(p_qr_token text)
returns text
language plpgsql
immutable
strict
set search_path = ''
as $$
declare
  v_digest bytea := extensions.digest(convert_to(p_qr_token, 'UTF8'), 'sha256');
  v_code text := '';
begin
  for i in 0 .. 5 loop
    v_code := v_code || substr('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', get_byte(v_digest, i) % 32 + 1, 1);
  end loop;
  return v_code;
end
$$;

/** Leading zero bits of a 256-bit digest (the proof of work's measure). */
create or replace function private.leading_zero_bits(p_digest bytea)
returns integer
language plpgsql
immutable
set search_path = ''
as $$
begin
  return coalesce(nullif(position('1' in right(('x' || encode(p_digest, 'hex'))::bit(256)::text, 256)), 0) - 1, 256);
end
$$;

/** Whether the value sent hashes to the stored digest, compared in constant time. */
create or replace function private.password_matches(p_bcrypt text, p_digest bytea)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
  return p_digest is not null
     and bit_count(('x' || encode(private.sha256(coalesce(p_bcrypt, '')), 'hex'))::bit(256)
                   # ('x' || encode(coalesce(p_digest, '\x00'::bytea || private.sha256('')), 'hex'))::bit(256)) = 0;
end
$$;

/** The text without invisible formatting characters (direction marks, zero widths, soft hyphens). */
create or replace function private.strip_invisible(p_text text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  return regexp_replace(coalesce(p_text, ''),
    '[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]', '', 'g');
end
$$;

/** The key of a number's failed logins from an address, bound to the account's salt. */
create or replace function private.login_failure_key(p_phone text, p_address text)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return p_phone || ' ' || p_address || ' '
      || coalesce((select u.password_salt from private.client_users u where u.phone = p_phone), '');
end
$$;

-- =============================================================================================
-- Counters written on the path
-- =============================================================================================

/** Counts one event of an operational metric in this minute (sharded by backend). */
create or replace function private.ops_count(p_metric text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.ops_counters as c (metric, minute, shard, hits)
  values (p_metric, date_trunc('minute', now()), pg_backend_pid(), 1)
  on conflict (metric, minute, shard) do update set hits = c.hits + 1;
end
$$;

/** Remembers whether a number has an account, for the phone step's cache. */
create or replace function private.cache_phone(p_phone text, p_exists boolean)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.phone_lookup_cache as c (phone_hash, phone_exists, expires_at)
  values (private.sha256(p_phone), p_exists,
          now() + make_interval(secs => (private.setting('phone_cache_seconds'))::integer))
  on conflict (phone_hash) do update set phone_exists = excluded.phone_exists, expires_at = excluded.expires_at;
end
$$;

/** After a right password: the failures from that address are forgotten and the login noted. */
create or replace function private.password_succeeded(p_phone text, p_address text, p_client_user_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from private.rate_limit_counters
  where bucket = 'login_failures' and key_hash = private.sha256(private.login_failure_key(p_phone, p_address));
  update private.client_users set last_login_at = now() where id = p_client_user_id;
end
$$;

-- =============================================================================================
-- The night's list
-- =============================================================================================

/** The night's counts, from the counters the guests trigger keeps. */
create or replace function private.list_totals(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object(
      'registered', coalesce(sum(c.registered), 0),
      'places', coalesce(sum(c.places), 0),
      'checked_in', coalesce(sum(c.checked_in), 0),
      'checked_in_places', coalesce(sum(c.checked_in_places), 0),
      'waiting', coalesce(sum(c.waiting), 0),
      'pending', coalesce(sum(c.pending), 0),
      'revoked', coalesce(sum(c.revoked), 0))
    from private.event_guest_counts c where c.event_id = p_event_id);
end
$$;

/**
 * Places taken on a night (guests and their plus-ones on the list), or by one promoter's or
 * team's passes (for quotas).
 */
create or replace function private.places_taken(p_event_id uuid, p_promoter_id uuid default null,
  p_team_id uuid default null)
returns bigint
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_promoter_id is null and p_team_id is null then
    return (select coalesce(sum(c.places), 0)::bigint from private.event_guest_counts c where c.event_id = p_event_id);
  end if;
  return (select coalesce(sum(1 + g.plus_ones), 0)::bigint from public.guests g
          where g.event_id = p_event_id and g.status not in ('waiting', 'pending', 'revoked')
            and (p_promoter_id is null or g.promoter_id = p_promoter_id)
            and (p_team_id is null or g.team_id = p_team_id));
end
$$;

/** Whether p_places more fit the night's capacity and the promoter's and team's quotas. */
create or replace function private.has_room(p_event_id uuid, p_promoter_id uuid, p_team_id uuid, p_places integer)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select (e.capacity is null or private.places_taken(e.id) + p_places <= e.capacity)
      and not exists (select 1 from private.event_quotas q
                      where q.event_id = e.id and q.promoter_id = p_promoter_id
                        and private.places_taken(e.id, p_promoter_id, null) + p_places > q.places)
      and not exists (select 1 from private.event_quotas q
                      where q.event_id = e.id and q.team_id = p_team_id
                        and private.places_taken(e.id, null, p_team_id) + p_places > q.places)
    from public.events e where e.id = p_event_id);
end
$$;

/** Whether the night still takes guests: before its list closes and below its capacity. */
create or replace function private.is_list_open(p_event_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select e.guest_list_closes_at > now()
           and (e.capacity is null or private.places_taken(e.id) < e.capacity)
    from public.events e
    where e.id = p_event_id);
end
$$;

/** The questions a night asks its guests, as the link card and the forms read them. */
create or replace function private.questions_json(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object('birth_date', coalesce(q.ask_birth_date, false), 'min_age', q.min_age,
                              'gender', coalesce(q.ask_gender, false), 'city', coalesce(q.ask_city, false))
    from (select 1) one left join public.event_questions q on q.event_id = p_event_id);
end
$$;

/** A guest's age on the night's date (Lisbon), null without a date of birth. */
create or replace function private.age_at_event(p_birth_date date, p_event_id uuid)
returns integer
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select extract(year from age((e.starts_at at time zone 'Europe/Lisbon')::date, p_birth_date))::integer
    from public.events e where e.id = p_event_id and p_birth_date is not null);
end
$$;

/** Whether an account is under the night's minimum age (a guest already on the list keeps the pass). */
create or replace function private.too_young(p_client_user_id uuid, p_event_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select coalesce(private.age_at_event(u.birth_date, q.event_id) < q.min_age, false)
       and not exists (select 1 from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id)
    from public.event_questions q, private.client_users u
    where q.event_id = p_event_id and u.id = p_client_user_id and q.min_age is not null);
end
$$;

/** Whether the night's minimum age needs a date of birth the account does not have. */
create or replace function private.birth_date_needed(p_client_user_id uuid, p_event_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((
    select u.birth_date is null
       and not exists (select 1 from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id)
    from public.event_questions q, private.client_users u
    where q.event_id = p_event_id and u.id = p_client_user_id and q.min_age is not null), false);
end
$$;

-- =============================================================================================
-- Realtime payloads (the guests trigger's broadcasts)
-- =============================================================================================

/** What the organisers' topic of a night hears of a pass: who, whose link, status, the night's totals. */
create or replace function private.guest_broadcast_payload(p_guest public.guests)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object(
      'event_id', p_guest.event_id,
      'guest_id', p_guest.id,
      'first_name', coalesce(u.first_name, p_guest.added_name, ''),
      'last_initial', left(u.last_name, 1),
      'promoter', jsonb_build_object('id', p.id, 'display_name', p.display_name),
      'team', case when t.id is null then null else jsonb_build_object('id', t.id, 'name', t.name) end,
      'status', p_guest.status,
      'plus_ones', p_guest.plus_ones,
      'source', p_guest.source,
      'registered_at', p_guest.created_at,
      'checked_in_at', p_guest.checked_in_at,
      'totals', private.list_totals(p_guest.event_id))
    from public.promoters p
    left join private.client_users u on u.id = p_guest.client_user_id
    left join public.teams t on t.id = p_guest.team_id
    where p.id = p_guest.promoter_id);
end
$$;

/** What a promoter's (and their team's) topic hears of a pass: no totals of the whole night. */
create or replace function private.promoter_broadcast_payload(p_guest public.guests)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select jsonb_build_object(
      'event_id', p_guest.event_id,
      'guest_id', p_guest.id,
      'first_name', coalesce(u.first_name, p_guest.added_name, ''),
      'last_initial', left(u.last_name, 1),
      'promoter', jsonb_build_object('id', p.id, 'display_name', p.display_name),
      'team_id', p_guest.team_id,
      'status', p_guest.status,
      'plus_ones', p_guest.plus_ones,
      'registered_at', p_guest.created_at,
      'checked_in_at', p_guest.checked_in_at)
    from public.promoters p
    left join private.client_users u on u.id = p_guest.client_user_id
    where p.id = p_guest.promoter_id);
end
$$;
