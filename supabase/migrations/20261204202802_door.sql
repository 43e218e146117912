-- The door as clubs run it: a short code a person can read and type on every pass, search by
-- name or code, exit and re-entry scans as an option per night, and offline judging as
-- pretixSCAN does it (the device downloads the minimum it needs to judge a scan, judges on its
-- own while the network is gone, and reconciles every scan exactly once when it returns).
-- Only `active` passes enter; a pass with plus-ones lets the guest and their N in.

-- =============================================================================================
-- Settings and limits
-- =============================================================================================

insert into private.rate_limits (bucket, max_hits, window_seconds, description) values
  ('door_lists', 60, 3600, 'Downloads of a night''s door list for offline judging, per staff member.'),
  ('door_syncs', 120, 60, 'Uploads of scans judged offline, per staff member.')
on conflict do nothing;

-- =============================================================================================
-- Tables
-- =============================================================================================

-- The shared columns of a pass (the list's rules set them; the door reads them).
alter table public.guests add column if not exists plus_ones smallint not null default 0 check (plus_ones between 0 and 20);
alter table public.guests add column if not exists status text not null default 'active' check (status in ('active', 'waiting', 'pending', 'revoked'));
alter table public.guests add column if not exists source text not null default 'link' check (source in ('link', 'door', 'organiser', 'vip'));

/**
 * The pass's short code: 6 characters of an alphabet without look-alikes (no 0/O, 1/I), read
 * from sha256 of the QR secret, so that the guest page shows it without asking the server and
 * the door finds it by index. It tells nothing about the secret that a 30-bit guess would not.
 */
create or replace function private.pass_code(p_qr_token text)
returns text
language sql
immutable
strict
set search_path = ''
as $$
  select string_agg(substr('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', get_byte(d, i) % 32 + 1, 1), '' order by i)
  from (select extensions.digest(convert_to(p_qr_token, 'UTF8'), 'sha256') d) x, generate_series(0, 5) i
$$;

alter table public.guests add column short_code text generated always as (private.pass_code(qr_token)) stored;
create unique index guests_event_id_short_code_key on public.guests (event_id, short_code);

/** Per-night door options, set by owners and admins (set_door_settings). */
create table private.door_settings (
  event_id uuid primary key references public.events (id) on delete cascade,
  exit_scans boolean not null default false,
  updated_at timestamptz not null default now()
);
alter table private.door_settings enable row level security;
create policy "Door settings are never read through the API" on private.door_settings
  as restrictive for all to anon, authenticated using (false) with check (false);

/** Who is inside on a night with exit scans: a checked-in guest who scanned out is outside. */
create table private.door_presence (
  guest_id uuid primary key references public.guests (id) on delete cascade,
  inside boolean not null,
  changed_at timestamptz not null default now()
);
alter table private.door_presence enable row level security;
create policy "Door presence is never read through the API" on private.door_presence
  as restrictive for all to anon, authenticated using (false) with check (false);

-- Every scan's direction, the plus-ones that came in with it, and, for a scan judged on a
-- device without network, when the device took it and what it showed.
alter table public.checkins drop constraint checkins_result_check;
alter table public.checkins add constraint checkins_result_check check (result in ('checked_in', 're_entered',
  'already_checked_in', 'unknown', 'wrong_event', 'list_closed', 'not_admitted', 'checked_out', 'not_inside', 'conflict'));
alter table public.checkins add column direction text not null default 'in' check (direction in ('in', 'out'));
alter table public.checkins add column plus_ones smallint not null default 0;
alter table public.checkins add column offline_at timestamptz;
alter table public.checkins add column offline_verdict text check (offline_verdict in ('checked_in', 're_entered',
  'already_checked_in', 'unknown', 'not_admitted', 'checked_out', 'not_inside'));

-- =============================================================================================
-- Internal functions
-- =============================================================================================

/** Re-rolls a new pass's secret until its short code is free on that night. */
create or replace function private.guests_free_short_code()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  while exists (select 1 from public.guests g
                where g.event_id = new.event_id and g.short_code = private.pass_code(new.qr_token)) loop
    new.qr_token := private.random_token(18);
  end loop;
  return new;
end
$$;

create trigger guests_free_short_code before insert on public.guests
for each row execute function private.guests_free_short_code();

/** The answer for a recorded scan: verdict, guest, plus-ones, first check-in time. */
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
    'nonce', p_checkin.nonce,
    'direction', p_checkin.direction,
    'scanned_at', p_checkin.at,
    'checked_in_at', g.checked_in_at,
    'plus_ones', case when p_checkin.result in ('checked_in', 're_entered') then p_checkin.plus_ones else g.plus_ones end,
    'reason', case when p_checkin.result = 'not_admitted' then g.status end,
    'offline_verdict', p_checkin.offline_verdict,
    'guest', case when g.id is null or p_checkin.result = 'wrong_event' then null else jsonb_build_object(
      'id', g.id, 'first_name', u.first_name, 'last_name', u.last_name, 'promoter', p.display_name,
      'short_code', g.short_code) end)
  from (select 1) one
  left join public.guests g on g.id = p_checkin.guest_id
  left join private.client_users u on u.id = g.client_user_id
  left join public.promoters p on p.id = g.promoter_id
$$;

/**
 * Judges and records one scan (the caller has checked who scans): the pass by QR secret or by
 * short code; only an `active` pass enters (`not_admitted` with the status as reason), once
 * (`already_checked_in`), or again after an exit scan on a night with exit scans (`re_entered`);
 * an exit scan lets a guest inside out (`checked_out`, or `not_inside`). A scan judged offline
 * that admitted a guest whom another scan already admitted is a `conflict`: reported, never a
 * second arrival. Idempotent per nonce: a retried scan returns the first answer.
 */
create or replace function private.door_scan(p_event_id uuid, p_code text, p_nonce text, p_direction text,
  p_offline_at timestamptz, p_offline_verdict text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_checkin public.checkins;
  v_guest public.guests;
  v_event public.events;
  v_exit boolean;
  v_code text := upper(regexp_replace(coalesce(p_code, ''), '[\s-]', '', 'g'));
  v_result text;
begin
  if p_nonce is null or length(p_nonce) not between 8 and 100 then
    perform private.fail(400, 'invalid_nonce', 'Each scan needs a nonce of 8 to 100 characters.',
      'Send a fresh random id with every scan and the same one when retrying it.');
  end if;
  perform private.check_length('p_qr_token', p_code, 64);
  if p_direction not in ('in', 'out') then
    perform private.fail(400, 'invalid_direction', 'A scan is an entry (in) or an exit (out).', 'Send in or out.');
  end if;

  select * into v_checkin from public.checkins c where c.nonce = p_nonce;
  if not found then
    select * into v_event from public.events e where e.id = p_event_id;
    v_exit := coalesce((select s.exit_scans from private.door_settings s where s.event_id = p_event_id), false);
    if p_direction = 'out' and not v_exit then
      perform private.fail(409, 'exit_scans_off', 'This night does not take exit scans.',
        'An owner or admin can turn exit scans on for the night.');
    end if;
    if v_code ~ '^[A-HJ-NP-Z2-9]{6}$' then
      select * into v_guest from public.guests g where g.event_id = p_event_id and g.short_code = v_code;
    else
      select * into v_guest from public.guests g where g.qr_token = p_code;
    end if;

    if v_guest.id is null then
      v_result := 'unknown';
    elsif v_guest.event_id <> p_event_id then
      v_result := 'wrong_event';
    elsif v_event.ends_at < now() then
      v_result := 'list_closed';
    elsif v_guest.status in ('waiting', 'pending', 'revoked') then
      v_result := 'not_admitted';
    elsif p_direction = 'out' then
      update private.door_presence d set inside = false, changed_at = now()
      where d.guest_id = v_guest.id and d.inside;
      v_result := case when found then 'checked_out' else 'not_inside' end;
    else
      -- `status` stays as the list keeps it; a list that still marks arrivals in it gets the mark.
      update public.guests g set checked_in_at = now(),
        status = case when g.status = 'registered' then 'checked_in' else g.status end
      where g.id = v_guest.id and g.checked_in_at is null;
      if found then
        v_result := 'checked_in';
        insert into private.door_presence (guest_id, inside) values (v_guest.id, true)
        on conflict (guest_id) do update set inside = true, changed_at = now();
      elsif v_exit then
        update private.door_presence d set inside = true, changed_at = now()
        where d.guest_id = v_guest.id and not d.inside;
        v_result := case when found then 're_entered' else 'already_checked_in' end;
      else
        v_result := 'already_checked_in';
      end if;
      if v_result = 'already_checked_in' and p_offline_verdict in ('checked_in', 're_entered') then
        v_result := 'conflict';
      end if;
    end if;

    insert into public.checkins (nonce, event_id, guest_id, result, scanned_by, direction, plus_ones, offline_at, offline_verdict)
    values (p_nonce, p_event_id, case when v_result <> 'wrong_event' then v_guest.id end, v_result, v_uid, p_direction,
      case when v_result in ('checked_in', 're_entered') then v_guest.plus_ones else 0 end, p_offline_at, p_offline_verdict)
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

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * A staff scan of a pass at the door, by its QR secret or its short code. Verdicts:
 * `checked_in` (with `plus_ones`: the guest and N come in), `re_entered` (exit scans on),
 * `already_checked_in` (with the first check-in time), `not_admitted` (the pass is waiting,
 * pending or revoked: `reason`), `unknown`, `wrong_event` (no guest details), `list_closed`.
 * Every scan is recorded in checkins; idempotent per nonce. Only owner/admin/staff of the
 * event's organization (404 for a non-member, 403 for a promoter); counted per staff member.
 */
create or replace function public.check_in_guest(p_event_id uuid, p_qr_token text, p_nonce text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  perform private.rate_limit('staff_scans', (select auth.uid())::text);
  return private.door_scan(p_event_id, p_qr_token, p_nonce, 'in', null, null);
end
$$;

/**
 * An exit scan on a night with exit scans (set_door_settings): `checked_out` for a guest inside,
 * `not_inside` otherwise, and the entry verdicts' red ones; 409 `exit_scans_off` on a night
 * without them. The same roles, limit and nonce rules as check_in_guest.
 */
create or replace function public.check_out_guest(p_event_id uuid, p_qr_token text, p_nonce text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  perform private.rate_limit('staff_scans', (select auth.uid())::text);
  return private.door_scan(p_event_id, p_qr_token, p_nonce, 'out', null, null);
end
$$;

/**
 * Door look-up when a phone cannot show its QR (owner/admin/staff): up to 20 guests of the night
 * whose name contains every word typed (at least 2 characters) or whose short code it is, with
 * promoter, status, plus-ones and short code; never a phone or email. Counted per staff member
 * (`guest_lookups`).
 */
create or replace function public.find_guests(p_event_id uuid, p_query text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_words text[];
  v_code text := upper(regexp_replace(coalesce(p_query, ''), '[\s-]', '', 'g'));
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
             'promoter', x.promoter, 'status', x.status, 'checked_in_at', x.checked_in_at,
             'plus_ones', x.plus_ones, 'short_code', x.short_code) order by x.by_code desc, x.last_name, x.first_name)
    from (select g.id, u.first_name, u.last_name, p.display_name promoter, g.status, g.checked_in_at, g.plus_ones,
                 g.short_code, g.short_code = v_code by_code
          from public.guests g
          join private.client_users u on u.id = g.client_user_id
          join public.promoters p on p.id = g.promoter_id
          where g.event_id = p_event_id
            and (g.short_code = v_code
                 or (select bool_and(lower(u.first_name || ' ' || u.last_name) like '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%')
                     from unnest(v_words) w))
          order by g.short_code = v_code desc, u.last_name, u.first_name
          limit 20) x), '[]'::jsonb);
end
$$;

/**
 * Checks in a guest found by name or code (find_guests), with exactly the rules of a scan: the
 * same verdicts, roles, limits and nonce idempotency as check_in_guest, which it calls with the
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

/**
 * What a door device needs to judge scans without network (owner/admin/staff of the night's
 * organization; counted per staff member, `door_lists`): for each pass sha256 of its QR secret
 * (hex), its short code, first name and last initial, plus-ones, whether it may enter
 * (`active`, or the waiting/pending/revoked status) and whether it is checked in (and inside);
 * the night's exit-scan setting. Never a phone, email or QR secret.
 */
create or replace function public.door_list(p_event_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events;
begin
  v_event := private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  perform private.rate_limit('door_lists', (select auth.uid())::text);
  return jsonb_build_object(
    'event_id', v_event.id,
    'ends_at', v_event.ends_at,
    'exit_scans', coalesce((select s.exit_scans from private.door_settings s where s.event_id = p_event_id), false),
    'generated_at', now(),
    'guests', coalesce((
      select jsonb_agg(jsonb_build_array(
               encode(private.sha256(g.qr_token), 'hex'), g.short_code,
               coalesce(u.first_name || ' ' || left(u.last_name, 1) || '.', ''), g.plus_ones,
               case when g.status in ('waiting', 'pending', 'revoked') then g.status else 'active' end,
               g.checked_in_at is not null, coalesce(d.inside, g.checked_in_at is not null)))
      from public.guests g
      left join private.client_users u on u.id = g.client_user_id
      left join private.door_presence d on d.guest_id = g.id
      where g.event_id = p_event_id), '[]'::jsonb));
end
$$;

/**
 * Uploads scans a door device judged offline (owner/admin/staff; counted per upload,
 * `door_syncs`): up to 500 `{nonce, code, direction, at, verdict}` (the pass's QR secret or short
 * code, in|out, the device's time, the verdict the device showed). Each is judged again here,
 * exactly once per nonce (a retried upload returns the first answers), in the order given; a
 * scan the device admitted whose guest another scan had already admitted comes back as
 * `conflict`. Returns the answers in the same order.
 */
create or replace function public.door_sync(p_event_id uuid, p_scans jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_scan jsonb;
  v_answers jsonb := '[]'::jsonb;
begin
  perform private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  if jsonb_typeof(p_scans) is distinct from 'array' or jsonb_array_length(p_scans) not between 1 and 500 then
    perform private.fail(400, 'invalid_scans', 'Send 1 to 500 scans as an array.', 'Send the queue in parts.');
  end if;
  perform private.rate_limit('door_syncs', (select auth.uid())::text);
  for v_scan in select s from jsonb_array_elements(p_scans) s loop
    if jsonb_typeof(v_scan) is distinct from 'object'
       or coalesce(v_scan ->> 'verdict', '') not in ('checked_in', 're_entered', 'already_checked_in', 'unknown',
                                                      'not_admitted', 'checked_out', 'not_inside') then
      perform private.fail(400, 'invalid_scans', 'Each scan needs a nonce, a code, a direction, a time and a verdict.',
        'Send the scans as the door page queues them.');
    end if;
    v_answers := v_answers || private.door_scan(p_event_id, v_scan ->> 'code', v_scan ->> 'nonce',
      coalesce(v_scan ->> 'direction', 'in'), least(now(), (v_scan ->> 'at')::timestamptz), v_scan ->> 'verdict');
  end loop;
  return v_answers;
end
$$;

/**
 * The night's door options (owner/admin): `exit_scans`, guests scan out and back in (an exit
 * scan needs it; without it a second entry is `already_checked_in`). Returns the settings.
 */
create or replace function public.set_door_settings(p_event_id uuid, p_exit_scans boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  if p_exit_scans is null then
    perform private.fail(400, 'invalid_settings', 'exit_scans must be true or false.', 'Send true or false.');
  end if;
  insert into private.door_settings (event_id, exit_scans) values (p_event_id, p_exit_scans)
  on conflict (event_id) do update set exit_scans = excluded.exit_scans, updated_at = now();
  return jsonb_build_object('event_id', p_event_id, 'exit_scans', p_exit_scans);
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.pass_code(text), private.guests_free_short_code(),
  private.door_scan(uuid, text, text, text, timestamptz, text) from public, anon, authenticated;
revoke execute on function public.check_out_guest(uuid, text, text), public.door_list(uuid),
  public.door_sync(uuid, jsonb), public.set_door_settings(uuid, boolean) from public, anon, authenticated;
grant execute on function public.check_out_guest(uuid, text, text), public.door_list(uuid),
  public.door_sync(uuid, jsonb), public.set_door_settings(uuid, boolean) to authenticated;
