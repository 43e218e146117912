// Realtime's per-project limits (concurrent users, events per second, joins per second, payload
// size), with hosted's answers past each (supabase/realtime: realtime_channel.ex,
// broadcast_handler.ex, batch_broadcast.ex, replication_connection.ex). A gateway of the test's
// own, on the test database, with small limits and a short rate tick, so that each limit is
// reached with a handful of messages.
import WebSocket from "ws";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../tests/db";
import { env, eventually } from "../../tests/env";

/** What a socket or the database sends arrives, however loaded the machine (CI runs the mutations beside). */
const soon = <T,>(probe: () => T | undefined | Promise<T | undefined>) => eventually(probe, 20_000);
import { ownGateway } from "./gateway";

const sql = connect(1);
let gateway: Awaited<ReturnType<typeof ownGateway>>;
let apiUrl = "";

const limits = {
  REALTIME_MAX_CONCURRENT_USERS: "2", REALTIME_MAX_EVENTS_PER_SECOND: "5", REALTIME_MAX_JOINS_PER_SECOND: "20",
  REALTIME_MAX_PAYLOAD_SIZE_KB: "1", REALTIME_RATE_TICK_MS: "200",
};
/**
 * A gateway of the test's own with the small limits, its project counters at zero. Its counters
 * average over the ticks they have (12 at most): the first ticks of a new gateway would weigh a
 * single message as a burst, so the test starts once 12 ticks have passed.
 */
async function freshGateway() {
  gateway?.stop();
  gateway = await ownGateway(limits);
  apiUrl = gateway.url;
  await new Promise((r) => setTimeout(r, 12 * Number(limits.REALTIME_RATE_TICK_MS) + 500));
}

/** Every socket a test opens is closed after it, passed or failed: one left open would count as a user in the next. */
const opened: WebSocket[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((ws) => new Promise((r) => {
    if (ws.readyState === WebSocket.CLOSED) return r(null);
    ws.on("close", r);
    ws.close();
  })));
});

beforeAll(freshGateway, 90_000);

afterAll(async () => {
  gateway?.stop();
  await sql.end();
});

type Frame = [string | null, string | null, string, string, Record<string, unknown> | string];

/** A Phoenix 2.0.0 socket on the test's gateway, keeping every frame it receives. */
async function socket() {
  const ws = new WebSocket(`${apiUrl.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${env.serviceKey}&vsn=2.0.0`);
  opened.push(ws);
  const frames: Frame[] = [];
  let closed = false;
  ws.on("message", (data) => frames.push(JSON.parse(String(data))));
  ws.on("close", () => (closed = true));
  await new Promise((r) => ws.on("open", r));
  let ref = 0;
  const reply = (r: string) => soon(() => frames.find((f) => f[1] === r && f[3] === "phx_reply")?.[4] as
    { status: string; response: unknown } | undefined);
  return {
    ws, frames, isClosed: () => closed,
    async join(topic: string, broadcast: Record<string, unknown> = {}) {
      const r = String(++ref);
      ws.send(JSON.stringify([r, r, `realtime:${topic}`, "phx_join", { config: { private: true, broadcast }, access_token: env.serviceKey }]));
      return await reply(r);
    },
    async broadcast(topic: string, event: string, payload: Record<string, unknown>) {
      const r = String(++ref);
      ws.send(JSON.stringify([null, r, `realtime:${topic}`, "broadcast", { type: "broadcast", event, payload }]));
      return r;
    },
    reply,
    events: (topic: string) => frames.filter((f) => f[2] === `realtime:${topic}` && f[3] === "broadcast")
      .map((f) => (f[4] as { event: string }).event),
  };
}

const restBroadcast = (messages: Record<string, unknown>[], key = env.serviceKey) =>
  fetch(`${apiUrl}/realtime/v1/api/broadcast`, {
    method: "POST",
    headers: { apikey: key, authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ messages }),
  });

const send = (topic: string, event: string, payload: Record<string, unknown>) =>
  sql`select realtime.send(${sql.json(payload as never)}, ${event}, ${topic}, true)`;

const rnd = () => Math.random().toString(36).slice(2);

describe("realtime limits", { timeout: 90_000 }, () => {
  it("payload size: REST answers 422, a client broadcast with ack gets payload_size_exceeded, realtime.send's is not delivered", async () => {
    const big = { text: "x".repeat(1600) };
    const res = await restBroadcast([{ topic: "t", event: "e", payload: big }]);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ errors: { messages: [{ payload: ["Payload size exceeds tenant limit"] }] } });

    const topic = `size:${rnd()}`;
    const s = await socket();
    expect((await s.join(topic, { ack: true, self: true })).status).toBe("ok");
    expect(await s.reply(await s.broadcast(topic, "huge", big))).toEqual({ status: "error", response: "payload_size_exceeded" });
    expect(await s.reply(await s.broadcast(topic, "small", { text: "x" }))).toEqual({ status: "ok", response: {} });
    // Database broadcasts arrive in commit order: the small one after the big one, and the big never.
    await send(topic, "db_huge", big);
    await send(topic, "db_small", { n: 1 });
    await soon(() => (s.events(topic).includes("db_small") ? true : undefined));
    expect(s.events(topic)).toEqual(["small", "db_small"]);
  });

  it("concurrent users: a third socket's join is refused with hosted's reason; a counted socket joins more channels", async () => {
    const [a, b, c] = [await socket(), await socket(), await socket()];
    expect((await a.join(`u:${rnd()}`)).status).toBe("ok");
    expect((await b.join(`u:${rnd()}`)).status).toBe("ok");
    expect(await c.join(`u:${rnd()}`)).toEqual({ status: "error", response: { reason: "ConnectionRateLimitReached: Too many connected users" } });
    expect((await a.join(`u:${rnd()}`)).status).toBe("ok");
    a.ws.close();
    await soon(() => (a.isClosed() ? true : undefined));
    expect((await soon(async () => {
      const r = await c.join(`u:${rnd()}`);
      return r.status === "ok" ? r : undefined;
    })).status).toBe("ok");
  });

  it("events per second: a batch over the limit is 429, then channels are shut down, database broadcasts dropped and REST refused", async () => {
    // The earlier tests' events still weigh in the project's average (12 ticks): start at zero.
    await freshGateway();
    const batch = await restBroadcast(Array.from({ length: 6 }, (_, i) => ({ topic: "nobody", event: `e${i}`, payload: {} })));
    expect(batch.status).toBe(429);
    expect(await batch.json()).toEqual({ message: "Too many messages to broadcast, please reduce the batch size" });

    // Broadcasts from clients are not checked against the limit when sent (broadcast_handler.ex):
    // each is an event, and each delivery another; once the counter's tick finds the project over,
    // the next delivery shuts the receiving channel down.
    const topic = `viral:${rnd()}`;
    const s = await socket();
    expect((await s.join(topic, { self: true })).status).toBe("ok");
    const shutDown = () => s.frames.find((f) => f[3] === "system");
    for (let i = 0; i < 500 && !shutDown(); i++) await s.reply(await s.broadcast(topic, `b${i}`, { i }));
    const shut = await soon(shutDown);
    expect(shut[4]).toEqual({ extension: "system", status: "error", message: "Too many messages per second", channel: topic });
    expect(s.frames.some((f) => f[3] === "phx_close" && f[2] === `realtime:${topic}`)).toBe(true);

    const over = await restBroadcast([{ topic: "nobody", event: "e", payload: {} }]);
    expect(over.status).toBe(429);
    // Over the average, or (the average decaying while a loaded machine catches up) no room for
    // even one more: both are the events-per-second refusal.
    expect(["You have exceeded your rate limit", "Too many messages to broadcast, please reduce the batch size"])
      .toContain((await over.json()).message);

    // Rejoined while the project is over: a database broadcast (how every guest's registration
    // reaches the organisers) is dropped, never delivered though stored, as
    // replication_connection.ex does; once the average is back under the limit the next one arrives.
    expect((await s.join(topic)).status).toBe("ok");
    await send(topic, "dropped", {});
    // A probe that counts no event: a private message anon may not write is checked, then dropped.
    await soon(async () => ((await restBroadcast([{ topic: "nobody", event: "p", payload: {}, private: true }], env.anonKey)).status === 202
      ? true : undefined));
    await send(topic, "after", {});
    const seen = await soon(() => (s.events(topic).includes("after") ? s.events(topic) : undefined));
    expect(seen).not.toContain("dropped");
    expect((await sql`select 1 from realtime.messages where topic = ${topic} and event = 'dropped'`).length).toBe(1);
  });

  it("joins per second: past the project's rate a join is refused with hosted's reason and the socket disconnected", async () => {
    const s = await socket();
    // A burst of 60 joins (the limit is 20 a second over the last 12 ticks): counted at the next
    // tick, after which a join finds the limit reached.
    const burst = Array.from({ length: 60 }, () => s.join(`j:${rnd()}`));
    const refused = await soon(async () => {
      if (s.isClosed()) return (await Promise.all(burst)).find((r) => r.status === "error");
      const r = await s.join(`j:${rnd()}`);
      return r.status === "error" ? r : undefined;
    });
    expect(refused).toEqual({ status: "error", response: { reason: "ClientJoinRateLimitReached: Too many joins per second" } });
    await soon(() => (s.isClosed() ? true : undefined));
  });
});
