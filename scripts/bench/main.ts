// npm run bench: a viral night on this machine, against the development stack (API_PORT/DB_PORT),
// over loopback only, bounded in count and time (a full run takes about 10 minutes).
//   BENCH_SCALE=0.1        a tenth of every count (guests, scans, subscribers), for quick runs
//   BENCH_ONLY=burst,door  only these scenarios (ceiling always runs: everything is relative to it)
//   BENCH_THINK=0.5        shorter think times;  BENCH_WINDOW_S=60  the arrival window
//   BENCH_WRITE=0          print only (the default writes docs/benchmarks.md and docs/benchmarks/)
// It raises, and prints, the ceilings a viral night needs in the limits table, and restores them.
import * as analyse from "./analyse.ts";
import { now, pcts, RUN_DEADLINE, SCALE, scaled, sleep, sql, THINK } from "./lib.ts";
import { codes, fmtMs, fmtN, svgChart, table, writeBetweenMarkers } from "./report.ts";
import * as sc from "./scenarios.ts";
import { audit, type Audit, cleanLeftovers, createWorld, lineOff } from "./world.ts";

const ALL = (Deno.env.get("BENCH_ONLY") ?? "burst,ramp,overload,door,cheap,lineoff").split(",");
const NEEDS_S: Record<string, number> = { door: 40, cheap: 50, burst: 150, overload: 310, ramp: 150, lineoff: 130 };
const notes: string[] = [];
/** Whether to run a scenario: asked for, and time left for it before the run's deadline. */
const ONLY = {
  includes(name: string) {
    if (!ALL.includes(name)) return false;
    if (RUN_DEADLINE - now() < NEEDS_S[name] * 1000 * Math.max(SCALE, 0.2)) {
      notes.push(`${name} was skipped: too little of the run's time bound (BENCH_MAX_S) was left for it.`);
      return false;
    }
    return true;
  },
  join: (sep: string) => ALL.join(sep),
};
const WINDOW = Number(Deno.env.get("BENCH_WINDOW_S") ?? 60);
const WRITE = Deno.env.get("BENCH_WRITE") !== "0";
const started = new Date();
const log = (s: string) => console.log(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)} s] ${s}`);

// ---------------------------------------------------------------------------------------------
log(`scale ${SCALE}, think × ${THINK}, scenarios: ceiling, ${ONLY.join(", ")}`);
await cleanLeftovers();
const ceiling = await sc.ceiling();
log(`ceiling: ${ceiling.passwordsPerSecond.toFixed(1)} bcrypt/s on ${ceiling.cores} cores (${ceiling.bcryptMs.toFixed(0)} ms each)`);
const world = await createWorld(["burst", "second", "ramp", "overload", "lineoff", "door", "probe"], 10,
  Math.floor(ceiling.passwordsPerSecond * 60));
world.raised.push("Realtime's sockets per address (`REALTIME_MAX_SOCKETS_PER_ADDRESS`, default 250) to 1000 when `npm run bench` " +
  "starts the gateway: the 300 subscribers all come from 127.0.0.1 (a gateway already running keeps its own setting)");
for (const r of world.raised) log(`raised: ${r}`);
const [{ slots }] = await sql`select coalesce((select to_jsonb(s) from private.bcrypt_slots() s), 'null') as slots`
  .catch(() => [{ slots: null }]);
if (slots !== null && Number(slots) > ceiling.cores) {
  notes.push(`The database runs ${slots} bcrypts at once on ${ceiling.cores} cores (max_parallel_workers of an older cluster?).`);
  log(`warning: ${slots} bcrypt slots on ${ceiling.cores} cores`);
}

type Row = { run: sc.GuestRun; audit: Audit; realtime?: Record<string, unknown>; probes?: Record<string, unknown> };
const runs: Row[] = [];
let doorResult: Awaited<ReturnType<typeof sc.door>> | null = null;
let cheapResult: Awaited<ReturnType<typeof sc.cheap>> | null = null;

async function finish(run: sc.GuestRun, extra: Partial<Row> = {}) {
  const a = await audit(run.link, run.guests);
  runs.push({ run, audit: a, ...extra });
  const passes = run.guests.filter((g) => g.outcome === "pass").length;
  log(`${run.name}: ${passes}/${run.guests.length} passes in ${run.seconds.toFixed(0)} s; audit ${a.ok ? "ok" : "FAILED"} ` +
    `(lost ${a.lost}, duplicates ${a.duplicates}; still waiting when the run stopped waiting: ${a.unfinished})`);
  return run;
}

try {
  // The short ones first, so that a run cut by its time bound still has them.
  if (ONLY.includes("door")) {
    doorResult = await sc.door(world, 3, world.nights.door, scaled(2000), 0.05);
    log(`door: ${doorResult.scans} scans at ${doorResult.perSecond.toFixed(0)}/s, p95 ${fmtMs(doorResult.latency.p95)}; ` +
      `audit ${doorResult.audit.ok ? "ok" : "FAILED"}`);
  }
  if (ONLY.includes("cheap")) {
    cheapResult = await sc.cheap(world, 10, 10);
    for (const c of cheapResult) {
      log(`cheap ${c.name}: HTTP ${c.http.rps.toFixed(0)}/s (p95 ${fmtMs(c.http.latency.p95)}) vs pgbench ${c.pgbench.tps.toFixed(0)}/s → ${c.ratio.toFixed(2)}`);
    }
  }
  if (ONLY.includes("burst")) {
    const n = scaled(1000), subs = scaled(300);
    const rt = await sc.subscribers(world.owner.token, world.nights.burst.eventId, subs);
    log(`realtime: ${rt.joined()} of ${subs} subscribers joined (${rt.refused()} refused)`);
    const burst = await sc.openArrivals(world, 0, "burst", `${n} guests over ${WINDOW} s on one link, 60 % new / 40 % returning`,
      world.nights.burst, sc.spread(n, WINDOW));
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
    await finish(burst, { realtime: { subscribers: subs, joined: rt.joined(), messages: served.length, delivered: got, expected,
      completeness: expected ? got / expected : null, delivery: pcts(lat) } });
    await finish(await sc.secondNight(burst, world.nights.second));
  }
  if (ONLY.includes("overload")) {
    const n = scaled(3000);
    let done = false;
    let probe: Promise<Record<string, unknown>> | null = null;
    const run = await sc.openArrivals(world, 2, "overload", `${n} guests over ${WINDOW} s, far above the ceiling`,
      world.nights.overload, sc.spread(n, WINDOW), () => {
        probe = sc.probes(world, world.nights.probe, world.nights.overload, () => done);
        return {};
      });
    done = true;
    await finish(run, { probes: await probe! });
  }
  if (ONLY.includes("ramp")) {
    await finish(await sc.ramp(world, 1, world.nights.ramp, [
      { users: scaled(50), seconds: 15 }, { users: scaled(200), seconds: 15 }, { users: scaled(500), seconds: 20 },
      { users: scaled(200), seconds: 10 }, { users: scaled(50), seconds: 10 },
    ]));
  }
  if (ONLY.includes("lineoff")) {
    const on = await lineOff();
    if (on === null) {
      notes.push("Line-off comparison: this database has no fair line to turn off, so the comparison run was skipped.");
      log("lineoff: no line to turn off; skipped");
    } else {
      try {
        const n = scaled(1000);
        await finish(await sc.openArrivals(world, 4, "burst, line off",
          `burst again (${n} guests over ${WINDOW} s) with the line off: 64 bcrypt slots, so every call that reaches the database bcrypts at once`,
          world.nights.lineoff, sc.spread(n, WINDOW)));
      } finally {
        await on();
      }
    }
  }
} finally {
  await world.restore();
}

// ---------------------------------------------------------------------------------------------
// Report
const machine = await describeMachine();
const results = runs.map(({ run, audit, realtime, probes }) => {
  const guests = run.guests;
  const passes = guests.filter((g) => g.outcome === "pass").length;
  const linkToPass = pcts(guests.filter((g) => g.outcome === "pass").map((g) => g.served! - g.opened!));
  const tp = analyse.passwordThroughput(guests, ceiling.cores, run.samples);
  return {
    name: run.name, description: run.description, seconds: run.seconds, guests: guests.length, passes,
    passShare: guests.length ? passes / guests.length : null, finals: analyse.finals(guests), linkToPass,
    steps: analyse.stepStats(run.calls, run.seconds), retries: analyse.retries(guests),
    throughput: { ...tp, ratioToCeiling: tp.saturatedPerSecond === null ? null : tp.saturatedPerSecond / ceiling.passwordsPerSecond,
      overallRatio: tp.overallPerSecond === null ? null : tp.overallPerSecond / ceiling.passwordsPerSecond },
    ideal: analyse.againstIdeal(guests, ceiling.passwordsPerSecond, ceiling.cores),
    order: analyse.orderViolations(guests), lineTraffic: analyse.lineTraffic(guests),
    memory: analyse.memoryPeaks(run.samples), timeline: analyse.timeline(guests, run.samples), audit, realtime, probes,
  };
});

const lines: string[] = [];
lines.push(`Run of ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, scale ${SCALE}${SCALE !== 1 ? " (not a full run)" : ""}, ` +
  `think times × ${THINK}. Machine: ${machine}.`, "");
lines.push(`**Ceiling**: ${ceiling.passwordsPerSecond.toFixed(1)} bcrypt (cost 10) per second with crypt() on all ${ceiling.cores} cores for 10 s ` +
  `(pgbench; ${ceiling.bcryptMs.toFixed(0)} ms per bcrypt at that concurrency).`, "");
lines.push("**Ceilings raised for the run** (limits table; restored afterwards):", "", ...world.raised.map((r) => `- ${r}`), "");
lines.push("### Guest scenarios", "");
lines.push(table(["scenario", "guests", "passes", "final answers", "still waiting at the cap", "lost / dup.", "link → pass p50 / p95 / p99", "password/s ÷ ceiling (saturated, overall)",
  "slots busy / CPU busy (saturated)", "within 1.25 × ideal + 1 s", "order violations (> 2 s)", "retries per guest (mean / max)", "line retries per 3 s waited", "peak memory gateway / Postgres", "peak line"],
results.map((r) => [r.name, r.guests, `${r.passes} (${fmtN(100 * (r.passShare ?? 0), 1)} %)`, codes(r.finals), r.audit.unfinished, `${r.audit.lost} / ${r.audit.duplicates}`,
  `${fmtMs(r.linkToPass.p50)} / ${fmtMs(r.linkToPass.p95)} / ${fmtMs(r.linkToPass.p99)}`,
  `${fmtN(r.throughput.ratioToCeiling)} (${r.throughput.saturatedSeconds} s saturated), ${fmtN(r.throughput.overallRatio)}`,
  r.throughput.slotsBusy === null ? "—" : `${fmtN(100 * r.throughput.slotsBusy, 0)} % / ${fmtN(100 * (r.throughput.cpuBusy ?? 0), 0)} %`,
  r.ideal.withinShare === null ? "—" : `${fmtN(100 * r.ideal.withinShare, 1)} % (p95 ${fmtMs(r.ideal.p95Actual)} vs ideal ${fmtMs(r.ideal.p95Ideal)})`,
  `${r.order.count} (worst ${fmtN(r.order.worstSeconds, 1)} s)`, `${fmtN(r.retries.mean)} / ${r.retries.max}`, fmtN(r.lineTraffic.per3s),
  `${mb(r.memory.gatewayRss)} / ${mb(r.memory.postgresPss)}`, r.memory.line ?? "n/a"])));
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
// deno-lint-ignore no-explicit-any
const pr = results.find((r) => r.probes)?.probes as Record<string, any> | undefined;
if (pr) {
  lines.push("", "### Door and organisers during the overload flood", "",
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
lines.push("", "### Targets", "", table(["target", "result", ""], targets()));
if (notes.length) lines.push("", ...notes.map((n) => `- ${n}`));
lines.push("", "Charts: ![throughput](benchmarks/throughput.svg) ![latency](benchmarks/latency.svg) ![line](benchmarks/line.svg)");
const markdown = lines.join("\n");
console.log("\n" + markdown + "\n");

function targets(): string[][] {
  const out: string[][] = [];
  const mark = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "pass" : "**miss**");
  for (const r of results.filter((r) => ["burst", "ramp", "overload"].includes(r.name))) {
    out.push([`${r.name}: 100 % of guests get a pass`, `${r.passes}/${r.guests}`, mark(r.passes === r.guests)]);
    out.push([`${r.name}: password throughput ≥ 0.90 × ceiling (while saturated)`, fmtN(r.throughput.ratioToCeiling),
      mark(r.throughput.ratioToCeiling === null ? null : r.throughput.ratioToCeiling >= 0.9)]);
    out.push([`${r.name}: p95 within 1.25 × ideal wait + 1 s`, r.ideal.withinShare === null ? "—" : `${fmtN(100 * r.ideal.withinShare, 1)} % of guests within`,
      mark(r.ideal.withinShare === null ? null : r.ideal.withinShare >= 0.95)]);
    out.push([`${r.name}: ≤ 1 retried call per 3 s of waiting`, fmtN(r.lineTraffic.per3s), mark(r.lineTraffic.per3s <= 1)]);
    out.push([`${r.name}: nobody served > 2 s after a later arrival`, `${r.order.count} violations`, mark(r.order.count === 0)]);
    out.push([`${r.name}: 0 lost, 0 duplicates (answers agree with the database)`, `${r.audit.lost} lost, ${r.audit.duplicates} duplicates`, mark(r.audit.ok)]);
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
  await Deno.writeTextFile("docs/benchmarks/results.json", JSON.stringify({ started, scale: SCALE, think: THINK, machine, ceiling,
    raised: world.raised, scenarios: results, door: doorResult && { ...doorResult, samples: undefined }, cheap: cheapResult, notes }, null, 1));
  const series = (f: (t: ReturnType<typeof analyse.timeline>[number]) => number | null) =>
    results.map((r) => ({ name: r.name, points: r.timeline.map((t) => [t.t, f(t)] as [number, number | null]) }));
  await Deno.writeTextFile("docs/benchmarks/throughput.svg", svgChart("Passes per second", "passes / s", series((t) => t.passes)));
  await Deno.writeTextFile("docs/benchmarks/latency.svg",
    svgChart("Link → pass, p95 of the guests served each second", "seconds", series((t) => (t.p95 === null ? null : t.p95 / 1000))));
  await Deno.writeTextFile("docs/benchmarks/line.svg", svgChart("Password line length", "guests waiting", series((t) => t.line)));
  await writeBetweenMarkers("docs/benchmarks.md", markdown);
  log("written: docs/benchmarks.md, docs/benchmarks/results.json, docs/benchmarks/{throughput,latency,line}.svg");
}
await sql.end();
const failed = runs.some((r) => !r.audit.ok) || (doorResult !== null && !doorResult.audit.ok);
if (failed) log("an audit failed: a guest's answer and the database disagree");
Deno.exit(failed ? 1 : 0);
