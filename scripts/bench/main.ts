// npm run bench: a viral night on this machine modelled as a database machine and phones,
// against the development stack (API_PORT/DB_PORT), over loopback only, bounded in count and time.
// The platform (Postgres and the gateway) is pinned to one core and the guests to the other
// (platform.ts); the phones' slow steps are done before the clock (phone.ts); the ceiling is the
// guest's SQL path under pgbench on the platform's core, measured in the same run.
//   BENCH_SCALE=0.1        a tenth of every count (guests, virtual users, scans, subscribers)
//   BENCH_ONLY=once,door   only these scenarios (the ceiling always runs: the ratios need it)
//   BENCH_K6_STAGES=1      also the seed's full k6 stages (16 minutes)
//   BENCH_THINK=0.5        shorter typing times;  BENCH_WINDOW_S=60  the burst's arrival window
//   BENCH_PIN=0            no pinning;  BENCH_WRITE=0  print only (the default writes docs/)
// It raises, and prints, the ceilings a viral night needs in the limits table, and restores them.
import * as analyse from "./analyse.ts";
import { K6_STAGES, now, pcts, RUN_DEADLINE, SCALE, scaled, sleep, sql, THINK } from "./lib.ts";
import { hashes, NEW_SALT, prepare } from "./phone.ts";
import { meter, type Meter, pinPlatform, profiler } from "./platform.ts";
import { PASSWORD } from "./guest.ts";
import { codes, fmtMs, fmtN, svgChart, table, writeBetweenMarkers } from "./report.ts";
import * as sc from "./scenarios.ts";
import { audit, type Audit, cleanLeftovers, createWorld } from "./world.ts";

/** The seed's Teste 1/2/3: virtual users for 60 s, and its thresholds. */
const TESTES = [
  { name: "teste1", users: 100, p95Ms: 200, success: 0.99, s: 5 },
  { name: "teste2", users: 300, p95Ms: 500, success: 0.98, s: 6 },
  { name: "teste3", users: 500, p95Ms: 1000, success: 0.97, s: 8 },
];
/** The seed's full k6 stages (BENCH_K6_STAGES=1), judged by Teste 3's thresholds. */
const STAGES = [{ seconds: 60, target: 50 }, { seconds: 120, target: 200 }, { seconds: 300, target: 500 }, { seconds: 300, target: 500 },
  { seconds: 120, target: 100 }, { seconds: 60, target: 0 }];
const ONCE = 500;
const PLATFORM_MS_TARGET = 5;

const ALL = (Deno.env.get("BENCH_ONLY") ?? `door,cheap,once,attack,teste1,teste2,teste3,burst,overload${K6_STAGES ? ",stages" : ""}`).split(",");
const NEEDS_S: Record<string, number> = { door: 40, cheap: 50, once: 60, attack: 60, teste1: 90, teste2: 90, teste3: 90, burst: 150, overload: 150,
  stages: 1000 };
const notes: string[] = [];
/** Whether to run a scenario: asked for, and time left for it before the run's deadline. */
function wanted(name: string) {
  if (!ALL.includes(name)) return false;
  if (RUN_DEADLINE - now() < (NEEDS_S[name] ?? 60) * 1000 * (name.startsWith("teste") || name === "stages" ? 1 : Math.max(SCALE, 0.2))) {
    notes.push(`${name} was skipped: too little of the run's time bound (BENCH_MAX_S) was left for it.`);
    return false;
  }
  return true;
}
const WINDOW = Number(Deno.env.get("BENCH_WINDOW_S") ?? 60);
const WRITE = Deno.env.get("BENCH_WRITE") !== "0";
const started = new Date();
const log = (s: string) => console.log(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)} s] ${s}`);

// ---------------------------------------------------------------------------------------------
log(`scale ${SCALE}, think × ${THINK}, scenarios: ceiling, ${ALL.join(", ")}`);
await cleanLeftovers();
const pin = await pinPlatform();
log(`pinning: ${pin.note}`);
let prof: Awaited<ReturnType<typeof profiler>> | null = null;

type Spent = Awaited<ReturnType<Meter["result"]>>;
type Row = { run: sc.GuestRun; audit: Audit; spent: Spent; realtime?: Record<string, unknown>; probes?: Record<string, unknown>;
  k6?: { users: number; p95Ms: number; minSuccess: number }; broadcasts: ReturnType<typeof analyse.broadcastRates> };
const runs: Row[] = [];
let doorResult: Awaited<ReturnType<typeof sc.door>> | null = null;
let cheapResult: Awaited<ReturnType<typeof sc.cheap>> | null = null;
let attackResult: Awaited<ReturnType<Awaited<ReturnType<typeof sc.attackers>>["stop"]>> | null = null;
let ceiling: Awaited<ReturnType<typeof sc.ceiling>> | null = null;
// The gateway's pool (POOL_SIZE, PostgREST's db-pool): the SQL ceiling and the cheap calls run at that concurrency.
const poolSize = Number(Deno.env.get("POOL_SIZE") ?? 10);
let world: Awaited<ReturnType<typeof createWorld>> | null = null;

/**
 * The night's broadcasts (`realtime.send` rows on its topic and its promoter's) per 5 s tick since
 * the scenario started, for analyse.broadcastRates.
 */
async function broadcastTicks(run: sc.GuestRun) {
  const from = Date.now() - (now() - run.t0);
  const topics = [`event:${run.link.eventId}`, `promoter:${run.link.promoterId}`, ...(run.link.teamId ? [`team:${run.link.teamId}`] : [])];
  const rows = await sql`select floor(extract(epoch from m.inserted_at - to_timestamp(${from / 1000})) / 5)::int as tick,
      count(*)::int as sends, count(*) filter (where m.topic = ${topics[0]})::int as night
    from realtime.messages m
    where m.extension = 'broadcast' and m.topic = any (${topics}::text[]) and m.inserted_at >= to_timestamp(${from / 1000})
    group by 1 order by 1`;
  const ticks = Array.from({ length: rows.length ? Number(rows.at(-1)!.tick) + 1 : 0 }, () => ({ sends: 0, night: 0 }));
  for (const r of rows) ticks[Number(r.tick)] = { sends: Number(r.sends), night: Number(r.night) };
  return ticks;
}

async function finish(run: sc.GuestRun, m: Meter, extra: Partial<Row> = {}) {
  const ticks = await broadcastTicks(run);
  const a = await audit(run.link, run.guests);
  const spent = await m.result();
  const subscribers = Number((extra.realtime as { joined?: number } | undefined)?.joined ?? 0);
  runs.push({ run, audit: a, spent, ...extra, broadcasts: analyse.broadcastRates(ticks, subscribers) });
  const passes = run.guests.filter((g) => g.outcome === "pass").length;
  const per = spent && passes ? ` platform ${fmtN(spent.cpu.platform / passes, 1)} ms CPU per pass (Postgres ${fmtN(spent.cpu.postgres / passes, 1)})` : "";
  log(`${run.name}: ${passes}/${run.guests.length} passes in ${run.seconds.toFixed(0)} s;${per}; audit ${a.ok ? "ok" : "FAILED"} ` +
    `(lost ${a.lost}, duplicates ${a.duplicates}; still waiting when the run stopped waiting: ${a.unfinished})`);
  return run;
}

/** Puts back what the run changed: the cores, track_functions, the limits and its data. Once; every caller waits for it. */
let undoing: Promise<void> | null = null;
function undo() {
  undoing ??= (async () => {
    await pin.restore();
    await prof?.restore().catch((e) => log(`restoring track_functions failed: ${e}`));
    await world?.restore().catch((e) => log(`restoring the limits failed: ${e}`));
  })();
  return undoing;
}
// Stopped by hand (Ctrl-C) or by a timeout: undo, then stop.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    log(`${signal}: putting back what the run changed`);
    await undo();
    Deno.exit(130);
  });
}

try {
  prof = await profiler();
  log(`database time: ${prof.note}`);
  const P = prof;
  world = await createWorld(["ceiling", "once", "attack", "teste1", "teste2", "teste3", "stages", "burst", "second", "overload", "door", "probe"], 10);
  world.raised.push("Realtime's sockets per address (`REALTIME_MAX_SOCKETS_PER_ADDRESS`, default 250) to 1000 when `npm run bench` " +
    "starts the gateway: the 300 subscribers all come from 127.0.0.1 (a gateway already running keeps its own setting)");
  world.raised.push("Realtime's per-project limits (Free by default: 200 clients, 100 joins and 100 events a second) and the joins per " +
    "address to far above the run (`REALTIME_MAX_CONCURRENT_USERS`, `REALTIME_MAX_JOINS_PER_SECOND`, `REALTIME_MAX_EVENTS_PER_SECOND`, " +
    "`REALTIME_MAX_JOINS_PER_SECOND_PER_ADDRESS`) when `npm run bench` starts the gateway, so that every delivery is measured; " +
    "the report's broadcast table says where hosted's Free and Pro limits would have dropped them");
  for (const r of world.raised) log(`raised: ${r}`);
  // The phones' bcrypt for new accounts, before any clock (returning accounts' strings are known when made).
  await prepare([[PASSWORD, NEW_SALT]]);
  ceiling = await sc.ceiling(world, world.nights.ceiling, 10, poolSize, meter(P));
  log(`ceiling: ${ceiling.guestsPerSecond.toFixed(1)} guests/s (pgbench, ${ceiling.clients} clients, the guest's SQL path; ` +
    `Postgres ${fmtN(ceiling.dbCpuPerGuestMs, 2)} ms CPU per guest, platform core ${fmtN(100 * (ceiling.coreBusy ?? 0), 0)} % busy)`);
  const w = world;

  // The short ones first, so that a run cut by its time bound still has them.
  if (wanted("door")) {
    doorResult = await sc.door(w, 3, w.nights.door, scaled(2000), 0.05);
    log(`door: ${doorResult.scans} scans at ${doorResult.perSecond.toFixed(0)}/s, p95 ${fmtMs(doorResult.latency.p95)}; ` +
      `audit ${doorResult.audit.ok ? "ok" : "FAILED"}`);
  }
  if (wanted("cheap")) {
    cheapResult = await sc.cheap(w, poolSize, 10);
    for (const c of cheapResult) {
      log(`cheap ${c.name}: HTTP ${c.http.rps.toFixed(0)}/s (p95 ${fmtMs(c.http.latency.p95)}) vs pgbench ${c.pgbench.tps.toFixed(0)}/s → ${c.ratio.toFixed(2)}`);
    }
  }
  if (wanted("once")) {
    const m = meter(P);
    await finish(await sc.atOnce(w, 1, scaled(ONCE), w.nights.once, m), m);
  }
  if (wanted("attack")) {
    // The same 500 at once while 40 addresses each repeat one wrong login every 8 s (the attack
    // that froze the old line): the guests' p95 against the run above.
    const attack = await sc.attackers(w, w.nights.attack, 40, 8);
    const m = meter(P);
    const run = await sc.openArrivals(w, 4, `${scaled(ONCE)} at once, attacked`, `${scaled(ONCE)} guests open the link at the same ` +
      "instant while 40 addresses each repeat one wrong login every 8 s", w.nights.attack, Array.from({ length: scaled(ONCE) }, () => 0), m,
      undefined, 0);
    attackResult = await attack.stop();
    await finish(run, m);
  }
  for (const t of TESTES) {
    if (!wanted(t.name)) continue;
    const m = meter(P), users = scaled(t.users);
    await finish(await sc.k6(w, t.s, t.name, `the seed's ${t.name.replace("teste", "Teste ")}: ${users} virtual users for 60 s, each ` +
      "repeating check phone → log in or register → sleep 1 s", w.nights[t.name], 60, () => users, users, m), m,
    { k6: { users, p95Ms: t.p95Ms, minSuccess: t.success } });
  }
  if (wanted("burst")) {
    const n = scaled(1000), subs = scaled(300);
    const rt = await sc.subscribers(w.owner.token, w.nights.burst.eventId, subs);
    log(`realtime: ${rt.joined()} of ${subs} subscribers joined (${rt.refused()} refused)`);
    const m = meter(P);
    const burst = await sc.openArrivals(w, 0, "burst", `${n} guests over ${WINDOW} s on one link, 60 % new / 40 % returning, typing as people do`,
      w.nights.burst, sc.spread(n, WINDOW), m);
    await sleep(3000);
    rt.close();
    // Delivery: from the registering guest's client receiving its pass (just after the commit) to each subscriber.
    const lat: number[] = [];
    let got = 0, expected = 0;
    const served = burst.guests.filter((g) => g.outcome === "pass");
    for (const g of served) {
      const times = rt.received.get(g.guestId!) ?? [];
      got += times.length;
      expected += rt.joined();
      for (const t of times) lat.push(t - (burst.t0 + g.served!));
    }
    await finish(burst, m, { realtime: { subscribers: subs, joined: rt.joined(), messages: served.length, delivered: got, expected,
      completeness: expected ? got / expected : null, delivery: pcts(lat) } });
    const m2 = meter(P);
    await finish(await sc.secondNight(burst, w.nights.second, m2), m2);
  }
  if (wanted("overload")) {
    // Twice what the ceiling serves, for 30 s (bounded: the guests are one process on one core).
    const window = 30, n = scaled(Math.min(9000, Math.round(2 * ceiling.guestsPerSecond * window)));
    let done = false;
    let probe: Promise<Record<string, unknown>> | null = null;
    const m = meter(P);
    const run = await sc.openArrivals(w, 2, "overload", `${n} guests over ${window} s (twice the ceiling), typing as people do`,
      w.nights.overload, sc.spread(n, window), m, () => {
        probe = sc.probes(w, w.nights.probe, w.nights.overload, () => done);
        return {};
      });
    done = true;
    await finish(run, m, { probes: await probe! });
  }
  if (wanted("stages")) {
    const m = meter(P), total = STAGES.reduce((a, st) => a + st.seconds, 0), peak = scaled(500);
    const scaledStages = STAGES.map((st) => ({ seconds: st.seconds, target: scaled(st.target, 0) }));
    await finish(await sc.k6(w, 4, "k6 stages", `the seed's full k6 stages: ${STAGES.map((st) => `${st.seconds / 60} m → ${scaled(st.target, 0)}`).join(", ")}`,
      w.nights.stages, total, sc.k6Stages(scaledStages), peak, m), m, { k6: { users: peak, p95Ms: 1000, minSuccess: 0.97 } });
  }
} finally {
  await undo();
}
if (!ceiling) throw new Error("the ceiling was not measured");
const C = ceiling;

// ---------------------------------------------------------------------------------------------
// Report
const machine = await describeMachine();
const results = runs.map(({ run, audit, spent, realtime, probes, k6, broadcasts }) => {
  const guests = run.guests;
  const passes = guests.filter((g) => g.outcome === "pass").length;
  const linkToPass = pcts(guests.filter((g) => g.outcome === "pass").map((g) => g.served! - g.opened!));
  const tp = analyse.throughput(guests);
  const per = (ms: number) => (passes ? ms / passes : null);
  return {
    name: run.name, description: run.description, seconds: run.seconds, guests: guests.length, passes,
    passShare: guests.length ? passes / guests.length : null, finals: analyse.finals(guests), linkToPass,
    steps: analyse.stepStats(run.calls, run.seconds), retries: analyse.retries(guests),
    throughput: { ...tp, ratio: tp.perSecond === null ? null : tp.perSecond / C.guestsPerSecond },
    cpu: spent && { platform: per(spent.cpu.platform), postgres: per(spent.cpu.postgres), backends: per(spent.cpu.backends),
      other: per(spent.cpu.other), gateway: per(spent.cpu.gateway), coreBusy: spent.cpu.coreBusy },
    usage: spent?.usage.map((u) => ({ ...u, callsPerPass: per(u.calls), msPerPass: per(u.ms) })) ?? [],
    k6: k6 && { ...k6, ...analyse.k6Figures(run.calls, guests) },
    memory: analyse.memoryPeaks(run.samples), timeline: analyse.timeline(guests, run.samples), audit, realtime, probes, broadcasts,
  };
});

const lines: string[] = [];
lines.push(`Run of ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, scale ${SCALE}${SCALE !== 1 ? " (not a full run)" : ""}, ` +
  `typing times × ${THINK}. Machine: ${machine}.`, "");
lines.push(`**Platform and guests**: ${pin.note}.`, "");
lines.push(`**Ceiling**: ${C.guestsPerSecond.toFixed(1)} guests per second: pgbench, ${C.clients} clients (the gateway's pool) for ${fmtN(C.seconds, 1)} s, ` +
  `sending what the gateway sends for ${C.path}; ${C.passes} of ${C.scripts} guest paths ended with a pass (only those count); Postgres ${fmtN(C.dbCpuPerGuestMs, 2)} ms of CPU per guest on that path, ` +
  `platform core ${fmtN(100 * (C.coreBusy ?? 0), 0)} % busy. Ideal for ${scaled(ONCE)} at once: ${fmtN(scaled(ONCE) / C.guestsPerSecond, 1)} s.`, "");
lines.push(`**Phones** (the client library's \`hashPassword\` and \`solveProof\` options): ${hashes.prepared} bcrypt string(s) computed ` +
  `before the clocks (returning accounts were made with one string), ${hashes.modelled} new accounts' strings modelled from the ` +
  `prepared one with the salt the client made, ${hashes.late} computed on the clock; proofs of work solved by the guests' process ` +
  "at the run's difficulty.", "");
lines.push("**Ceilings raised for the run** (limits table; restored afterwards):", "", ...(world?.raised ?? []).map((r) => `- ${r}`), "");
lines.push("### Guest scenarios", "");
lines.push(table(["scenario", "guests", "passes", "final answers", "unfinished", "lost / dup.", "link → pass p50 / p95 / p99",
  "guests/s (÷ ceiling)", "platform CPU per pass: Postgres backends + other + gateway", "platform core busy", "peak memory gateway / Postgres"],
results.map((r) => [r.name, r.guests, `${r.passes} (${fmtN(100 * (r.passShare ?? 0), 1)} %)`, codes(r.finals), r.audit.unfinished,
  `${r.audit.lost} / ${r.audit.duplicates}`, `${fmtMs(r.linkToPass.p50)} / ${fmtMs(r.linkToPass.p95)} / ${fmtMs(r.linkToPass.p99)}`,
  `${fmtN(r.throughput.perSecond, 1)} (${fmtN(r.throughput.ratio)})`,
  r.cpu ? `${fmtN(r.cpu.platform, 1)} ms: ${fmtN(r.cpu.backends, 1)} + ${fmtN(r.cpu.other, 1)} + ${fmtN(r.cpu.gateway, 1)}` : "—",
  r.cpu?.coreBusy == null ? "—" : `${fmtN(100 * r.cpu.coreBusy, 0)} %`, `${mb(r.memory.gatewayRss)} / ${mb(r.memory.postgresPss)}`])));
const k6Rows = results.filter((r) => r.k6);
if (k6Rows.length) {
  lines.push("", "### The seed's k6 tests", "", table(["test", "virtual users", "iterations", "requests", "request p50 / p95 / p99",
    "success (2xx)", "thresholds (p95, success)"], k6Rows.map((r) => {
    const k = r.k6!;
    return [r.name, k.users, k.iterations, k.requests, `${fmtMs(k.duration.p50)} / ${fmtMs(k.duration.p95)} / ${fmtMs(k.duration.p99)}`,
      `${fmtN(100 * (k.success ?? 0), 2)} %`, `< ${k.p95Ms} ms, > ${fmtN(100 * k.minSuccess, 0)} %`];
  })));
}
lines.push("", `### Where the database's time goes (${prof?.note})`, "");
lines.push(table(["scenario", "function or statement: calls and ms per pass"], [{ name: "ceiling (pgbench)", usage: C.usage },
  ...results].filter((r) => r.usage.length).map((r) => [r.name,
  r.usage.slice(0, 8).map((u) => `\`${u.name}\` ${fmtN(u.callsPerPass, 1)} × ${fmtN(u.msPerPass, 2)} ms`).join("; ")])));
lines.push("", "### Per step", "");
lines.push(table(["scenario", "step", "requests", "per s", "p50", "p95", "p99", "non-2xx answers by code"],
  results.flatMap((r) => Object.entries(r.steps).map(([step, s]) => [r.name, step, s.requests, fmtN(s.perSecond, 1),
    fmtMs(s.p50), fmtMs(s.p95), fmtMs(s.p99), codes(s.errors)]))));
// deno-lint-ignore no-explicit-any
const rt = results.find((r) => r.realtime)?.realtime as Record<string, any> | undefined;
if (rt) {
  lines.push("", `### Realtime during burst`, "",
    `${rt.joined} of ${rt.subscribers} organiser websockets joined the night's private topic; ${rt.messages} guests registered; ` +
    `${rt.delivered} of ${rt.expected} deliveries arrived (${fmtN(100 * (rt.completeness ?? 0), 2)} %); delivery p50 ${fmtMs(rt.delivery.p50)}, ` +
    `p95 ${fmtMs(rt.delivery.p95)}, p99 ${fmtMs(rt.delivery.p99)} (from the registering client receiving its pass to each subscriber).`);
}
{
  const { free, pro } = analyse.REALTIME_EVENT_LIMITS;
  const over = (e: { secondsOverFree: number; secondsOverPro: number }) => `${e.secondsOverFree} s / ${e.secondsOverPro} s`;
  lines.push("", "### Broadcasts against hosted Realtime's limits", "",
    `Each night's broadcasts (\`realtime.send\` rows on its \`event:\` and promoter topics) per 5 s tick, and the events hosted ` +
    `counts (every send and every delivery), averaged per second over a minute as hosted's RateCounter does. Free allows ${free} ` +
    `events a second per project, Pro ${pro}; past them hosted drops the broadcasts (docs/realtime-auth.md). The local gateway ran with ` +
    "the events limit raised (above), so that every delivery could be measured.", "",
    table(["scenario", "broadcasts", "broadcasts/s (peak 5 s)", "events/s, 1 organiser + 1 promoter page: peak 5 s / peak minute",
      "time over Free / Pro", "events/s with the run's subscribers: peak minute", "time over Free / Pro"],
    results.map((r) => [r.name, r.broadcasts.broadcasts, fmtN(r.broadcasts.peakBroadcastsPerSecond, 1),
      `${fmtN(r.broadcasts.twoPages.peakPerSecond, 1)} / ${fmtN(r.broadcasts.twoPages.peakMinuteAverage, 1)}`, over(r.broadcasts.twoPages),
      r.broadcasts.withSubscribers ? fmtN(r.broadcasts.withSubscribers.peakMinuteAverage, 0) : "—",
      r.broadcasts.withSubscribers ? over(r.broadcasts.withSubscribers) : "—"])));
}
// deno-lint-ignore no-explicit-any
const pr = results.find((r) => r.probes)?.probes as Record<string, any> | undefined;
if (pr) {
  lines.push("", "### Door and organisers during the overload", "",
    `One door scanner (door-checkin) and one organiser (event_dashboard) calling every 0.5 s while overload ran: ` +
    `door scan p50 ${fmtMs(pr.doorScan.p50)}, p95 ${fmtMs(pr.doorScan.p95)}, p99 ${fmtMs(pr.doorScan.p99)} (${pr.doorScan.n} scans); ` +
    `dashboard p50 ${fmtMs(pr.organiserDashboard.p50)}, p95 ${fmtMs(pr.organiserDashboard.p95)}, p99 ${fmtMs(pr.organiserDashboard.p99)} ` +
    `(${pr.organiserDashboard.n} calls); failures: ${codes(pr.errors)}.`);
}
if (doorResult) {
  const d = doorResult;
  lines.push("", "### Door", "",
    `${d.passes} passes, ${d.scans} scans by 10 scanners through door-checkin (autocannon, one connection per scanner), ` +
    `${d.doubles} second scans: ${d.perSecond.toFixed(0)} scans/s, p50 ${fmtMs(d.latency.p50)}, p95 ${fmtMs(d.latency.p95)}, p99 ${fmtMs(d.latency.p99)}. ` +
    `Passes checked in exactly once: ${d.passesCheckedInOnce}; twice: ${d.passesCheckedInTwice}; second scans answered: ${codes(d.doubleAnswers)}; ` +
    `first scans not checked_in: ${d.otherAnswers}; database: ${d.audit.checkedIn} of ${d.audit.rows} passes checked in.`);
}
if (cheapResult) {
  lines.push("", "### Cheap calls: HTTP (autocannon) against the same SQL (pgbench)", "",
    table(["call", "concurrency", "HTTP req/s", "HTTP p50 / p95 / p99", "non-2xx", "pgbench tx/s", "ratio"],
      cheapResult.map((c) => [c.name, c.concurrency, c.http.rps.toFixed(0),
        `${fmtMs(c.http.latency.p50)} / ${fmtMs(c.http.latency.p95)} / ${fmtMs(c.http.latency.p99)}`, c.http.non2xx, c.pgbench.tps.toFixed(0),
        c.ratio.toFixed(2)])));
}
lines.push("", "### Targets (reported, not tests)", "", table(["target", "result", ""], targets()));
if (notes.length) lines.push("", ...notes.map((n) => `- ${n}`));
lines.push("", "Charts: ![throughput](benchmarks/throughput.svg) ![latency](benchmarks/latency.svg)");
const markdown = lines.join("\n");
console.log("\n" + markdown + "\n");

function targets(): string[][] {
  const out: string[][] = [];
  const mark = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "pass" : "**miss**");
  const once = results.find((r) => r.name.endsWith(" at once"));
  const attacked = results.find((r) => r.name.endsWith(" at once, attacked"));
  if (once && attacked && attackResult) {
    const delay = attacked.linkToPass.p95 === null || once.linkToPass.p95 === null ? null : attacked.linkToPass.p95 - once.linkToPass.p95;
    out.push([`${attacked.name}: guests' p95 link → pass at most 1 s later than without the attack (${attackResult.addresses} addresses, ` +
      `one wrong login every ${attackResult.everySeconds} s each, ${attackResult.calls} calls: ${codes(attackResult.byStatus)})`,
      delay === null ? "n/a" : `${delay >= 0 ? "+" : ""}${fmtMs(delay)}`, mark(delay === null ? null : delay <= 1000)]);
  }
  if (once) {
    const ideal = (once.guests / C.guestsPerSecond) * 1000, bound = 1.25 * ideal + 1000;
    out.push([`${once.name}: every guest a pass`, `${once.passes}/${once.guests}`, mark(once.passes === once.guests)]);
    out.push([`${once.name}: throughput ≥ 0.8 × the SQL ceiling`, fmtN(once.throughput.ratio),
      mark(once.throughput.ratio === null ? null : once.throughput.ratio >= 0.8)]);
    out.push([`${once.name}: p95 link → pass ≤ 1.25 × ideal (${fmtMs(ideal)}) + 1 s = ${fmtMs(bound)}`, fmtMs(once.linkToPass.p95),
      mark(once.linkToPass.p95 === null ? null : once.linkToPass.p95 <= bound)]);
  }
  for (const r of k6Rows) {
    const k = r.k6!;
    out.push([`${r.name}: request p95 < ${k.p95Ms} ms`, fmtMs(k.duration.p95), mark(k.duration.p95 === null ? null : k.duration.p95 < k.p95Ms)]);
    out.push([`${r.name}: success > ${fmtN(100 * k.minSuccess, 0)} %`, `${fmtN(100 * (k.success ?? 0), 2)} %`, mark(k.success === null ? null : k.success > k.minSuccess)]);
  }
  for (const r of results.filter((r) => r.cpu && (r.k6 || r === once))) {
    out.push([`${r.name}: platform CPU per pass ≤ ${PLATFORM_MS_TARGET} ms`, `${fmtN(r.cpu!.platform, 1)} ms`,
      mark(r.cpu!.platform === null ? null : r.cpu!.platform <= PLATFORM_MS_TARGET)]);
  }
  for (const r of results.filter((r) => !r.k6)) {
    out.push([`${r.name}: every guest a pass, 0 lost, 0 duplicates (answers agree with the database)`,
      `${r.passes}/${r.guests}; ${r.audit.lost} lost, ${r.audit.duplicates} duplicates`, mark(r.passes === r.guests && r.audit.ok)]);
  }
  for (const c of cheapResult ?? []) {
    out.push([`cheap ${c.name}: HTTP ≥ 0.50 × pgbench`, c.ratio.toFixed(2), mark(c.ratio >= 0.5)]);
    out.push([`cheap ${c.name}: p95 < 50 ms`, fmtMs(c.http.latency.p95), mark(c.http.latency.p95 < 50)]);
  }
  if (doorResult) {
    const d = doorResult;
    out.push(["door: one checked_in per pass, doubles already_checked_in",
      `${d.passesCheckedInOnce}/${d.passes} once; doubles ${codes(d.doubleAnswers)}`,
      mark(d.audit.ok && (d.doubleAnswers.already_checked_in ?? 0) === d.doubles)]);
    out.push(["door: p95 < 50 ms", fmtMs(d.latency.p95), mark(d.latency.p95 < 50)]);
  }
  if (rt) {
    out.push(["realtime: every subscriber receives every message", `${fmtN(100 * (rt.completeness ?? 0), 2)} %`, mark(rt.completeness === 1)]);
    out.push(["realtime: p95 delivery < 250 ms", fmtMs(rt.delivery.p95), mark(rt.delivery.p95 !== null && rt.delivery.p95 < 250)]);
  }
  return out;
}

function mb(v: number | null) {
  return v === null ? "—" : `${(v / 2 ** 20).toFixed(0)} MB`;
}

async function describeMachine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  const mem = Number((await Deno.readTextFile("/proc/meminfo").catch(() => "")).match(/MemTotal:\s+(\d+)/)?.[1] ?? 0);
  const [{ v }] = await sql`select split_part(version(), ' on ', 1) as v`;
  return `${navigator.hardwareConcurrency} × ${cpu}, ${(mem / 2 ** 20).toFixed(0)} GB RAM, ${Deno.build.os} (${Deno.build.arch}), ${v}, ` +
    `load average at the start ${Deno.loadavg().map((x) => x.toFixed(1)).join(" / ")}`;
}

if (WRITE) {
  await Deno.mkdir("docs/benchmarks", { recursive: true });
  await Deno.writeTextFile("docs/benchmarks/results.json", JSON.stringify({ started, scale: SCALE, think: THINK, machine, pinning: pin.note,
    ceiling: C, phones: hashes, raised: world?.raised, scenarios: results, door: doorResult && { ...doorResult, samples: undefined },
    cheap: cheapResult, notes }, null, 1));
  const series = (f: (t: ReturnType<typeof analyse.timeline>[number]) => number | null) =>
    results.map((r) => ({ name: r.name, points: r.timeline.map((t) => [t.t, f(t)] as [number, number | null]) }));
  await Deno.writeTextFile("docs/benchmarks/throughput.svg", svgChart("Passes per second", "passes / s", series((t) => t.passes)));
  await Deno.writeTextFile("docs/benchmarks/latency.svg",
    svgChart("Link → pass, p95 of the guests served each second", "seconds", series((t) => (t.p95 === null ? null : t.p95 / 1000))));
  await Deno.remove("docs/benchmarks/line.svg").catch(() => {});
  await writeBetweenMarkers("docs/benchmarks.md", markdown);
  log("written: docs/benchmarks.md, docs/benchmarks/results.json, docs/benchmarks/{throughput,latency}.svg");
}
await sql.end();
const failed = runs.some((r) => !r.audit.ok) || (doorResult !== null && !doorResult.audit.ok);
if (failed) log("an audit failed: a guest's answer and the database disagree");
Deno.exit(failed ? 1 : 0);
