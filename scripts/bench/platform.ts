// The platform as a database machine: Postgres (the postmaster and its children) and the
// gateway's Deno pinned to one core, the benchmark's guests (this process and the programs it
// starts: autocannon, pgbench) to the other, with taskset. And what the platform spends: CPU
// time of those processes from /proc, the platform core's busy share from /proc/stat, and, per
// scenario, the time spent inside each SQL function (track_functions) or statement
// (pg_stat_statements, where the cluster preloads it).
import postgres from "postgres";
import { DB_URL, run, sql } from "./lib.ts";

/** Linux's clock tick (sysconf CLK_TCK is 100 on every Linux this runs on). */
const TICK_MS = 10;
export const PLATFORM_CORE = 0;
export const GUEST_CORE = 1;

type Stat = { ppid: number; ticks: number; childTicks: number };

function stat(pid: number): Stat | null {
  try {
    const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) };
  } catch {
    return null;
  }
}

const cmdline = (pid: number) => {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
};

let postmasterPid: number | null | undefined;
/** The postmaster: the parent of this benchmark's own backend. */
export async function postmaster(): Promise<number | null> {
  if (postmasterPid === undefined) {
    const [{ pid }] = await sql`select pg_backend_pid() as pid`;
    postmasterPid = stat(Number(pid))?.ppid ?? null;
  }
  return postmasterPid;
}

/** The postmaster's children now (backends, background workers), by pid. */
function children(pm: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    if (stat(Number(e.name))?.ppid === pm) out.push(Number(e.name));
  }
  return out;
}

/** The gateway's process: its pid file (local/stack.sh), or GATEWAY_PID. */
export function gatewayPid(): number | null {
  const fromEnv = Deno.env.get("GATEWAY_PID");
  if (fromEnv) return Number(fromEnv);
  try {
    const pid = Number(Deno.readTextFileSync(`.stack/${Deno.env.get("STACK") ?? "dev"}/gateway.pid`).trim());
    return stat(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** A backend serving a client connection (its title names the client's address), or a worker. */
const isBackend = (pid: number) => /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(cmdline(pid));

/**
 * Pins the platform to PLATFORM_CORE and this process (the guests) to GUEST_CORE. New backends
 * are forked by the postmaster and inherit its core. Returns what was done (for the report) and
 * how to undo it; nothing is pinned with fewer than two cores, without taskset, or BENCH_PIN=0.
 */
export async function pinPlatform(): Promise<{ pinned: boolean; note: string; restore: () => Promise<void> }> {
  const none = (note: string) => ({ pinned: false, note, restore: async () => {} });
  if (Deno.env.get("BENCH_PIN") === "0") return none("not pinned (BENCH_PIN=0): platform and guests share every core");
  if (navigator.hardwareConcurrency < 2) return none("not pinned: one core");
  const pm = await postmaster();
  const gw = gatewayPid();
  if (!pm) return none("not pinned: the postmaster's process is not visible from here");
  const all = `0-${navigator.hardwareConcurrency - 1}`;
  const taskset = async (cores: string, pid: number) => {
    await run("taskset", ["-a", "-p", "-c", cores, String(pid)]).catch(() => {});
  };
  try {
    await run("taskset", ["-p", String(Deno.pid)]);
  } catch {
    return none("not pinned: taskset is missing (Debian's util-linux)");
  }
  for (const pid of [pm, ...children(pm)]) await taskset(String(PLATFORM_CORE), pid);
  if (gw) await taskset(String(PLATFORM_CORE), gw);
  await taskset(String(GUEST_CORE), Deno.pid);
  return {
    pinned: true,
    note: `Postgres (postmaster ${pm} and its children)${gw ? ` and the gateway (${gw})` : " (the gateway's process was not found: not pinned)"} ` +
      `on core ${PLATFORM_CORE}; the guests (this benchmark, autocannon, pgbench's client) on core ${GUEST_CORE}`,
    restore: async () => {
      for (const pid of [pm, ...children(pm)]) await taskset(all, pid);
      if (gw) await taskset(all, gw);
      await taskset(all, Deno.pid);
    },
  };
}

/** CPU time (ms) of the platform's processes so far, split by what they are. */
export type CpuSnapshot = { perPid: Map<number, number>; reaped: number; gateway: number; core: { busy: number; total: number } | null };

export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const pm = await postmaster();
  const perPid = new Map<number, number>();
  let reaped = 0;
  if (pm) {
    const s = stat(pm);
    if (s) {
      perPid.set(pm, s.ticks * TICK_MS);
      reaped = s.childTicks * TICK_MS;
    }
    for (const pid of children(pm)) {
      const c = stat(pid);
      if (c) perPid.set(pid, c.ticks * TICK_MS);
    }
  }
  const gw = gatewayPid();
  return { perPid, reaped, gateway: gw ? (stat(gw)?.ticks ?? 0) * TICK_MS : 0, core: coreTicks(PLATFORM_CORE) };
}

/**
 * What the platform spent between two snapshots (ms of CPU): Postgres's client backends, its
 * other processes (autovacuum, WAL writer, checkpointer, pg_cron…), the processes that ended in
 * between (their whole time, reaped by the postmaster, less what they had before), the gateway;
 * and the platform core's busy share.
 */
export function cpuSpent(a: CpuSnapshot, b: CpuSnapshot) {
  let backends = 0, other = 0, ended = b.reaped - a.reaped;
  for (const [pid, ms] of b.perPid) {
    const d = ms - (a.perPid.get(pid) ?? 0);
    if (isBackend(pid)) backends += d;
    else other += d;
  }
  for (const [pid, ms] of a.perPid) if (!b.perPid.has(pid)) ended -= ms;
  const postgres = backends + other + Math.max(0, ended);
  const coreBusy = a.core && b.core && b.core.total > a.core.total ? (b.core.busy - a.core.busy) / (b.core.total - a.core.total) : null;
  return { postgres, backends, other: other + Math.max(0, ended), gateway: b.gateway - a.gateway, platform: postgres + b.gateway - a.gateway,
    coreBusy };
}

/** Busy and total ticks of one core (/proc/stat). */
function coreTicks(core: number): { busy: number; total: number } | null {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n").find((l) => l.startsWith(`cpu${core} `));
    if (!line) return null;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((x, y) => x + y, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Where the database's time goes: per statement (pg_stat_statements) when the cluster preloads
// it, otherwise per function (track_functions = 'all', set for the run with ALTER SYSTEM and a
// reload, which reaches the gateway's open connections too, and undone afterwards).

export type Usage = Map<string, { calls: number; ms: number }>;
export type Profiler = { kind: "statements" | "functions"; note: string; read: () => Promise<Usage>; restore: () => Promise<void> };

/** What changed between two readings, the largest first. */
export function usageSpent(a: Usage, b: Usage, top = 10) {
  return [...b].map(([name, v]) => ({ name, calls: v.calls - (a.get(name)?.calls ?? 0), ms: v.ms - (a.get(name)?.ms ?? 0) }))
    .filter((x) => x.calls > 0).sort((x, y) => y.ms - x.ms).slice(0, top);
}

// Backends send their statistics when a transaction ends at most once a second, and an idle
// one within 10 s: a reading taken that long after a scenario has all of it.
export const STATS_DELAY_MS = 10_500;

export async function profiler(): Promise<Profiler> {
  // The platform's superuser (supabase_admin, as on Supabase): ALTER SYSTEM and every function's statistics.
  const url = new URL(DB_URL);
  url.username = Deno.env.get("DB_ADMIN_USER") ?? "supabase_admin";
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const [{ preload, has }] = await sql`select current_setting('shared_preload_libraries') as preload,
    exists (select 1 from pg_extension where extname = 'pg_stat_statements') as has`;
  const toMap = (rows: { name: string; calls: number; ms: number }[]): Usage => new Map(rows.map((r) => [r.name, { calls: r.calls, ms: r.ms }]));
  if (String(preload).includes("pg_stat_statements") && has) {
    return {
      kind: "statements", note: "pg_stat_statements: execution time per statement (wall clock, which includes waits)",
      read: async () => toMap(await sql`select left(regexp_replace(query, '\s+', ' ', 'g'), 120) as name, sum(calls)::int as calls,
          sum(total_exec_time)::float8 as ms from pg_stat_statements group by 1`),
      restore: async () => { await sql.end(); },
    };
  }
  const [{ was }] = await sql`select current_setting('track_functions') as was`;
  await sql`alter system set track_functions = 'all'`;
  await sql`select pg_reload_conf()`;
  return {
    kind: "functions",
    note: "pg_stat_statements is not preloaded by this cluster, so per SQL function instead (track_functions = 'all', set for the run: " +
      "self time, wall clock, which includes waits; the time outside functions is the statements around them)",
    read: async () => toMap(await sql`select schemaname || '.' || funcname as name, calls::int, self_time::float8 as ms
        from pg_stat_user_functions`),
    restore: async () => {
      if (was === "none") await sql`alter system reset track_functions`;
      else await sql.unsafe(`alter system set track_functions = '${String(was).replace(/[^a-z]/g, "")}'`);
      await sql`select pg_reload_conf()`;
      await sql.end();
    },
  };
}

/**
 * What a scenario cost the platform: started when its clock starts (after its set-up), stopped
 * when its last guest is done; `result` waits until the statistics are complete.
 */
export function meter(prof: Profiler) {
  let cpu0: CpuSnapshot, cpu1: CpuSnapshot, use0: Usage, stoppedAt = 0;
  return {
    start: async () => {
      use0 = await prof.read();
      cpu0 = await cpuSnapshot();
    },
    stop: async () => {
      cpu1 = await cpuSnapshot();
      stoppedAt = performance.now();
    },
    result: async () => {
      if (!cpu0 || !cpu1) return null;
      await new Promise((r) => setTimeout(r, Math.max(0, STATS_DELAY_MS - (performance.now() - stoppedAt))));
      return { cpu: cpuSpent(cpu0, cpu1), usage: usageSpent(use0, await prof.read()) };
    },
  };
}
export type Meter = ReturnType<typeof meter>;
