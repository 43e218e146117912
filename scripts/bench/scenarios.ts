// The scenarios. Guest flows are hand-written (guest.ts: several dependent steps, the retry rule
// and the proof of work, as the page does them); single-endpoint load goes through autocannon
// (autocannon.mjs); the bcrypt ceiling and the SQL side of the cheap calls through pgbench.
import * as analyse from "./analyse.ts";
import { type Guest, guestFlow, joinFlow, type Link, PASSWORD } from "./guest.ts";
import { ANON_KEY, API_URL, type Call, DB_PORT, now, pcts, request, run, RUN_DEADLINE, sampler, sleep, sql } from "./lib.ts";
import { createAccounts, createPasses, phoneOf, type World } from "./world.ts";

const PGBIN = Deno.env.get("PG_BIN") ?? "/usr/lib/postgresql/15/bin";
const HERE = new URL(".", import.meta.url).pathname;
export const CORES = navigator.hardwareConcurrency;
/** How long the run waits for any one guest (bounds the run): one still waiting then is unfinished. */
const GUEST_CAP_MS = Number(Deno.env.get("BENCH_GUEST_CAP_S") ?? 240) * 1000;
const guestDeadline = () => Math.min(now() + GUEST_CAP_MS, RUN_DEADLINE);

async function pgbench(script: string, clients: number, seconds: number, user = "postgres"): Promise<{ tps: number; latencyMs: number }> {
  const file = await Deno.makeTempFile({ suffix: ".sql" });
  await Deno.writeTextFile(file, script);
  try {
    const out = await run(`${PGBIN}/pgbench`, ["-n", "-h", "127.0.0.1", "-p", DB_PORT, "-U", user, "-c", String(clients),
      "-j", String(Math.min(clients, CORES)), "-T", String(seconds), "-f", file, "postgres"], { PGPASSWORD: "postgres" });
    return { tps: Number(out.match(/tps = ([0-9.]+) \(without/)?.[1]), latencyMs: Number(out.match(/latency average = ([0-9.]+) ms/)?.[1]) };
  } finally {
    await Deno.remove(file);
  }
}

/** ceiling: crypt() at cost 10 on every core for 10 s — the passwords per second this database can do. */
export async function ceiling() {
  const r = await pgbench("select extensions.crypt('x', extensions.gen_salt('bf', 10));\n", CORES, 10);
  return { passwordsPerSecond: r.tps, cores: CORES, bcryptMs: r.latencyMs };
}

export type GuestRun = {
  name: string; description: string; seconds: number; guests: Guest[]; calls: Call[]; samples: ReturnType<typeof sampler>["samples"];
  link: Link; t0: number; extra?: Record<string, unknown>;
};

/** Guests arriving at the given times (ms) on `link`; 60 % new, 40 % returning (accounts made beforehand). */
export async function openArrivals(w: World, s: number, name: string, description: string, link: Link, arrivals: number[],
  during?: (t0: number) => Record<string, unknown>): Promise<GuestRun> {
  const guests: Guest[] = arrivals.map((_, i) => ({
    index: i, phone: phoneOf(w, s, i), kind: i % 5 < 3 ? "new" : "returning", password: PASSWORD, retries: 0, passwordRetries: 0,
  }));
  await createAccounts(guests.filter((g) => g.kind === "returning").map((g) => g.phone));
  const calls: Call[] = [];
  const t0 = now();
  const sampling = sampler(t0);
  const side = during?.(t0);
  await Promise.all(guests.map(async (g, i) => {
    await sleep(arrivals[i]);
    await guestFlow(calls, t0, g, link, guestDeadline());
  }));
  const seconds = (now() - t0) / 1000;
  const extra = side;
  await sampling.stop();
  return { name, description, seconds, guests, calls, samples: sampling.samples, link, t0, extra };
}

/** `n` arrivals spread at random over `windowS` seconds. */
export const spread = (n: number, windowS: number) => Array.from({ length: n }, () => Math.random() * windowS * 1000).sort((a, b) => a - b);

/** ramp: a closed model — stages of concurrent guests, each starting a new guest as soon as theirs is done. */
export async function ramp(w: World, s: number, link: Link, stages: { users: number; seconds: number }[]): Promise<GuestRun> {
  const guests: Guest[] = [];
  const maxGuests = stages.reduce((a, st) => a + st.users * Math.ceil(st.seconds / 5), 0);
  const returning: string[] = [];
  for (let i = 0; i < maxGuests; i++) if (i % 5 >= 3) returning.push(phoneOf(w, s, i));
  await createAccounts(returning);
  const calls: Call[] = [];
  const t0 = now();
  const sampling = sampler(t0);
  let target = 0, next = 0;
  const users: Promise<void>[] = [];
  const user = async (id: number) => {
    while (id < target && next < maxGuests) {
      const i = next++;
      const g: Guest = { index: i, phone: phoneOf(w, s, i), kind: i % 5 < 3 ? "new" : "returning", password: PASSWORD,
        retries: 0, passwordRetries: 0 };
      guests.push(g);
      await guestFlow(calls, t0, g, link, guestDeadline());
    }
  };
  let running = 0;
  for (const stage of stages) {
    target = stage.users;
    for (; running < target; running++) users.push(user(running));
    await sleep(stage.seconds * 1000);
    running = Math.min(running, target);
  }
  target = 0; // down: every user finishes the guest in hand, then stops
  await Promise.all(users);
  await sampling.stop();
  return { name: "ramp", description: `${stages.map((st) => `${st.users} for ${st.seconds} s`).join(" → ")}, then down (closed model: each user starts a new guest when theirs is done)`,
    seconds: (now() - t0) / 1000, guests, calls, samples: sampling.samples, link, t0 };
}

/** The returning guests of a run join `link` with their session (no password). */
export async function secondNight(first: GuestRun, link: Link): Promise<GuestRun> {
  const guests: Guest[] = first.guests.filter((g) => g.kind === "returning" && g.outcome === "pass")
    .map((g) => ({ index: g.index, phone: g.phone, kind: "returning", password: g.password, session: g.session, retries: 0, passwordRetries: 0 }));
  const calls: Call[] = [];
  const t0 = now();
  const sampling = sampler(t0);
  const arrivals = spread(guests.length, 10);
  await Promise.all(guests.map(async (g, i) => {
    await sleep(arrivals[i]);
    await joinFlow(calls, t0, g, link, guestDeadline());
  }));
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
    const db = await pgbench(script, concurrency, seconds, "authenticator");
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
