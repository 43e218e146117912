// Supabase Realtime's broadcast, locally, as supabase/realtime's `realtime_channel.ex` and
// `batch_broadcast.ex` behave: the Phoenix websocket protocol realtime-js speaks (serializer
// 1.0.0 objects or 2.0.0 arrays, binary user broadcast pushes), private channels authorized by
// RLS on realtime.messages for the joining user, and delivery of the rows realtime.send() stores.
// Token lifecycle: a join needs `role` and `exp` in its JWT; an `access_token` message re-runs
// the read check and a channel that fails it, or whose token expires, is shut down (a `system`
// error message, then `phx_close`). Every 5 minutes (hosted's confirm_token interval), and at once
// when the database reports a membership change or Auth a sign-out, a channel's session and its
// right to read are checked again as well, and a channel that fails is shut down. REST broadcast: a private message the caller may not write
// is accepted (202) and dropped; it is delivered directly and never stored.
import postgres from "postgres";
import { type Claims, JwtError, type Keys, peekClaims } from "./jwt.ts";
import { bearer, json, truncate } from "./http.ts";
import { actAs, API_ROLES, isConnectionError, type Pool } from "./pool.ts";

type Channel = {
  joinRef: string | null; topic: string; subTopic: string; isPrivate: boolean; claims: Claims; token: string; self: boolean; ack: boolean;
  timer?: ReturnType<typeof setTimeout>;
};
type Socket = { ws: WebSocket; vsn: string; apikey: string; ip: string; channels: Map<string, Channel>; joining: number };
type Msg = { join_ref: string | null; ref: string | null; topic: string; event: string; payload: Record<string, unknown> };
type Delivery = { topic: string; event: string; payload: unknown; private: boolean; id?: string };

const NOTIFY_CHANNEL = "realtime:broadcast";

/**
 * A project's Realtime limits, as hosted sets them per plan (supabase.com/docs/guides/realtime/limits;
 * the tenant's max_concurrent_users, max_events_per_second, max_joins_per_second,
 * max_channels_per_client and max_payload_size_in_kb in supabase/realtime).
 */
export type RealtimeLimits = {
  maxConcurrentUsers: number; maxEventsPerSecond: number; maxJoinsPerSecond: number;
  maxChannelsPerClient: number; maxPayloadSizeKb: number;
};
export const REALTIME_PLANS: Record<"free" | "pro", RealtimeLimits> = {
  free: { maxConcurrentUsers: 200, maxEventsPerSecond: 100, maxJoinsPerSecond: 100, maxChannelsPerClient: 100, maxPayloadSizeKb: 256 },
  pro: { maxConcurrentUsers: 500, maxEventsPerSecond: 500, maxJoinsPerSecond: 500, maxChannelsPerClient: 100, maxPayloadSizeKb: 3000 },
};
/**
 * The limits from the environment: REALTIME_PLAN (free, the default, or pro) gives the plan's
 * values, and REALTIME_MAX_CONCURRENT_USERS, REALTIME_MAX_EVENTS_PER_SECOND,
 * REALTIME_MAX_JOINS_PER_SECOND, REALTIME_MAX_CHANNELS_PER_CLIENT and REALTIME_MAX_PAYLOAD_SIZE_KB
 * override one each, as support raises one limit of a project.
 */
export function realtimeLimitsFrom(env: Record<string, string | undefined>): RealtimeLimits {
  const plan = env.REALTIME_PLAN ?? "free";
  if (plan !== "free" && plan !== "pro") throw new Error(`REALTIME_PLAN must be free or pro, not ${plan}`);
  const base = REALTIME_PLANS[plan];
  const num = (k: string, d: number) => (env[k] === undefined || env[k] === "" ? d : Number(env[k]));
  return {
    maxConcurrentUsers: num("REALTIME_MAX_CONCURRENT_USERS", base.maxConcurrentUsers),
    maxEventsPerSecond: num("REALTIME_MAX_EVENTS_PER_SECOND", base.maxEventsPerSecond),
    maxJoinsPerSecond: num("REALTIME_MAX_JOINS_PER_SECOND", base.maxJoinsPerSecond),
    maxChannelsPerClient: num("REALTIME_MAX_CHANNELS_PER_CLIENT", base.maxChannelsPerClient),
    maxPayloadSizeKb: num("REALTIME_MAX_PAYLOAD_SIZE_KB", base.maxPayloadSizeKb),
  };
}
/** Realtime's RateCounter tick (5 s for joins and events); REALTIME_RATE_TICK_MS shortens it. */
const RATE_TICK_MS = Number(Deno.env.get("REALTIME_RATE_TICK_MS") ?? "5000");

/**
 * A project-wide rate as Realtime's RateCounter measures it: a count per tick, the average per
 * second over the last 12 ticks, and a limit that triggers at a tick whose average reaches it and
 * stays triggered until a tick's average falls below it.
 */
export class RateCounter {
  #count = 0;
  #bucket: number[] = [];
  avg = 0;
  triggered = false;
  constructor(readonly limit: number, readonly name: string, readonly tickMs = RATE_TICK_MS) {
    Deno.unrefTimer(setInterval(() => this.#tick(), tickMs));
  }
  add(n = 1) {
    this.#count += n;
  }
  #tick() {
    this.#bucket = [this.#count, ...this.#bucket].slice(0, 12);
    this.#count = 0;
    this.avg = this.#bucket.reduce((a, b) => a + b, 0) / this.#bucket.length / (this.tickMs / 1000);
    if (this.triggered) this.triggered = this.avg >= this.limit;
    else if (this.avg >= this.limit) {
      this.triggered = true;
      console.error(`realtime: ${this.name}`);
    }
  }
}

/**
 * Whether a broadcast payload is within the limit, as Tenants.validate_payload_size: the limit in
 * KB times 1000 plus 500 bytes of padding, against the payload's size (Erlang's external term size
 * there, its UTF-8 JSON here: the same order for the JSON objects broadcasts carry).
 */
export function payloadFits(payload: unknown, maxPayloadSizeKb: number): boolean {
  return new TextEncoder().encode(JSON.stringify(payload) ?? "").length <= maxPayloadSizeKb * 1000 + 500;
}

/** Local cap on open sockets per client address (Supabase caps concurrent users per project). */
export const MAX_SOCKETS_PER_ADDRESS = Number(Deno.env.get("REALTIME_MAX_SOCKETS_PER_ADDRESS") ?? "250");
/**
 * Joins per second from one client address, as a token bucket of this rate (burst twice it): hosted
 * Realtime allows a whole project `max_joins_per_second` (100 by default), so one address never
 * gets more here. Past it a join is refused with hosted's reason.
 */
export const MAX_JOINS_PER_SECOND_PER_ADDRESS = Number(Deno.env.get("REALTIME_MAX_JOINS_PER_SECOND_PER_ADDRESS") ?? "100");
/** Hosted's websocket `max_frame_size` (RealtimeWeb.Endpoint): a larger frame closes the socket unparsed. */
export const MAX_FRAME_BYTES = 5_000_000;
/** Hosted re-checks a channel's token at least this often (`@confirm_token_ms_interval`). */
const CONFIRM_TOKEN_MS = 5 * 60 * 1000;
/** A ping committed this long ago and not heard back: the listener is dead and replaced. */
const PING_SILENCE_MS = 3000;
const MISSING_CLAIMS = "Fields `role` and `exp` are required in JWT";

class Decision {
  constructor(readonly allowed: boolean) {}
}

/** A token check's failure, with the message hosted Realtime gives. */
class TokenRefused extends Error {}

export class Realtime {
  #sockets = new Set<Socket>();
  /** Sockets with a joined channel: Realtime's UsersCounter, which max_concurrent_users bounds. */
  #users = new Set<Socket>();
  readonly #events: RateCounter;
  readonly #projectJoins: RateCounter;
  #perAddress = new Map<string, number>();
  #joins = new Map<string, { tokens: number; at: number }>();

  /** Takes one join from the address's bucket; false when it is empty. */
  #takeJoin(ip: string): boolean {
    const now = Date.now() / 1000;
    const rate = MAX_JOINS_PER_SECOND_PER_ADDRESS;
    const b = this.#joins.get(ip) ?? { tokens: 2 * rate, at: now };
    b.tokens = Math.min(2 * rate, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.#joins.set(ip, b);
    if (this.#joins.size > 10_000) {
      for (const [k, v] of this.#joins) if (now - v.at > 1) this.#joins.delete(k);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
  /** Open websockets (for /metrics). */
  get clients() { return this.#sockets.size; }

  constructor(readonly admin: Pool, readonly keys: Keys, readonly limits: RealtimeLimits = realtimeLimitsFrom(Deno.env.toObject())) {
    this.#events = new RateCounter(limits.maxEventsPerSecond, "MessagePerSecondRateLimitReached: Too many messages per second");
    this.#projectJoins = new RateCounter(limits.maxJoinsPerSecond, "ClientJoinRateLimitReached: Too many joins per second");
  }

  // ---- delivery of realtime.send() ------------------------------------------------------------

  #listener: ReturnType<typeof postgres> | null = null;
  /** When the current LISTEN was established (0: not listening). */
  #listenedAt = 0;
  #lastHeard = 0;
  #connecting = false;
  #deliveries: Promise<void> = Promise.resolve();

  /** When the oldest ping not yet heard back was committed (0: none outstanding). */
  #pingCommitted = 0;

  /**
   * LISTENs on a connection of its own and watches it: the connection's close is noticed at
   * once (onclose), and a ping through the database every second must come back; otherwise the
   * listener is replaced. Silence counts from the ping's commit (when Postgres delivers it), not
   * from when it was asked for: a busy database that runs the ping late is not a dead listener,
   * and replacing a live one would lose what is committed meanwhile. `listening` is true only
   * once a ping sent after the current LISTEN has arrived, so /health never reports a dead
   * connection as listening (broadcasts committed while it reconnects are not replayed: a live
   * page refetches event_dashboard when it reconnects).
   */
  async start() {
    await this.#listen();
    setInterval(() => {
      if (this.#listenedAt) {
        const listenedAt = this.#listenedAt, asked = Date.now();
        this.admin.sql`select pg_notify(${NOTIFY_CHANNEL}, '{"ping": true}')`.then(() => {
          if (this.#listenedAt === listenedAt && this.#lastHeard < asked && !this.#pingCommitted) this.#pingCommitted = Date.now();
        }).catch(() => {});
      }
      const silent = this.#pingCommitted > 0 && Date.now() - this.#pingCommitted > PING_SILENCE_MS;
      if ((!this.#listenedAt || silent) && !this.#connecting) {
        this.#listen().catch((e) => console.error("realtime: listen failed:", e));
      }
    }, 1000);
  }

  /** Whether broadcasts are being received now (false while the listener reconnects). */
  get listening(): boolean {
    return this.#listenedAt > 0 && this.#lastHeard > this.#listenedAt && Date.now() - this.#lastHeard <= 3000;
  }

  async #listen() {
    this.#connecting = true;
    this.#listenedAt = 0;
    this.#pingCommitted = 0;
    const old = this.#listener;
    old?.end({ timeout: 0 }).catch(() => {});
    // onnotify is a postgres.js connection option its types leave out (sql.listen uses it).
    const options = {
      max: 1, idle_timeout: 0, max_lifetime: null, connect_timeout: 2, onnotice: () => {},
      onnotify: (channel: string, raw: string) => {
        if (channel !== NOTIFY_CHANNEL || this.#listener !== sql) return;
        this.#lastHeard = Date.now();
        this.#pingCommitted = 0;
        this.#onNotify(raw);
      },
      // The LISTEN dies with its connection: stop claiming to listen, and listen again.
      onclose: () => {
        if (this.#listener === sql) this.#listenedAt = 0;
      },
    };
    const sql: ReturnType<typeof postgres> = postgres(this.admin.url, options as Parameters<typeof postgres>[1]);
    this.#listener = sql;
    try {
      await sql`listen ${sql(NOTIFY_CHANNEL)}`;
      if (this.#listener === sql) this.#listenedAt = Date.now();
    } catch (e) {
      if (this.#listener === sql) this.#listener = null;
      sql.end({ timeout: 0 }).catch(() => {});
      if (!isConnectionError(e)) throw e;
    } finally {
      this.#connecting = false;
    }
  }

  #onNotify(raw: string) {
    let note: { ping?: boolean; id?: string };
    try {
      note = JSON.parse(raw);
    } catch {
      return;
    }
    const reauthorize = (note as { reauthorize?: unknown }).reauthorize;
    if (typeof reauthorize === "string") return this.reauthorize(reauthorize);
    if (note.ping || typeof note.id !== "string" || !this.#anyChannel()) return;
    const id = note.id;
    // One after another, so messages arrive in commit order.
    this.#deliveries = this.#deliveries.then(async () => {
      try {
        const [row] = await this.admin.sql<{ id: string; topic: string; event: string; payload: unknown; private: boolean }[]>`
          select id, topic, event, payload, private from realtime.messages where id = ${id}`;
        // As replication_connection.ex: a payload over the limit, or a project past its events
        // per second, is not broadcast (the row stays in realtime.messages); else it counts one.
        if (!row || !payloadFits(row.payload, this.limits.maxPayloadSizeKb) || this.#events.triggered) return;
        this.#events.add();
        this.#deliver({ topic: row.topic, event: row.event, payload: row.payload, private: Boolean(row.private), id: row.id });
      } catch (e) {
        console.error("realtime: could not read a broadcast:", (e as Error).message);
      }
    });
  }

  #anyChannel() {
    for (const s of this.#sockets) if (s.channels.size > 0) return true;
    return false;
  }

  #deliver(msg: Delivery, except?: Socket) {
    const topic = `realtime:${msg.topic}`;
    const payload: Record<string, unknown> = { type: "broadcast", event: msg.event, payload: msg.payload };
    if (msg.id) payload.meta = { id: msg.id };
    for (const socket of this.#sockets) {
      const channel = socket.channels.get(topic);
      if (!channel || channel.isPrivate !== msg.private || (socket === except && !channel.self)) continue;
      this.#send(socket, { join_ref: channel.joinRef, ref: null, topic, event: "broadcast", payload });
      // Every delivery counts as an event of the project (MessageDispatcher's :update_rate_counter),
      // and a channel that receives one while the project is past its limit is shut down.
      this.#events.add();
      if (this.#events.triggered) this.#shutdown(socket, channel, "Too many messages per second");
    }
  }

  // ---- authorization --------------------------------------------------------------------------

  /**
   * Runs `check` as the API role of `claims` in a transaction that is always rolled back, and
   * answers whether RLS let it through, as Realtime does: a probe message of the topic is
   * inserted, then read (or written) as the caller with realtime.topic() set to the topic.
   * service_role bypasses RLS, as on Supabase.
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
          throw new Decision((await tx`select 1 from realtime.messages where id = ${probe.id} and topic = ${topic}`).length === 1);
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

  /** Verifies a channel token as Realtime's confirm_token does: signature, exp, role and exp present. */
  async #confirmToken(token: string): Promise<Claims> {
    let claims: Claims;
    try {
      claims = await this.keys.verify(token);
    } catch (e) {
      const err = e as JwtError;
      if (err.message === "JWT expired") {
        const exp = peekClaims(token)?.exp;
        throw new TokenRefused(`InvalidJWTToken: Token has expired ${Math.floor(Date.now() / 1000) - Number(exp)} seconds ago`);
      }
      throw new TokenRefused(`InvalidJWTToken: ${err.message}`);
    }
    if (!("role" in claims) || !("exp" in claims)) throw new TokenRefused(`InvalidJWTToken: ${MISSING_CLAIMS}`);
    return claims;
  }

  /**
   * Re-checks the channel when its token expires and at least every 5 minutes, as confirm_token
   * does (hosted re-verifies the token there; here the session and the right to read are
   * checked again too, see #recheck).
   */
  #armExpiry(socket: Socket, channel: Channel) {
    if (channel.timer) clearTimeout(channel.timer);
    const left = Number(channel.claims.exp) * 1000 - Date.now();
    channel.timer = setTimeout(() => {
      channel.timer = undefined;
      if (socket.channels.get(channel.topic) !== channel) return;
      this.#recheck(socket, channel).then((open) => open && this.#armExpiry(socket, channel),
        (e) => console.error("realtime: re-authorization failed:", (e as Error).message));
    }, Math.max(0, Math.min(CONFIRM_TOKEN_MS, left + 1)));
  }

  /**
   * Re-authorizes a joined channel with the token it holds: the token must still verify, its
   * session (`session_id`) must still exist (signed out: gone), and RLS must still let its user
   * read the topic (removed from the organisation: refused). A channel that fails is shut down.
   * Answers whether the channel stays open.
   */
  async #recheck(socket: Socket, channel: Channel): Promise<boolean> {
    let reason: string | null = null;
    try {
      await this.#confirmToken(channel.token);
      const session = channel.claims.session_id;
      if (typeof session === "string" && session !== "") {
        const found = /^[0-9a-f-]{36}$/i.test(session)
          ? await this.admin.sql`select 1 from auth.sessions where id = ${session}`
          : [];
        if (found.length === 0) reason = "InvalidJWTToken: Session from session_id claim in JWT does not exist";
      }
      if (!reason && !await this.#authorized(channel.claims, channel.subTopic, "read")) {
        reason = `You do not have permissions to read from this Channel topic: ${truncate(channel.subTopic)}`;
      }
    } catch (e) {
      if (!(e instanceof TokenRefused)) throw e;
      reason = e.message;
    }
    if (socket.channels.get(channel.topic) !== channel) return false;
    if (reason) this.#shutdown(socket, channel, reason);
    return !reason;
  }

  /**
   * Re-authorizes at once every channel joined with a token of `userId`: the database asks for it
   * (a NOTIFY `{"reauthorize": user id}`) when a membership ends or changes, and the local Auth
   * when the user signs out.
   */
  reauthorize(userId: string) {
    for (const socket of this.#sockets) {
      for (const channel of socket.channels.values()) {
        if (channel.claims.sub !== userId) continue;
        this.#recheck(socket, channel).catch((e) => console.error("realtime: re-authorization failed:", (e as Error).message));
      }
    }
  }

  /** Realtime's shutdown_response: a system error message, then the channel closes. */
  #shutdown(socket: Socket, channel: Channel, message: string) {
    if (channel.timer) clearTimeout(channel.timer);
    socket.channels.delete(channel.topic);
    this.#send(socket, {
      join_ref: channel.joinRef, ref: null, topic: channel.topic, event: "system",
      payload: { extension: "system", status: "error", message, channel: channel.subTopic },
    });
    this.#send(socket, { join_ref: channel.joinRef, ref: channel.joinRef, topic: channel.topic, event: "phx_close", payload: {} });
  }

  // ---- the websocket --------------------------------------------------------------------------

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

  /**
   * GET /realtime/v1/websocket?apikey=…&vsn=…; `apikey` is the query's key as the gateway forwards
   * it (a new API key already replaced by its role's JWT, which becomes the socket's token).
   */
  async upgrade(req: Request, clientIp: string, apikey: string): Promise<Response> {
    const url = new URL(req.url);
    try {
      const claims = await this.keys.verify(apikey);
      if (claims.role !== "anon" && claims.role !== "service_role") throw new Error("not an API key");
    } catch {
      return json(403, { message: "Unauthorized: invalid or missing apikey" });
    }
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return json(400, { message: "Expected a websocket upgrade" });
    // user_socket.ex's TenantRateLimiters.check_tenant: the project's limits refuse the connection too.
    if (this.#users.size >= this.limits.maxConcurrentUsers) return json(429, { error: "Too many connected users" });
    if (this.#projectJoins.triggered) return json(429, { error: "Too many joins per second" });
    const open = this.#perAddress.get(clientIp) ?? 0;
    if (open >= MAX_SOCKETS_PER_ADDRESS) {
      return json(429, { message: "Too many connections from this address" }, { "Retry-After": "10" });
    }
    this.#perAddress.set(clientIp, open + 1);
    const { socket: ws, response } = Deno.upgradeWebSocket(req);
    ws.binaryType = "arraybuffer";
    const socket: Socket = { ws, vsn: url.searchParams.get("vsn") ?? "1.0.0", apikey, ip: clientIp, channels: new Map(), joining: 0 };
    let counted = true;
    const gone = () => {
      this.#sockets.delete(socket);
      this.#users.delete(socket);
      for (const ch of socket.channels.values()) if (ch.timer) clearTimeout(ch.timer);
      socket.channels.clear();
      if (counted) {
        counted = false;
        const n = (this.#perAddress.get(clientIp) ?? 1) - 1;
        if (n > 0) this.#perAddress.set(clientIp, n);
        else this.#perAddress.delete(clientIp);
      }
    };
    ws.onopen = () => this.#sockets.add(socket);
    ws.onclose = gone;
    ws.onerror = gone;
    ws.onmessage = (e) => {
      const size = typeof e.data === "string" ? e.data.length : (e.data as ArrayBuffer).byteLength;
      if (size > MAX_FRAME_BYTES) return ws.close(1009, "Frame too large");
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
      case "phx_leave": {
        const channel = socket.channels.get(m.topic);
        if (channel?.timer) clearTimeout(channel.timer);
        socket.channels.delete(m.topic);
        return this.#reply(socket, m, "ok");
      }
      case "access_token":
        return await this.#accessToken(socket, m);
      case "broadcast":
        return await this.#clientBroadcast(socket, m);
      default:
        return this.#reply(socket, m, "ok");
    }
  }

  async #join(socket: Socket, m: Msg) {
    const config = (m.payload.config ?? {}) as { private?: boolean; broadcast?: { self?: boolean; ack?: boolean } };
    const subTopic = m.topic.replace(/^realtime:/, "");
    if (!config.private) {
      return this.#reply(socket, m, "error", { reason: "PrivateOnly: This project only allows private channels" });
    }
    // The project's limits, in realtime_channel.ex's order: concurrent users (a socket counts
    // from its first joined channel), joins per second (past it the socket is disconnected too),
    // channels per client.
    if (!this.#users.has(socket) && this.#users.size >= this.limits.maxConcurrentUsers) {
      return this.#reply(socket, m, "error", { reason: "ConnectionRateLimitReached: Too many connected users" });
    }
    if (this.#projectJoins.triggered) {
      this.#reply(socket, m, "error", { reason: "ClientJoinRateLimitReached: Too many joins per second" });
      return socket.ws.close(1000, "disconnect");
    }
    this.#projectJoins.add();
    if (!socket.channels.has(m.topic) && socket.channels.size + socket.joining >= this.limits.maxChannelsPerClient) {
      return this.#reply(socket, m, "error", { reason: "ChannelRateLimitReached: Too many channels" });
    }
    if (!this.#takeJoin(socket.ip)) {
      return this.#reply(socket, m, "error", { reason: "ClientJoinRateLimitReached: Too many joins per second" });
    }
    // The slot is held while the join is checked, and handed to the channel in the same step.
    socket.joining++;
    const slot = { held: true };
    try {
      await this.#admit(socket, m, subTopic, { self: Boolean(config.broadcast?.self), ack: Boolean(config.broadcast?.ack) }, slot);
    } finally {
      if (slot.held) socket.joining--;
    }
  }

  async #admit(socket: Socket, m: Msg, subTopic: string, opts: { self: boolean; ack: boolean }, slot: { held: boolean }) {
    // A new API key as access_token stands for the socket's own token (realtime_channel.ex's
    // assign_access_token: "sb_" <> _ takes the tenant token).
    const given = m.payload.access_token;
    const token = typeof given === "string" && !given.startsWith("sb_") ? given : socket.apikey;
    let claims: Claims;
    try {
      claims = await this.#confirmToken(token);
    } catch (e) {
      return this.#reply(socket, m, "error", { reason: (e as Error).message });
    }
    if (!await this.#authorized(claims, subTopic, "read")) {
      return this.#reply(socket, m, "error", {
        reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${truncate(subTopic)}`,
      });
    }
    const previous = socket.channels.get(m.topic);
    if (previous?.timer) clearTimeout(previous.timer);
    const channel: Channel = {
      joinRef: m.join_ref, topic: m.topic, subTopic, isPrivate: true, claims, token, ...opts,
    };
    socket.channels.set(m.topic, channel);
    this.#users.add(socket);
    slot.held = false;
    socket.joining--;
    this.#armExpiry(socket, channel);
    this.#reply(socket, m, "ok", {});
  }

  /** A new token for a joined channel: the same token or none changes nothing; else re-check. */
  async #accessToken(socket: Socket, m: Msg) {
    const channel = socket.channels.get(m.topic);
    const token = m.payload.access_token;
    // An `sb_` key as a new token is ignored, as hosted does.
    if (!channel || token === null || token === undefined || token === channel.token) return;
    if (typeof token === "string" && token.startsWith("sb_")) return;
    if (typeof token !== "string") return this.#shutdown(socket, channel, "InvalidJWTToken: Token claims must be a map");
    let claims: Claims;
    try {
      claims = await this.#confirmToken(token);
    } catch (e) {
      return this.#shutdown(socket, channel, (e as Error).message);
    }
    if (!await this.#authorized(claims, channel.subTopic, "read")) {
      return this.#shutdown(socket, channel, `You do not have permissions to read from this Channel topic: ${truncate(channel.subTopic)}`);
    }
    if (socket.channels.get(m.topic) !== channel) return;
    channel.claims = claims;
    channel.token = token;
    this.#armExpiry(socket, channel);
  }

  async #clientBroadcast(socket: Socket, m: Msg) {
    const channel = socket.channels.get(m.topic);
    const subTopic = m.topic.replace(/^realtime:/, "");
    if (!channel || !await this.#authorized(channel.claims, subTopic, "write")) {
      return this.#reply(socket, m, "error", { reason: `Unauthorized: You do not have permissions to write to this Channel topic: ${truncate(subTopic)}` });
    }
    // As broadcast_handler.ex: the broadcast counts as an event; one over the payload limit is
    // not sent, and answered `payload_size_exceeded` only when the channel asked for acks.
    this.#events.add();
    if (!payloadFits(m.payload, this.limits.maxPayloadSizeKb)) {
      if (channel.ack) this.#send(socket, { join_ref: m.join_ref, ref: m.ref, topic: m.topic, event: "phx_reply", payload: { status: "error", response: "payload_size_exceeded" } });
      return;
    }
    this.#deliver({ topic: subTopic, event: String(m.payload.event), payload: m.payload.payload, private: true }, socket);
    this.#reply(socket, m, "ok");
  }

  // ---- REST broadcast -------------------------------------------------------------------------

  /**
   * POST /realtime/v1/api/broadcast {messages: [{topic, event, payload, private?, id?}]} and
   * POST /realtime/v1/api/broadcast/<topic>/events/<event>[?private=true]. As batch_broadcast.ex:
   * an invalid message (no topic, event or object payload) is 422; private messages are sent
   * for the service role, or per topic when RLS lets the caller write to it, and silently
   * dropped otherwise; the answer is 202 either way. Messages are delivered, not stored.
   */
  async broadcastApi(req: Request, rest: string): Promise<Response> {
    if (req.method !== "POST") return json(405, { message: "Use POST" });
    let claims: Claims;
    try {
      claims = await this.keys.verify(bearer(req) ?? req.headers.get("apikey") ?? "");
      if (!("role" in claims) || !("exp" in claims)) throw new JwtError("PGRST303", MISSING_CLAIMS);
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
      : (body as { messages?: unknown } | null)?.messages;
    const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
    if (!Array.isArray(messages) || messages.length === 0) {
      return json(422, { errors: { messages: ["can't be blank"] } });
    }
    const errors = messages.map((x) => {
      const e: Record<string, string[]> = {};
      if (!isObject(x) || typeof x.topic !== "string" || x.topic === "") e.topic = ["can't be blank"];
      if (!isObject(x) || typeof x.event !== "string" || x.event === "") e.event = ["can't be blank"];
      if (!isObject(x) || !isObject(x.payload)) e.payload = [isObject(x) && x.payload !== undefined && x.payload !== null ? "is invalid" : "can't be blank"];
      else if (!payloadFits(x.payload, this.limits.maxPayloadSizeKb)) e.payload = ["Payload size exceeds tenant limit"];
      return e;
    });
    if (errors.some((e) => Object.keys(e).length > 0)) return json(422, { errors: { messages: errors } });

    // batch_broadcast.ex's check_rate_limit, on the project's average events per second.
    if (this.#events.avg > this.limits.maxEventsPerSecond) return json(429, { message: "You have exceeded your rate limit" });
    if (messages.length + this.#events.avg > this.limits.maxEventsPerSecond) {
      return json(429, { message: "Too many messages to broadcast, please reduce the batch size" });
    }
    const typed = messages as { topic: string; event: string; payload: Record<string, unknown>; private?: unknown; id?: unknown }[];
    const superUser = claims.role === "service_role";
    const writable = new Map<string, boolean>();
    try {
      for (const msg of typed) {
        const isPrivate = msg.private === true;
        if (isPrivate && !superUser) {
          if (!writable.has(msg.topic)) writable.set(msg.topic, await this.#authorized(claims, msg.topic, "write"));
          if (!writable.get(msg.topic)) continue;
        }
        this.#events.add();
        this.#deliver({ topic: msg.topic, event: msg.event, payload: msg.payload, private: isPrivate, id: typeof msg.id === "string" ? msg.id : undefined });
      }
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
