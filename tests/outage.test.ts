// The database goes away mid-night: the gateway answers 503 with Retry-After at once (no hang),
// and recovers by itself when Postgres is back, Realtime included.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { connect } from "./db";
import { client, env, eventually, makeWorld, proof, randomPhone, signedIn } from "./env";

const check = () =>
  fetch(`${env.apiUrl}/rest/v1/rpc/check_phone_with_cache`, {
    method: "POST",
    headers: { apikey: env.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ p_phone: "912000001" }),
    signal: AbortSignal.timeout(15_000),
  });

describe("pool exhaustion", () => {
  it("calls that find no free connection within the wait get 503 + Retry-After, the rest complete", async () => {
    const w = await makeWorld();
    const phone = randomPhone();
    const sql = connect(1);
    // Hold a lock on the accounts table (as a long migration would), so that every login waits
    // inside the database and keeps its pooled connection (10 in the test gateway) busy. (No
    // anonymous caller can hold such a lock: the product only uses try-locks for them.)
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const release = sql.begin(async (tx) => {
      await tx`lock table private.client_users in access exclusive mode`;
      locked();
      await new Promise((r) => setTimeout(r, 5000));
    });
    await isLocked;
    const calls = Array.from({ length: 14 }, () =>
      fetch(`${env.apiUrl}/rest/v1/rpc/authenticate_and_create_guest_v2`, {
        method: "POST",
        headers: { apikey: env.anonKey, "content-type": "application/json" },
        body: JSON.stringify({ p_phone: phone, p_password: "Whatever-1", p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team }),
        signal: AbortSignal.timeout(20_000),
      }));
    const answers = await Promise.all(calls.map(async (c) => {
      const res = await c;
      return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
    }));
    await release;
    await sql.end();
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(new Set(refused.map((a) => `${a.retryAfter} ${a.body.code}`))).toEqual(new Set(["1 PGRST003"]));
    // The ones that got a connection were answered once the lock was released.
    expect(answers.filter((a) => a.status !== 503).every((a) => [401, 429].includes(a.status))).toBe(true);
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
      expect(down.headers.get("retry-after")).toBe("1");
      expect((await down.json()).code).toMatch(/^PGRST00[13]$/);
      const viaClient = await client().rpc("check_phone_with_cache", { p_phone: "912000001" });
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
    const { data } = await client().rpc("register_and_create_guest_v2", {
      p_phone: randomPhone(), p_first_name: "Ola", p_last_name: "Outage",
      p_email: "ola@example.com", p_password: "Back-2026x", p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team,
      p_proof: await proof(),
    });
    await eventually(() => (received.includes(data.guest_id) ? true : undefined), 10_000);
    await staff.removeAllChannels();
  });
});
