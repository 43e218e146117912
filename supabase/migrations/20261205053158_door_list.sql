-- Gaps at the door and in the list's counts. Guests added by hand (a name typed, no account) are
-- first-class everywhere the door and the organisers look: found by name, named in the verdicts,
-- the offline list, the live messages and the CSV (with the phone typed, for owners). Every count
-- of guests counts as private.list_totals does: only passes holding a place, each for 1 + its
-- plus-ones; a waiting or pending registration is not announced as a registration. The door shows
-- the guest's age against the night's minimum. A scan judged offline is recorded at the time the
-- device took it, within bounds. The status `active`, never written, leaves the vocabulary.

-- =============================================================================================
-- Tables
-- =============================================================================================

-- No function writes `active` (the door's offline list uses the word only as its "may enter"
-- mark, never as a stored status); any row that somehow has it is on the list, i.e. registered.
update public.guests g set status = 'registered' where g.status = 'active';
alter table public.guests drop constraint guests_status_check;
alter table public.guests add constraint guests_status_check
  check (status in ('registered', 'checked_in', 'waiting', 'pending', 'revoked'));

-- =============================================================================================
-- Internal functions
-- =============================================================================================

/**
 * The name the door and the organisers see for a pass: the account's first name and last name,
 * or, for a guest added by hand without an account, the name typed (as first name, last name
 * empty); empty for a guest who deleted their account.
 */
create or replace function private.guest_names(p_client_user_id uuid, p_added_name text)
returns table (first_name text, last_name text)
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(u.first_name, p_added_name, ''), coalesce(u.last_name, '')
  from (select 1) one left join private.client_users u on u.id = p_client_user_id
$$;

/**
 * When a scan judged offline happened, for the record: the device's time (`p_at`, ISO 8601) when
 * it is plausible, else now. Plausible: not in the future (a device clock running ahead, by a
 * little skew or a lot, gives now) and not before 6 hours ahead of the night's start (no door
 * opens earlier). Anything else (missing, unreadable, out of bounds) is now.
 */
create or replace function private.door_scan_time(p_event_id uuid, p_at text)
returns timestamptz
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_at timestamptz;
begin
  if p_at is null or p_at !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}' then
    return now();
  end if;
  begin
    v_at := p_at::timestamptz;
  exception when others then
    return now();
  end;
  if v_at < (select e.starts_at - interval '6 hours' from public.events e where e.id = p_event_id) then
    return now();
  end if;
  return least(v_at, now());
end
$$;

/** The answer for a recorded scan: verdict, guest, plus-ones, first check-in time, age on the night. */
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
    'age', case when g.id is null or p_checkin.result = 'wrong_event' then null
                else private.door_age_json(g.client_user_id, g.event_id) end,
    'guest', case when g.id is null or p_checkin.result = 'wrong_event' then null else jsonb_build_object(
      'id', g.id, 'first_name', n.first_name, 'last_name', n.last_name, 'promoter', p.display_name,
      'short_code', g.short_code, 'source', g.source) end)
  from (select 1) one
  left join public.guests g on g.id = p_checkin.guest_id
  left join lateral private.guest_names(g.client_user_id, g.added_name) n on true
  left join public.promoters p on p.id = g.promoter_id
$$;

/**
 * Judges and records one scan (the caller has checked who scans): the pass by QR secret or by
 * short code; only a pass on the list enters (`not_admitted` with the status as reason), once
 * (`already_checked_in`), or again after an exit scan on a night with exit scans (`re_entered`);
 * an exit scan lets a guest inside out (`checked_out`, or `not_inside`). A scan judged offline
 * that admitted a guest whom another scan already admitted is a `conflict`: reported, never a
 * second arrival. A scan judged offline (`p_offline_at`, bounded by door_sync) records the
 * arrival at that time (never before the pass existed), and a conflicting one taken earlier than
 * the recorded arrival moves it earlier (the guest came in at the first scan, whichever device
 * uploaded first); any other scan is at now. Idempotent per nonce: a retried scan returns the
 * first answer.
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
  v_at timestamptz;
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
    v_at := greatest(coalesce(p_offline_at, now()), v_guest.created_at);

    if v_guest.id is null then
      v_result := 'unknown';
    elsif v_guest.event_id <> p_event_id then
      v_result := 'wrong_event';
    elsif v_event.ends_at < now() then
      v_result := 'list_closed';
    elsif v_guest.status in ('waiting', 'pending', 'revoked') then
      v_result := 'not_admitted';
    elsif p_direction = 'out' then
      update private.door_presence d set inside = false, changed_at = v_at
      where d.guest_id = v_guest.id and d.inside;
      v_result := case when found then 'checked_out' else 'not_inside' end;
    else
      -- `status` stays as the list keeps it; a list that still marks arrivals in it gets the mark.
      update public.guests g set checked_in_at = v_at,
        status = case when g.status = 'registered' then 'checked_in' else g.status end
      where g.id = v_guest.id and g.checked_in_at is null;
      if found then
        v_result := 'checked_in';
        insert into private.door_presence (guest_id, inside, changed_at) values (v_guest.id, true, v_at)
        on conflict (guest_id) do update set inside = true, changed_at = v_at;
      elsif v_exit then
        update private.door_presence d set inside = true, changed_at = v_at
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
    elsif v_result = 'conflict' and p_offline_at is not null then
      -- The guest arrived at the earliest scan that admitted them, whichever device uploaded first.
      update public.guests g set checked_in_at = v_at where g.id = v_guest.id and g.checked_in_at > v_at;
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
 * The message about one guest: first name and last initial (or the name typed for a guest added
 * by hand), promoter and team, the pass's status and plus-ones, and the event's totals as
 * private.list_totals counts them (passes holding a place, places with plus-ones, arrivals).
 * Never a phone number or an email.
 */
create or replace function private.guest_broadcast_payload(p_guest public.guests)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
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
  where p.id = p_guest.promoter_id
$$;

/** The message a promoter (or their team leader) receives about one of their guests. */
create or replace function private.promoter_broadcast_payload(p_guest public.guests)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
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
  where p.id = p_guest.promoter_id
$$;

/**
 * Trigger: `guest_registered` after a new pass that holds a place, `guest_checked_in` after a
 * first check-in, on every topic that may hear about the guest: the event's (`event:<event_id>`,
 * the organisers' message), the promoter's (`promoter:<promoter_id>`) and, for a guest who came
 * through a team link, the team's (`team:<team_id>`; the promoters' message), so that a
 * promoter's channel carries only their own guests. A new pass that holds no place (waiting,
 * pending) is `guest_status` instead: nobody counts it as a registration; it counts when it is
 * promoted or approved (private.broadcast_guest_status).
 */
create or replace function private.broadcast_guest_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event text;
  v_payload jsonb;
begin
  if tg_op = 'INSERT' then
    v_event := case when new.status in ('waiting', 'pending', 'revoked') then 'guest_status' else 'guest_registered' end;
  elsif old.checked_in_at is null and new.checked_in_at is not null then
    v_event := 'guest_checked_in';
  else
    return null;
  end if;
  perform realtime.send(private.guest_broadcast_payload(new), v_event, 'event:' || new.event_id, true);
  v_payload := private.promoter_broadcast_payload(new);
  perform realtime.send(v_payload, v_event, 'promoter:' || new.promoter_id, true);
  if new.team_id is not null then
    perform realtime.send(v_payload, v_event, 'team:' || new.team_id, true);
  end if;
  return null;
end
$$;

/**
 * Trigger: a pass that enters or leaves the list's waiting, pending or revoked states (promoted,
 * approved, refused, revoked) is told, as `guest_revoked` or `guest_status` with its status and
 * the night's totals, to the organisers' `/live` on the event's topic and to its promoter's (and
 * team's) topic, so that a promotion from the waiting list counts wherever the pass is counted.
 */
create or replace function private.broadcast_guest_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event text;
  v_payload jsonb;
begin
  if new.status is distinct from old.status
     and (old.status in ('waiting', 'pending', 'revoked') or new.status in ('waiting', 'pending', 'revoked')) then
    v_event :=
      case when new.status = 'revoked' then 'guest_revoked' else 'guest_status' end;
    perform realtime.send(coalesce(private.guest_broadcast_payload(new), '{}'::jsonb)
        || jsonb_build_object('event_id', new.event_id, 'guest_id', new.id, 'status', new.status,
             'plus_ones', new.plus_ones, 'totals', private.list_totals(new.event_id)),
      v_event, 'event:' || new.event_id, true);
    v_payload := private.promoter_broadcast_payload(new);
    perform realtime.send(v_payload, v_event, 'promoter:' || new.promoter_id, true);
    if new.team_id is not null then
      perform realtime.send(v_payload, v_event, 'team:' || new.team_id, true);
    end if;
  end if;
  return null;
end
$$;

-- =============================================================================================
-- Functions: the door
-- =============================================================================================

/**
 * Door look-up when a phone cannot show its QR (owner/admin/staff): up to 20 guests of the night
 * whose name contains every word typed (at least 2 characters) or whose short code it is, with
 * promoter, status, plus-ones, short code, source and age on the night (private.door_age_json);
 * never a phone or email. A guest added by hand is found by the name typed, as any other.
 * Counted per staff member (`guest_lookups`).
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
             'plus_ones', x.plus_ones, 'short_code', x.short_code, 'source', x.source,
             'age', private.door_age_json(x.client_user_id, p_event_id))
             order by x.by_code desc, x.last_name, x.first_name)
    from (select g.id, g.client_user_id, n.first_name, n.last_name, p.display_name promoter, g.status, g.checked_in_at,
                 g.plus_ones, g.short_code, g.source, g.short_code = v_code by_code
          from public.guests g
          cross join lateral private.guest_names(g.client_user_id, g.added_name) n
          join public.promoters p on p.id = g.promoter_id
          where g.event_id = p_event_id
            and (g.short_code = v_code
                 or (select bool_and(lower(n.first_name || ' ' || n.last_name) like '%' || replace(replace(replace(w, '\', '\\'), '%', '\%'), '_', '\_') || '%')
                     from unnest(v_words) w))
          order by g.short_code = v_code desc, n.last_name, n.first_name
          limit 20) x), '[]'::jsonb);
end
$$;

/**
 * What a door device needs to judge scans without network (owner/admin/staff of the night's
 * organization; counted per staff member, `door_lists`): for each pass sha256 of its QR secret
 * (hex), its short code, first name and last initial (the name typed for a guest added by hand),
 * plus-ones, whether it may enter (`active`, or the waiting/pending/revoked status), whether it
 * is checked in (and inside), and its age on the night (null when not given or not asked); the
 * night's exit-scan setting and `birth_date` (whether the night asks it) and `min_age`. Never a
 * phone, email or QR secret.
 */
create or replace function public.door_list(p_event_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events;
  v_questions public.event_questions;
begin
  v_event := private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  perform private.rate_limit('door_lists', (select auth.uid())::text);
  select * into v_questions from public.event_questions q where q.event_id = p_event_id;
  return jsonb_build_object(
    'event_id', v_event.id,
    'ends_at', v_event.ends_at,
    'exit_scans', coalesce((select s.exit_scans from private.door_settings s where s.event_id = p_event_id), false),
    'birth_date', coalesce(v_questions.ask_birth_date, false),
    'min_age', v_questions.min_age,
    'generated_at', now(),
    'guests', coalesce((
      select jsonb_agg(jsonb_build_array(
               encode(private.sha256(g.qr_token), 'hex'), g.short_code,
               coalesce(u.first_name || ' ' || left(u.last_name, 1) || '.', g.added_name, ''), g.plus_ones,
               case when g.status in ('waiting', 'pending', 'revoked') then g.status else 'active' end,
               g.checked_in_at is not null, coalesce(d.inside, g.checked_in_at is not null),
               case when v_questions.ask_birth_date then private.age_at_event(u.birth_date, p_event_id) end))
      from public.guests g
      left join private.client_users u on u.id = g.client_user_id
      left join private.door_presence d on d.guest_id = g.id
      where g.event_id = p_event_id), '[]'::jsonb));
end
$$;

/**
 * Uploads scans a door device judged offline (owner/admin/staff; counted per upload,
 * `door_syncs`): up to 500 `{nonce, code, direction, scanned_at, verdict}` (the pass's QR secret
 * or short code, in|out, when the device took the scan (`at` from older pages), the verdict the
 * device showed). Each is judged again here, exactly once per nonce (a retried upload returns
 * the first answers), in the order given, and an arrival is recorded at the device's time when
 * it is plausible (private.door_scan_time), else now; a scan the device admitted whose guest
 * another scan had already admitted comes back as `conflict`. Returns the answers in order.
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
      coalesce(v_scan ->> 'direction', 'in'),
      private.door_scan_time(p_event_id, coalesce(v_scan ->> 'scanned_at', v_scan ->> 'at')), v_scan ->> 'verdict');
  end loop;
  return v_answers;
end
$$;

-- =============================================================================================
-- Functions: the organisers' and promoters' counts and the CSV
-- =============================================================================================

/**
 * The event's guest list as CSV (owner/admin), as spreadsheets read it: UTF-8 starting with a
 * byte-order mark (Excel otherwise misreads accents), headers in `p_lang` (`pt` or `en`, the
 * page's language), check-in times in `p_time_zone` (an IANA name, the page's: the schema keeps
 * no time zone per venue, and whoever exports reads the times where the night happens), named in
 * the header. Columns: first name, last name, promoter, team, status, plus-ones, source, check-in
 * time, and the phone number for owners only. A guest added by hand without an account appears
 * with the name typed (as first name) and, for owners, the phone typed; a guest who deleted their
 * account appears without name. Every cell is quoted and formula-safe (private.csv_cell).
 * Errors: invalid_language, invalid_time_zone (400).
 */
create or replace function public.export_guest_list(p_event_id uuid, p_lang text default 'pt',
  p_time_zone text default 'Europe/Lisbon')
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_owner boolean;
  v_head text[];
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  v_owner := exists (
    select 1 from public.events e join public.organization_members m on m.organization_id = e.organization_id
    where e.id = p_event_id and m.user_id = (select auth.uid()) and m.role = 'owner');
  if p_lang is null or p_lang not in ('pt', 'en') then
    perform private.fail(400, 'invalid_language', 'The language must be pt or en.', 'Use pt or en.');
  end if;
  if p_time_zone is null or not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = p_time_zone) then
    perform private.fail(400, 'invalid_time_zone', 'The time zone is not a known IANA name.', 'Use a name such as Europe/Lisbon.');
  end if;
  v_head := case p_lang
    when 'pt' then array['Nome', 'Apelido', 'Promotor', 'Equipa', 'Estado', 'Acompanhantes', 'Origem',
                         'Entrada (' || p_time_zone || ')', 'Telemóvel']
    else array['First name', 'Last name', 'Promoter', 'Team', 'Status', 'Plus-ones', 'Source',
               'Checked in (' || p_time_zone || ')', 'Phone'] end;
  return chr(65279) ||
    (select string_agg(private.csv_cell(x), ',' order by n) from unnest(v_head[1:case when v_owner then 9 else 8 end]) with ordinality c(x, n))
    || E'\r\n' ||
    coalesce(string_agg(concat_ws(',', private.csv_cell(coalesce(u.first_name, g.added_name)), private.csv_cell(u.last_name),
      private.csv_cell(p.display_name), private.csv_cell(t.name), private.csv_cell(g.status),
      private.csv_cell(g.plus_ones::text), private.csv_cell(g.source),
      private.csv_cell(to_char(g.checked_in_at at time zone p_time_zone, 'YYYY-MM-DD HH24:MI:SS')),
      -- E.164 from the database: quoted, not defused (a leading + is part of the number).
      case when v_owner then '"' || coalesce(u.phone, g.added_phone, '') || '"' end), E'\r\n'
      order by coalesce(u.last_name, g.added_name), u.first_name, g.created_at) || E'\r\n', '')
  from public.guests g
  left join private.client_users u on u.id = g.client_user_id
  join public.promoters p on p.id = g.promoter_id
  left join public.teams t on t.id = g.team_id
  where g.event_id = p_event_id;
end
$$;

/**
 * What a signed-in promoter sees: their promoter records, the teams they lead, and every link
 * of theirs (and, for a team leader, of the team) to a published night, the running and
 * upcoming nights first (soonest first), then past ones (newest first). Per link: the path,
 * opens of the link, that promoter's guests only, counted as private.list_totals counts
 * (`registered` passes holding a place, `places` with plus-ones, `checked_in` and
 * `checked_in_places` arrivals, `waiting` and `pending` apart), and the night's latest
 * announcement. Nothing about other promoters' guests.
 */
create or replace function public.promoter_overview()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to see your links.', 'Sign in and try again.');
  end if;
  return jsonb_build_object(
    'promoters', coalesce((
      select jsonb_agg(jsonb_build_object('id', p.id, 'slug', p.slug, 'display_name', p.display_name,
               'organization', jsonb_build_object('id', o.id, 'name', o.name)) order by p.display_name)
      from public.promoters p join public.organizations o on o.id = p.organization_id
      where p.id in (select private.my_promoter_ids())), '[]'::jsonb),
    'teams', coalesce((
      select jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name) order by t.name)
      from public.teams t where t.id in (select private.my_led_team_ids())), '[]'::jsonb),
    'links', coalesce((
      select jsonb_agg(jsonb_build_object(
               'event', jsonb_build_object('id', e.id, 'slug', e.slug, 'name', e.name, 'venue', e.venue,
                 'starts_at', e.starts_at, 'ends_at', e.ends_at, 'guest_list_closes_at', e.guest_list_closes_at,
                 'is_published', e.is_published),
               'promoter', jsonb_build_object('id', p.id, 'slug', p.slug, 'display_name', p.display_name),
               'team_id', ep.team_id,
               'path', '/p/' || p.slug || '/' || e.slug,
               'opens', (select coalesce(sum(l.opens), 0) from private.link_opens l where l.event_id = e.id and l.promoter_id = p.id)) ||
               (select private.guest_counts(array_agg(g)) from public.guests g where g.event_id = e.id and g.promoter_id = p.id) ||
               jsonb_build_object('announcement', private.latest_announcement_of(e.id))
             order by e.ends_at < now(), case when e.ends_at >= now() then e.starts_at end, e.starts_at desc, p.display_name)
      from public.event_promoters ep
      join public.events e on e.id = ep.event_id and e.is_published
      join public.promoters p on p.id = ep.promoter_id
      where private.promoter_sees(ep.promoter_id, ep.team_id)), '[]'::jsonb));
end
$$;

/**
 * Counts of a set of passes as private.list_totals counts a night: `registered` (passes holding
 * a place: not waiting, pending or revoked), `places` (each 1 + its plus-ones), `checked_in` and
 * `checked_in_places` (arrivals, likewise), `waiting`, `pending`.
 */
create or replace function private.guest_counts(p_guests public.guests[])
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'registered', count(*) filter (where g.status not in ('waiting', 'pending', 'revoked')),
    'places', coalesce(sum(1 + g.plus_ones) filter (where g.status not in ('waiting', 'pending', 'revoked')), 0),
    'checked_in', count(g.checked_in_at) filter (where g.status not in ('waiting', 'pending', 'revoked')),
    'checked_in_places', coalesce(sum(1 + g.plus_ones) filter (where g.checked_in_at is not null
                                                               and g.status not in ('waiting', 'pending', 'revoked')), 0),
    'waiting', count(*) filter (where g.status = 'waiting'),
    'pending', count(*) filter (where g.status = 'pending'))
  from unnest(coalesce(p_guests, '{}')) g
$$;

/**
 * A promoter's night: their (a team leader: the team's) guests of the event, newest first, as
 * first name and last initial (the name typed for a guest added by hand) with status,
 * plus-ones, registration and arrival times, and their totals counted as private.guest_counts
 * counts (only passes holding a place; places with plus-ones). 404 `event_not_found` when the
 * caller has no link to it.
 */
create or replace function public.promoter_event_feed(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    perform private.fail(401, 'not_authenticated', 'Sign in to see your links.', 'Sign in and try again.');
  end if;
  if not exists (select 1 from public.event_promoters ep where ep.event_id = p_event_id
                 and private.promoter_sees(ep.promoter_id, ep.team_id))
     and not exists (select 1 from public.guests g where g.event_id = p_event_id
                     and private.promoter_sees(g.promoter_id, g.team_id)) then
    perform private.fail(404, 'event_not_found', 'You have no link to this night.', 'Check your links.');
  end if;
  return jsonb_build_object(
    'event', (select jsonb_build_object('id', e.id, 'name', e.name, 'starts_at', e.starts_at, 'ends_at', e.ends_at)
              from public.events e where e.id = p_event_id),
    'totals', (select private.guest_counts(array_agg(g))
               from public.guests g where g.event_id = p_event_id and private.promoter_sees(g.promoter_id, g.team_id)),
    'guests', coalesce((
      select jsonb_agg(to_jsonb(x) order by x.registered_at desc)
      from (select g.id guest_id, coalesce(u.first_name, g.added_name, '') first_name, left(u.last_name, 1) last_initial,
                   p.display_name promoter, g.status, g.plus_ones, g.created_at registered_at, g.checked_in_at
            from public.guests g
            left join private.client_users u on u.id = g.client_user_id
            join public.promoters p on p.id = g.promoter_id
            where g.event_id = p_event_id and private.promoter_sees(g.promoter_id, g.team_id)
            order by g.created_at desc
            limit 500) x), '[]'::jsonb));
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.guest_names(uuid, text), private.door_scan_time(uuid, text),
  private.guest_counts(public.guests[]) from public, anon, authenticated;
