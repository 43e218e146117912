// Supabase Realtime's broadcast, locally: the Phoenix websocket protocol realtime-js speaks
// (serializer 1.0.0 objects or 2.0.0 arrays, binary user broadcast pushes), private channels
// authorized by RLS on realtime.messages for the joining user, delivery of what realtime.send()
// NOTIFYs once its transaction commits, and the REST broadcast API for server-side senders.
import postgres from "postgres";
import { type Claims, verifyJwt } from "./jwt.ts";
import { bearer, json } from "./http.ts";
import { actAs, API_ROLES, isConnectionError, type Pool } from "./pool.ts";

type Channel = { joinRef: string | null; isPrivate: boolean; claims: Claims; self: boolean };
type Socket = { ws: WebSocket; vsn: string; apikey: string; channels: Map<string, Channel> };
type Msg = { join_ref: string | null; ref: string | null; topic: string; event: string; payload: Record<string, unknown> };

const NOTIFY_CHANNEL = "realtime:broadcast";

class Decision {
  constructor(readonly allowed: boolean) {}
}

export class Realtime {
  #sockets = new Set<Socket>();
  /** Open websockets (for /metrics). */
  get clients() { return this.#sockets.size; }

  constructor(readonly admin: Pool, readonly secret: string) {}

  #listener: ReturnType<typeof postgres> | null = null;
  #lastHeard = 0;
  #connecting = false;

  /**
   * LISTENs for realtime.send() notifications on a connection of its own, and keeps it alive:
   * every second a ping goes through the database, and a listener that has not heard one for
   * three seconds (the database restarted, the connection broke) is replaced. A restart of
   * Postgres therefore costs at most a few seconds of broadcasts (those are not replayed: a
   * live page refetches event_dashboard when it reconnects), never the rest of the night.
   */
  async start() {
    await this.#listen();
    setInterval(() => {
      this.admin.sql`select pg_notify(${NOTIFY_CHANNEL}, '{"ping": true}')`.catch(() => {});
      if (Date.now() - this.#lastHeard > 3000 && !this.#connecting) {
        this.#listen().catch((e) => console.error("realtime: listen failed:", e));
      }
    }, 1000);
  }

  /** Whether broadcasts are being received now (false while the listener reconnects). */
  get listening(): boolean {
    return this.#listener !== null && Date.now() - this.#lastHeard <= 3000;
  }

  async #listen() {
    this.#connecting = true;
    const old = this.#listener;
    this.#listener = null;
    old?.end({ timeout: 0 }).catch(() => {});
    const sql = postgres(this.admin.url, { max: 1, idle_timeout: 0, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql.listen(NOTIFY_CHANNEL, (raw) => {
        this.#lastHeard = Date.now();
        const msg = JSON.parse(raw);
        if (!msg.ping) this.#deliver(msg);
      });
      this.#listener = sql;
      this.#lastHeard = Date.now();
    } catch (e) {
      sql.end({ timeout: 0 }).catch(() => {});
      if (!isConnectionError(e)) throw e;
    } finally {
      this.#connecting = false;
    }
  }

  /**
   * Runs `check` as the API role of `claims` in a transaction that is always rolled back, and
   * answers whether RLS let it through. service_role bypasses RLS, as on Supabase.
   */
  async #authorized(claims: Claims, topic: string, check: "read" | "write"): Promise<boolean> {
    const role = String(claims.role ?? "anon");
    if (!API_ROLES.has(role)) return false;
    if (role === "service_role") return true;
    try {
      await this.admin.tx("read write", async (tx) => {
        const [probe] = await tx`insert into realtime.messages (topic, extension, private, event, payload)
          values (${topic}, 'broadcast', true, 'authorization_check', '{}') returning id`;
        await actAs(tx, role, { "request.jwt.claims": JSON.stringify(claims), "realtime.topic": topic });
        if (check === "read") {
          throw new Decision((await tx`select 1 from realtime.messages where id = ${probe.id}`).length === 1);
        }
        await tx`savepoint try_write`;
        try {
          await tx`insert into realtime.messages (topic, extension, private, event, payload)
            values (${topic}, 'broadcast', true, 'authorization_check', '{}')`;
          throw new Decision(true);
        } catch (e) {
          if (e instanceof Decision) throw e;
          throw new Decision(false);
        }
      });
    } catch (e) {
      if (e instanceof Decision) return e.allowed;
      throw e;
    }
    return false;
  }

  #send(socket: Socket, m: Msg) {
    if (socket.ws.readyState !== WebSocket.OPEN) return;
    // Serializer 2.0.0 sends arrays; 1.0.0 sends objects without join_ref, as Phoenix's V1 does.
    socket.ws.send(JSON.stringify(
      socket.vsn === "2.0.0"
        ? [m.join_ref ?? null, m.ref ?? null, m.topic, m.event, m.payload]
        : { topic: m.topic, event: m.event, payload: m.payload, ref: m.ref ?? null },
    ));
  }

  #reply(socket: Socket, m: Msg, status: "ok" | "error", response: Record<string, unknown> = {}) {
    this.#send(socket, { join_ref: m.join_ref, ref: m.ref, topic: m.topic, event: "phx_reply", payload: { status, response } });
  }

  #deliver(msg: { topic: string; event: string; payload: unknown; private: boolean }, except?: Socket) {
    const topic = `realtime:${msg.topic}`;
    for (const socket of this.#sockets) {
      const channel = socket.channels.get(topic);
      if (!channel || channel.isPrivate !== Boolean(msg.private) || (socket === except && !channel.self)) continue;
      this.#send(socket, {
        join_ref: channel.joinRef, ref: null, topic, event: "broadcast",
        payload: { type: "broadcast", event: msg.event, payload: msg.payload },
      });
    }
  }

  /** GET /realtime/v1/websocket?apikey=…&vsn=… */
  async upgrade(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const apikey = url.searchParams.get("apikey") ?? "";
    try {
      await verifyJwt(apikey, this.secret);
    } catch {
      return json(403, { message: "Unauthorized: invalid or missing apikey" });
    }
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return json(400, { message: "Expected a websocket upgrade" });
    const { socket: ws, response } = Deno.upgradeWebSocket(req);
    ws.binaryType = "arraybuffer";
    const socket: Socket = { ws, vsn: url.searchParams.get("vsn") ?? "1.0.0", apikey, channels: new Map() };
    ws.onopen = () => this.#sockets.add(socket);
    ws.onclose = () => this.#sockets.delete(socket);
    ws.onerror = () => this.#sockets.delete(socket);
    ws.onmessage = (e) => {
      let m: Msg;
      try {
        m = decode(e.data, socket.vsn);
      } catch {
        return;
      }
      this.#handle(socket, m).catch((err) => {
        console.error("realtime:", err);
        this.#reply(socket, m, "error", { reason: isConnectionError(err) ? "Database unavailable" : "Internal error" });
      });
    };
    return response;
  }

  async #handle(socket: Socket, m: Msg) {
    if (m.topic === "phoenix" && m.event === "heartbeat") return this.#reply(socket, m, "ok");
    switch (m.event) {
      case "phx_join":
        return await this.#join(socket, m);
      case "phx_leave":
        socket.channels.delete(m.topic);
        return this.#reply(socket, m, "ok");
      case "access_token": {
        const channel = socket.channels.get(m.topic);
        if (!channel) return;
        try {
          channel.claims = await verifyJwt(String(m.payload.access_token ?? ""), this.secret);
        } catch {
          socket.channels.delete(m.topic);
          this.#send(socket, { join_ref: m.join_ref, ref: null, topic: m.topic, event: "phx_close", payload: {} });
        }
        return;
      }
      case "broadcast":
        return await this.#clientBroadcast(socket, m);
      default:
        return this.#reply(socket, m, "ok");
    }
  }

  async #join(socket: Socket, m: Msg) {
    const config = (m.payload.config ?? {}) as { private?: boolean; broadcast?: { self?: boolean } };
    const subTopic = m.topic.replace(/^realtime:/, "");
    let claims: Claims;
    try {
      claims = await verifyJwt(String(m.payload.access_token ?? socket.apikey), this.secret);
    } catch (e) {
      return this.#reply(socket, m, "error", { reason: `Invalid JWT: ${(e as Error).message}` });
    }
    if (!config.private) {
      return this.#reply(socket, m, "error", { reason: "PrivateOnly: This project only allows private channels" });
    }
    if (!await this.#authorized(claims, subTopic, "read")) {
      return this.#reply(socket, m, "error", {
        reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${subTopic}`,
      });
    }
    socket.channels.set(m.topic, { joinRef: m.join_ref, isPrivate: true, claims, self: Boolean(config.broadcast?.self) });
    this.#reply(socket, m, "ok", {});
  }

  async #clientBroadcast(socket: Socket, m: Msg) {
    const channel = socket.channels.get(m.topic);
    const subTopic = m.topic.replace(/^realtime:/, "");
    if (!channel || !await this.#authorized(channel.claims, subTopic, "write")) {
      return this.#reply(socket, m, "error", { reason: `Unauthorized: You do not have permissions to write to this Channel topic: ${subTopic}` });
    }
    this.#deliver({ topic: subTopic, event: String(m.payload.event), payload: m.payload.payload, private: true }, socket);
    this.#reply(socket, m, "ok");
  }

  /**
   * POST /realtime/v1/api/broadcast {messages: [{topic, event, payload, private}]} and
   * POST /realtime/v1/api/broadcast/<topic>/events/<event>[?private=true] (realtime-js httpSend).
   * Private messages need the service role or a user that RLS lets write to the topic.
   */
  async broadcastApi(req: Request, rest: string): Promise<Response> {
    if (req.method !== "POST") return json(405, { message: "Use POST" });
    let claims: Claims;
    try {
      claims = await verifyJwt(bearer(req) ?? req.headers.get("apikey") ?? "", this.secret);
    } catch (e) {
      return json(401, { message: `Invalid JWT: ${(e as Error).message}` });
    }
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return json(400, { message: "Body must be JSON" });
    }
    const url = new URL(req.url);
    const single = rest.match(/^\/([^/]+)\/events\/([^/]+)$/);
    const messages = single
      ? [{ topic: decodeURIComponent(single[1]), event: decodeURIComponent(single[2]), payload: body, private: url.searchParams.get("private") === "true" }]
      : (body as { messages?: unknown }).messages;
    if (!Array.isArray(messages) || messages.length === 0 ||
      !messages.every((x) => x && typeof x.topic === "string" && typeof x.event === "string")) {
      return json(400, { message: "Expected {messages: [{topic, event, payload, private}]}" });
    }
    try {
      for (const msg of messages) {
        if (msg.private && !await this.#authorized(claims, msg.topic, "write")) {
          return json(403, { message: `Unauthorized: You do not have permissions to write to this Channel topic: ${msg.topic}` });
        }
      }
      await this.admin.tx("read write", async (tx) => {
        for (const msg of messages) {
          await tx`select realtime.send(${tx.json(msg.payload ?? {})}, ${msg.event}, ${msg.topic}, ${Boolean(msg.private)})`;
        }
      });
    } catch (e) {
      if (isConnectionError(e)) return json(503, { message: "Database unavailable" }, { "Retry-After": "1" });
      throw e;
    }
    return new Response(null, { status: 202, headers: { "Access-Control-Allow-Origin": "*" } });
  }
}

/** Decodes a client frame: JSON (1.0.0 object or 2.0.0 array) or a binary user broadcast push. */
function decode(data: string | ArrayBuffer, vsn: string): Msg {
  if (typeof data === "string") {
    const parsed = JSON.parse(data);
    if (vsn === "2.0.0" && Array.isArray(parsed)) {
      const [join_ref, ref, topic, event, payload] = parsed;
      return { join_ref, ref, topic, event, payload: payload ?? {} };
    }
    return { ...parsed, payload: parsed.payload ?? {} };
  }
  const view = new DataView(data);
  const bytes = new Uint8Array(data);
  const text = new TextDecoder();
  if (view.getUint8(0) !== 3) throw new Error("unsupported binary frame");
  const [joinRefLen, refLen, topicLen, eventLen, metaLen, encoding] = [1, 2, 3, 4, 5, 6].map((i) => view.getUint8(i));
  let offset = 7;
  const take = (n: number) => text.decode(bytes.slice(offset, (offset += n)));
  const join_ref = take(joinRefLen) || null;
  const ref = take(refLen) || null;
  const topic = take(topicLen);
  const userEvent = take(eventLen);
  const meta = metaLen ? JSON.parse(take(metaLen)) : {};
  const rawPayload = bytes.slice(offset);
  const payload = encoding === 1 ? JSON.parse(text.decode(rawPayload)) : rawPayload;
  return { join_ref, ref, topic, event: "broadcast", payload: { type: "broadcast", event: userEvent, payload, ...meta } };
}
