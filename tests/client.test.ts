// The guest client against the live stack: a burst larger than the bcrypt slots loses nobody.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestlist, GuestlistError } from "../client/guestlist";
import { backoff, retryDelay } from "../client/retry";
import { connect } from "./db";
import { client, makeWorld, randomPhone, type World } from "./env";

const sql = connect(1);
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => sql.end());

describe("guest client", () => {
  it("spreads retries: jittered, growing, bounded", () => {
    expect([backoff(0, () => 0), backoff(0, () => 1), backoff(3, () => 0.5), backoff(9, () => 1)]).toEqual([125, 375, 2000, 7500]);
  });

  it("retries busy as the server asks, platform overload and network failures with back-off, nothing else", () => {
    const busy = { status: 429, body: { message: "busy", retry_after: 3, position: 40, wait_seconds: 3 } };
    expect(retryDelay(busy, 0, () => 0)).toBe(3000);
    expect(retryDelay({ status: 504, body: { code: "PGRST003" } }, 1, () => 0.5)).toBe(500);
    expect(retryDelay({ status: 0 }, 0, () => 0.5)).toBe(250);
    expect(retryDelay({ status: 429, body: { message: "rate_limited" } }, 0)).toBeNull();
    expect(retryDelay({ status: 401, body: { message: "invalid_credentials" } }, 0)).toBeNull();
  });

  it("a burst of 40 registrations with one bcrypt slot: every guest gets a pass, exactly once", async () => {
    await sql`update private.settings set value = '1' where key = 'bcrypt_slots'`;
    try {
      let retries = 0;
      const api = guestlist(client(), { sleep: (ms) => (retries++, new Promise((r) => setTimeout(r, ms))) });
      const base = String(Math.floor(Math.random() * 1e5)).padStart(5, "0");
      const phones = Array.from({ length: 40 }, (_, i) => `+35191${base}${String(i).padStart(2, "0")}`);
      const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
      const passes = await Promise.all(phones.map((phone) =>
        api.register({ phone, firstName: "Bia", lastName: "Burst", email: "bia@example.com", password: "Burst-2026x" }, link)
      ));
      expect(new Set(passes.map((p) => p.qr_token)).size).toBe(40);
      const [{ n }] = await sql`select count(*)::int n from public.guests g join private.client_users u on u.id = g.client_user_id
                                 where g.event_id = ${w.open_event} and u.phone = any(${phones})`;
      expect(n).toBe(40);
      expect(retries).toBeGreaterThan(0); // the burst did meet 503 busy, and was retried
    } finally {
      await sql`update private.settings set value = '2' where key = 'bcrypt_slots'`;
    }
  });

  it("throws the database's code and sentences for other errors", async () => {
    const api = guestlist(client());
    const err = await api.checkPhone("not a phone").catch((e) => e);
    expect(err).toBeInstanceOf(GuestlistError);
    expect([err.code, err.status]).toEqual(["invalid_phone", 400]);
    expect(err.details).toMatch(/phone number/);
  });

  it("resolves a link and logs a returning guest in", async () => {
    const api = guestlist(client());
    const card = await api.resolveLink(w.promoter_slug, w.open_slug);
    expect(card.event.id).toBe(w.open_event);
    const link = { eventId: card.event.id, promoterId: card.promoter.id, teamId: card.team?.id ?? null };
    const phone = randomPhone();
    const first = await api.register({ phone, firstName: "Rosa", lastName: "Return", email: "r@example.com", password: "Again-2026x" }, link);
    const again = await api.logIn(phone, "Again-2026x", link);
    expect(again.qr_token).toBe(first.qr_token);
    expect((await api.checkPhone(phone)).exists).toBe(true);
  });
});
