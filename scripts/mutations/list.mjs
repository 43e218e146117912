// The mutations of the SQL rules that `npm run test:mutations` applies, one at a time, to a
// throw-away database. Each is an exact text to find in one migration (it must occur exactly
// once: the runner stops when a migration changed under it, so the list is updated rather than
// silently passing) and its replacement. `vitest` names the vitest files that also run when
// pgTAP alone does not kill the mutation. `survives` (a sentence) marks a mutation that no test
// can kill because it changes no behaviour; docs/testing.md explains each.

const helpers = "20261125000100_private_helpers.sql";
const limits = "20261125000200_rate_limits.sql";
const orgs = "20261125000300_organizations.sql";
const events = "20261125000400_events.sql";
const guests = "20261125000500_guests.sql";
const checkins = "20261125000600_checkins.sql";
const realtime = "20261125000700_realtime.sql";
const cron = "20261125000800_cron.sql";
const announcements = "20261125000900_announcements.sql";

export const mutations = [
  // ---- input rules ---------------------------------------------------------------------------
  { name: "phone: drop the Portuguese number-range check", file: helpers,
    find: "or (v_e164 like '+351%' and v_e164 !~ '^\\+351[239][0-9]{8}$')", replace: "" },
  { name: "password: drop the digit requirement", file: helpers,
    find: "or p_password !~ '[0-9]'", replace: "" },
  { name: "length bound: never too long", file: helpers,
    find: "if length(p_value) > p_max then", replace: "if false then" },
  { name: "email: accept anything", file: helpers,
    find: "  if length(v_email) > 254\n     or v_email !~", replace: "  if length(v_email) > 254\n     and v_email !~" },
  { name: "QR token: 48 bits instead of 144", file: guests,
    find: "qr_token text not null unique default private.random_token(18)",
    replace: "qr_token text not null unique default private.random_token(6)" },

  // ---- rate limits and admission -------------------------------------------------------------
  { name: "per-IP limit: trust the first x-forwarded-for hop (client-written)", file: limits,
    find: "v_hops[array_upper(v_hops, 1)]", replace: "v_hops[1]" },
  { name: "per-IP limit: not counted at all", file: limits,
    find: "perform private.rate_limit('ip', coalesce(v_ip, 'unknown'));", replace: "perform coalesce(v_ip, 'unknown');" },
  { name: "per-IP limit: signed-in check dropped (read-only only)", file: limits,
    find: "if coalesce(auth.role(), 'anon') <> 'anon' or current_setting", replace: "if current_setting" },
  { name: "request hook: no execute grant for anon", file: limits,
    find: "grant execute on function private.check_request() to anon, authenticated, service_role;",
    replace: "grant execute on function private.check_request() to service_role;" },
  { name: "bcrypt slots: never busy", file: limits,
    find: "  perform private.fail_retry(503, 'busy'", replace: "  return;\n  perform private.fail_retry(503, 'busy'" },
  { name: "per-event registrations: no limit call", file: guests,
    find: "    perform private.rate_limit('event_registrations', p_event_id::text);\n", replace: "" },
  { name: "per-phone attempts: no limit call", file: guests,
    find: "  perform private.rate_limit('phone_attempts', p_phone);\n", replace: "" },
  { name: "lockout: a locked phone may still try", file: guests,
    find: "  if r.total >= r.max_hits then\n    perform private.fail_retry(429, 'account_locked',",
    replace: "  if false then\n    perform private.fail_retry(429, 'account_locked'," },
  { name: "lockout: failures not recorded", file: guests,
    find: "  perform private.rate_limit_add('login_failures', p_phone, 1);\n", replace: "" },
  { name: "global password budget: not checked before bcrypt", file: guests,
    find: "  perform private.rate_limit('password_ops', '*', false);\n", replace: "" },
  { name: "unknown phone: no dummy bcrypt (timing oracle)", file: guests,
    find: "v_hash text := coalesce(p_hash, private.setting('dummy_password_hash') #>> '{}');", replace: "v_hash text := p_hash;",
    survives: "only timing shows it (a miss answers at once); timing belongs in the benchmark, not in assertions" },
  { name: "unknown phone: a match without an account", file: guests,
    find: "  return v_ok and p_hash is not null;", replace: "  return v_ok;",
    survives: "equivalent: with no account the comparison is against the dummy hash of a random secret nobody knows, so v_ok is already false" },
  { name: "unknown phone: its bcrypt not counted", file: guests,
    find: "  perform private.rate_limit_add('password_ops', '*', 1);\n  return v_ok and p_hash is not null;",
    replace: "  if p_hash is not null then perform private.rate_limit_add('password_ops', '*', 1); end if;\n  return v_ok and p_hash is not null;" },
  { name: "staff scans: no limit call", file: checkins,
    find: "  perform private.rate_limit('staff_scans', v_uid::text);\n", replace: "" },
  { name: "announcements: no limit call", file: announcements,
    find: "  perform private.rate_limit('event_broadcasts', p_event_id::text);\n", replace: "" },

  // ---- the list and the link -----------------------------------------------------------------
  { name: "link: unpublished events are joinable", file: events,
    find: "  where e.id = p_event_id and e.is_published;", replace: "  where e.id = p_event_id;" },
  { name: "link: any team accepted", file: events,
    find: "if not found or p_team_id is distinct from team_id then", replace: "if not found then" },
  { name: "link card: is_open ignores closing time and capacity", file: events,
    find: "'is_open', e.guest_list_closes_at > now()\n          and (e.capacity is null or (select count(*) from public.guests g where g.event_id = e.id) < e.capacity)),",
    replace: "'is_open', true)," },
  { name: "link card: is_open ignores capacity", file: events,
    find: "          and (e.capacity is null or (select count(*) from public.guests g where g.event_id = e.id) < e.capacity)),",
    replace: "          ), " },
  { name: "list: closing time ignored", file: guests,
    find: "    if v_event.guest_list_closes_at <= now()\n       or (v_event.capacity", replace: "    if (v_event.capacity" },
  { name: "list: last-seat lock dropped", file: guests,
    find: "      perform 1 from public.events e where e.id = p_event_id for update;\n", replace: "",
    vitest: ["tests/last-seats.test.ts"] },
  { name: "session: expired sessions accepted", file: guests,
    find: "where s.token_hash = private.sha256(coalesce(p_session_token, '')) and s.expires_at > now();",
    replace: "where s.token_hash = private.sha256(coalesce(p_session_token, ''));" },
  { name: "uniqueness: one pass per guest and event dropped", file: guests,
    find: "  unique (event_id, client_user_id),\n", replace: "",
    vitest: ["tests/concurrency.test.ts"] },
  { name: "uniqueness: scan nonces not unique", file: checkins,
    find: "  nonce text not null unique,", replace: "  nonce text not null," },

  // ---- who may do what -----------------------------------------------------------------------
  { name: "membership: role ignored", file: orgs,
    find: "and (p_roles is null or m.role = any (p_roles))", replace: "" },
  { name: "door: admins may not scan", file: checkins,
    find: "perform private.require_event_member(p_event_id, array['owner', 'admin', 'staff']);",
    replace: "perform private.require_event_member(p_event_id, array['owner', 'staff']);" },
  { name: "announcements: admins may not announce", file: announcements,
    find: "perform private.require_event_member(p_event_id, array['owner', 'admin']);",
    replace: "perform private.require_event_member(p_event_id, array['owner']);" },
  { name: "announcements: door staff may announce", file: announcements,
    find: "perform private.require_event_member(p_event_id, array['owner', 'admin']);",
    replace: "perform private.require_event_member(p_event_id, null);" },
  { name: "dashboard: no membership check", file: checkins,
    find: "  perform private.require_event_member(p_event_id, null);\n  select * into v_event", replace: "  select * into v_event" },
  { name: "door: a pass of another night checks in", file: checkins,
    find: "    elsif v_guest.event_id <> p_event_id then\n      v_result := 'wrong_event';\n", replace: "" },
  { name: "door: a second scan checks in again", file: checkins,
    find: "where g.id = v_guest.id and g.checked_in_at is null;", replace: "where g.id = v_guest.id;" },
  { name: "door: another scanner may reuse a nonce", file: checkins,
    find: "if v_checkin.event_id <> p_event_id or v_checkin.scanned_by <> v_uid then",
    replace: "if v_checkin.event_id <> p_event_id then" },
  { name: "policy: events readable by owners only", file: events,
    find: "create policy \"Organization members can read their events\" on public.events\n  for select to authenticated using (private.is_member(organization_id));",
    replace: "create policy \"Organization members can read their events\" on public.events\n  for select to authenticated using (private.is_member(organization_id, array['owner']));" },
  { name: "policy: guests readable by every signed-in user", file: guests,
    find: "for select to authenticated using (private.is_event_member(event_id));", replace: "for select to authenticated using (true);" },
  { name: "policy: organizations readable by every signed-in user", file: orgs,
    find: "for select to authenticated using (private.is_member(id));", replace: "for select to authenticated using (true);" },
  { name: "RLS: guests without row-level security", file: guests,
    find: "alter table public.guests enable row level security;\n", replace: "" },
  { name: "grant: guests readable by anon", file: guests,
    find: "revoke all on public.guests from anon, authenticated;", replace: "grant select on public.guests to anon;" },
  { name: "grant: check_in_guest callable by anon", file: checkins,
    find: "grant execute on function public.check_in_guest(uuid, text, text), public.event_dashboard(uuid) to authenticated;",
    replace: "grant execute on function public.check_in_guest(uuid, text, text), public.event_dashboard(uuid) to authenticated, anon;" },
  { name: "realtime: any signed-in user may listen to any event", file: realtime,
    find: "  return private.is_event_member(substr(p_topic, 7)::uuid);", replace: "  return true;" },
  { name: "realtime: malformed topics not refused", file: realtime,
    find: "if p_topic is null or p_topic !~", replace: "if p_topic is null and p_topic !~" },
  { name: "realtime: broadcast carries the full last name", file: realtime,
    find: "'last_initial', left(u.last_name, 1),", replace: "'last_initial', u.last_name," },

  // ---- housekeeping --------------------------------------------------------------------------
  { name: "cron: expired phone lookups kept", file: cron,
    find: "delete from private.phone_lookup_cache where expires_at <= now();", replace: "delete from private.phone_lookup_cache where false;" },
  { name: "cron: expired sessions kept", file: cron,
    find: "delete from private.guest_sessions where expires_at <= now();", replace: "delete from private.guest_sessions where false;" },
];
