// npm run bench: what one guest step costs, and how close a registration burst through the
// whole stack comes to the bcrypt ceiling of this machine. Everything is measured in this one
// run and printed as ratios, because the machine is shared and absolute times drift.
//
// It sets, and says so, the ceilings a viral night needs: the bench event's registrations per
// minute and the loopback address's per-IP limit (all bench clients share 127.0.0.1, as many
// phones share a carrier NAT). Both overrides are removed at the end.
import { createClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { guestlist } from "../client/guestlist.ts";

const env = (k: string) => Deno.env.get(k) ?? (() => { throw new Error(`${k} is not set (run through npm run bench)`); })();
const sql = postgres(env("DB_URL"), { max: 4, onnotice: () => {} });
const BURST = Number(Deno.env.get("BENCH_BURST") ?? 300);
const CONCURRENCY = Number(Deno.env.get("BENCH_CONCURRENCY") ?? 100);
const SAMPLES = 40;
const tag = crypto.randomUUID().slice(0, 8);
const phone = (i: number) => `+35193${tag.replace(/\D/g, "").padEnd(3, "7").slice(0, 3)}${String(i).padStart(4, "0")}`;

// A night of its own for the bench.
const [org] = await sql`insert into public.organizations (name) values (${"Bench " + tag}) returning id`;
const [staff] = await sql`insert into auth.users (id, email) values (gen_random_uuid(), ${`bench-${tag}@bench.test`}) returning id`;
await sql`insert into public.organization_members values (${org.id}, ${staff.id}, 'staff')`;
const [event] = await sql`insert into public.events (organization_id, slug, name, starts_at, ends_at, guest_list_closes_at, is_published)
  values (${org.id}, ${"bench-" + tag}, 'Bench night', now() + interval '1 day', now() + interval '1 day 6 hours', now() + interval '1 day', true)
  returning id`;
const [promoter] = await sql`insert into public.promoters (organization_id, slug, display_name) values (${org.id}, ${"bench-" + tag}, 'Bench') returning id`;
await sql`insert into public.event_promoters (event_id, promoter_id) values (${event.id}, ${promoter.id})`;
await sql`insert into private.rate_limits (bucket, subject, max_hits, window_seconds, description) values
  ('event_registrations', ${event.id}, 100000, 60, 'bench: a viral night'),
  ('ip', '127.0.0.1', 100000, 60, 'bench: every client shares the loopback address')
  on conflict (bucket, subject) do update set max_hits = excluded.max_hits`;

/** Mean database time of `query` over SAMPLES runs as `role`, in ms (one connection, in sequence). */
async function dbCost(name: string, role: string, claims: object, query: (i: number) => [string, unknown[]]) {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const [text, params] = query(i);
    const t = performance.now();
    await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
      await tx.unsafe(`set local role ${role}`);
      await tx.unsafe(text, params as never[]);
    });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { name, ms: times[Math.floor(times.length / 2)] };
}

const anon = { role: "anon" };
const reg = await sql`select public.register_and_create_guest_v2(${phone(9999)}, 'Bea', 'Bench', 'b@example.com', 'Bench-2026x',
  ${event.id}, ${promoter.id}, null) as r`;
const session = reg[0].r.session_token;
const costs = [
  await dbCost("bcrypt alone (cost 10)", "postgres", {}, () => ["select extensions.crypt('x', extensions.gen_salt('bf', 10))", []]),
  await dbCost("register (new guest)", "anon", anon, (i) => [
    "select public.register_and_create_guest_v2($1, 'Bea', 'Bench', 'b@example.com', 'Bench-2026x', $2, $3, null)",
    [phone(5000 + i), event.id, promoter.id]]),
  await dbCost("check_phone_with_cache", "anon", anon, () => ["select public.check_phone_with_cache($1)", [phone(9999)]]),
  await dbCost("join_event_with_session", "anon", anon, () => [
    "select public.join_event_with_session($1, $2, $3, null)", [session, event.id, promoter.id]]),
  await dbCost("check_in_guest", "authenticated", { role: "authenticated", sub: staff.id }, () => [
    "select public.check_in_guest($1, $2, $3)", [event.id, reg[0].r.qr_token, crypto.randomUUID()]]),
];

// Raw bcrypt throughput on as many connections as there are slots: the machine's ceiling.
const [{ value: slots }] = await sql`select value from private.settings where key = 'bcrypt_slots'`;
const rawStart = performance.now();
const RAW = 60;
await Promise.all(Array.from({ length: Number(slots) }, async () => {
  for (let i = 0; i < RAW / Number(slots); i++) await sql`select extensions.crypt('x', extensions.gen_salt('bf', 10))`;
}));
const rawPerSecond = RAW / ((performance.now() - rawStart) / 1000);

// The burst: BURST new guests through the gateway, CONCURRENCY at a time, with the guest client.
let retries = 0;
const retrying = guestlist(createClient(env("API_URL"), env("ANON_KEY"), { auth: { persistSession: false } }), {
  sleep: (ms) => (retries++, new Promise((r) => setTimeout(r, ms))),
});
let next = 0;
const burstStart = performance.now();
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next < BURST) {
    const i = next++;
    await retrying.register({ phone: phone(i), firstName: "Bea", lastName: "Bench", email: "b@example.com", password: "Bench-2026x" },
      { eventId: event.id, promoterId: promoter.id, teamId: null });
  }
}));
const burstSeconds = (performance.now() - burstStart) / 1000;
const [{ max_hits: budget }] = await sql`select max_hits from private.rate_limits where bucket = 'password_ops' and subject = '*'`;
const [{ n }] = await sql`select count(*)::int n from public.guests g join private.client_users u on u.id = g.client_user_id
  where g.event_id = ${event.id} and u.phone like ${phone(0).slice(0, 9) + "%"} and u.phone < ${phone(BURST)}`;

// Leave the development database as it was.
await sql`delete from private.rate_limits where (bucket, subject) in (('event_registrations', ${event.id}), ('ip', '127.0.0.1'))`;
await sql`delete from private.client_users u using public.guests g where g.client_user_id = u.id and g.event_id = ${event.id}`;
await sql`delete from public.organizations where id = ${org.id}`;
await sql`delete from auth.users where id = ${staff.id}`;

const bcrypt = costs[0].ms;
console.log(`\nDatabase time per call (median of ${SAMPLES}), relative to one bcrypt:`);
for (const c of costs) console.log(`  ${c.name.padEnd(26)} ${(c.ms / bcrypt).toFixed(3)} × bcrypt`);
console.log(`\nBurst: ${BURST} new guests through the gateway, ${CONCURRENCY} at a time, ${slots} bcrypt slots:`);
console.log(`  passes issued ${n} of ${BURST} (lost: ${BURST - n}); 503 busy answers retried: ${retries}`);
console.log(`  registrations per second ÷ raw bcrypt per second on ${slots} connections: ${((BURST / burstSeconds) / rawPerSecond).toFixed(2)}`);
console.log(`  (the per-event and per-IP ceilings were raised for the run; defaults 200/min and 100/min)`);
console.log(`\nbcrypt this database sustains: ${Math.floor(rawPerSecond * 60)}/min; global password budget (password_ops): ${budget}/min` +
  (budget < rawPerSecond * 60 ? " — raise it for a viral night" : ""));
await sql.end();
if (n !== BURST) Deno.exit(1);
