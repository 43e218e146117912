// The database goes away mid-night: the gateway answers 503 with Retry-After at once (no hang),
// and recovers by itself when Postgres is back, Realtime included.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { client, env, eventually, makeWorld, signedIn } from "./env";

const check = () =>
  fetch(`${env.apiUrl}/rest/v1/rpc/check_phone_with_cache`, {
    method: "POST",
    headers: { apikey: env.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ p_phone: "912000001" }),
    signal: AbortSignal.timeout(15_000),
  });

describe("database outage", () => {
  it("gives 503s while Postgres is stopped and 200s once it is back, without restarting the gateway", async () => {
    const w = await makeWorld();
    expect((await check()).status).toBe(200);

    execFileSync("bash", ["scripts/db.sh", "down"], { stdio: "inherit" });
    try {
      const down = await check();
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("1");
      expect((await down.json()).code).toMatch(/^PGRST00[13]$/);
      const viaClient = await client().rpc("check_phone_with_cache", { p_phone: "912000001" });
      expect(viaClient.status).toBe(503);
    } finally {
      execFileSync("bash", ["scripts/db.sh", "up"], { stdio: "inherit" });
    }

    await eventually(async () => (await check()).status === 200 || undefined, 20_000);

    // Realtime's LISTEN came back too: a registration reaches a subscriber again.
    const staff = await signedIn(w.staff_a);
    const received: string[] = [];
    await new Promise<void>((resolve, reject) =>
      staff.channel(`event:${w.open_event}`, { config: { private: true } })
        .on("broadcast", { event: "guest_registered" }, (m) => received.push(m.payload.guest_id))
        .subscribe((s, err) => (s === "SUBSCRIBED" ? resolve() : s === "CHANNEL_ERROR" ? reject(err) : undefined))
    );
    const { data } = await client().rpc("register_and_create_guest_v2", {
      p_phone: `+35193${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`, p_first_name: "Ola", p_last_name: "Outage",
      p_email: "ola@example.com", p_password: "Back-2026x", p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team,
    });
    await eventually(() => (received.includes(data.guest_id) ? true : undefined), 10_000);
    await staff.removeAllChannels();
  });
});
