// The new API keys (`sb_publishable_…`, `sb_secret_…`) at the local gateway, as hosted's gateway
// takes them (supabase/cli's kong.yml reproduces it): accepted in `apikey`, the publishable key
// standing for anon and the secret key for service_role; a caller's own token in Authorization
// kept, `Bearer sb_…` replaced; Realtime given the key's role token for the socket, and an `sb_`
// access_token standing for it (realtime_channel.ex). A fixture of the test's own
// (`public.local_test_whoami`), never a product function.
import { createHmac } from "node:crypto";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../tests/db";
import { env, eventually, rawClient } from "../../tests/env";

const sql = connect(1);
const publishable = process.env.PUBLISHABLE_KEY!;
const secret = process.env.SECRET_KEY!;

beforeAll(async () => {
  await sql.unsafe(`create or replace function public.local_test_whoami() returns text language sql stable as $$ select current_user::text $$`);
  await sql.unsafe(`grant execute on function public.local_test_whoami() to anon, authenticated, service_role`);
});
afterAll(async () => {
  await sql.unsafe(`drop function if exists public.local_test_whoami()`);
  await sql.end();
});

const whoami = async (headers: Record<string, string>) => {
  const res = await fetch(`${env.apiUrl}/rest/v1/rpc/local_test_whoami`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" });
  return { status: res.status, body: await res.json() };
};

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
function userToken() {
  const head = b64({ alg: "HS256", typ: "JWT" });
  const body = b64({ sub: crypto.randomUUID(), role: "authenticated", exp: Math.floor(Date.now() / 1000) + 600 });
  return `${head}.${body}.${createHmac("sha256", env.jwtSecret).update(`${head}.${body}`).digest("base64url")}`;
}

describe("new API keys", () => {
  it("status prints them as `supabase status -o env` does", () => {
    expect(publishable).toMatch(/^sb_publishable_/);
    expect(secret).toMatch(/^sb_secret_/);
  });

  it("the publishable key is anon and the secret key service_role, alone or as supabase-js sends them", async () => {
    expect(await whoami({ apikey: publishable })).toEqual({ status: 200, body: "anon" });
    expect(await whoami({ apikey: secret })).toEqual({ status: 200, body: "service_role" });
    expect(await whoami({ apikey: publishable, authorization: `Bearer ${publishable}` })).toEqual({ status: 200, body: "anon" });
    expect(await whoami({ apikey: secret, authorization: `Bearer ${secret}` })).toEqual({ status: 200, body: "service_role" });
    // A signed-in user's token is kept: the key says which app calls, the token who.
    expect(await whoami({ apikey: publishable, authorization: `Bearer ${userToken()}` })).toEqual({ status: 200, body: "authenticated" });
    // supabase-js with each key.
    const rpc = async (key: string) => (await rawClient(key).rpc("local_test_whoami")).data;
    expect(await rpc(publishable)).toBe("anon");
    expect(await rpc(secret)).toBe("service_role");
  });

  it("an unknown sb_ key is refused at the gateway", async () => {
    const res = await whoami({ apikey: `${publishable.slice(0, -2)}xx` });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe("Invalid API key");
    expect((await whoami({ apikey: "sb_secret_not-a-key" })).status).toBe(401);
  });

  it("/metrics takes the secret key as hosted's metrics endpoint does (Basic service_role:sb_secret_…), /health lists the functions for it; the publishable key is refused", async () => {
    const metrics = (password: string) =>
      fetch(`${env.apiUrl}/metrics`, { headers: { authorization: `Basic ${btoa(`service_role:${password}`)}` } });
    const withSecret = await metrics(secret);
    expect(withSecret.status).toBe(200);
    expect(await withSecret.text()).toMatch(/^gateway_realtime_clients \d+$/m);
    expect((await metrics(publishable)).status).toBe(401);
    expect((await metrics(`${secret.slice(0, -2)}xx`)).status).toBe(401);
    const health = async (key: string) => (await fetch(`${env.apiUrl}/health`, { headers: { apikey: key } })).json();
    expect((await health(secret)).functions).toEqual(expect.arrayContaining(["invite-member"]));
    expect((await health(publishable)).functions).toBeUndefined();
  });

  it("Realtime: the socket takes the key's role; an sb_ access_token stands for it, and one sent later is ignored", async () => {
    const open = async (key: string) => {
      const ws = new WebSocket(`${env.apiUrl.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${key}&vsn=2.0.0`);
      const frames: unknown[][] = [];
      ws.on("message", (d) => frames.push(JSON.parse(String(d))));
      await new Promise((r) => ws.on("open", r));
      return { ws, frames };
    };
    const reply = (frames: unknown[][], ref: string) =>
      eventually(() => frames.find((f) => f[1] === ref && f[3] === "phx_reply")?.[4] as { status: string; response: { reason?: string } } | undefined);
    const topic = `keys:${crypto.randomUUID()}`;

    // Publishable: anon, whom no policy lets read the topic.
    const anon = await open(publishable);
    anon.ws.send(JSON.stringify(["1", "1", `realtime:${topic}`, "phx_join", { config: { private: true }, access_token: publishable }]));
    expect((await reply(anon.frames, "1")).response.reason).toBe(`Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`);
    anon.ws.close();

    // Secret: service_role, which may.
    const admin = await open(secret);
    admin.ws.send(JSON.stringify(["1", "1", `realtime:${topic}`, "phx_join", { config: { private: true }, access_token: secret }]));
    expect((await reply(admin.frames, "1")).status).toBe("ok");
    admin.ws.send(JSON.stringify(["1", null, `realtime:${topic}`, "access_token", { access_token: publishable }]));
    // Still joined: a broadcast sent after it arrives, and nothing shut the channel.
    const sent = await fetch(`${env.apiUrl}/realtime/v1/api/broadcast`, {
      method: "POST", headers: { apikey: secret, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ topic, event: "after_key", payload: { ok: true }, private: true }] }),
    });
    expect(sent.status).toBe(202);
    await eventually(() => (admin.frames.some((f) => f[3] === "broadcast" && (f[4] as { event: string }).event === "after_key") ? true : undefined));
    expect(admin.frames.filter((f) => f[3] === "system")).toEqual([]);
    admin.ws.close();

    // An unknown key opens no socket.
    const refused = new WebSocket(`${env.apiUrl.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=sb_publishable_nope&vsn=2.0.0`);
    const status = await new Promise<number>((resolve) => {
      refused.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      refused.on("error", () => resolve(0));
    });
    expect(status).toBe(403);
  });
});
