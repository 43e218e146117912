// The database goes away mid-night, or every pooled connection stays busy: the gateway answers at
// once (no hang) as hosted PostgREST does (504 PGRST003 without Retry-After for pool exhaustion,
// 503 with Retry-After for a lost database), and recovers by itself when Postgres is back,
// Realtime included.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../tests/db";
import { rawClient, env, eventually, makeWorld, phoneHash, proof, randomPhone, signedIn } from "../../tests/env";

const check = () =>
  fetch(`${env.apiUrl}/rest/v1/rpc/check_phone_with_cache`, {
    method: "POST",
    headers: { apikey: env.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ p_phone: "912000001" }),
    signal: AbortSignal.timeout(15_000),
  });

describe("pool exhaustion", () => {
  // A fixture of the test's own (never a migration): a call that waits on an advisory lock the
  // test holds, so that each call keeps its pooled connection (10 in the test gateway) busy.
  const fixture = "local_test_wait_for_lock";
  const sql = connect(1);
  beforeAll(async () => {
    await sql.unsafe(`create or replace function public.${fixture}(p_key bigint) returns void language sql
                      as $$ select pg_advisory_xact_lock(p_key) $$`);
    await sql.unsafe(`grant execute on function public.${fixture}(bigint) to service_role`);
  });
  afterAll(async () => {
    await sql.unsafe(`drop function if exists public.${fixture}(bigint)`);
    await sql.end();
  });

  it("calls that find no free connection within the wait get 504 PGRST003 without Retry-After, the rest complete", async () => {
    const key = Math.floor(Math.random() * 1e9);
    // Held longer than the pool's wait (3 s) and shorter than the service role's statement
    // timeout (authenticator's 8 s).
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const release = sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${key})`;
      locked();
      await new Promise((r) => setTimeout(r, 4500));
    });
    await isLocked;
    const calls = Array.from({ length: 14 }, () =>
      fetch(`${env.apiUrl}/rest/v1/rpc/${fixture}`, {
        method: "POST",
        headers: { apikey: env.serviceKey, authorization: `Bearer ${env.serviceKey}`, "content-type": "application/json" },
        body: JSON.stringify({ p_key: key }),
        signal: AbortSignal.timeout(20_000),
      }));
    const answers = await Promise.all(calls.map(async (c) => {
      const res = await c;
      const text = await res.text();
      return { status: res.status, retryAfter: res.headers.get("retry-after"), body: text ? JSON.parse(text) : null };
    }));
    await release;
    const refused = answers.filter((a) => a.status === 504);
    expect(refused.length).toBe(4);
    expect(new Set(refused.map((a) => `${a.retryAfter} ${a.body.code} ${a.body.message}`)))
      .toEqual(new Set(["null PGRST003 Timed out acquiring connection from connection pool."]));
    // The ones that got a connection were answered once the lock was released.
    expect(answers.filter((a) => a.status !== 504).map((a) => a.status)).toEqual(Array(10).fill(204));
  });
});

describe("database outage", () => {
  it("gives 503s while Postgres is stopped and 200s once it is back, without restarting the gateway", async () => {
    const w = await makeWorld();
    expect((await check()).status).toBe(200);

    execFileSync("bash", ["local/db.sh", "down"], { stdio: "inherit" });
    try {
      const down = await check();
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("0");
      expect((await down.json()).code).toMatch(/^PGRST00[01]$/);
      const viaClient = await rawClient().rpc("check_phone_with_cache", { p_phone: "912000001" });
      expect(viaClient.status).toBe(503);
    } finally {
      execFileSync("bash", ["local/db.sh", "up"], { stdio: "inherit" });
    }

    await eventually(async () => (await check()).status === 200 || undefined, 20_000);

    // Realtime's LISTEN comes back too (broadcasts sent while it reconnects are not replayed):
    // once the gateway says it listens, a registration reaches a subscriber again.
    await eventually(async () => {
      const health = await (await fetch(`${env.apiUrl}/health`)).json();
      return health.realtime === "listening" || undefined;
    }, 20_000);
    const staff = await signedIn(w.staff_a);
    const received: string[] = [];
    await new Promise<void>((resolve, reject) =>
      staff.channel(`event:${w.open_event}`, { config: { private: true } })
        .on("broadcast", { event: "guest_registered" }, (m) => received.push(m.payload.guest_id))
        .subscribe((s, err) => (s === "SUBSCRIBED" ? resolve() : s === "CHANNEL_ERROR" ? reject(err) : undefined))
    );
    const { data } = await rawClient().rpc("register_and_create_guest_v2", {
      p_phone: randomPhone(), p_first_name: "Ola", p_last_name: "Outage",
      p_email: "ola@example.com", p_password: await phoneHash("Back-2026x"), p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team,
      p_proof: await proof(),
    });
    await eventually(() => (received.includes(data.guest_id) ? true : undefined), 10_000);
    await staff.removeAllChannels();
  });
});
