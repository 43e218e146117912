// The mutations of the SQL rules that `npm run test:mutations` applies, one at a time, to a
// throw-away database. Each is an exact text to find in one migration (it must occur exactly
// once: the runner stops when a migration changed under it, so the list is updated rather than
// silently passing) and its replacement. `kills` names the pgTAP file (supabase/tests/database)
// that kills it, run first to save time (only an order: a mutation that survives it is still run
// against every other file). `vitest` names the vitest files that also run when pgTAP alone does
// not kill the mutation. `survives` (a sentence) marks a mutation that no test can kill because
// it changes no behaviour; docs/testing.md explains each.

const helpers = "20261125000100_private_helpers.sql";
const limits = "20261125000200_rate_limits.sql";
const clientIp = "29991231000100_client_ip.sql";
const orgs = "20261125000300_organizations.sql";
const events = "20261125000400_events.sql";
const guests = "20261125000500_guests.sql";
const checkins = "20261125000600_checkins.sql";
const realtime = "20261125000700_realtime.sql";
const cron = "20261125000800_cron.sql";
const announcements = "20261125000900_announcements.sql";
const fairLine = "20261201001000_fair_line.sql";
const pow = "20261201001100_proof_of_work.sql";
const eventLimits = "20261201001200_event_limits.sql";

export const mutations = [
  // ---- input rules ---------------------------------------------------------------------------
  { name: "phone: drop the Portuguese number-range check", file: helpers, kills: "03-phone.sql",
    find: "or (v_e164 like '+351%' and v_e164 !~ '^\\+351[239][0-9]{8}$')", replace: "" },
  { name: "password: drop the digit requirement", file: helpers, kills: "04-guest-join.sql",
    find: "or p_password !~ '[0-9]'", replace: "" },
  { name: "length bound: never too long", file: helpers, kills: "06-checkin.sql",
    find: "if length(p_value) > p_max then", replace: "if false then" },
  { name: "email: accept anything", file: helpers, kills: "04-guest-join.sql",
    find: "  if length(v_email) > 254\n     or v_email !~", replace: "  if length(v_email) > 254\n     and v_email !~" },
  { name: "QR token: 48 bits instead of 144", file: guests, kills: "04-guest-join.sql",
    find: "qr_token text not null unique default private.random_token(18)",
    replace: "qr_token text not null unique default private.random_token(6)" },

  // ---- rate limits and admission -------------------------------------------------------------
  { name: "client address: trusted hops ignored (always the first, client-written value)", file: clientIp, kills: "50-client-ip.sql",
    find: "case when v_hops = 0 then 1 else cardinality(v_values) - v_hops + 1 end", replace: "1" },
  { name: "per-IP limit: not counted at all", file: limits, kills: "05-limits.sql",
    find: "perform private.rate_limit('ip', private.client_ip());", replace: "perform private.client_ip();" },
  { name: "per-IP limit: signed-in staff counted as anonymous", file: limits, kills: "05-limits.sql",
    find: "  if v_role = 'anon' then\n    perform private.rate_limit('ip'", replace: "  if v_role in ('anon', 'authenticated') then\n    perform private.rate_limit('ip'" },
  { name: "request hook: no execute grant for anon", file: limits, kills: "02-security.sql",
    find: "grant execute on function private.check_request() to anon, authenticated, service_role;",
    replace: "grant execute on function private.check_request() to service_role;" },
  { name: "fair line: the global password budget does not hold the line", file: fairLine, kills: "05-limits.sql",
    find: "     and (v_budget.max_hits is null or v_budget.total < v_budget.max_hits) then", replace: "     then" },
  { name: "fair line: guests sent back after their estimated turn instead of before it", file: fairLine, kills: "05-limits.sql",
    find: "0.75 * v_wait::numeric - 0.25", replace: "1.25 * v_wait::numeric" },
  { name: "fair line: a second call for a phone being checked waits instead of answering busy", file: fairLine,
    find: "  if not pg_try_advisory_xact_lock(74202, hashtext(p_phone)) then", replace: "  perform pg_advisory_xact_lock(74202, hashtext(p_phone));\n  if false then",
    vitest: ["tests/locks.test.ts"] },
  { name: "per-event registrations: no limit call", file: guests, kills: "05-limits.sql",
    find: "    perform private.rate_limit('event_registrations', p_event_id::text);\n", replace: "" },
  { name: "per-phone attempts: not checked", file: guests, kills: "05-limits.sql",
    find: "  perform private.rate_limit('phone_attempts', p_phone || ' ' || p_address, false);\n", replace: "" },
  { name: "per-address password checks: not checked", file: guests, kills: "33-address-passwords.sql",
    find: "  perform private.rate_limit('address_passwords', p_address, false);\n", replace: "" },
  { name: "back-off: a locked-out address may still try", file: guests, kills: "05-limits.sql",
    find: "if r.total >= r.max_hits or (p.total >= p.max_hits and r.total >= 1) then", replace: "if false then" },
  { name: "back-off: the owner's address locked out too (lockout as a weapon)", file: guests, kills: "05-limits.sql",
    find: "if r.total >= r.max_hits or (p.total >= p.max_hits and r.total >= 1) then", replace: "if r.total >= r.max_hits or p.total >= p.max_hits then" },
  { name: "back-off: failures not recorded", file: guests, kills: "05-limits.sql",
    find: "  perform private.rate_limit_add('login_failures', p_phone || ' ' || p_address, 1);\n", replace: "" },
  { name: "free bcrypt: a refusal after the bcrypt rolls the counters back", file: guests, kills: "05-limits.sql",
    find: "  return private.issue_pass(p_client_user_id, p_event_id, p_promoter_id, p_team_id, null);\nexception when others then",
    replace: "  return private.issue_pass(p_client_user_id, p_event_id, p_promoter_id, p_team_id, null);\nexception when division_by_zero then" },
  { name: "free bcrypt: a closed list checked only after the bcrypt", file: guests, kills: "04-guest-join.sql",
    find: "  perform private.check_list_open(v_link.event_id, v_user_id);\n  perform private.check_proof(p_proof, v_phone);", replace: "  perform private.check_proof(p_proof, v_phone);" },
  { name: "new accounts: no per-address limit", file: guests, kills: "05-limits.sql",
    find: "    perform private.rate_limit('new_accounts', v_address, false);\n", replace: "    perform v_address;\n" },
  { name: "proof of work: not checked", file: guests, kills: "22-proof-of-work.sql",
    find: "  perform private.check_proof(p_proof, v_phone);\n", replace: "" },
  { name: "proof of work: too little work accepted", file: pow, kills: "22-proof-of-work.sql",
    find: "if not found or private.leading_zero_bits(extensions.digest(v_challenge || ':' || v_nonce, 'sha256')) < v_row.difficulty then",
    replace: "if not found then" },
  { name: "proof of work: one proof for many phones", file: pow, kills: "22-proof-of-work.sql",
    find: "if v_row.phone_hash is not null and v_row.phone_hash <> private.sha256(p_phone) then", replace: "if false then" },
  { name: "proof of work: expired challenges accepted", file: pow, kills: "22-proof-of-work.sql",
    find: "where c.challenge = v_challenge and c.expires_at > now()", replace: "where c.challenge = v_challenge" },
  { name: "event limit: door staff may raise it", file: eventLimits, kills: "23-event-limit.sql",
    find: "if not private.is_member(v_org, array['owner', 'admin']) then", replace: "if not private.is_member(v_org) then" },
  { name: "unknown phone: no dummy bcrypt (timing oracle)", file: guests,
    find: "v_hash text := coalesce(p_hash, private.setting('dummy_password_hash') #>> '{}');", replace: "v_hash text := p_hash;",
    survives: "only timing shows it (a miss answers at once); timing belongs in the benchmark, not in assertions" },
  { name: "unknown phone: a match without an account", file: guests,
    find: "  return v_ok and p_hash is not null;", replace: "  return v_ok;",
    survives: "equivalent: with no account the comparison is against the dummy hash of a random secret nobody knows, so v_ok is already false" },
  { name: "unknown phone: its bcrypt not counted", file: guests, kills: "04-guest-join.sql",
    find: "  perform private.record_bcrypt();\n  return v_ok and p_hash is not null;",
    replace: "  if p_hash is not null then perform private.record_bcrypt(); end if;\n  return v_ok and p_hash is not null;" },
  { name: "staff scans: no limit call", file: checkins, kills: "06-checkin.sql",
    find: "  perform private.rate_limit('staff_scans', v_uid::text);\n", replace: "" },
  { name: "announcements: no limit call", file: announcements, kills: "10-announcements.sql",
    find: "  perform private.rate_limit('event_broadcasts', p_event_id::text);\n", replace: "" },

  // ---- the list and the link -----------------------------------------------------------------
  { name: "link: unpublished events are joinable", file: events, kills: "04-guest-join.sql",
    find: "  where e.id = p_event_id and e.is_published;", replace: "  where e.id = p_event_id;" },
  { name: "link: any team accepted", file: events, kills: "04-guest-join.sql",
    find: "if not found or p_team_id is distinct from team_id then", replace: "if not found then" },
  { name: "link card: is_open ignores closing time and capacity", file: events, kills: "32-link-open.sql",
    find: "'is_open', e.guest_list_closes_at > now()\n          and (e.capacity is null or (select count(*) from public.guests g where g.event_id = e.id) < e.capacity)),",
    replace: "'is_open', true)," },
  { name: "link card: is_open ignores capacity", file: events, kills: "32-link-open.sql",
    find: "          and (e.capacity is null or (select count(*) from public.guests g where g.event_id = e.id) < e.capacity)),",
    replace: "          ), " },
  { name: "list: closing time ignored", file: guests, kills: "05-limits.sql",
    find: "    if v_event.guest_list_closes_at <= now()\n       or (v_event.capacity", replace: "    if (v_event.capacity" },
  { name: "list: last-seat lock dropped", file: guests,
    find: "      perform 1 from public.events e where e.id = p_event_id for update;\n", replace: "",
    vitest: ["tests/last-seats.test.ts"] },
  { name: "session: expired sessions accepted", file: guests, kills: "04-guest-join.sql",
    find: "where s.token_hash = private.sha256(coalesce(p_session_token, '')) and s.expires_at > now();",
    replace: "where s.token_hash = private.sha256(coalesce(p_session_token, ''));" },
  { name: "uniqueness: one pass per guest and event dropped", file: guests, kills: "04-guest-join.sql",
    find: "  unique (event_id, client_user_id),\n", replace: "",
    vitest: ["tests/concurrency.test.ts"] },
  { name: "uniqueness: scan nonces not unique", file: checkins, kills: "06-checkin.sql",
    find: "  nonce text not null unique,", replace: "  nonce text not null," },

  // ---- who may do what -----------------------------------------------------------------------
  { name: "membership: role ignored", file: orgs, kills: "10-announcements.sql",
    find: "and m.role = any (coalesce(p_roles, array['owner', 'admin', 'staff']))", replace: "" },
  { name: "door: admins may not scan", file: checkins, kills: "30-admin.sql",
    find: "perform private.require_event_member(p_event_id, array['owner', 'admin', 'staff']);",
    replace: "perform private.require_event_member(p_event_id, array['owner', 'staff']);" },
  { name: "announcements: admins may not announce", file: announcements, kills: "30-admin.sql",
    find: "perform private.require_event_member(p_event_id, array['owner', 'admin']);",
    replace: "perform private.require_event_member(p_event_id, array['owner']);" },
  { name: "announcements: door staff may announce", file: announcements, kills: "10-announcements.sql",
    find: "perform private.require_event_member(p_event_id, array['owner', 'admin']);",
    replace: "perform private.require_event_member(p_event_id, null);" },
  { name: "dashboard: no membership check", file: checkins, kills: "07-dashboard-realtime.sql",
    find: "  perform private.require_event_member(p_event_id, null);\n  select * into v_event", replace: "  select * into v_event" },
  { name: "door: a pass of another night checks in", file: checkins, kills: "06-checkin.sql",
    find: "    elsif v_guest.event_id <> p_event_id then\n      v_result := 'wrong_event';\n", replace: "" },
  { name: "door: a second scan checks in again", file: checkins, kills: "06-checkin.sql",
    find: "where g.id = v_guest.id and g.checked_in_at is null;", replace: "where g.id = v_guest.id;" },
  { name: "door: another scanner may reuse a nonce", file: checkins, kills: "06-checkin.sql",
    find: "if v_checkin.event_id <> p_event_id or v_checkin.scanned_by <> v_uid then",
    replace: "if v_checkin.event_id <> p_event_id then" },
  { name: "policy: events readable by owners only", file: events, kills: "31-read-policies.sql",
    find: "create policy \"Organization members can read their events\" on public.events\n  for select to authenticated using (private.is_member(organization_id));",
    replace: "create policy \"Organization members can read their events\" on public.events\n  for select to authenticated using (private.is_member(organization_id, array['owner']));" },
  { name: "policy: guests readable by every signed-in user", file: guests, kills: "31-read-policies.sql",
    find: "for select to authenticated using (private.is_event_member(event_id));", replace: "for select to authenticated using (true);" },
  { name: "policy: organizations readable by every signed-in user", file: orgs, kills: "31-read-policies.sql",
    find: "for select to authenticated using (private.is_member(id));", replace: "for select to authenticated using (true);" },
  { name: "RLS: guests without row-level security", file: guests, kills: "02-security.sql",
    find: "alter table public.guests enable row level security;\n", replace: "" },
  { name: "grant: guests readable by anon", file: guests, kills: "02-security.sql",
    find: "revoke all on public.guests from anon, authenticated;", replace: "grant select on public.guests to anon;" },
  { name: "grant: check_in_guest callable by anon", file: checkins, kills: "02-security.sql",
    find: "grant execute on function public.check_in_guest(uuid, text, text), public.event_dashboard(uuid) to authenticated;",
    replace: "grant execute on function public.check_in_guest(uuid, text, text), public.event_dashboard(uuid) to authenticated, anon;" },
  { name: "realtime: any signed-in user may listen to any event", file: realtime, kills: "07-dashboard-realtime.sql",
    find: "  return private.is_event_member(substr(p_topic, 7)::uuid);", replace: "  return true;" },
  { name: "realtime: malformed topics not refused", file: realtime, kills: "16-promoter-view.sql",
    find: "if p_topic is null or p_topic !~", replace: "if p_topic is null and p_topic !~" },
  { name: "realtime: broadcast carries the full last name", file: realtime, kills: "07-dashboard-realtime.sql",
    find: "'last_initial', left(u.last_name, 1),", replace: "'last_initial', u.last_name," },

  // ---- housekeeping --------------------------------------------------------------------------
  { name: "cron: expired phone lookups kept", file: cron, kills: "08-cron.sql",
    find: "delete from private.phone_lookup_cache where expires_at <= now();", replace: "delete from private.phone_lookup_cache where false;" },
  { name: "cron: expired sessions kept", file: cron, kills: "08-cron.sql",
    find: "delete from private.guest_sessions where expires_at <= now();", replace: "delete from private.guest_sessions where false;" },
];
