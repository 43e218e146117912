// No anonymous call waits on a lock an attacker can hold: while one call holds a phone's lock
// (its password being checked), a call for the same phone from another address is told `busy`
// at once instead of waiting with a pooled connection, however many addresses the attacker has.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCode, connect } from "./db";
import { makeWorld, randomPhone, type World } from "./env";

const sql = connect(3);
afterAll(() => sql.end());
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

describe("locks an attacker can hold", () => {
  it("a call for a phone whose password is being checked answers busy, from any address", async () => {
    const phone = randomPhone();
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const holder = sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(74202, hashtext(${phone}))`;
      locked();
      await Promise.race([released, new Promise((r) => setTimeout(r, 5000))]);
    });
    await isLocked;
    const answer = await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', '{"role":"anon"}', true), set_config('role', 'anon', true),
                      set_config('request.headers', ${JSON.stringify({ "x-forwarded-for": "203.0.113.77" })}, true)`;
      try {
        const [{ r }] = await tx`select public.authenticate_and_create_guest_v2(${phone}, 'Whatever-2026', ${w.open_event}, ${w.promoter}, ${w.team}) r`;
        return r.message ?? "pass";
      } catch (e) {
        return apiCode(e);
      }
    });
    release();
    await holder;
    expect(answer).toBe("busy");
  });
});
