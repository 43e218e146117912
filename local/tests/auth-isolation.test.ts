// Two fixes of the local Auth checked by the work done and the answers given, never by timings:
// - a sign-in with an unknown email runs the same bcrypt (pgcrypto's `crypt`) and the same
//   statements as one with a known email and a wrong password, so its time tells nothing;
// - 30 anonymous websockets from one address joining over and over do not starve staff sign-in
//   (Auth and Realtime each have their own pool): the joins' checks never touch Auth's pool
//   (counted by /metrics), and every sign-in and every join is answered, none with "Database
//   unavailable".
import { request } from "node:http";
import postgres from "postgres";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../tests/db";
import { env, eventually } from "../../tests/env";
import { ownGateway } from "./gateway";

const sql = connect(1);
// The platform's superuser: track_functions is a superuser setting.
const admin = postgres(process.env.DB_URL!.replace("postgres:postgres@", "supabase_admin:postgres@"), { max: 1, onnotice: () => {} });

async function newStaff() {
  const email = `staff-${crypto.randomUUID()}@auth.test`;
  await sql`select tests.create_user(${email})`;
  return email;
}

/** POST /auth/v1/token?grant_type=password from `localAddress` (its own rate-limit bucket). */
function signIn(apiUrl: string, email: string, password: string, localAddress = "127.0.0.1") {
  const url = new URL(`${apiUrl}/auth/v1/token?grant_type=password`);
  const body = JSON.stringify({ email, password });
  return new Promise<{ status: number; body: { error_code?: string; msg?: string; access_token?: string } }>((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: "POST", localAddress,
      headers: { apikey: env.anonKey, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

afterAll(async () => {
  await admin.end();
  await sql.end();
});

describe("sign-in does the same work for known and unknown emails", () => {
  let gateway: Awaited<ReturnType<typeof ownGateway>>;
  let known = "";
  beforeAll(async () => {
    // Created first, on a connection opened before the setting: its own hashing is not counted.
    known = await newStaff();
    // Function statistics for the Auth's connections (role postgres), opened by a gateway started after it.
    await admin`alter role postgres set track_functions = 'all'`;
    gateway = await ownGateway({});
  }, 90_000);
  afterAll(async () => {
    gateway?.stop();
    await admin`alter role postgres reset track_functions`;
  });

  const cryptCalls = async () => {
    const [{ n }] = await admin`select pg_stat_clear_snapshot(), coalesce(sum(calls), 0)::int as n
      from pg_stat_user_functions where schemaname = 'extensions' and funcname = 'crypt'`;
    return n as number;
  };
  const statements = async () => {
    const text = await (await fetch(`${gateway.url}/metrics`, { headers: { apikey: env.serviceKey } })).text();
    return Number(text.match(/^gateway_db_statements_total\{pool="admin"\} (\d+)$/m)?.[1]);
  };

  it("an unknown email runs one bcrypt and the same statements as a known email with a wrong password", async () => {
    const unknown = `nobody-${crypto.randomUUID()}@auth.test`;
    const work = async (email: string) => {
      const [calls, sent] = [await cryptCalls(), await statements()];
      const answer = await signIn(gateway.url, email, "Wrong-password-1");
      // Statistics reach the shared view when the backend has been idle a while (up to 10 s in
      // Postgres 15): wait for the count to move.
      const after = await eventually(async () => {
        const n = await cryptCalls();
        return n > calls ? n : undefined;
      }, 15_000);
      return { answer: [answer.status, answer.body.error_code], bcrypts: after - calls, statements: (await statements()) - sent };
    };
    // A first call opens the pool's connection (postgres.js's own setup queries): not measured.
    await work(unknown);
    const forUnknown = await work(unknown);
    const forKnown = await work(known);
    expect(forUnknown.answer).toEqual([400, "invalid_credentials"]);
    expect(forKnown.answer).toEqual([400, "invalid_credentials"]);
    expect(forUnknown.bcrypts).toBe(1);
    expect(forKnown.bcrypts).toBe(1);
    expect(forUnknown.statements).toBe(forKnown.statements);
  }, 90_000);
});

describe("30 anonymous websockets from one address", () => {
  const url = `${env.apiUrl.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${env.anonKey}&vsn=2.0.0`;
  /**
   * 30 sockets from `address`, each asking to join 5 private topics at once (an RLS check each);
   * each crowd from its own address, as joins are limited per address.
   */
  async function crowd(reasons: string[], address: string) {
    const sockets = await Promise.all(Array.from({ length: 30 }, async () => {
      const ws = new WebSocket(url, { localAddress: address });
      ws.on("message", (data) => {
        const [, , , event, payload] = JSON.parse(String(data));
        if (event === "phx_reply") reasons.push(payload.status === "ok" ? "ok" : payload.response.reason);
      });
      await new Promise((r) => ws.on("open", r));
      return ws;
    }));
    sockets.forEach((ws, s) => {
      for (let i = 0; i < 5; i++) {
        ws.send(JSON.stringify([`${s}-${i}`, `${s}-${i}`, `realtime:event:${crypto.randomUUID()}`, "phx_join", { config: { private: true } }]));
      }
    });
    return sockets;
  }
  const statements = async () => {
    const text = await (await fetch(`${env.apiUrl}/metrics`, { headers: { apikey: env.serviceKey } })).text();
    const of = (pool: string) => Number(text.match(new RegExp(`^gateway_db_statements_total\\{pool="${pool}"\\} (\\d+)$`, "m"))?.[1]);
    return { auth: of("admin"), realtime: of("realtime") };
  };

  // What starved sign-in was one pool for both: joins queued on Auth's connections. Counted, not
  // timed: the joins' checks all go to Realtime's pool and not one statement to Auth's (Auth does
  // nothing in the background, so its count moves only for sign-ins).
  it("run every join check on Realtime's own pool, none on Auth's", async () => {
    const reasons: string[] = [];
    const before = await statements();
    const sockets = await crowd(reasons, "127.0.0.13");
    await eventually(() => (reasons.length === 150 ? true : undefined), 20_000);
    const after = await statements();
    sockets.forEach((ws) => ws.terminate());
    expect(after.auth - before.auth).toBe(0);
    expect(after.realtime - before.realtime).toBeGreaterThanOrEqual(150);
  });

  it("do not starve staff sign-in: every sign-in and every join is answered, none 'Database unavailable'", async () => {
    const email = await newStaff();
    const reasons: string[] = [];
    const sockets = await crowd(reasons, "127.0.0.11");
    const signIns = await Promise.all(Array.from({ length: 5 }, () => signIn(env.apiUrl, email, "Password-1", "127.0.0.12")));
    await eventually(() => (reasons.length === 150 ? true : undefined), 20_000);
    sockets.forEach((ws) => ws.terminate());

    expect(signIns.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(signIns.every((a) => typeof a.body.access_token === "string")).toBe(true);
    expect(reasons.filter((r) => /Database unavailable|Internal error/.test(r))).toEqual([]);
    expect(reasons.every((r) => r.startsWith("Unauthorized: You do not have permissions to read from this Channel topic"))).toBe(true);
  });
});
