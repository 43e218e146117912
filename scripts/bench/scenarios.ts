// The scenarios. Guest flows are hand-written (guest.ts: several dependent steps, the retry rule
// and the phone's steps, as the page does them; the seed's k6 loop); single-endpoint load goes
// through autocannon (autocannon.mjs); the ceiling (the guest's SQL path) and the SQL side of
// the cheap calls through pgbench.
import * as analyse from "./analyse.ts";
import { type Guest, guestFlow, joinFlow, k6Iteration, type Link, PASSWORD, recordingClient } from "./guest.ts";
import { ANON_KEY, API_URL, type Call, DB_PORT, now, pcts, request, run, RUN_DEADLINE, sampler, sleep, sql, THINK } from "./lib.ts";
import { hashPassword, NEW_SALT } from "./phone.ts";
import type { Meter } from "./platform.ts";
import { createAccounts, createPasses, phoneOf, setPowBits, type World } from "./world.ts";

const PGBIN = Deno.env.get("PG_BIN") ?? "/usr/lib/postgresql/15/bin";
const HERE = new URL(".", import.meta.url).pathname;
export const CORES = navigator.hardwareConcurrency;
/** How long the run waits for any one guest (bounds the run): one still waiting then is unfinished. */
const GUEST_CAP_MS = Number(Deno.env.get("BENCH_GUEST_CAP_S") ?? 240) * 1000;
const guestDeadline = () => Math.min(now() + GUEST_CAP_MS, RUN_DEADLINE);

/** pgbench with these scripts (text and weight), its client on this process's core; tps and mean latency. */
async function pgbench(scripts: [string, number][], clients: number, seconds: number, user = "postgres", extra: string[] = []) {
  const files: string[] = [];
  try {
    for (const [text] of scripts) {
      const file = await Deno.makeTempFile({ suffix: ".sql" });
      await Deno.writeTextFile(file, text);
      files.push(file);
    }
    const out = await run(`${PGBIN}/pgbench`, ["-n", "-h", "127.0.0.1", "-p", DB_PORT, "-U", user, "-c", String(clients),
      "-j", "1", "-T", String(seconds), ...extra, ...files.flatMap((f, i) => ["-f", `${f}@${scripts[i][1]}`]), "postgres"],
      { PGPASSWORD: "postgres" });
    const tps = Number(out.match(/tps = ([0-9.]+) \(without/)?.[1]);
    const processed = Number(out.match(/actually processed: (\d+)/)?.[1]);
    return { tps, processed, seconds: processed / tps, latencyMs: Number(out.match(/latency average = ([0-9.]+) ms/)?.[1]) };
  } finally {
    for (const f of files) await Deno.remove(f);
  }
}

type Tx = { method: "GET" | "POST"; fn: string; mode: "read only" | "read write"; args: Record<string, string> };

/**
 * The statements the gateway sends for one RPC (local/gateway/rest.ts), as pgbench script text:
 * BEGIN, the request's settings and role in one statement, the pre-request hook, the call (a
 * POST's arguments read from its JSON body with json_to_record, a GET's from the query string)
 * with the response settings, COMMIT. `args` are SQL expressions (pgbench variables allowed).
 */
function gatewayTx(t: Tx, ctx: { roleSettings: [string, string][]; claims: string; headers: string; preRequest: string },
  gset = "") {
  const lit = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const settings: [string, string][] = [["search_path", `"public", "extensions"`], ...ctx.roleSettings, ["role", "anon"],
    ["request.jwt.claims", ctx.claims], ["request.method", t.method], ["request.path", `/rest/v1/rpc/${t.fn}`], ["request.headers", ctx.headers]];
  const names = Object.keys(t.args);
  const gucs = "current_setting('response.status', true) as status, current_setting('response.headers', true) as headers";
  let call: string;
  if (t.method === "POST" && names.length) {
    const body = `json_build_object(${names.map((n) => `'${n}', ${t.args[n]}`).join(", ")})::text`;
    call = `with pgrst_args as (select * from json_to_record(${body}::json) as _(${names.map((n) => `"${n}" ${n.endsWith("_id") ? "uuid" : "text"}`).join(", ")})) ` +
      `select jsonb_agg(to_jsonb(pgrst_call.pgrst_scalar)) -> 0 as r, ${gucs} from (select public."${t.fn}"(${names.map((n) => `"${n}" => (select "${n}" from pgrst_args)`).join(", ")}) as pgrst_scalar) pgrst_call`;
  } else {
    call = `select jsonb_agg(to_jsonb(pgrst_call.pgrst_scalar)) -> 0 as r, ${gucs} from (select public."${t.fn}"(${names.map((n) => `"${n}" => ${t.args[n]}::text::text`).join(", ")}) as pgrst_scalar) pgrst_call`;
  }
  return [`begin ${t.mode};`,
    `select ${settings.map(([k, v]) => `set_config(${lit(k)}, ${lit(v)}, true)`).join(", ")};`,
    ...(ctx.preRequest ? [`select 1 from ${ctx.preRequest}();`] : []),
    gset ? `select r->>'${gset}' as ${gset} from (${call}) x \\gset` : `${call};`,
    "commit;"].join("\n");
}

/**
 * ceiling: guests per second that the database does alone on the platform's core. pgbench (its
 * client on the guests' core) sends exactly what the gateway sends for one guest of the page
 * (resolve the link, check the phone, then log in, or take a challenge and register), 60 % new
 * and 40 % returning, at the gateway's pool size; every phone's bcrypt string and proof made
 * beforehand (the proofs at difficulty 0 while it runs: the database's check is one sha256 at
 * any difficulty). Also the database's CPU per guest on that path.
 */
export async function ceiling(w: World, link: Link, seconds: number, clients: number, m: Meter) {
  const ctx = await gatewayContext();
  const perClient = 2000;
  // Returning guests' accounts: each pgbench client logs in to its own in turn.
  await createAccounts(Array.from({ length: clients * perClient }, (_, k) =>
    phoneOf(w, 7, Math.floor(k / perClient) * 10000 + (k % perClient))));
  const [{ salt }] = await sql`select password_salt as salt from private.client_users where phone = ${phoneOf(w, 7, 0)}`;
  const bcryptReturning = await hashPassword(PASSWORD, salt);
  const bcryptNew = await hashPassword(PASSWORD, NEW_SALT);
  const lit = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const ids = { p_event_id: lit(link.eventId), p_promoter_id: lit(link.promoterId), p_team_id: "null" };
  const resolve = gatewayTx({ method: "GET", fn: "resolve_promoter_link", mode: "read only",
    args: { p_promoter_slug: lit(link.promoterSlug), p_event_slug: lit(link.eventSlug) } }, ctx);
  // Phones 9<tag>7<client><4 digits>: returning 0–1999 (made above), new 2000–9999.
  const phone = (v: string, from: number) => `'+3519${w.tag}7' || lpad(cast(:client_id * 10000 + ${from} + :${v} as text), 5, '0')`;
  const check = (v: string, from: number) => gatewayTx({ method: "POST", fn: "check_phone_with_cache", mode: "read write",
    args: { p_phone: phone(v, from) } }, ctx);
  const newGuest = [`\\set i (:i + 1) % ${10000 - perClient}`, resolve, check("i", perClient),
    gatewayTx({ method: "POST", fn: "registration_challenge", mode: "read write", args: {} }, ctx, "challenge"),
    gatewayTx({ method: "POST", fn: "register_and_create_guest_v2", mode: "read write", args: {
      p_phone: phone("i", perClient), p_first_name: "'Bea'", p_last_name: "'Bench'", p_email: `'c' || :client_id || '-' || :i || '@bench.example'`,
      p_password: lit(bcryptNew), ...ids, p_proof: `:challenge || ':0'` } }, ctx), ""].join("\n");
  const returning = [`\\set j (:j + 1) % ${perClient}`, resolve, check("j", 0),
    gatewayTx({ method: "POST", fn: "authenticate_and_create_guest_v2", mode: "read write", args: {
      p_phone: phone("j", 0), p_password: lit(bcryptReturning), ...ids } }, ctx), ""].join("\n");
  const was = await setPowBits(0);
  try {
    await m.start();
    const r = await pgbench([[newGuest, 3], [returning, 2]], clients, seconds, "authenticator", ["-M", "prepared", "-D", "i=0", "-D", "j=0"]);
    await m.stop();
    const measured = await m.result();
    const spent = measured!.cpu;
    // Only the guests who got a pass count: an answer such as `busy` or a wrong password is
    // committed as an HTTP error and pgbench cannot tell it from a pass.
    const [{ passes }] = await sql`select count(*)::int as passes from public.guests where event_id = ${link.eventId}`;
    return { guestsPerSecond: passes / r.seconds, passes, scripts: r.processed, clients, seconds: r.seconds, latencyMs: r.latencyMs,
      dbCpuPerGuestMs: spent.postgres / passes,
      usage: measured!.usage.map((u) => ({ ...u, callsPerPass: u.calls / passes, msPerPass: u.ms / passes })),
      coreBusy: spent.coreBusy, path: "resolve_promoter_link (GET), check_phone_with_cache, then authenticate_and_create_guest_v2 (40 %) " +
        "or registration_challenge + register_and_create_guest_v2 (60 %)" };
  } finally {
    await setPowBits(was);
  }
}

/** What the gateway puts in every request's settings: anon's role settings, the anon key's claims, the headers, the hook. */
async function gatewayContext() {
  const roleSettings = (await sql`select split_part(c, '=', 1) as k, substr(c, strpos(c, '=') + 1) as v
    from pg_db_role_setting s, unnest(s.setconfig) c where s.setrole = 'anon'::regrole and s.setdatabase in (0,
      (select oid from pg_database where datname = current_database()))`).map((r) => [r.k, r.v] as [string, string]);
  const [{ hook }] = await sql`select coalesce((select substr(c, strpos(c, '=') + 1) from pg_db_role_setting s, unnest(s.setconfig) c
    where s.setrole = 'authenticator'::regrole and c like 'pgrst.db_pre_request=%'), '') as hook`;
  const claims = new TextDecoder().decode(Uint8Array.from(atob(ANON_KEY.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));
  // What a phone's supabase-js request carries, plus the proxy's address headers (the gateway's).
  const headers = JSON.stringify({ host: new URL(API_URL).host, "user-agent": "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36",
    accept: "*/*", "accept-encoding": "gzip, deflate", "accept-language": "pt-PT", apikey: ANON_KEY, authorization: `Bearer ${ANON_KEY}`,
    "content-type": "application/json", "content-length": "180", "x-client-info": "supabase-js-web/2.109.0",
    "cf-connecting-ip": "127.0.0.1", "x-forwarded-for": "127.0.0.1" });
  return { roleSettings, claims, headers, preRequest: String(hook) };
}

export type GuestRun = {
  name: string; description: string; seconds: number; guests: Guest[]; calls: Call[]; samples: ReturnType<typeof sampler>["samples"];
  link: Link; t0: number; extra?: Record<string, unknown>;
};

/** Guests arriving at the given times (ms) on `link`; 60 % new, 40 % returning (accounts made beforehand). */
export async function openArrivals(w: World, s: number, name: string, description: string, link: Link, arrivals: number[],
  m?: Meter, during?: (t0: number) => Record<string, unknown>, think = THINK): Promise<GuestRun> {
  const guests: Guest[] = arrivals.map((_, i) => ({
    index: i, phone: phoneOf(w, s, i), kind: i % 5 < 3 ? "new" : "returning", password: PASSWORD, retries: 0,
  }));
  await createAccounts(guests.filter((g) => g.kind === "returning").map((g) => g.phone));
  const calls: Call[] = [];
  await m?.start();
  const t0 = now();
  const client = recordingClient(calls, t0);
  const sampling = sampler(t0);
  const side = during?.(t0);
  await Promise.all(guests.map(async (g, i) => {
    await sleep(arrivals[i]);
    await guestFlow(client, t0, g, link, guestDeadline(), think);
  }));
  const seconds = (now() - t0) / 1000;
  await m?.stop();
  const extra = side;
  await sampling.stop();
  return { name, description, seconds, guests, calls, samples: sampling.samples, link, t0, extra };
}

/** `n` arrivals spread at random over `windowS` seconds. */
export const spread = (n: number, windowS: number) => Array.from({ length: n }, () => Math.random() * windowS * 1000).sort((a, b) => a - b);

/**
 * The seed's k6 loop: virtual users, each repeating check phone → log in or register → sleep
 * 1 s, none retried (k6 counts any non-2xx as a failure and goes on). `target(t)` is the number
 * of users wanted `t` seconds in (k6 stages ramp linearly; a user above it stops after its
 * iteration), for `seconds`. 40 % of iterations are returning guests from a pool of accounts made
 * beforehand (used in turn, so a long run logs some in again), 60 % register new phones.
 */
export async function k6(w: World, s: number, name: string, description: string, link: Link, seconds: number,
  target: (t: number) => number, maxUsers: number, m?: Meter): Promise<GuestRun> {
  const pool = Math.min(40_000, Math.ceil(maxUsers * seconds * 0.4) + 10);
  await createAccounts(Array.from({ length: pool }, (_, i) => phoneOf(w, s, i)));
  const guests: Guest[] = [];
  const calls: Call[] = [];
  await m?.start();
  const t0 = now();
  const client = recordingClient(calls, t0);
  const sampling = sampler(t0);
  const endAt = Math.min(t0 + seconds * 1000, RUN_DEADLINE);
  let next = 0, returning = 0, fresh = 0;
  const user = async (id: number) => {
    while (now() < endAt) {
      if (id >= target((now() - t0) / 1000)) {
        await sleep(200);
        continue;
      }
      const i = next++;
      const old = i % 5 >= 3;
      // New phones after the pool, wrapping within the scenario's 100,000 numbers (a repeat logs in again).
      const phone = old ? phoneOf(w, s, returning++ % pool) : phoneOf(w, s, pool + (fresh++ % (100_000 - pool)));
      const g: Guest = { index: i, phone, kind: old ? "returning" : "new", password: PASSWORD, retries: 0 };
      guests.push(g);
      await k6Iteration(client, t0, g, link, endAt + 30_000);
      await sleep(1000);
    }
  };
  await Promise.all(Array.from({ length: maxUsers }, (_, id) => user(id)));
  await m?.stop();
  await sampling.stop();
  return { name, description, seconds: (now() - t0) / 1000, guests, calls, samples: sampling.samples, link, t0 };
}

/** k6 stages as a target function: linear from each stage's start to its target. */
export function k6Stages(stages: { seconds: number; target: number }[]) {
  return (t: number) => {
    let from = 0, start = 0;
    for (const st of stages) {
      if (t < start + st.seconds) return Math.round(from + ((st.target - from) * (t - start)) / st.seconds);
      from = st.target;
      start += st.seconds;
    }
    return from;
  };
}

/** `n` guests open the link at the same instant and go through the page with no typing time. */
export const atOnce = (w: World, s: number, n: number, link: Link, m?: Meter) =>
  openArrivals(w, s, `${n} at once`, `${n} guests open the link at the same instant, 60 % new / 40 % returning, no typing time`, link,
    Array.from({ length: n }, () => 0), m, undefined, 0);

/**
 * The attack that froze the old line: `addresses` callers, each repeating one wrong login for a
 * real account every `everyS` seconds, from an address of its own (written in x-forwarded-for,
 * which the default client-address setting believes, as a client can on hosted). Runs until
 * `stop()`; returns what the attackers were answered.
 */
export async function attackers(w: World, link: Link, addresses: number, everyS: number) {
  await createAccounts(Array.from({ length: addresses }, (_, i) => phoneOf(w, 9, 500 + i)));
  const calls: Call[] = [];
  let stopped = false;
  const loops = Array.from({ length: addresses }, async (_, i) => {
    const phone = phoneOf(w, 9, 500 + i);
    await sleep(Math.random() * everyS * 1000);
    while (!stopped) {
      await request(calls, 0, "attack", "/rest/v1/rpc/authenticate_and_create_guest_v2", {
        body: { p_phone: phone, p_password: `$2b$10$${"a".repeat(53)}`, p_event_id: link.eventId, p_promoter_id: link.promoterId,
          p_team_id: link.teamId },
        headers: { "x-forwarded-for": `198.18.0.${i + 1}` },
      });
      await sleep(everyS * 1000);
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      const byStatus: Record<string, number> = {};
      for (const c of calls) byStatus[String(c.status)] = (byStatus[String(c.status)] ?? 0) + 1;
      return { addresses, everySeconds: everyS, calls: calls.length, byStatus };
    },
  };
}

/** The returning guests of a run join `link` with their session (no password). */
export async function secondNight(first: GuestRun, link: Link, m?: Meter): Promise<GuestRun> {
  const guests: Guest[] = first.guests.filter((g) => g.kind === "returning" && g.outcome === "pass")
    .map((g) => ({ index: g.index, phone: g.phone, kind: "returning", password: g.password, session: g.session, retries: 0 }));
  const calls: Call[] = [];
  await m?.start();
  const t0 = now();
  const client = recordingClient(calls, t0);
  const sampling = sampler(t0);
  const arrivals = spread(guests.length, 10);
  await Promise.all(guests.map(async (g, i) => {
    await sleep(arrivals[i]);
    await joinFlow(client, t0, g, link, guestDeadline());
  }));
  await m?.stop();
  await sampling.stop();
  return { name: "burst: second night", description: `the ${guests.length} returning guests of burst join a second night with their session over 10 s`,
    seconds: (now() - t0) / 1000, guests, calls, samples: sampling.samples, link, t0 };
}

/** Door scans through the edge function by `scanners` connections (autocannon), `doubles` share scanned twice. */
export async function door(w: World, s: number, link: Link, passes: number, doubles: number) {
  const qrs = await createPasses(link, Array.from({ length: passes }, (_, i) => phoneOf(w, s, i)));
  const scan = (qr: string, second: boolean) => ({ qr, second,
    body: JSON.stringify({ event_id: link.eventId, qr_token: qr, nonce: crypto.randomUUID() }) });
  const list = qrs.map((qr) => scan(qr, false));
  // Second scans of a pass come at least 50 scans after its first (a guest shown in twice, later).
  for (const qr of qrs.slice(0, Math.round(passes * doubles))) {
    const at = Math.min(list.length, list.findIndex((x) => x.qr === qr) + 50 + Math.floor(Math.random() * 200));
    list.splice(at, 0, scan(qr, true));
  }
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify({
    url: `${API_URL}/functions/v1/door-checkin`, connections: w.scanners.length, scans: list,
    tokens: w.scanners.map((x) => x.token), headers: { apikey: ANON_KEY, "content-type": "application/json" },
  }));
  const t0 = now();
  const sampling = sampler(t0);
  const out = JSON.parse(await run("node", [`${HERE}autocannon.mjs`, "door", `@${file}`]));
  await sampling.stop();
  await Deno.remove(file);
  const verdicts = out.verdicts as { qr: string; second: boolean; status: number; verdict: string }[];
  const firsts = new Map<string, number>();
  for (const v of verdicts) if (v.verdict === "checked_in") firsts.set(v.qr, (firsts.get(v.qr) ?? 0) + 1);
  const doubleAnswers: Record<string, number> = {};
  for (const v of verdicts.filter((v) => v.second)) doubleAnswers[v.verdict] = (doubleAnswers[v.verdict] ?? 0) + 1;
  const [{ n, rows }] = await sql`select count(*) filter (where g.checked_in_at is not null)::int n, count(*)::int rows
    from public.guests g where g.event_id = ${link.eventId}`;
  return {
    name: "door", scans: verdicts.length, passes, seconds: out.seconds, perSecond: verdicts.length / out.seconds,
    latency: out.latency, errors: out.errors, timeouts: out.timeouts,
    passesCheckedInOnce: [...firsts.values()].filter((c) => c === 1).length,
    passesCheckedInTwice: [...firsts.values()].filter((c) => c > 1).length,
    doubles: verdicts.filter((v) => v.second).length, doubleAnswers,
    otherAnswers: verdicts.filter((v) => !v.second && v.verdict !== "checked_in").length,
    audit: { rows, checkedIn: n, ok: n === passes && [...firsts.values()].every((c) => c === 1) && firsts.size === passes },
    samples: sampling.samples,
  };
}

/** Cheap RPCs: autocannon over HTTP against pgbench running the same SQL as the gateway does, at the same concurrency. */
export async function cheap(w: World, concurrency: number, seconds: number) {
  const [{ phone }] = await sql`select phone from private.client_users where phone like ${"+3519" + w.tag + "%"} limit 1`;
  const link = Object.values(w.nights)[0];
  const claims = JSON.stringify({ role: "anon" }).replaceAll("'", "''");
  const headers = JSON.stringify({ "x-forwarded-for": "127.0.0.1", apikey: "bench" }).replaceAll("'", "''");
  const cases = [
    { name: "check_phone_with_cache", method: "POST", path: "/rest/v1/rpc/check_phone_with_cache", body: JSON.stringify({ p_phone: phone }),
      sqlMode: "read write", call: `select to_jsonb(public.check_phone_with_cache(p_phone => '${phone}'::text)) as r;` },
    { name: "resolve_promoter_link (GET)", method: "GET",
      path: `/rest/v1/rpc/resolve_promoter_link?p_promoter_slug=${link.promoterSlug}&p_event_slug=${link.eventSlug}`, body: undefined,
      sqlMode: "read only",
      call: `select to_jsonb(public.resolve_promoter_link(p_promoter_slug => '${link.promoterSlug}'::text, p_event_slug => '${link.eventSlug}'::text)) as r;` },
  ];
  const results = [];
  for (const c of cases) {
    const http = JSON.parse(await run("node", [`${HERE}autocannon.mjs`, "fixed", JSON.stringify({
      url: API_URL + c.path, method: c.method, body: c.body, connections: concurrency, duration: seconds,
      headers: { apikey: ANON_KEY, authorization: `Bearer ${ANON_KEY}`, "content-type": "application/json" },
    })]));
    // What the gateway (and PostgREST) runs per request: the request's settings, the role, the
    // pre-request hook, the call, and reading the response GUCs, in one transaction.
    const script = `begin isolation level read committed ${c.sqlMode};
select set_config('request.jwt.claims', '${claims}', true), set_config('request.headers', '${headers}', true),
       set_config('request.method', '${c.method}', true), set_config('request.path', '${c.path.split("?")[0]}', true);
set local role anon;
select private.check_request();
${c.call}
select current_setting('response.status', true), current_setting('response.headers', true);
commit;
`;
    const db = await pgbench([[script, 1]], concurrency, seconds, "authenticator");
    results.push({ name: c.name, concurrency, seconds, http, pgbench: db, ratio: http.rps / db.tps });
  }
  return results;
}

/** Realtime: `n` organisers' websockets on the event's private topic, counting each guest_registered. */
export async function subscribers(token: string, eventId: string, n: number) {
  const received = new Map<string, number[]>(); // guest id → receive times (performance.now)
  const sockets: WebSocket[] = [];
  let joined = 0, refused = 0;
  const url = `${API_URL.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${ANON_KEY}&vsn=1.0.0`;
  await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    const topic = `realtime:event:${eventId}`;
    ws.onopen = () => ws.send(JSON.stringify({ topic, event: "phx_join", ref: "1", join_ref: "1",
      payload: { config: { broadcast: { self: false, ack: false }, presence: { key: "" }, private: true }, access_token: token } }));
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.event === "phx_reply" && m.ref === "1") {
        m.payload.status === "ok" ? joined++ : refused++;
        resolve();
      } else if (m.event === "broadcast" && m.payload?.event === "guest_registered") {
        const id = m.payload.payload?.guest_id;
        received.set(id, [...(received.get(id) ?? []), now()]);
      }
    };
    ws.onerror = () => { refused++; resolve(); };
    setTimeout(resolve, 15000 + i * 10);
  })));
  const heartbeat = setInterval(() => {
    for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "hb" }));
  }, 25000);
  return {
    joined: () => joined, refused: () => refused, received,
    close: () => { clearInterval(heartbeat); for (const ws of sockets) ws.close(); },
  };
}

/** Door scans and organiser calls at a gentle pace while something else floods the API. */
export async function probes(w: World, door: Link, dashboard: Link, until: () => boolean) {
  const qrs = await createPasses(door, Array.from({ length: 400 }, (_, i) => phoneOf(w, 9, i)));
  // Through the benchmark's one HTTP helper (30 s timeout, network failures as status 0).
  const calls: Call[] = [], errors: Record<string, number> = {};
  const time = async (step: string, path: string, token: string, body: unknown) => {
    const r = await request(calls, 0, step, path, { body, token });
    if (r.status < 200 || r.status >= 300) {
      const key = r.status === 0 ? "network" : String(r.status);
      errors[key] = (errors[key] ?? 0) + 1;
    }
  };
  let i = 0;
  while (!until() && i < qrs.length) {
    await Promise.all([
      time("door", "/functions/v1/door-checkin", w.scanners[1].token,
        { event_id: door.eventId, qr_token: qrs[i++], nonce: crypto.randomUUID() }),
      time("dashboard", "/rest/v1/rpc/event_dashboard", w.owner.token, { p_event_id: dashboard.eventId }),
      sleep(500),
    ]);
  }
  const ms = (step: string) => calls.filter((c) => c.step === step).map((c) => c.ms);
  const scans = ms("door"), dash = ms("dashboard");
  return { doorScan: pcts(scans), organiserDashboard: pcts(dash), errors };
}

export { analyse };
