-- The night's pace of new guests, shown where the owner raises it (/manage): the event's JSON
-- carries the registrations per minute in force, its own limit or the default.

-- =============================================================================================
-- Functions
-- =============================================================================================

/**
 * An event as the management API answers it, with `registered` (its passes) and
 * `registrations_per_minute` (new guests per minute in force: the event's own limit from
 * set_event_registration_limit, else the default of the `event_registrations` bucket).
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
    'registered', (select count(*) from public.guests g where g.event_id = p_event.id),
    'registrations_per_minute', (select l.max_hits from private.rate_limits l
                                 where l.bucket = 'event_registrations' and l.subject in (p_event.id::text, '*')
                                 order by l.subject = '*' limit 1))
$$;
