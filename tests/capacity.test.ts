// Capacity kept for staff: anonymous calls cannot take the whole API pool (private.check_request,
// `api_pool_size` and `api_pool_reserved`). Real parallel HTTP clients through the gateway, whose
// pool (POOL_SIZE, 10 here) is PostgREST's: the anonymous calls are held inside the database by a
// lock the test takes, so they keep their connections for as long as the test needs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { env, eventually, makeWorld, randomPhone, signedIn } from "./env";

const sql = connect(2);
afterAll(() => sql.end());

let eventId = "";
let staffToken = "";

beforeAll(async () => {
  const w = await makeWorld();
  eventId = w.open_event;
  const staff = await signedIn(w.owner_a);
  staffToken = (await staff.auth.getSession()).data.session!.access_token;
});

type Answer = { status: number; retryAfter: string | null; body: { message?: string } | null };

async function rpc(fn: string, args: Record<string, unknown>, token: string, address: string): Promise<Answer> {
  const res = await fetch(`${env.apiUrl}/rest/v1/rpc/${fn}`, {
    method: "POST",
    headers: { apikey: env.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json", "x-forwarded-for": address },
    body: JSON.stringify(args),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: text ? JSON.parse(text) : null };
}

const guestCall = (address: string) => rpc("check_phone_with_cache", { p_phone: randomPhone() }, env.anonKey, address);
const staffCall = () => rpc("event_dashboard", { p_event_id: eventId }, staffToken, "192.0.2.200");

describe("capacity kept for signed-in callers", () => {
  it("with every anonymous slot held, a staff call is answered and one more guest call is told busy at once", async () => {
    const [{ size, reserved }] = await sql`select
      (select value::integer from private.settings where key = 'api_pool_size') as size,
      (select value::integer from private.settings where key = 'api_pool_reserved') as reserved`;
    expect(size).toBe(Number(process.env.POOL_SIZE ?? 10)); // the setting matches the gateway's pool
    // Warm: the gateway's schema cache is loaded and both kinds of call work.
    expect((await staffCall()).status).toBe(200);
    expect((await guestCall("192.0.2.1")).status).toBe(200);

    const lock = connect(1);
    let heldSettled = 0; // guest calls that ended other than with the immediate `busy`
    try {
      const outcome = await lock.begin(async (tx) => {
        // Every counted anonymous call reads the limits table after taking its slot: it waits here.
        await tx`lock table private.rate_limits in access exclusive mode`;
        // As many guest calls at once as the pool has connections.
        const flood = Array.from({ length: size }, () => guestCall("192.0.2.2").then((a) => {
          if (!(a.status === 429 && a.body?.message === "busy")) heldSettled++;
          return a;
        }));
        // The anonymous slots fill: that many calls wait inside the database, holding their connection.
        await eventually(async () => {
          const [{ n }] = await sql`select count(*)::integer as n from pg_stat_activity
            where usename = 'authenticator' and wait_event_type = 'Lock'`;
          return n >= size - reserved ? n : undefined;
        }, 2000);
        const staff = await staffCall();
        const another = await guestCall("192.0.2.3");
        const heldWhenAnswered = heldSettled;
        return { flood, staff, another, heldWhenAnswered };
      });
      // The staff call was answered while the guests' calls still held their connections.
      expect(outcome.staff.status).toBe(200);
      expect(outcome.heldWhenAnswered).toBe(0);
      // A guest past the anonymous share is told to come back, with the stable code and a wait.
      expect(outcome.another.status).toBe(429);
      expect(outcome.another.body?.message).toBe("busy");
      expect(Number(outcome.another.retryAfter)).toBeGreaterThanOrEqual(1);
      // Once the lock is gone the held calls are served; the calls past the share were told busy.
      const flood = await Promise.all(outcome.flood);
      const statuses = flood.map((a) => (a.status === 200 ? "200" : `${a.status} ${a.body?.message}`)).sort();
      expect(statuses).toEqual([...Array(size - reserved).fill("200"), ...Array(reserved).fill("429 busy")]);
    } finally {
      await lock.end();
    }
  });
});
