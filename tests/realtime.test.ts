// Realtime through the real supabase-js: organisers on the private topic event:<id> receive
// guest_registered and guest_checked_in as the writes commit (a waiting registration as
// guest_status, which moves no count on /live until its promotion); outsiders are refused; a channel
// lives only as long as its token and the caller's right to read (realtime_channel.ex).
import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import { createHmac } from "node:crypto";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../client/api";
import { subscribeToEvent } from "../client/live";
import type { Dashboard } from "../client/schemas";
import { connect } from "./db";
import { rawClient, env, eventually, makeWorld, phoneHash, proof, randomPhone, signedIn, type World } from "./env";

const sql = connect(2);
let w: World;
const opened: SupabaseClient[] = [];

type Received = { event: string; payload: Record<string, unknown>; meta?: { id?: string } };

/** Subscribes `c` to a topic and resolves with the subscription state and what arrives. */
function listen(c: SupabaseClient, topic: string, isPrivate = true) {
  const received: Received[] = [];
  const system: Record<string, unknown>[] = [];
  const statuses: string[] = [];
  const channel: RealtimeChannel = c.channel(topic, { config: { private: isPrivate } })
    .on("broadcast", { event: "*" }, (m) => received.push({ event: m.event, payload: m.payload, meta: m.meta }))
    .on("system", {}, (m) => system.push(m));
  const state = new Promise<string>((resolve) =>
    channel.subscribe((status, err) => {
      statuses.push(status);
      if (status === "SUBSCRIBED") resolve(status);
      if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") resolve(`${status}: ${err?.message ?? ""}`);
    })
  );
  return { channel, received, system, statuses, state };
}

/** An HS256 token signed with the project's legacy secret (like the API keys). */
function jwt(claims: Record<string, unknown>) {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = `${b({ alg: "HS256", typ: "JWT" })}.${b(claims)}`;
  return `${head}.${createHmac("sha256", env.jwtSecret).update(head).digest("base64url")}`;
}

/** A client whose Realtime connection uses `token` as its access token. */
function clientWithToken(token: string) {
  const c = rawClient();
  c.realtime.setAuth(token);
  opened.push(c);
  return c;
}

const rest = (key: string, body: unknown) =>
  fetch(`${env.apiUrl}/realtime/v1/api/broadcast`, {
    method: "POST",
    headers: { apikey: env.anonKey, authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function register(p: string) {
  const { data, error } = await rawClient().rpc("register_and_create_guest_v2", {
    p_phone: p, p_first_name: "Rita", p_last_name: "Realtime", p_email: "rita@example.com", p_password: await phoneHash("Live-2026x"),
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

  it("/live's dashboard: a waiting registration counts nowhere, its promotion counts once", async () => {
    await sql`update public.events set waiting_list = true where id = ${w.small_event}`; // capacity 1
    const [owner, staff] = [await signedIn(w.owner_a), await signedIn(w.staff_a)];
    opened.push(owner, staff);
    let dash: Dashboard | null = null;
    const sub = listen(staff, `event:${w.small_event}`); // the raw messages, on another socket
    const stop = subscribeToEvent(owner, createApi(owner), w.small_event, {
      onDashboard: (d) => { dash = d; }, onError: (e) => { throw e; },
    });
    try {
      await eventually(() => dash ?? undefined);
      const join = async (first: string) => {
        const { data, error } = await rawClient().rpc("register_and_create_guest_v2", {
          p_phone: randomPhone(), p_first_name: first, p_last_name: "Espera", p_email: "w@example.com", p_password: await phoneHash("Live-2026x"),
          p_event_id: w.small_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
        });
        if (error) throw error;
        return data as { guest_id: string; status: string };
      };
      const first = await join("Primeira");
      expect(first.status).toBe("registered");
      await eventually(() => (dash?.totals.registered === 1 ? true : undefined));
      const second = await join("Segunda");
      expect(second.status).toBe("waiting");
      const told = await eventually(() => sub.received.find((m) => m.payload.guest_id === second.guest_id));
      expect(told.event).toBe("guest_status");
      expect(sub.received.some((m) => m.event === "guest_registered" && m.payload.guest_id === second.guest_id)).toBe(false);
      await new Promise((r) => setTimeout(r, 300)); // any refetch settles
      expect([dash!.totals.registered, dash!.by_promoter.find((p) => p.promoter_id === w.promoter)?.registered]).toEqual([1, 1]);

      await sql`update public.events set capacity = 2 where id = ${w.small_event}`;
      await sql`select private.promote_waiting(${w.small_event})`;
      await eventually(() => (dash?.totals.registered === 2 ? true : undefined));
      expect(dash!.by_promoter.find((p) => p.promoter_id === w.promoter)?.registered).toBe(2);
    } finally {
      await stop();
    }
  });

  it("refuses a member of another organization, an anonymous client and a public join", async () => {
    const other = await signedIn(w.staff_b);
    const anon = rawClient();
    const owner = await signedIn(w.owner_a);
    opened.push(other, anon, owner);
    const outsider = listen(other, `event:${w.open_event}`);
    const anonymous = listen(anon, `event:${w.open_event}`);
    const publicJoin = listen(owner, `event:${w.open_event}`, false);
    expect(await outsider.state).toMatch(/^CHANNEL_ERROR.*Unauthorized/);
    expect(await anonymous.state).toMatch(/^CHANNEL_ERROR.*Unauthorized/);
    expect(await publicJoin.state).toMatch(/^CHANNEL_ERROR.*PrivateOnly/);

    // Nothing reaches them: a registration now is seen by members only.
    const member = await signedIn(w.staff_a);
    opened.push(member);
    const inside = listen(member, `event:${w.open_event}`);
    expect(await inside.state).toBe("SUBSCRIBED");
    const pass = await register(randomPhone());
    await eventually(() => inside.received.find((m) => m.payload.guest_id === pass.guest_id));
    expect(outsider.received.concat(anonymous.received, publicJoin.received)).toEqual([]);
    await Promise.all([other, anon, owner].map((c) => c.removeAllChannels()));
  });

  it("100 subscribers on one event each receive the message once", async () => {
    const staff = await signedIn(w.staff_a);
    const { data: session } = await staff.auth.getSession();
    const subscribers = Array.from({ length: 100 }, () => {
      const c = rawClient();
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

  it("REST broadcast: the service role is delivered, a private send the caller may not write is 202 and dropped, nothing is stored", async () => {
    const member = await signedIn(w.staff_a);
    opened.push(member);
    const sub = listen(member, `event:${w.open_event}`);
    expect(await sub.state).toBe("SUBSCRIBED");
    const msg = (tag: string) => ({ messages: [{ topic: `event:${w.open_event}`, event: "ping", payload: { tag }, private: true }] });
    const [{ n: before }] = await sql`select count(*)::int as n from realtime.messages where topic = ${`event:${w.open_event}`}`;
    // Hosted answers 202 whether or not RLS let the caller write: the message is just dropped.
    expect((await rest(env.anonKey, msg("from-anon"))).status).toBe(202);
    const outsider = (await (await signedIn(w.staff_b)).auth.getSession()).data.session!.access_token;
    expect((await rest(outsider, msg("from-outsider"))).status).toBe(202);
    expect((await rest(env.serviceKey, msg("from-service"))).status).toBe(202);
    await eventually(() => sub.received.find((m) => m.payload.tag === "from-service"));
    expect(sub.received.map((m) => m.payload.tag)).toEqual(["from-service"]);
    // REST broadcasts go straight to subscribers, as on Supabase: realtime.messages is not written.
    const [{ n: after }] = await sql`select count(*)::int as n from realtime.messages where topic = ${`event:${w.open_event}`}`;
    expect(after).toBe(before);
  });

  it("REST broadcast: a message without payload, topic or event is 422", async () => {
    const noPayload = await rest(env.serviceKey, { messages: [{ topic: `event:${w.open_event}`, event: "ping", private: true }] });
    expect(noPayload.status).toBe(422);
    expect((await noPayload.json()).errors.messages[0]).toEqual({ payload: ["can't be blank"] });
    expect((await rest(env.serviceKey, { messages: [{ payload: {} }] })).status).toBe(422);
    expect((await rest(env.serviceKey, {})).status).toBe(422);
  });

  it("an anonymous caller can neither write to realtime.messages through REST broadcast nor directly", async () => {
    const topic = `spam:${crypto.randomUUID()}`;
    for (const isPrivate of [false, true]) {
      expect((await rest(env.anonKey, { messages: [{ topic, event: "x", payload: { big: "y".repeat(1000) }, private: isPrivate }] })).status).toBe(202);
    }
    expect((await sql`select 1 from realtime.messages where topic = ${topic}`).length).toBe(0);
    const direct = await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', '{"role":"anon"}', true)`;
      await tx`set local role anon`;
      try {
        await tx.savepoint((sp) => sp`insert into realtime.messages (topic, extension, event, payload, private) values (${topic}, 'broadcast', 'x', '{}', false)`);
        return "inserted";
      } catch (e) {
        return (e as { code?: string }).code;
      }
    });
    expect(direct).toBe("42501");
  });

  it("realtime.messages is purged by the platform's pg_cron job after 72 hours, as Supabase's Realtime does", async () => {
    const [job] = await sql`select schedule, command from cron.job where jobname = 'realtime-messages-retention'`;
    expect(job.schedule).toBe("23 * * * *");
    const topic = `retention:${crypto.randomUUID()}`;
    await sql`insert into realtime.messages (topic, extension, event, payload, private, inserted_at) values
      (${topic}, 'broadcast', 'old', '{}', true, localtimestamp - interval '73 hours'),
      (${topic}, 'broadcast', 'recent', '{}', true, localtimestamp - interval '71 hours')`;
    await sql.unsafe(job.command);
    expect((await sql`select event from realtime.messages where topic = ${topic}`).map((r) => r.event)).toEqual(["recent"]);
  });

  it("a database broadcast carries payload.id and meta.id, and a payload beyond NOTIFY's 8000 bytes arrives", async () => {
    const staff = await signedIn(w.staff_a);
    opened.push(staff);
    const sub = listen(staff, `event:${w.open_event}`);
    expect(await sub.state).toBe("SUBSCRIBED");
    const big = "z".repeat(20_000);
    await sql`select realtime.send(${sql.json({ note: "big", text: big })}, 'big_one', ${`event:${w.open_event}`}, true)`;
    const got = await eventually(() => sub.received.find((m) => m.event === "big_one"));
    expect((got.payload.text as string).length).toBe(20_000);
    const [row] = await sql`select id, payload from realtime.messages where event = 'big_one' and topic = ${`event:${w.open_event}`}`;
    expect(got.meta?.id).toBe(row.id);
    expect(got.payload.id).toBe(row.id);

    const pass = await register(randomPhone());
    const registered = await eventually(() => sub.received.find((m) => m.payload.guest_id === pass.guest_id));
    expect(registered.meta?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(registered.payload.id).toBe(registered.meta?.id);
  });

  it("after signOut an organiser's channel is closed (system message, then phx_close) and receives nothing more", async () => {
    const owner = await signedIn(w.owner_a);
    const witness = await signedIn(w.staff_a);
    opened.push(owner, witness);
    const sub = listen(owner, `event:${w.open_event}`);
    const seen = listen(witness, `event:${w.open_event}`);
    expect([await sub.state, await seen.state]).toEqual(["SUBSCRIBED", "SUBSCRIBED"]);

    const first = await register(randomPhone());
    await eventually(() => sub.received.find((m) => m.payload.guest_id === first.guest_id));

    await owner.auth.signOut();
    // Whichever comes first: the sign-out re-authorizes the channel (its session is gone), or
    // supabase-js hands Realtime the anon key, with which RLS no longer lets it read the topic.
    await eventually(() => sub.statuses.includes("CLOSED") || undefined);
    expect(sub.system).toEqual([expect.objectContaining({
      extension: "system", status: "error", channel: `event:${w.open_event}`,
      message: expect.stringMatching(new RegExp(`^(InvalidJWTToken: Session from session_id claim in JWT does not exist|` +
        `You do not have permissions to read from this Channel topic: event:${w.open_event})$`)),
    })]);

    const second = await register(randomPhone());
    await eventually(() => seen.received.find((m) => m.payload.guest_id === second.guest_id));
    expect(sub.received.filter((m) => m.payload.guest_id === second.guest_id)).toEqual([]);
  });

  it("a signed-out member's channel is closed even when the client keeps the old token", async () => {
    const staff = await signedIn(w.staff_a);
    opened.push(staff);
    const token = (await staff.auth.getSession()).data.session!.access_token;
    // A client that never hears of the sign-out: it keeps the token it joined with.
    const sub = listen(clientWithToken(token), `event:${w.open_event}`);
    expect(await sub.state).toBe("SUBSCRIBED");
    const out = await fetch(`${env.apiUrl}/auth/v1/logout?scope=local`, {
      method: "POST", headers: { apikey: env.anonKey, authorization: `Bearer ${token}` },
    });
    expect(out.status).toBe(204);
    await eventually(() => sub.statuses.includes("CLOSED") || undefined);
    expect(sub.system).toEqual([expect.objectContaining({
      status: "error", message: "InvalidJWTToken: Session from session_id claim in JWT does not exist",
    })]);
  });

  it("a removed member's channel is closed at once, token unexpired", async () => {
    const staff = await signedIn(w.staff_a);
    opened.push(staff);
    const token = (await staff.auth.getSession()).data.session!.access_token;
    const sub = listen(clientWithToken(token), `event:${w.open_event}`);
    expect(await sub.state).toBe("SUBSCRIBED");
    const [row] = await sql`delete from public.organization_members where user_id = ${w.staff_a} returning *`;
    try {
      await eventually(() => sub.statuses.includes("CLOSED") || undefined);
      expect(sub.system).toEqual([expect.objectContaining({
        status: "error", message: `You do not have permissions to read from this Channel topic: event:${w.open_event}`,
      })]);
    } finally {
      await sql`insert into public.organization_members ${sql(row)}`;
    }
  });

  it("a refreshed token the caller may still read with keeps the channel open", async () => {
    const token = (exp: number) => jwt({ role: "authenticated", sub: w.staff_a, aud: "authenticated", exp: Math.floor(Date.now() / 1000) + exp });
    const c = clientWithToken(token(600));
    const sub = listen(c, `event:${w.open_event}`);
    expect(await sub.state).toBe("SUBSCRIBED");
    await c.realtime.setAuth(token(900));
    const pass = await register(randomPhone());
    await eventually(() => sub.received.find((m) => m.payload.guest_id === pass.guest_id));
    expect([sub.statuses, sub.system]).toEqual([["SUBSCRIBED"], []]);
  });

  it("a channel closes when its token expires", async () => {
    const token = jwt({ role: "authenticated", sub: w.owner_a, aud: "authenticated", exp: Math.floor(Date.now() / 1000) + 3 });
    const sub = listen(clientWithToken(token), `event:${w.open_event}`);
    expect(await sub.state).toBe("SUBSCRIBED");
    await eventually(() => sub.statuses.includes("CLOSED") || undefined, 10_000);
    expect(String(sub.system[0]?.message)).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
  });

  it("a join needs role and exp in the JWT, and exp must be a number", async () => {
    const now = Math.floor(Date.now() / 1000);
    const noExp = listen(clientWithToken(jwt({ role: "authenticated", sub: w.owner_a })), `event:${w.open_event}`);
    const noRole = listen(clientWithToken(jwt({ sub: w.owner_a, exp: now + 600 })), `event:${w.open_event}`);
    const textExp = listen(clientWithToken(jwt({ role: "authenticated", sub: w.owner_a, exp: String(now + 600) })), `event:${w.open_event}`);
    expect(await noExp.state).toMatch(/^CHANNEL_ERROR.*Fields `role` and `exp` are required in JWT/);
    expect(await noRole.state).toMatch(/^CHANNEL_ERROR.*Fields `role` and `exp` are required in JWT/);
    expect(await textExp.state).toMatch(/^CHANNEL_ERROR.*exp/);
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

  it("limits joins per client address (hosted's 100 joins a second for a whole project), and closes a frame over 5 MB unparsed", async () => {
    const socketUrl = `${env.apiUrl.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${env.serviceKey}&vsn=2.0.0`;
    const reasons: string[] = [];
    const sockets = await Promise.all([0, 1, 2, 3].map(async () => {
      const ws = new WebSocket(socketUrl, { localAddress: "127.0.0.8" });
      ws.on("message", (data) => {
        const [, , , event, payload] = JSON.parse(String(data));
        if (event === "phx_reply") reasons.push(payload.status === "ok" ? "ok" : payload.response.reason);
      });
      await new Promise((r) => ws.on("open", r));
      return ws;
    }));
    sockets.forEach((ws, s) => {
      for (let i = 0; i < 100; i++) {
        ws.send(JSON.stringify([`${s}-${i}`, `${s}-${i}`, `realtime:joins:${s}:${i}`, "phx_join", { config: { private: true }, access_token: env.serviceKey }]));
      }
    });
    await eventually(() => (reasons.length === 400 ? true : undefined), 10_000);
    expect(new Set(reasons)).toEqual(new Set(["ok", "ClientJoinRateLimitReached: Too many joins per second"]));
    expect(reasons.filter((r) => r !== "ok").length).toBeGreaterThanOrEqual(50);

    const closed = new Promise<number>((resolve) => sockets[0].on("close", (code) => resolve(code)));
    sockets[0].send(JSON.stringify([null, "big", "phoenix", "heartbeat", { pad: "x".repeat(5_000_001) }]));
    expect(await closed).toBe(1009);
    sockets.forEach((ws) => ws.terminate());
  });

  it("caps channels per socket (hosted's 100) and sockets per client address", async () => {
    const socketUrl = `${env.apiUrl.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${env.serviceKey}&vsn=2.0.0`;
    const ws = new WebSocket(socketUrl);
    const replies = new Map<string, { status: string; response: { reason?: string } }>();
    ws.on("message", (data) => {
      const [, ref, , event, payload] = JSON.parse(String(data));
      if (event === "phx_reply") replies.set(ref, payload);
    });
    await new Promise((r) => ws.on("open", r));
    for (let i = 0; i <= 100; i++) {
      ws.send(JSON.stringify([String(i), String(i), `realtime:cap:${i}`, "phx_join", { config: { private: true }, access_token: env.serviceKey }]));
    }
    await eventually(() => (replies.size === 101 ? true : undefined), 10_000);
    expect([...replies.entries()].filter(([, p]) => p.status !== "ok")).toEqual([["100", expect.anything()]]);
    expect(replies.get("100")).toEqual({ status: "error", response: { reason: "ChannelRateLimitReached: Too many channels" } });
    ws.close();

    // Sockets from one address (127.0.0.2 here, so the rest of the suite is not affected).
    const sockets: WebSocket[] = [];
    const outcome = (s: WebSocket) =>
      new Promise<number>((resolve) => {
        s.on("open", () => resolve(101));
        s.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        s.on("error", () => resolve(0));
      });
    const statuses: number[] = [];
    for (let i = 0; i < 260; i++) {
      const s = new WebSocket(socketUrl, { localAddress: "127.0.0.2" });
      sockets.push(s);
      statuses.push(await outcome(s));
    }
    sockets.forEach((s) => s.terminate());
    expect(statuses.filter((x) => x === 101).length).toBe(250);
    expect(statuses.slice(250)).toEqual(Array(10).fill(429));
  });
});
