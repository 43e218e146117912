// Operations over HTTP: the gateway's /metrics (Prometheus text, service_role only), ops_stats
// through PostgREST, and the link card's Cache-Control on GET.
import { describe, expect, it } from "vitest";
import { rawClient, env, makeWorld } from "./env";

const metrics = (headers: Record<string, string>) => fetch(`${env.apiUrl}/metrics`, { headers });
const value = (text: string, series: string) =>
  Number(text.split("\n").find((l) => l.startsWith(series + " "))?.split(" ")[1] ?? 0);

describe("/metrics", () => {
  it("is refused without the service_role key, and with the anon key", async () => {
    expect((await metrics({})).status).toBe(401);
    expect((await metrics({ apikey: env.anonKey })).status).toBe(401);
    expect((await metrics({ authorization: `Basic ${btoa(`service_role:${env.anonKey}`)}` })).status).toBe(401);
  });

  it("counts each answer by route, status and error code, with a latency histogram and the pool", async () => {
    const read = async () => (await (await metrics({ apikey: env.serviceKey })).text());
    const route = '/rest/v1/rpc/check_phone_with_cache';
    const before = await read();
    const { error } = await rawClient().rpc("check_phone_with_cache", { p_phone: "12" });
    expect(error?.message).toBe("invalid_phone");
    const res = await metrics({ authorization: `Basic ${btoa(`service_role:${env.serviceKey}`)}` });
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const after = await res.text();
    for (const series of [
      `gateway_http_requests_total{route="${route}",method="POST",status="400"}`,
      `gateway_http_errors_total{route="${route}",code="invalid_phone"}`,
      `gateway_http_request_duration_seconds_count{route="${route}"}`,
      `gateway_http_request_duration_seconds_bucket{route="${route}",le="+Inf"}`,
    ]) expect(value(after, series) - value(before, series), series).toBe(1);
    expect(after).toMatch(/^gateway_db_pool_connections\{pool="rest",state="in_use"\} \d+$/m);
    expect(after).toMatch(/^gateway_db_pool_waiting\{pool="rest"\} \d+$/m);
    expect(after).toMatch(/^gateway_realtime_clients \d+$/m);
  });
});

describe("ops_stats over HTTP", () => {
  it("answers service_role and refuses anonymous callers", async () => {
    const { data, error } = await rawClient(env.serviceKey).rpc("ops_stats");
    expect(error).toBeNull();
    expect(data.scope).toBe("all");
    expect(Array.isArray(data.per_minute)).toBe(true);
    const anon = await rawClient().rpc("ops_stats");
    expect(anon.status).toBe(401);
  });
});

describe("link card", () => {
  it("a GET of a real link may be cached for 30 s; an error may not", async () => {
    const w = await makeWorld();
    const get = (p: string, e: string) => fetch(`${env.apiUrl}/rest/v1/rpc/resolve_promoter_link?p_promoter_slug=${p}&p_event_slug=${e}`,
      { headers: { apikey: env.anonKey } });
    const ok = await get(w.promoter_slug, w.open_slug);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("public, max-age=30");
    const missing = await get("nobody", "nothing");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("cache-control")).toBeNull();
  });
});
