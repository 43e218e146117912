// Realtime through the real supabase-js: organisers on the private topic event:<id> receive
// guest_registered and guest_checked_in as the writes commit; outsiders are refused.
import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { client, env, eventually, makeWorld, proof, randomPhone, signedIn, type World } from "./env";

const sql = connect(2);
let w: World;
const opened: SupabaseClient[] = [];

type Received = { event: string; payload: Record<string, unknown> };

/** Subscribes `c` to a topic and resolves with the subscription state and what arrives. */
function listen(c: SupabaseClient, topic: string, isPrivate = true) {
  const received: Received[] = [];
  const channel: RealtimeChannel = c.channel(topic, { config: { private: isPrivate } })
    .on("broadcast", { event: "*" }, (m) => received.push({ event: m.event, payload: m.payload }));
  const state = new Promise<string>((resolve) =>
    channel.subscribe((status, err) => {
      if (status === "SUBSCRIBED") resolve(status);
      if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") resolve(`${status}: ${err?.message ?? ""}`);
    })
  );
  return { channel, received, state };
}

async function register(p: string) {
  const { data, error } = await client().rpc("register_and_create_guest_v2", {
    p_phone: p, p_first_name: "Rita", p_last_name: "Realtime", p_email: "rita@example.com", p_password: "Live-2026x",
    p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
  });
  if (error) throw error;
  return data;
}

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.removeAllChannels()));
  await sql.end();
});

describe("realtime", () => {
  it("an organiser receives guest_registered, then guest_checked_in after a scan through door-checkin", async () => {
    const owner = await signedIn(w.owner_a);
    opened.push(owner);
    const sub = listen(owner, `event:${w.open_event}`);
    expect(await sub.state).toBe("SUBSCRIBED");

    const pass = await register(randomPhone());
    const registered = await eventually(() => sub.received.find((m) => m.event === "guest_registered"));
    expect(registered.payload.guest_id).toBe(pass.guest_id);
    expect(registered.payload.first_name).toBe("Rita");
    expect(registered.payload.last_initial).toBe("R");
    expect(JSON.stringify(registered.payload)).not.toMatch(/rita@example\.com|Realtime|\+3519/);

    const staff = await signedIn(w.staff_a);
    const scan = await staff.functions.invoke("door-checkin", {
      body: { event_id: w.open_event, qr_token: pass.qr_token, nonce: crypto.randomUUID() },
    });
    expect(scan.data?.verdict).toBe("checked_in");
    const arrived = await eventually(() => sub.received.find((m) => m.event === "guest_checked_in"));
    expect(arrived.payload.guest_id).toBe(pass.guest_id);
  });

  it("refuses a member of another organization, an anonymous client and a public join", async () => {
    const other = await signedIn(w.staff_b);
    const anon = client();
    const owner = await signedIn(w.owner_a);
    opened.push(other, anon, owner);
    const outsider = listen(other, `event:${w.open_event}`);
    const anonymous = listen(anon, `event:${w.open_event}`);
    const publicJoin = listen(owner, `event:${w.open_event}`, false);
    expect(await outsider.state).toMatch(/^CHANNEL_ERROR.*Unauthorized/);
    expect(await anonymous.state).toMatch(/^CHANNEL_ERROR.*Unauthorized/);
    expect(await publicJoin.state).toMatch(/^CHANNEL_ERROR.*PrivateOnly/);
    await Promise.all([other, anon, owner].map((c) => c.removeAllChannels()));

    // Nothing reaches them: a registration now is seen by members only.
    const member = await signedIn(w.staff_a);
    opened.push(member);
    const inside = listen(member, `event:${w.open_event}`);
    expect(await inside.state).toBe("SUBSCRIBED");
    const pass = await register(randomPhone());
    await eventually(() => inside.received.find((m) => m.payload.guest_id === pass.guest_id));
    expect(outsider.received.concat(anonymous.received, publicJoin.received)).toEqual([]);
  });

  it("100 subscribers on one event each receive the message once", async () => {
    const staff = await signedIn(w.staff_a);
    const { data: session } = await staff.auth.getSession();
    const subscribers = Array.from({ length: 100 }, () => {
      const c = client();
      c.realtime.setAuth(session.session!.access_token);
      opened.push(c);
      return listen(c, `event:${w.open_event}`);
    });
    expect(new Set(await Promise.all(subscribers.map((s) => s.state)))).toEqual(new Set(["SUBSCRIBED"]));
    const pass = await register(randomPhone());
    const mine = (s: (typeof subscribers)[number]) => s.received.filter((m) => m.payload.guest_id === pass.guest_id);
    await eventually(() => subscribers.every((s) => mine(s).length >= 1) || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(subscribers.map((s) => mine(s).length)).toEqual(Array(100).fill(1));
    await Promise.all(subscribers.map((s) => s.channel.unsubscribe()));
  });

  it("an owner's announcement through event-broadcast reaches the door team", async () => {
    const staff = await signedIn(w.staff_a);
    opened.push(staff);
    const sub = listen(staff, `event:${w.open_event}`);
    expect(await sub.state).toBe("SUBSCRIBED");
    const owner = await signedIn(w.owner_a);
    const sent = await owner.functions.invoke("event-broadcast", {
      body: { event_id: w.open_event, kind: "closing_soon", message: "List closes in 15 minutes" },
    });
    expect(sent.error).toBeNull();
    const got = await eventually(() => sub.received.find((m) => m.event === "announcement"));
    expect(got.payload).toMatchObject({ kind: "closing_soon", message: "List closes in 15 minutes" });
  });

  it("the REST broadcast API takes the service role and refuses an anonymous private send", async () => {
    const send = (key: string) =>
      fetch(`${env.apiUrl}/realtime/v1/api/broadcast`, {
        method: "POST",
        headers: { apikey: key, authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ topic: `event:${w.open_event}`, event: "ping", payload: {}, private: true }] }),
      });
    expect((await send(env.serviceKey)).status).toBe(202);
    expect((await send(env.anonKey)).status).toBe(403);
  });

  it("speaks Phoenix directly: heartbeats in both serializers, and no socket without an apikey", async () => {
    const socketUrl = (query: string) => `${env.apiUrl.replace(/^http/, "ws")}/realtime/v1/websocket?${query}`;
    const firstReply = (ws: WebSocket, frame: string) =>
      new Promise<unknown>((resolve, reject) => {
        ws.on("open", () => ws.send(frame));
        ws.on("message", (data) => resolve(JSON.parse(String(data))));
        ws.on("error", reject);
      });
    const v1 = new WebSocket(socketUrl(`apikey=${env.anonKey}&vsn=1.0.0`));
    expect(await firstReply(v1, JSON.stringify({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "1" }))).toEqual({
      ref: "1", topic: "phoenix", event: "phx_reply", payload: { status: "ok", response: {} },
    });
    v1.close();
    const v2 = new WebSocket(socketUrl(`apikey=${env.anonKey}&vsn=2.0.0`));
    expect(await firstReply(v2, JSON.stringify([null, "7", "phoenix", "heartbeat", {}]))).toEqual(
      [null, "7", "phoenix", "phx_reply", { status: "ok", response: {} }],
    );
    v2.close();
    const refused = new WebSocket(socketUrl("vsn=2.0.0"));
    const status = await new Promise<number>((resolve) => {
      refused.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      refused.on("error", () => {});
    });
    expect(status).toBe(403);
  });
});
