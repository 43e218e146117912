// GET /metrics: the gateway's side of a busy night in Prometheus text format (version 0.0.4),
// as Supabase serves a project's metrics to its operators (there: /customer/v1/privileged/metrics,
// readable with the service_role key). Like there, only the service_role key may read it
// (`apikey` header, `Authorization: Bearer`, or HTTP Basic with the key as password).
//   gateway_http_requests_total{route,method,status}      every answer
//   gateway_http_request_duration_seconds{route}           latency histogram (websockets excluded)
//   gateway_http_errors_total{route,code}                  4xx/5xx by the body's stable code
//   gateway_db_pool_connections{pool,state}                in_use / free, and the pool's waiters
//   gateway_db_pool_waiting{pool}
//   gateway_db_statements_total{pool}                      statements sent to Postgres
//   gateway_realtime_clients                               open websockets
//   gateway_jwt_cache_tokens, gateway_jwt_cache_bytes      verified tokens kept, their length
//   process_resident_memory_bytes, process_heap_used_bytes
// Labels are bounded: a route or code not seen before is folded into "other" once 400 series exist.
import { bearer, json } from "./http.ts";
import type { Keys } from "./jwt.ts";

type PoolLike = { size: number; inUse: number; waiting: number; statements: number };
type Sources = { pools: Record<string, PoolLike>; realtimeClients: () => number };

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const MAX_SERIES = 400;

type Histogram = { counts: number[]; sum: number; count: number };

/** The route label of a path: the API path with its function name, never a raw id or query. */
export function routeOf(path: string): string {
  let m = path.match(/^\/rest\/v1\/rpc\/([A-Za-z0-9_]{1,63})$/);
  if (m) return `/rest/v1/rpc/${m[1]}`;
  m = path.match(/^\/functions\/v1\/([A-Za-z0-9_-]{1,63})/);
  if (m) return `/functions/v1/${m[1]}`;
  m = path.match(/^\/auth\/v1\/([a-z_]{1,32})/);
  if (m) return `/auth/v1/${m[1]}`;
  if (path.startsWith("/realtime/v1/api/broadcast")) return "/realtime/v1/api/broadcast";
  if (["/realtime/v1/websocket", "/health", "/metrics"].includes(path)) return path;
  if (path.startsWith("/rest/v1/") || path.startsWith("/realtime/v1/")) return "other_api";
  return "static";
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(",")}}`;

export class Metrics {
  #requests = new Map<string, number>();
  #errors = new Map<string, number>();
  #latency = new Map<string, Histogram>();
  readonly started = Date.now();

  /**
   * `asJwt` maps a new API key to the legacy key it stands for: hosted's metrics endpoint takes
   * the secret key (`sb_secret_…`) as the Basic password, and the service_role JWT still works.
   */
  constructor(readonly keys: Keys, readonly sources: Sources, readonly asJwt: (key: string) => string = (k) => k) {}

  #bump(map: Map<string, number>, key: Record<string, string>, by = 1) {
    let k = labels(key);
    if (!map.has(k) && map.size >= MAX_SERIES) k = labels(Object.fromEntries(Object.keys(key).map((n) => [n, "other"])));
    map.set(k, (map.get(k) ?? 0) + by);
  }

  #observe(route: string, seconds: number) {
    let h = this.#latency.get(route);
    if (!h) {
      if (this.#latency.size >= MAX_SERIES) route = "other";
      h = this.#latency.get(route) ?? { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#latency.set(route, h);
    }
    BUCKETS.forEach((b, i) => { if (seconds <= b) h.counts[i]++; });
    h.sum += seconds;
    h.count++;
  }

  /** Serves /metrics, or runs `handle` and records its answer. */
  async measure(req: Request, handle: () => Promise<Response>): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/metrics") return this.#serve(req);
    const t0 = performance.now();
    const res = await handle();
    const route = routeOf(path);
    this.#bump(this.#requests, { route, method: req.method, status: String(res.status) });
    if (res.status !== 101) this.#observe(route, (performance.now() - t0) / 1000);
    if (res.status >= 400 && res.headers.get("content-type")?.includes("json")) {
      const body = await res.clone().json().catch(() => null) as { code?: unknown; message?: unknown } | null;
      // Product errors carry their stable code in `message` (code PTxyz); platform errors in `code`.
      const code = typeof body?.message === "string" && /^[a-z_]{1,40}$/.test(body.message)
        ? body.message
        : typeof body?.code === "string" && /^[A-Z0-9_]{1,16}$/.test(body.code)
        ? body.code
        : String(res.status);
      this.#bump(this.#errors, { route, code });
    }
    return res;
  }

  /** Whether the request carries the secret or service_role key (as /metrics requires; /health uses it too). */
  isOperator(req: Request): Promise<boolean> {
    return this.#authorized(req);
  }

  async #authorized(req: Request): Promise<boolean> {
    const basic = (req.headers.get("authorization") ?? "").match(/^Basic\s+(.+)$/i);
    let key = req.headers.get("apikey") ?? bearer(req);
    if (basic) {
      try {
        key = atob(basic[1]).split(":").slice(1).join(":");
      } catch { /* refused below */ }
    }
    if (!key) return false;
    try {
      return (await this.keys.verify(this.asJwt(key), { legacyOnly: true })).role === "service_role";
    } catch {
      return false;
    }
  }

  async #serve(req: Request): Promise<Response> {
    if (!(await this.#authorized(req))) {
      return json(401, { message: "Metrics need the secret key (or the service_role key)" }, { "WWW-Authenticate": 'Basic realm="metrics"' });
    }
    return new Response(this.text(), {
      headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store",
        "Access-Control-Allow-Origin": "*" },
    });
  }

  /** The exposition text. */
  text(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family("gateway_http_requests_total", "counter", "HTTP answers by route, method and status.");
    for (const [k, v] of this.#requests) out.push(`gateway_http_requests_total${k} ${v}`);
    family("gateway_http_errors_total", "counter", "HTTP 4xx/5xx answers by route and stable error code.");
    for (const [k, v] of this.#errors) out.push(`gateway_http_errors_total${k} ${v}`);
    family("gateway_http_request_duration_seconds", "histogram", "Time from request to response headers (websockets excluded).");
    for (const [route, h] of this.#latency) {
      BUCKETS.forEach((b, i) =>
        out.push(`gateway_http_request_duration_seconds_bucket${labels({ route, le: String(b) })} ${h.counts[i]}`));
      out.push(`gateway_http_request_duration_seconds_bucket${labels({ route, le: "+Inf" })} ${h.count}`);
      out.push(`gateway_http_request_duration_seconds_sum${labels({ route })} ${h.sum.toFixed(6)}`);
      out.push(`gateway_http_request_duration_seconds_count${labels({ route })} ${h.count}`);
    }
    family("gateway_db_pool_connections", "gauge", "Database connections of each gateway pool, in use or free.");
    for (const [pool, p] of Object.entries(this.sources.pools)) {
      out.push(`gateway_db_pool_connections${labels({ pool, state: "in_use" })} ${p.inUse}`);
      out.push(`gateway_db_pool_connections${labels({ pool, state: "free" })} ${p.size - p.inUse}`);
    }
    family("gateway_db_pool_waiting", "gauge", "Requests waiting for a free connection.");
    for (const [pool, p] of Object.entries(this.sources.pools)) out.push(`gateway_db_pool_waiting${labels({ pool })} ${p.waiting}`);
    family("gateway_db_statements_total", "counter", "Statements sent to Postgres, BEGIN and COMMIT included (each one round trip).");
    for (const [pool, p] of Object.entries(this.sources.pools)) out.push(`gateway_db_statements_total${labels({ pool })} ${p.statements}`);
    family("gateway_realtime_clients", "gauge", "Open Realtime websockets.");
    out.push(`gateway_realtime_clients ${this.sources.realtimeClients()}`);
    const cache = this.keys.cacheSize();
    family("gateway_jwt_cache_tokens", "gauge", "Verified tokens kept (long tokens are never kept).");
    out.push(`gateway_jwt_cache_tokens ${cache.entries}`);
    family("gateway_jwt_cache_bytes", "gauge", "Total length of the verified tokens kept.");
    out.push(`gateway_jwt_cache_bytes ${cache.tokenBytes}`);
    const mem = Deno.memoryUsage();
    family("process_resident_memory_bytes", "gauge", "Resident memory of the gateway process.");
    out.push(`process_resident_memory_bytes ${mem.rss}`);
    family("process_heap_used_bytes", "gauge", "JavaScript heap in use.");
    out.push(`process_heap_used_bytes ${mem.heapUsed}`);
    family("process_start_time_seconds", "gauge", "Start time of the gateway, in seconds since the epoch.");
    out.push(`process_start_time_seconds ${Math.floor(this.started / 1000)}`);
    return out.join("\n") + "\n";
  }
}
