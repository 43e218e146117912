-- The door: staff scan passes; every scan is recorded; organisers read the night's numbers.
-- When a phone cannot show its pass, the door finds the guest by name and checks them in with
-- the same rules as a scan.

-- =============================================================================================
-- Settings and limits
-- =============================================================================================

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('guest_lookups', 120, 60, 'Door look-ups of guests by name, per staff member.')
on conflict do nothing;

-- =============================================================================================
-- Tables
-- =============================================================================================

/** Every scan at the door, keyed by the scanner's nonce so that a retried scan is one scan. */
create table public.checkins (
  id uuid primary key default gen_random_uuid(),
  nonce text not null unique,
  event_id uuid not null references public.events (id) on delete cascade,
  guest_id uuid references public.guests (id) on delete set null,
  result text not null check (result in ('checked_in', 'already_checked_in', 'unknown', 'wrong_event', 'list_closed')),
  scanned_by uuid not null references auth.users (id) on delete cascade,
  at timestamptz not null default now()
);
create index checkins_event_id_idx on public.checkins (event_id);
create index checkins_guest_id_idx on public.checkins (guest_id);
create index checkins_scanned_by_idx on public.checkins (scanned_by);
alter table public.checkins enable row level security;

-- =============================================================================================
-- Functions
-- =============================================================================================

/** The answer for a recorded scan: verdict, guest, first check-in time. */
create or replace function private.checkin_answer(p_checkin public.checkins)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'verdict', p_checkin.result,
    'event_id', p_checkin.event_id,
    'scanned_at', p_checkin.at,
    'checked_in_at', g.checked_in_at,
    'guest', case when g.id is null or p_checkin.result = 'wrong_event' then null else jsonb_build_object(
      'id', g.id, 'first_name', u.first_name, 'last_name', u.last_name, 'promoter', p.display_name) end)
  from (select 1) one
  left join public.guests g on g.id = p_checkin.guest_id
  left join private.client_users u on u.id = g.client_user_id
  left join public.promoters p on p.id = g.promoter_id
$$;

/**
 * A staff scan of a pass at the door. Verdicts: `checked_in`, `already_checked_in` (with the
 * first check-in time), `unknown` (no such pass), `wrong_event` (a pass for another night; no
 * guest details), `list_closed` (the night is over). Every scan is recorded in checkins.
 * Idempotent per nonce: a retried scan returns the first verdict and records nothing new.
 * Only owner/admin/staff of the event's organization (private.require_event: 404 for a
 * non-member, 403 for a promoter); scans per staff member are rate limited.
 */
create or replace function public.check_in_guest(p_event_id uuid, p_qr_token text, p_nonce text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_checkin public.checkins;
  v_guest public.guests;
  v_result text;
begin
  perform private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  perform private.rate_limit('staff_scans', v_uid::text);
  if p_nonce is null or length(p_nonce) not between 8 and 100 then
    perform private.fail(400, 'invalid_nonce', 'Each scan needs a nonce of 8 to 100 characters.',
      'Send a fresh random id with every scan and the same one when retrying it.');
  end if;
  perform private.check_length('p_qr_token', p_qr_token, 64);

  select * into v_checkin from public.checkins c where c.nonce = p_nonce;
  if not found then
    select * into v_guest from public.guests g where g.qr_token = p_qr_token;
    if v_guest.id is null then
      v_result := 'unknown';
    elsif v_guest.event_id <> p_event_id then
      v_result := 'wrong_event';
    elsif (select e.ends_at from public.events e where e.id = p_event_id) < now() then
      v_result := 'list_closed';
    else
      update public.guests g set status = 'checked_in', checked_in_at = now()
      where g.id = v_guest.id and g.checked_in_at is null;
      v_result := case when found then 'checked_in' else 'already_checked_in' end;
    end if;

    insert into public.checkins (nonce, event_id, guest_id, result, scanned_by)
    values (p_nonce, p_event_id, case when v_result <> 'wrong_event' then v_guest.id end, v_result, v_uid)
    on conflict (nonce) do nothing
    returning * into v_checkin;
    if not found then
      -- The same scan, retried concurrently: the first one's verdict stands.
      select * into v_checkin from public.checkins c where c.nonce = p_nonce;
    end if;
  end if;

  if v_checkin.event_id <> p_event_id or v_checkin.scanned_by <> v_uid then
    perform private.fail(409, 'nonce_reused', 'This scan id was already used for another scan.',
      'Send a fresh random id with every scan.');
  end if;
  return private.checkin_answer(v_checkin);
end
$$;

/**
 * The night at a glance for its organization's members: totals, per promoter and per team,
 * registrations and arrivals per 15 minutes and the latest arrivals (first name and last initial
 * only).
 */
create or replace function public.event_dashboard(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_event public.events;
begin
  v_event := private.require_event(p_event_id, null);

  return jsonb_build_object(
    'event', jsonb_build_object('id', v_event.id, 'name', v_event.name, 'starts_at', v_event.starts_at,
      'ends_at', v_event.ends_at, 'guest_list_closes_at', v_event.guest_list_closes_at, 'capacity', v_event.capacity),
    'totals', (select jsonb_build_object('registered', count(*), 'checked_in', count(g.checked_in_at))
               from public.guests g where g.event_id = p_event_id),
    'by_promoter', coalesce((
      select jsonb_agg(to_jsonb(x) order by x.registered desc, x.display_name)
      from (select p.id promoter_id, p.display_name, count(g.id) registered, count(g.checked_in_at) checked_in
            from public.event_promoters ep
            join public.promoters p on p.id = ep.promoter_id
            left join public.guests g on g.event_id = ep.event_id and g.promoter_id = ep.promoter_id
            where ep.event_id = p_event_id
            group by p.id) x), '[]'::jsonb),
    'by_team', coalesce((
      select jsonb_agg(to_jsonb(x) order by x.registered desc, x.name)
      from (select t.id team_id, t.name, count(g.id) registered, count(g.checked_in_at) checked_in
            from public.teams t
            left join public.guests g on g.event_id = p_event_id and g.team_id = t.id
            where t.id in (select ep.team_id from public.event_promoters ep where ep.event_id = p_event_id)
            group by t.id) x), '[]'::jsonb),
    'arrivals_per_15_min', coalesce((
      select jsonb_agg(jsonb_build_object('slot', slot, 'arrivals', n) order by slot)
      from (select date_bin('15 minutes', g.checked_in_at, v_event.starts_at) slot, count(*) n
            from public.guests g
            where g.event_id = p_event_id and g.checked_in_at is not null
            group by 1) s), '[]'::jsonb),
    'registrations_per_15_min', coalesce((
      select jsonb_agg(jsonb_build_object('slot', slot, 'registrations', n) order by slot)
      from (select date_bin('15 minutes', g.created_at, v_event.starts_at) slot, count(*) n
            from public.guests g
            where g.event_id = p_event_id
            group by 1) s), '[]'::jsonb),
    'latest_arrivals', coalesce((
      select jsonb_agg(jsonb_build_object('guest_id', a.id, 'first_name', a.first_name,
               'last_initial', a.last_initial, 'promoter', a.promoter, 'checked_in_at', a.checked_in_at)
             order by a.checked_in_at desc)
      from (select g.id, u.first_name, left(u.last_name, 1) last_initial, p.display_name promoter, g.checked_in_at
            from public.guests g
            join private.client_users u on u.id = g.client_user_id
            join public.promoters p on p.id = g.promoter_id
            where g.event_id = p_event_id and g.checked_in_at is not null
            order by g.checked_in_at desc
            limit 20) a), '[]'::jsonb));
end
$$;

/**
 * Door look-up by name when a phone cannot show its QR (owner/admin/staff): up to 20 guests of
 * the event whose name contains every word typed (at least 2 characters), with promoter and
 * status; never a phone or email. Counted per staff member (`guest_lookups`).
 */
create or replace function public.find_guests(p_event_id uuid, p_query text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_words text[];
begin
  perform private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  perform private.check_length('p_query', p_query, 100);
  v_words := array(select w from regexp_split_to_table(lower(btrim(coalesce(p_query, ''))), '\s+') w where w <> '');
  if length(array_to_string(v_words, '')) < 2 then
    perform private.fail(400, 'query_too_short', 'Type at least two letters of the name.', 'Type more of the name.');
  end if;
  perform private.rate_limit('guest_lookups', (select auth.uid())::text);
  return coalesce((
    select jsonb_agg(jsonb_build_object('guest_id', x.id, 'first_name', x.first_name, 'last_name', x.last_name,
             'promoter', x.promoter, 'status', x.status, 'checked_in_at', x.checked_in_at) order by x.last_name, x.first_name)
    from (select g.id, u.first_name, u.last_name, p.display_name promoter, g.status, g.checked_in_at
          from public.guests g
          join private.client_users u on u.id = g.client_user_id
          join public.promoters p on p.id = g.promoter_id
          where g.event_id = p_event_id
            and (select bool_and(lower(u.first_name || ' ' || u.last_name) like '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%')
                 from unnest(v_words) w)
          order by u.last_name, u.first_name
          limit 20) x), '[]'::jsonb);
end
$$;

/**
 * Checks in a guest found by name (find_guests), with exactly the rules of a scan: the same
 * verdicts, roles, limits and nonce idempotency as check_in_guest, which it calls with the
 * guest's pass.
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
    coalesce((select g.qr_token from public.guests g where g.id = p_guest_id), ''), p_nonce);
end
$$;

-- =============================================================================================
-- Policies
-- =============================================================================================

create policy "Organization members can read their events' check-ins" on public.checkins
  for select to authenticated using (private.is_event_member(event_id));

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke all on public.checkins from anon, authenticated;
revoke execute on function public.check_in_guest(uuid, text, text), public.event_dashboard(uuid)
  from public, anon, authenticated;
grant execute on function public.check_in_guest(uuid, text, text), public.event_dashboard(uuid) to authenticated;

revoke execute on function public.find_guests(uuid, text), public.check_in_guest_by_id(uuid, uuid, text)
  from public, anon, authenticated;
grant execute on function public.find_guests(uuid, text), public.check_in_guest_by_id(uuid, uuid, text) to authenticated;
