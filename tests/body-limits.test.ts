// Unbounded input stops at the gateway: bodies over 1 MB are 413 before any database work, and
// error bodies never echo more than a bounded piece of what the client sent.
import { describe, expect, it } from "vitest";
import { env } from "./env";

const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(`${env.apiUrl}${path}`, {
    method: "POST",
    headers: { apikey: env.anonKey, "content-type": "application/json", ...headers },
    body,
    // Streamed bodies carry no Content-Length; Node needs `duplex` to send one.
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);

describe("request bodies", () => {
  it("over 1 MB: 413 on every API path, with a short answer", async () => {
    const huge = JSON.stringify({ p_phone: "9".repeat(2 * 1024 * 1024) });
    for (const path of ["/rest/v1/rpc/check_phone_with_cache", "/auth/v1/token?grant_type=password", "/functions/v1/door-checkin", "/realtime/v1/api/broadcast"]) {
      const res = await post(path, huge);
      expect([path, res.status]).toEqual([path, 413]);
      expect(JSON.stringify(await res.json()).length).toBeLessThan(1000);
    }
  });

  it("a streamed body without Content-Length is cut off at the limit too", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 40) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    expect((await post("/rest/v1/rpc/check_phone_with_cache", stream)).status).toBe(413);
  });

  it("a body of exactly 1 MB is served: the call it carries succeeds", async () => {
    // A real call padded with JSON whitespace (any JSON parser skips it) up to the limit itself.
    const call = JSON.stringify({ p_phone: "912000009" });
    const body = `${call.slice(0, -1)}${" ".repeat(1024 * 1024 - call.length)}}`;
    expect(new TextEncoder().encode(body).length).toBe(1024 * 1024);
    const res = await post("/rest/v1/rpc/check_phone_with_cache", body);
    expect([res.status, await res.json()]).toEqual([200, { exists: false, phone: "+351912000009", salt: null }]);
  });
});

describe("error bodies", () => {
  it("never echo unbounded input: 50,000 unknown argument names give a short PGRST202", async () => {
    const args = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 1]));
    const res = await post("/rest/v1/rpc/check_phone_with_cache", JSON.stringify(args));
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(JSON.parse(text).code).toBe("PGRST202");
    expect(text.length).toBeLessThan(4000);
  });

  it("a long value in a database error message is cut", async () => {
    // ops_stats: a function the service role may call (nothing else in public is granted to it).
    const res = await post("/rest/v1/rpc/ops_stats", JSON.stringify({ p_event_id: "u".repeat(500_000) }), {
      authorization: `Bearer ${env.serviceKey}`,
    });
    // PostgreSQL's own uuid check (22P02, HTTP 400), whose message quotes the value it refused.
    const text = await res.text();
    expect([res.status, JSON.parse(text).code]).toEqual([400, "22P02"]);
    expect(JSON.parse(text).message).toMatch(/^invalid input syntax for type uuid: "u+/);
    expect(text.length).toBeLessThan(4000);
  });
});
