-- The list as clubs run it: plus-ones (the organiser sets the most per night, the guest chooses
-- within it), guests added by hand at the door or by the organisers, a quota of places per
-- promoter and per team, revoking one pass with a reason, a waiting list that promotes guests in
-- order as places free, and an approval mode. Every count of places reads one function
-- (private.places_taken): only passes that hold a place count, each for 1 + its plus-ones.

-- =============================================================================================
-- Tables
-- =============================================================================================

-- The shared columns of a pass (the list's rules set them; the door reads them).
alter table public.guests add column if not exists plus_ones smallint not null default 0 check (plus_ones between 0 and 20);
alter table public.guests add column if not exists status text not null default 'active' check (status in ('active', 'waiting', 'pending', 'revoked'));
alter table public.guests add column if not exists source text not null default 'link' check (source in ('link', 'door', 'organiser', 'vip'));

-- `status` already existed (registered, then checked_in at the door), so the line above keeps it:
-- the list's states join the old ones. A pass holds a place unless it is waiting, pending or
-- revoked; `registered`, `checked_in` and `active` are all on the list.
alter table public.guests drop constraint guests_status_check;
alter table public.guests add constraint guests_status_check
  check (status in ('registered', 'checked_in', 'active', 'waiting', 'pending', 'revoked'));
alter table public.guests drop constraint guests_check;
alter table public.guests add constraint guests_check
  check ((status = 'checked_in') <= (checked_in_at is not null)
         and (status not in ('registered', 'waiting', 'pending') or checked_in_at is null));

-- A guest added by hand may have no account: then the pass carries the name typed (and the phone
-- if one was given). The reason a pass was revoked, for the organisers.
alter table public.guests
  add column added_name text check (length(added_name) between 1 and 200),
  add column added_phone text check (added_phone ~ '^\+[1-9][0-9]{7,14}$'),
  add column added_by uuid references auth.users (id) on delete set null,
  add column revoked_reason text check (length(revoked_reason) <= 200),
  add column revoked_at timestamptz;
create index guests_added_by_idx on public.guests (added_by);
-- The waiting list in order.
create index guests_event_id_status_created_at_idx on public.guests (event_id, status, created_at);

-- The night's list rules: the most plus-ones a guest may bring, whether a full night takes a
-- waiting list, and whether new guests wait for an organiser's approval.
alter table public.events
  add column plus_ones_max smallint not null default 0 check (plus_ones_max between 0 and 20),
  add column waiting_list boolean not null default false,
  add column requires_approval boolean not null default false;

/** Places per promoter or per team on one night (a quota), counted like the capacity. */
create table private.event_quotas (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null references public.events (id) on delete cascade,
  promoter_id uuid references public.promoters (id) on delete cascade,
  team_id uuid references public.teams (id) on delete cascade,
  places integer not null check (places > 0),
  check (num_nonnulls(promoter_id, team_id) = 1)
);
create unique index event_quotas_promoter_idx on private.event_quotas (event_id, promoter_id) where promoter_id is not null;
create unique index event_quotas_team_idx on private.event_quotas (event_id, team_id) where team_id is not null;
create index event_quotas_promoter_id_idx on private.event_quotas (promoter_id);
create index event_quotas_team_id_idx on private.event_quotas (team_id);
alter table private.event_quotas enable row level security;
create policy "Quotas are never read through the API" on private.event_quotas
  as restrictive for all to anon, authenticated using (false) with check (false);

-- =============================================================================================
-- Internal functions
-- =============================================================================================

/**
 * The places the passes of a night take (each 1 + its plus-ones; waiting, pending and revoked
 * passes take none), for the whole night or one promoter's or one team's passes. The one count
 * behind the capacity, the quotas, the link card and the organisers' totals.
 */
create or replace function private.places_taken(p_event_id uuid, p_promoter_id uuid default null,
  p_team_id uuid default null)
returns bigint
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(sum(1 + g.plus_ones), 0)::bigint from public.guests g
  where g.event_id = p_event_id and g.status not in ('waiting', 'pending', 'revoked')
    and (p_promoter_id is null or g.promoter_id = p_promoter_id)
    and (p_team_id is null or g.team_id = p_team_id)
$$;

/**
 * Whether `p_places` more places fit on the night through this promoter's link: under the
 * capacity and under the promoter's and the team's quotas. Callers hold the event's row lock
 * (private.lock_event) when the answer decides a write.
 */
create or replace function private.has_room(p_event_id uuid, p_promoter_id uuid, p_team_id uuid, p_places integer)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select (e.capacity is null or private.places_taken(e.id) + p_places <= e.capacity)
    and not exists (select 1 from private.event_quotas q
                    where q.event_id = e.id and q.promoter_id = p_promoter_id
                      and private.places_taken(e.id, p_promoter_id, null) + p_places > q.places)
    and not exists (select 1 from private.event_quotas q
                    where q.event_id = e.id and q.team_id = p_team_id
                      and private.places_taken(e.id, null, p_team_id) + p_places > q.places)
  from public.events e where e.id = p_event_id
$$;

/**
 * Serialises the writes that count places on a night (joining, plus-ones, quotas, revoking,
 * promotion): the count and the write must not interleave. A night with no capacity and no
 * quota has nothing to count, so its guests join without waiting on each other.
 */
create or replace function private.lock_event(p_event_id uuid, p_always boolean default false)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_always or exists (select 1 from public.events e where e.id = p_event_id and e.capacity is not null)
     or exists (select 1 from private.event_quotas q where q.event_id = p_event_id) then
    perform 1 from public.events e where e.id = p_event_id for update;
  end if;
end
$$;

/**
 * Gives waiting guests their places, first come first served, as far as places are free: the
 * first waiting guest who does not fit (capacity or quota) stops the promotion, so nobody jumps
 * the line. Runs under the event's lock; returns how many were promoted.
 */
create or replace function private.promote_waiting(p_event_id uuid)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_guest record;
  v_count integer := 0;
begin
  perform private.lock_event(p_event_id, true);
  for v_guest in
    select g.id, g.promoter_id, g.team_id, g.plus_ones from public.guests g
    where g.event_id = p_event_id and g.status = 'waiting'
    order by g.created_at, g.id
  loop
    exit when coalesce((select e.guest_list_closes_at <= now() from public.events e where e.id = p_event_id)
      or not private.has_room(p_event_id, v_guest.promoter_id, v_guest.team_id, 1 + v_guest.plus_ones), true);
    update public.guests g set status = 'registered' where g.id = v_guest.id;
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;

/** Trigger: a pass that gave up places (revoked, deleted, fewer plus-ones) lets the waiting list move. */
create or replace function private.guests_freed_places()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.status in ('waiting', 'pending', 'revoked') then
    return null;
  end if;
  if tg_op = 'DELETE' or new.status in ('waiting', 'pending', 'revoked') or new.plus_ones < old.plus_ones then
    perform private.promote_waiting(old.event_id);
  end if;
  return null;
end
$$;

create trigger guests_freed_places
  after update of status, plus_ones or delete on public.guests
  for each row execute function private.guests_freed_places();

/**
 * Trigger: a pass that enters or leaves the list's waiting, pending or revoked states (promoted,
 * approved, refused, revoked) is told to the organisers' `/live` on the event's topic, as
 * `guest_revoked` or `guest_status`, with its status and the night's totals (the broadcast
 * trigger of the realtime migration fires on inserts and arrivals only).
 */
create or replace function private.broadcast_guest_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status is distinct from old.status
     and (old.status in ('waiting', 'pending', 'revoked') or new.status in ('waiting', 'pending', 'revoked')) then
    perform realtime.send(coalesce(private.guest_broadcast_payload(new), '{}'::jsonb)
        || jsonb_build_object('event_id', new.event_id, 'guest_id', new.id, 'status', new.status,
             'plus_ones', new.plus_ones, 'totals', private.list_totals(new.event_id)),
      case when new.status = 'revoked' then 'guest_revoked' else 'guest_status' end,
      'event:' || new.event_id, true);
  end if;
  return null;
end
$$;

create trigger guests_broadcast_status
  after update of status on public.guests
  for each row execute function private.broadcast_guest_status();

/** The night's counts for the organisers: passes on the list, places (with plus-ones), arrivals, waiting, pending. */
create or replace function private.list_totals(p_event_id uuid)
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
    'pending', count(*) filter (where g.status = 'pending'),
    'revoked', count(*) filter (where g.status = 'revoked'))
  from public.guests g where g.event_id = p_event_id
$$;

/**
 * Whether the event's guest list takes new guests: before its closing time and with a place
 * free under its capacity (places with plus-ones, private.places_taken). The one rule for "is the
 * list open?": the link card shows it (is_open), and joining checks it before any password work
 * (check_list_open) and again under the event's lock (issue_pass).
 */
create or replace function private.is_list_open(p_event_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select e.guest_list_closes_at > now()
         and (e.capacity is null or private.places_taken(e.id) < e.capacity)
  from public.events e
  where e.id = p_event_id
$$;

/**
 * Whether the account may join the event, checked before any password work: an account with a
 * pass for it always may (it gets the pass back); a new guest needs the list open
 * (private.is_list_open) or, on a full night with a waiting list, only before the closing time
 * (else 409 `guest_list_closed`), and room in the event's registrations per minute (429
 * `rate_limited`, only checked here). issue_pass checks again under the event's lock.
 */
create or replace function private.check_list_open(p_event_id uuid, p_client_user_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_client_user_id is not null
     and exists (select 1 from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id) then
    return;
  end if;
  if not private.is_list_open(p_event_id)
     and not exists (select 1 from public.events e where e.id = p_event_id and e.waiting_list and e.guest_list_closes_at > now()) then
    perform private.fail(409, 'guest_list_closed', 'The guest list for this night is closed.',
      'Ask your promoter about the door.');
  end if;
  perform private.rate_limit('event_registrations', p_event_id::text, false);
end
$$;

/**
 * Gives the account its pass for the event (the existing one if it already has one) and a
 * session. Under the event's lock (private.lock_event), a new guest gets a place when the list is
 * open and the promoter's and team's quotas have room (private.has_room); on a full night with a
 * waiting list the pass is `waiting` instead, and on a night with approval it is `pending`; else
 * 409 `guest_list_closed` (night full or closed) or 409 `quota_full` (this link's places are
 * taken). Counts the event's registrations per minute (429). Returns the shape shared by the
 * three joining functions, with the pass's `status` and `plus_ones`.
 */
create or replace function private.issue_pass(p_client_user_id uuid, p_event_id uuid, p_promoter_id uuid,
  p_team_id uuid, p_session_token text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_guest public.guests;
  v_event public.events;
  v_status text := 'registered';
  v_new boolean := false;
  v_token text := p_session_token;
  v_expires timestamptz;
begin
  select * into v_guest from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id;
  if not found then
    perform private.lock_event(p_event_id);
    select * into v_event from public.events e where e.id = p_event_id;
    if v_event.guest_list_closes_at <= now() then
      perform private.fail(409, 'guest_list_closed', 'The guest list for this night is closed.',
        'Ask your promoter about the door.');
    end if;
    if v_event.requires_approval then
      v_status := 'pending';
    elsif not private.has_room(p_event_id, p_promoter_id, p_team_id, 1) then
      if v_event.waiting_list then
        v_status := 'waiting';
      elsif private.is_list_open(p_event_id) then
        perform private.fail(409, 'quota_full', 'The places of this link are all taken.',
          'Ask your promoter about the door.');
      else
        perform private.fail(409, 'guest_list_closed', 'The guest list for this night is closed.',
          'Ask your promoter about the door.');
      end if;
    end if;
    perform private.rate_limit('event_registrations', p_event_id::text);
    insert into public.guests (event_id, client_user_id, promoter_id, team_id, status)
    values (p_event_id, p_client_user_id, p_promoter_id, p_team_id, v_status)
    on conflict (event_id, client_user_id) do nothing
    returning * into v_guest;
    v_new := found;
    if not v_new then
      select * into v_guest from public.guests g where g.event_id = p_event_id and g.client_user_id = p_client_user_id;
    end if;
  end if;

  if v_token is null then
    v_token := private.random_token(33);
    insert into private.guest_sessions (token_hash, client_user_id, expires_at)
    values (private.sha256(v_token), p_client_user_id,
            now() + make_interval(days => (private.setting('session_days'))::integer))
    returning expires_at into v_expires;
  else
    select s.expires_at into v_expires from private.guest_sessions s where s.token_hash = private.sha256(v_token);
  end if;

  return jsonb_build_object(
    'guest_id', v_guest.id,
    'qr_token', v_guest.qr_token,
    'client_user_id', p_client_user_id,
    'first_name', (select u.first_name from private.client_users u where u.id = p_client_user_id),
    'already_registered', not v_new,
    'session_token', v_token,
    'session_expires_at', v_expires,
    'status', v_guest.status,
    'plus_ones', v_guest.plus_ones);
end
$$;

-- =============================================================================================
-- Public functions (anonymous guests)
-- =============================================================================================

/**
 * The card a guest sees on the promoter's link: the event and the promoter, or 404. Anonymous;
 * answers no personal data. Tells the guest before the form what joining would give:
 * `is_open` (a place free for this link), `is_full` (before the closing time, but no place under
 * the capacity or this link's quota), `waiting_list` (a full night takes a waiting list),
 * `requires_approval`, and `plus_ones_max`.
 */
create or replace function public.resolve_promoter_link(p_promoter_slug text, p_event_slug text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_result jsonb;
begin
  perform private.check_length('p_promoter_slug', p_promoter_slug, 100);
  perform private.check_length('p_event_slug', p_event_slug, 100);

  select jsonb_build_object(
      'event', jsonb_build_object(
        'id', e.id, 'slug', e.slug, 'name', e.name, 'venue', e.venue,
        'starts_at', e.starts_at, 'ends_at', e.ends_at,
        'guest_list_closes_at', e.guest_list_closes_at,
        'is_open', e.guest_list_closes_at > now() and private.has_room(e.id, p.id, ep.team_id, 1),
        'is_full', e.guest_list_closes_at > now() and not private.has_room(e.id, p.id, ep.team_id, 1),
        'waiting_list', e.waiting_list, 'requires_approval', e.requires_approval,
        'plus_ones_max', e.plus_ones_max),
      'promoter', jsonb_build_object('id', p.id, 'slug', p.slug, 'display_name', p.display_name),
      'team', case when t.id is null then null else jsonb_build_object('id', t.id, 'name', t.name) end)
    into v_result
  from public.promoters p
  join public.events e on e.organization_id = p.organization_id and e.slug = lower(p_event_slug) and e.is_published
  join public.event_promoters ep on ep.event_id = e.id and ep.promoter_id = p.id
  left join public.teams t on t.id = ep.team_id
  where p.slug = lower(p_promoter_slug);

  if v_result is null then
    perform private.fail(404, 'event_not_found', 'This link does not lead to an event that is open to guests.',
      'Check the link, or ask your promoter for a new one.');
  end if;
  -- The hottest request of a viral night: a CDN in front of the API may keep the card briefly.
  perform set_config('response.headers', '[{"Cache-Control": "public, max-age=30"}]', true);
  return v_result;
end
$$;

/**
 * The guest's own pass for a night, through their session: status (`registered`/`checked_in`
 * on the list, `waiting`, `pending`, `revoked`), plus-ones and the night's most, so that the
 * page shows a promoted pass and the plus-ones choice. Errors: invalid_session (401),
 * pass_not_found (404).
 */
create or replace function public.my_pass(p_session_token text, p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user uuid := private.session_user_id(p_session_token);
  v_result jsonb;
begin
  select jsonb_build_object('guest_id', g.id, 'qr_token', g.qr_token, 'status', g.status, 'plus_ones', g.plus_ones,
      'plus_ones_max', e.plus_ones_max, 'checked_in_at', g.checked_in_at,
      'list_open', e.guest_list_closes_at > now())
    into v_result
  from public.guests g join public.events e on e.id = g.event_id
  where g.event_id = p_event_id and g.client_user_id = v_user;
  if v_result is null then
    perform private.fail(404, 'pass_not_found', 'You have no pass for this night.', 'Open your promoter''s link.');
  end if;
  return v_result;
end
$$;

/**
 * The guest chooses how many people come with them (0 to the night's `plus_ones_max`, else 400
 * `invalid_plus_ones`), while the list is open (409 `guest_list_closed`), for a pass that is
 * not revoked (404 `pass_not_found`). More plus-ones need the places free under the capacity
 * and the quotas, counted under the event's lock (409 `not_enough_places`); fewer free places
 * for the waiting list. Returns my_pass.
 */
create or replace function public.set_my_plus_ones(p_session_token text, p_event_id uuid, p_plus_ones integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := private.session_user_id(p_session_token);
  v_event public.events;
  v_guest public.guests;
begin
  perform private.lock_event(p_event_id);
  select * into v_event from public.events e where e.id = p_event_id;
  select * into v_guest from public.guests g
  where g.event_id = p_event_id and g.client_user_id = v_user and g.status <> 'revoked' for update;
  if v_guest.id is null then
    perform private.fail(404, 'pass_not_found', 'You have no pass for this night.', 'Open your promoter''s link.');
  end if;
  if p_plus_ones is null or p_plus_ones < 0 or p_plus_ones > v_event.plus_ones_max then
    perform private.fail(400, 'invalid_plus_ones',
      format('You may bring up to %s people with you.', v_event.plus_ones_max), 'Choose a smaller number.');
  end if;
  if v_event.guest_list_closes_at <= now() or v_guest.checked_in_at is not null then
    perform private.fail(409, 'guest_list_closed', 'The guest list for this night is closed.',
      'Ask your promoter about the door.');
  end if;
  if p_plus_ones > v_guest.plus_ones and v_guest.status not in ('waiting', 'pending')
     and not private.has_room(p_event_id, v_guest.promoter_id, v_guest.team_id, p_plus_ones - v_guest.plus_ones) then
    perform private.fail(409, 'not_enough_places', 'There are not that many places left.', 'Choose a smaller number.');
  end if;
  update public.guests g set plus_ones = p_plus_ones where g.id = v_guest.id;
  return public.my_pass(p_session_token, p_event_id);
end
$$;

-- =============================================================================================
-- Public functions (organisers and door staff)
-- =============================================================================================

/**
 * A guest added by hand (owner/admin/staff of the night's organisation): a name, an optional
 * phone (a guest with an account on that number gets the pass on it), the promoter it counts
 * for, plus-ones up to the night's most, and a source (`door`, `organiser`, `vip`). Takes places
 * like any pass, under the event's lock: 409 `guest_list_full` when the capacity or the
 * promoter's quota has no room. Errors: invalid_name (400), invalid_phone (400), invalid_source
 * (400), invalid_plus_ones (400), promoter_not_on_event (400), already_on_list (409). Returns
 * the pass (id, qr_token) for the door.
 */
create or replace function public.add_guest_by_hand(p_event_id uuid, p_name text, p_phone text, p_promoter_id uuid,
  p_source text, p_plus_ones integer default 0)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events := private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  v_name text := private.clean_text('name', p_name, 200);
  v_phone text := case when nullif(btrim(coalesce(p_phone, '')), '') is null then null else private.normalize_phone(p_phone) end;
  v_team uuid;
  v_user uuid;
  v_guest public.guests;
begin
  if p_source is null or p_source not in ('door', 'organiser', 'vip') then
    perform private.fail(400, 'invalid_source', 'Say whether the guest came to the door, is the organisers'' or a VIP.',
      'Choose door, organiser or vip.');
  end if;
  if p_plus_ones is null or p_plus_ones < 0 or p_plus_ones > v_event.plus_ones_max then
    perform private.fail(400, 'invalid_plus_ones',
      format('This night takes up to %s people with each guest.', v_event.plus_ones_max), 'Choose a smaller number.');
  end if;
  select ep.team_id into v_team from public.event_promoters ep where ep.event_id = p_event_id and ep.promoter_id = p_promoter_id;
  if not found then
    perform private.fail(400, 'promoter_not_on_event', 'That promoter has no link for this night.', 'Choose one of the night''s promoters.');
  end if;
  select u.id into v_user from private.client_users u where u.phone = v_phone;
  perform private.lock_event(p_event_id);
  if not private.has_room(p_event_id, p_promoter_id, v_team, 1 + p_plus_ones) then
    perform private.fail(409, 'guest_list_full', 'There is no place left for this guest.',
      'Raise the capacity or the quota on /manage first.');
  end if;
  insert into public.guests (event_id, client_user_id, promoter_id, team_id, status, plus_ones, source,
                             added_name, added_phone, added_by)
  values (p_event_id, v_user, p_promoter_id, v_team, 'registered', p_plus_ones, p_source, v_name,
          case when v_user is null then v_phone end, (select auth.uid()))
  on conflict (event_id, client_user_id) do nothing
  returning * into v_guest;
  if v_guest.id is null then
    perform private.fail(409, 'already_on_list', 'This guest already has a pass for the night.', 'Find them by name at the door.');
  end if;
  return jsonb_build_object('guest_id', v_guest.id, 'qr_token', v_guest.qr_token, 'name', v_name,
    'plus_ones', v_guest.plus_ones, 'source', v_guest.source, 'status', v_guest.status);
end
$$;

/**
 * Revokes one pass (owner/admin) with a reason (1 to 200 characters, 400 `invalid_reason`): the
 * pass no longer enters and its places go to the waiting list at once (private.promote_waiting).
 * A guest already in cannot be revoked (409 `already_checked_in`). Errors: guest_not_found (404).
 */
create or replace function public.revoke_guest(p_event_id uuid, p_guest_id uuid, p_reason text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_reason text := private.clean_text('reason', p_reason, 200);
  v_guest public.guests;
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  perform private.lock_event(p_event_id, true);
  select * into v_guest from public.guests g where g.id = p_guest_id and g.event_id = p_event_id for update;
  if v_guest.id is null then
    perform private.fail(404, 'guest_not_found', 'This pass is not on the night''s list.', 'Reload the list.');
  end if;
  if v_guest.checked_in_at is not null then
    perform private.fail(409, 'already_checked_in', 'This guest is already in.', 'A pass that was used cannot be revoked.');
  end if;
  update public.guests g set status = 'revoked', revoked_reason = v_reason, revoked_at = now()
  where g.id = p_guest_id and g.status <> 'revoked';
  return jsonb_build_object('guest_id', p_guest_id, 'status', 'revoked', 'totals', private.list_totals(p_event_id));
end
$$;

/**
 * Approves (`p_approve` true) or refuses a pending pass (owner/admin). An approved pass takes a
 * place when one is free, else it joins the waiting list (or, on a night without one, 409
 * `guest_list_full` and it stays pending); a refused pass is revoked. Errors: guest_not_found
 * (404), not_pending (409).
 */
create or replace function public.decide_pending_guest(p_event_id uuid, p_guest_id uuid, p_approve boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events := private.require_event(p_event_id, array['owner', 'admin']);
  v_guest public.guests;
  v_status text;
begin
  perform private.lock_event(p_event_id, true);
  select * into v_guest from public.guests g where g.id = p_guest_id and g.event_id = p_event_id for update;
  if v_guest.id is null then
    perform private.fail(404, 'guest_not_found', 'This pass is not on the night''s list.', 'Reload the list.');
  end if;
  if v_guest.status <> 'pending' then
    perform private.fail(409, 'not_pending', 'This guest is no longer waiting for approval.', 'Reload the list.');
  end if;
  if not coalesce(p_approve, false) then
    v_status := 'revoked';
  elsif private.has_room(p_event_id, v_guest.promoter_id, v_guest.team_id, 1 + v_guest.plus_ones)
        and not exists (select 1 from public.guests g where g.event_id = p_event_id and g.status = 'waiting') then
    v_status := 'registered';
  elsif v_event.waiting_list then
    v_status := 'waiting';
  else
    perform private.fail(409, 'guest_list_full', 'There is no place left for this guest.',
      'Raise the capacity or the quota on /manage first.');
  end if;
  update public.guests g set status = v_status,
    revoked_reason = case when v_status = 'revoked' then 'refused' end,
    revoked_at = case when v_status = 'revoked' then now() end
  where g.id = p_guest_id;
  return jsonb_build_object('guest_id', p_guest_id, 'status', v_status, 'totals', private.list_totals(p_event_id));
end
$$;

/**
 * The night's list rules (owner/admin): the most plus-ones per guest (0 to 20, 400
 * `invalid_plus_ones`), a waiting list when full, approval of new guests. Turning the waiting
 * list on or raising the most changes nothing for passes already given; returns the event.
 */
create or replace function public.set_event_list_rules(p_event_id uuid, p_plus_ones_max integer,
  p_waiting_list boolean, p_requires_approval boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events := private.require_event(p_event_id, array['owner', 'admin']);
begin
  if p_plus_ones_max is null or p_plus_ones_max not between 0 and 20 then
    perform private.fail(400, 'invalid_plus_ones', 'Allow between 0 and 20 people with each guest.', 'Choose a number from 0 to 20.');
  end if;
  update public.events e set plus_ones_max = p_plus_ones_max, waiting_list = coalesce(p_waiting_list, false),
    requires_approval = coalesce(p_requires_approval, false), version = e.version + 1
  where e.id = p_event_id
  returning * into v_event;
  return private.event_json(v_event);
end
$$;

/**
 * Sets (`p_places` a positive number) or removes (null) the quota of places of one promoter
 * (`p_promoter_id`) or one team (`p_team_id`, exactly one of the two) on a night (owner/admin).
 * A quota below the places already taken is refused (409 `quota_below_guests`); a raised quota
 * lets the waiting list move. Errors: invalid_quota (400), promoter_not_on_event (400).
 */
create or replace function public.set_event_quota(p_event_id uuid, p_promoter_id uuid, p_team_id uuid, p_places integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_taken bigint;
begin
  perform private.require_event(p_event_id, array['owner', 'admin']);
  if num_nonnulls(p_promoter_id, p_team_id) <> 1 or (p_places is not null and p_places <= 0) then
    perform private.fail(400, 'invalid_quota', 'A quota is a positive number of places for one promoter or one team.',
      'Choose a promoter or a team, and a number above zero (empty for none).');
  end if;
  if not exists (select 1 from public.event_promoters ep where ep.event_id = p_event_id
                 and (ep.promoter_id = p_promoter_id or ep.team_id = p_team_id)) then
    perform private.fail(400, 'promoter_not_on_event', 'That promoter or team has no link for this night.',
      'Choose one of the night''s promoters or teams.');
  end if;
  perform private.lock_event(p_event_id, true);
  v_taken := private.places_taken(p_event_id, p_promoter_id, p_team_id);
  if p_places is not null and p_places < v_taken then
    perform private.fail(409, 'quota_below_guests', format('%s places are already taken; the quota cannot be lower.', v_taken),
      format('Set the quota to at least %s.', v_taken));
  end if;
  delete from private.event_quotas q where q.event_id = p_event_id
    and (q.promoter_id = p_promoter_id or q.team_id = p_team_id);
  if p_places is not null then
    insert into private.event_quotas (event_id, promoter_id, team_id, places)
    values (p_event_id, p_promoter_id, p_team_id, p_places);
  end if;
  perform private.promote_waiting(p_event_id);
  return public.event_list(p_event_id);
end
$$;

/**
 * The night's list for its organisers (owner/admin/staff): the rules, the quotas with their places
 * taken, the totals (private.list_totals), and the passes that need a decision or were given by
 * hand: waiting (in order), pending, revoked (with the reason) and added by hand. Names are first
 * name and last initial, as on /live; never a phone or email.
 */
create or replace function public.event_list(p_event_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_event public.events := private.require_event(p_event_id, array['owner', 'admin', 'staff']);
begin
  return jsonb_build_object(
    'event_id', v_event.id, 'capacity', v_event.capacity, 'plus_ones_max', v_event.plus_ones_max,
    'waiting_list', v_event.waiting_list, 'requires_approval', v_event.requires_approval,
    'totals', private.list_totals(p_event_id),
    'quotas', coalesce((
      select jsonb_agg(jsonb_build_object('promoter_id', q.promoter_id, 'team_id', q.team_id,
               'name', coalesce(p.display_name, t.name), 'places', q.places,
               'taken', private.places_taken(p_event_id, q.promoter_id, q.team_id)) order by coalesce(p.display_name, t.name))
      from private.event_quotas q
      left join public.promoters p on p.id = q.promoter_id
      left join public.teams t on t.id = q.team_id
      where q.event_id = p_event_id), '[]'::jsonb),
    'guests', coalesce((
      select jsonb_agg(jsonb_build_object('guest_id', g.id,
               'name', coalesce(u.first_name || ' ' || left(u.last_name, 1) || '.', g.added_name),
               'status', g.status, 'plus_ones', g.plus_ones, 'source', g.source, 'promoter', p.display_name,
               'registered_at', g.created_at, 'revoked_reason', g.revoked_reason)
             order by g.status, g.created_at, g.id)
      from public.guests g
      left join private.client_users u on u.id = g.client_user_id
      join public.promoters p on p.id = g.promoter_id
      where g.event_id = p_event_id and (g.status in ('waiting', 'pending', 'revoked') or g.source <> 'link')), '[]'::jsonb));
end
$$;

-- =============================================================================================
-- Redefined: counts with plus-ones and statuses
-- =============================================================================================

/**
 * An event as the management API answers it, with `registered` (its passes on the list),
 * `places` (with plus-ones), `registrations_per_minute` (new guests per minute in force) and the
 * list rules (`plus_ones_max`, `waiting_list`, `requires_approval`).
 */
create or replace function private.event_json(p_event public.events)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('id', p_event.id, 'organization_id', p_event.organization_id, 'slug', p_event.slug,
    'name', p_event.name, 'venue', p_event.venue, 'starts_at', p_event.starts_at, 'ends_at', p_event.ends_at,
    'guest_list_closes_at', p_event.guest_list_closes_at, 'capacity', p_event.capacity,
    'is_published', p_event.is_published, 'version', p_event.version,
    'registered', (select count(*) from public.guests g
                   where g.event_id = p_event.id and g.status not in ('waiting', 'pending', 'revoked')),
    'places', private.places_taken(p_event.id),
    'plus_ones_max', p_event.plus_ones_max, 'waiting_list', p_event.waiting_list,
    'requires_approval', p_event.requires_approval,
    'registrations_per_minute', (select l.max_hits from private.rate_limits l
                                 where l.bucket = 'event_registrations' and l.subject in (p_event.id::text, '*')
                                 order by l.subject = '*' limit 1))
$$;

/**
 * Edits an event (owner/admin). `p_version` is the version the editor started from: if someone
 * else saved in between, nothing changes and the answer is 409 `event_changed` (reload, then
 * edit again), so two admins editing at once never overwrite each other unseen. The capacity
 * cannot go below the places already taken, plus-ones included (409 `capacity_below_guests`);
 * a raised capacity lets the waiting list move (private.promote_waiting).
 */
create or replace function public.update_event(p_event_id uuid, p_version integer, p_slug text, p_name text,
  p_venue text, p_starts_at timestamptz, p_ends_at timestamptz, p_guest_list_closes_at timestamptz,
  p_capacity integer default null, p_is_published boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events := private.require_event(p_event_id, array['owner', 'admin']);
  v_guests bigint;
begin
  perform private.check_event_fields(p_slug, p_name, p_venue, p_starts_at, p_ends_at, p_guest_list_closes_at, p_capacity);
  -- Lock the row first: a concurrent edit finishes before the version is compared, and
  -- registrations of a capped night (which lock it too) wait while the places are counted.
  select * into v_event from public.events e where e.id = p_event_id for update;
  if v_event.version is distinct from p_version then
    perform private.fail(409, 'event_changed', 'Someone else saved this night since you opened it.',
      'Reload the night and make your change again.');
  end if;
  v_guests := private.places_taken(p_event_id);
  if p_capacity is not null and p_capacity < v_guests then
    perform private.fail(409, 'capacity_below_guests',
      format('%s places are already taken; the capacity cannot be lower.', v_guests),
      format('Set the capacity to at least %s.', v_guests));
  end if;
  begin
    update public.events e set slug = p_slug, name = private.clean_text('name', p_name, 200),
      venue = nullif(btrim(p_venue), ''), starts_at = p_starts_at, ends_at = p_ends_at,
      guest_list_closes_at = p_guest_list_closes_at, capacity = p_capacity,
      is_published = coalesce(p_is_published, false), version = e.version + 1
    where e.id = p_event_id
    returning * into v_event;
  exception when unique_violation then
    perform private.fail(409, 'slug_taken', 'Another night of this organisation already uses that link name.',
      'Choose another slug.');
  end;
  perform private.promote_waiting(p_event_id);
  return private.event_json(v_event);
end
$$;

/**
 * The night at a glance for its organization's members: totals (private.list_totals: passes,
 * places with plus-ones, arrivals, waiting, pending, revoked), per promoter and per team (passes
 * and places on the list, arrivals), registrations and arrivals per 15 minutes and the latest
 * arrivals (first name and last initial only, or the name given for a guest added by hand).
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
      'ends_at', v_event.ends_at, 'guest_list_closes_at', v_event.guest_list_closes_at, 'capacity', v_event.capacity,
      'plus_ones_max', v_event.plus_ones_max, 'waiting_list', v_event.waiting_list,
      'requires_approval', v_event.requires_approval),
    'totals', private.list_totals(p_event_id),
    'by_promoter', coalesce((
      select jsonb_agg(to_jsonb(x) order by x.registered desc, x.display_name)
      from (select p.id promoter_id, p.display_name, count(g.id) registered,
                   coalesce(sum(1 + g.plus_ones), 0) places, count(g.checked_in_at) checked_in
            from public.event_promoters ep
            join public.promoters p on p.id = ep.promoter_id
            left join public.guests g on g.event_id = ep.event_id and g.promoter_id = ep.promoter_id
                                     and g.status not in ('waiting', 'pending', 'revoked')
            where ep.event_id = p_event_id
            group by p.id) x), '[]'::jsonb),
    'by_team', coalesce((
      select jsonb_agg(to_jsonb(x) order by x.registered desc, x.name)
      from (select t.id team_id, t.name, count(g.id) registered,
                   coalesce(sum(1 + g.plus_ones), 0) places, count(g.checked_in_at) checked_in
            from public.teams t
            left join public.guests g on g.event_id = p_event_id and g.team_id = t.id
                                     and g.status not in ('waiting', 'pending', 'revoked')
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
            where g.event_id = p_event_id and g.status not in ('waiting', 'pending', 'revoked')
            group by 1) s), '[]'::jsonb),
    'latest_arrivals', coalesce((
      select jsonb_agg(jsonb_build_object('guest_id', a.id, 'first_name', a.first_name,
               'last_initial', a.last_initial, 'promoter', a.promoter, 'checked_in_at', a.checked_in_at,
               'plus_ones', a.plus_ones)
             order by a.checked_in_at desc)
      from (select g.id, coalesce(u.first_name, g.added_name) first_name, left(u.last_name, 1) last_initial,
                   p.display_name promoter, g.checked_in_at, g.plus_ones
            from public.guests g
            left join private.client_users u on u.id = g.client_user_id
            join public.promoters p on p.id = g.promoter_id
            where g.event_id = p_event_id and g.checked_in_at is not null
            order by g.checked_in_at desc
            limit 20) a), '[]'::jsonb));
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.places_taken(uuid, uuid, uuid), private.has_room(uuid, uuid, uuid, integer),
  private.lock_event(uuid, boolean), private.promote_waiting(uuid), private.guests_freed_places(),
  private.broadcast_guest_status(), private.list_totals(uuid)
  from public, anon, authenticated;
revoke execute on function public.my_pass(text, uuid), public.set_my_plus_ones(text, uuid, integer),
  public.add_guest_by_hand(uuid, text, text, uuid, text, integer), public.revoke_guest(uuid, uuid, text),
  public.decide_pending_guest(uuid, uuid, boolean), public.set_event_list_rules(uuid, integer, boolean, boolean),
  public.set_event_quota(uuid, uuid, uuid, integer), public.event_list(uuid)
  from public, anon, authenticated;
grant execute on function public.my_pass(text, uuid), public.set_my_plus_ones(text, uuid, integer) to anon;
grant execute on function public.add_guest_by_hand(uuid, text, text, uuid, text, integer), public.revoke_guest(uuid, uuid, text),
  public.decide_pending_guest(uuid, uuid, boolean), public.set_event_list_rules(uuid, integer, boolean, boolean),
  public.set_event_quota(uuid, uuid, uuid, integer), public.event_list(uuid)
  to authenticated;
