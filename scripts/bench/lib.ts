// Shared pieces of the benchmark: the stack's settings, a database connection for set-up and
// audits, HTTP calls recorded per step, percentiles, and a once-a-second sampler of the
// gateway's /metrics and Postgres's memory.
import postgres from "postgres";

export const env = (k: string) => Deno.env.get(k) ?? (() => { throw new Error(`${k} is not set (run through npm run bench)`); })();
export const API_URL = env("API_URL");
export const ANON_KEY = env("ANON_KEY");
export const SERVICE_KEY = env("SERVICE_ROLE_KEY");
export const JWT_SECRET = env("JWT_SECRET");
export const DB_URL = env("DB_URL");
export const DB_PORT = new URL(DB_URL).port;
for (const u of [API_URL, DB_URL]) {
  if (!["127.0.0.1", "localhost"].includes(new URL(u).hostname)) throw new Error(`the benchmark runs on loopback only, not ${u}`);
}

/** BENCH_SCALE multiplies every count (guests, scanners' passes, subscribers); 1 is the full run. */
export const SCALE = Number(Deno.env.get("BENCH_SCALE") ?? 1);
export const scaled = (n: number, min = 1) => Math.max(min, Math.round(n * SCALE));
/** BENCH_THINK multiplies the guests' think times (1 = as a person types). */
export const THINK = Number(Deno.env.get("BENCH_THINK") ?? 1);

/** BENCH_K6_STAGES=1 adds the seed's full k6 stages (16 minutes: 1 m → 50, 2 m → 200, 5 m → 500, 5 m at 500, 2 m → 100, 1 m → 0). */
export const K6_STAGES = Deno.env.get("BENCH_K6_STAGES") === "1";
/** The whole run ends by BENCH_MAX_S (default 14.5 minutes, 32 with the k6 stages): guests still waiting then stop (unfinished). */
export const RUN_DEADLINE = performance.now() + Number(Deno.env.get("BENCH_MAX_S") ?? (K6_STAGES ? 1920 : 870)) * 1000;

export const sql = postgres(DB_URL, { max: 4, onnotice: () => {} });

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const now = () => performance.now();

export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}
export const pcts = (v: number[]) => ({ p50: percentile(v, 0.5), p95: percentile(v, 0.95), p99: percentile(v, 0.99), n: v.length });

/** One HTTP request as the benchmark saw it (times in ms since the scenario started). */
export type Call = { step: string; start: number; ms: number; status: number; code: string | null };

/**
 * One HTTP request, recorded in `calls` as `step` with its status and error code. A request
 * that hangs for 30 s is aborted (a network failure, status 0, which clients retry), so no guest
 * outlives its cap. A timer of our own, cleared once the answer is read: with
 * AbortSignal.timeout each request's signal (and what its listeners hold) lived on, and a
 * full-scale run's client grew by hundreds of MB until its garbage collector took most of a core.
 * Returns the answer with its body read (as text), or throws the network failure.
 */
export async function recordedFetch(calls: Call[], t0: number, step: string, url: string, init: RequestInit): Promise<Response> {
  const start = now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 30_000);
  init.signal?.addEventListener("abort", () => abort.abort());
  let status = 0, code: string | null = "network";
  try {
    const res = await fetch(url, { ...init, signal: abort.signal });
    const text = await res.text();
    status = res.status;
    code = null;
    if (status >= 400) {
      let body: Record<string, unknown> | null = null;
      try { body = JSON.parse(text); } catch { /* not JSON */ }
      code = String(body?.message && /^[a-z_]+$/.test(String(body.message)) ? body.message : body?.code ?? status);
    }
    return new Response([101, 204, 205, 304].includes(res.status) ? null : text, { status: res.status, statusText: res.statusText, headers: res.headers });
  } finally {
    clearTimeout(timer);
    calls.push({ step, start: start - t0, ms: now() - start, status, code });
  }
}

/** A JSON request to the API as supabase-js sends it, recorded in `calls`. Network failures are status 0. */
export async function request(calls: Call[], t0: number, step: string, path: string, init: {
  method?: string; body?: unknown; token?: string; headers?: Record<string, string>;
}): Promise<{ status: number; body: Record<string, unknown> | null; headers: Headers | null }> {
  try {
    const res = await recordedFetch(calls, t0, step, API_URL + path, {
      method: init.method ?? "POST",
      headers: { apikey: ANON_KEY, authorization: `Bearer ${init.token ?? ANON_KEY}`, "content-type": "application/json",
        "x-client-info": "supabase-js-bench", ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  } catch {
    return { status: 0, body: null, headers: null };
  }
}

/** An HS256 JWT signed with the project secret (what Supabase Auth issues to a signed-in user). */
export async function signJwt(claims: Record<string, unknown>): Promise<string> {
  const enc = new TextEncoder();
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const head = `${b64(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })))}.${b64(enc.encode(JSON.stringify(claims)))}`;
  const key = await crypto.subtle.importKey("raw", enc.encode(JWT_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `${head}.${b64(new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(head))))}`;
}

export async function userToken(userId: string, email: string) {
  return await signJwt({ sub: userId, role: "authenticated", aud: "authenticated", email,
    exp: Math.floor(Date.now() / 1000) + 3600, iat: Math.floor(Date.now() / 1000) });
}

/** The gateway's /metrics as {series → value}. */
export async function gatewayMetrics(): Promise<Map<string, number>> {
  const text = await (await fetch(`${API_URL}/metrics`, { headers: { apikey: SERVICE_KEY }, signal: AbortSignal.timeout(5000) })).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = line.match(/^([^#\s][^ ]*) ([0-9.eE+-]+)$/);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

// Postgres's memory: proportional set size (shared memory split fairly) of the postmaster and
// its children, read from /proc (needs the same user or root; null otherwise).
let postmaster: number | null | undefined;
async function postgresPss(): Promise<number | null> {
  if (postmaster === undefined) {
    const [{ pid }] = await sql`select pg_backend_pid() as pid`;
    try {
      postmaster = Number((await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ")[1]);
    } catch {
      postmaster = null;
    }
  }
  if (!postmaster) return null;
  let total = 0;
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.split(") ")[1].split(" ")[1]);
      if (Number(e.name) !== postmaster && ppid !== postmaster) continue;
      const m = Deno.readTextFileSync(`/proc/${e.name}/smaps_rollup`).match(/^Pss:\s+(\d+) kB/m);
      if (m) total += Number(m[1]) * 1024;
    } catch { /* process gone, or not readable */ }
  }
  return total || null;
}

export type Sample = { t: number; gatewayRss: number | null; postgresPss: number | null; poolInUse: number | null;
  poolWaiting: number | null; ws: number | null };

/** Samples once a second until stopped; the samples' times are ms since `t0`. */
export function sampler(t0: number) {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = now() - t0;
      const [m, pss] = await Promise.all([gatewayMetrics().catch(() => null), postgresPss().catch(() => null)]);
      samples.push({
        t, gatewayRss: m?.get("process_resident_memory_bytes") ?? null, postgresPss: pss,
        poolInUse: m?.get('gateway_db_pool_connections{pool="rest",state="in_use"}') ?? null,
        poolWaiting: m?.get('gateway_db_pool_waiting{pool="rest"}') ?? null, ws: m?.get("gateway_realtime_clients") ?? null,
      });
      await sleep(1000);
    }
  })();
  return { samples, stop: async () => { running = false; await loop; } };
}

/** Runs a command, returning its stdout (throws with stderr on failure). */
export async function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env: extraEnv, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ").slice(0, 120)} failed: ${new TextDecoder().decode(out.stderr).slice(0, 2000)}`);
  return text;
}
