-- Running the night without SQL, the events: an organisation's owner or admin creates, edits and
-- copies its nights (every function checks the caller's role with private.require_event or
-- private.require_org_role and raises the API's stable error codes).

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * The rules an event's fields must meet, as the guest side relies on them: slug, name, venue,
 * ends after it starts (400 `invalid_times`), the guest list closes no later than the end
 * (400 `invalid_closing_time`), a positive capacity (400 `invalid_capacity`).
 */
create or replace function private.check_event_fields(p_slug text, p_name text, p_venue text,
  p_starts_at timestamptz, p_ends_at timestamptz, p_guest_list_closes_at timestamptz, p_capacity integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  perform private.check_slug(p_slug);
  perform private.clean_text('name', p_name, 200);
  perform private.check_length('p_venue', p_venue, 200);
  if p_starts_at is null or p_ends_at is null or p_ends_at <= p_starts_at then
    perform private.fail(400, 'invalid_times', 'The night must end after it starts.', 'Check the start and end.');
  end if;
  if p_guest_list_closes_at is null or p_guest_list_closes_at > p_ends_at then
    perform private.fail(400, 'invalid_closing_time', 'The guest list must close no later than the night ends.',
      'Choose a closing time before the end.');
  end if;
  if p_capacity is not null and p_capacity <= 0 then
    perform private.fail(400, 'invalid_capacity', 'The capacity must be a positive number, or empty for no limit.',
      'Check the capacity.');
  end if;
end
$$;

/** An event as the management API shows it. */
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
    'registered', (select count(*) from public.guests g where g.event_id = p_event.id))
$$;

/**
 * Creates an event (owner/admin). Errors: the field rules of check_event_fields (400) and
 * 409 `slug_taken` (the slug is unique per organisation).
 */
create or replace function public.create_event(p_organization_id uuid, p_slug text, p_name text, p_venue text,
  p_starts_at timestamptz, p_ends_at timestamptz, p_guest_list_closes_at timestamptz,
  p_capacity integer default null, p_is_published boolean default false)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events;
begin
  perform private.require_org_role(p_organization_id, array['owner', 'admin']);
  perform private.check_event_fields(p_slug, p_name, p_venue, p_starts_at, p_ends_at, p_guest_list_closes_at, p_capacity);
  begin
    insert into public.events (organization_id, slug, name, venue, starts_at, ends_at, guest_list_closes_at, capacity, is_published)
    values (p_organization_id, p_slug, private.clean_text('name', p_name, 200), nullif(btrim(p_venue), ''), p_starts_at,
            p_ends_at, p_guest_list_closes_at, p_capacity, coalesce(p_is_published, false))
    returning * into v_event;
  exception when unique_violation then
    perform private.fail(409, 'slug_taken', 'Another night of this organisation already uses that link name.',
      'Choose another slug.');
  end;
  return private.event_json(v_event);
end
$$;

/**
 * Edits an event (owner/admin). `p_version` is the version the editor started from: if someone
 * else saved in between, nothing changes and the answer is 409 `event_changed` (reload, then
 * edit again), so two admins editing at once never overwrite each other unseen. The capacity
 * cannot go below the guests already on the list (409 `capacity_below_guests`).
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
  -- registrations of a capped night (which lock it too) wait while the guests are counted.
  select * into v_event from public.events e where e.id = p_event_id for update;
  if v_event.version is distinct from p_version then
    perform private.fail(409, 'event_changed', 'Someone else saved this night since you opened it.',
      'Reload the night and make your change again.');
  end if;
  select count(*) into v_guests from public.guests g where g.event_id = p_event_id;
  if p_capacity is not null and p_capacity < v_guests then
    perform private.fail(409, 'capacity_below_guests',
      format('%s guests are already on the list; the capacity cannot be lower.', v_guests),
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
  return private.event_json(v_event);
end
$$;

/**
 * Copies a night (owner/admin) to a new slug, `p_days` later (7 by default: last week's night),
 * with the same promoter links, unpublished so it can be checked before it opens. Errors: those
 * of create_event.
 */
create or replace function public.duplicate_event(p_event_id uuid, p_slug text, p_days integer default 7)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_src public.events := private.require_event(p_event_id, array['owner', 'admin']);
  v_shift interval := make_interval(days => coalesce(p_days, 7));
  v_new jsonb;
begin
  if p_days is null or p_days not between -3660 and 3660 then
    perform private.fail(400, 'invalid_days', 'Shift the copy by up to ten years.', 'Check the number of days.');
  end if;
  v_new := public.create_event(v_src.organization_id, p_slug, v_src.name, v_src.venue, v_src.starts_at + v_shift,
    v_src.ends_at + v_shift, v_src.guest_list_closes_at + v_shift, v_src.capacity, false);
  insert into public.event_promoters (event_id, promoter_id, team_id)
  select (v_new ->> 'id')::uuid, ep.promoter_id, ep.team_id from public.event_promoters ep where ep.event_id = p_event_id;
  return v_new;
end
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.check_event_fields(text, text, text, timestamptz, timestamptz, timestamptz, integer),
  private.event_json(public.events) from public, anon, authenticated;
revoke execute on function public.create_event(uuid, text, text, text, timestamptz, timestamptz, timestamptz, integer, boolean),
  public.update_event(uuid, integer, text, text, text, timestamptz, timestamptz, timestamptz, integer, boolean),
  public.duplicate_event(uuid, text, integer)
  from public, anon, authenticated;
grant execute on function public.create_event(uuid, text, text, text, timestamptz, timestamptz, timestamptz, integer, boolean),
  public.update_event(uuid, integer, text, text, text, timestamptz, timestamptz, timestamptz, integer, boolean),
  public.duplicate_event(uuid, text, integer)
  to authenticated;
