// The guest client against the live stack: the retry rule, a burst that loses nobody, errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../client/api";
import { ApiError } from "../client/errors";
import { backoff, retryDelay } from "../client/retry";
import { connect } from "./db";
import { client, env, makeWorld, randomPhone, type World } from "./env";

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

  it("a burst of 40 registrations through the page's client: one pass each, never a 5xx", async () => {
    const statuses: number[] = [];
    const recording = client(env.anonKey, async (input, init) => {
      const res = await fetch(input, init);
      statuses.push(res.status);
      return res;
    });
    const base = String(Math.floor(Math.random() * 1e5)).padStart(5, "0");
    const phones = Array.from({ length: 40 }, (_, i) => `+35191${base}${String(i).padStart(2, "0")}`);
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    // Each guest with the page's client, which starts the proof of work while the guest types
    // (prepareRegistration) and hashes the password on the phone.
    const apis = phones.map(() => createApi(recording));
    for (const api of apis) api.prepareRegistration();
    const passes = await Promise.all(phones.map((phone, i) => apis[i].register(
      { phone, firstName: "Bia", lastName: "Burst", email: "bia@example.com", password: "Burst-2026x" }, link)));

    expect(new Set(passes.map((p) => p.qr_token)).size).toBe(40);
    expect(passes.every((p) => p.already_registered === false)).toBe(true);
    const [{ n }] = await sql`select count(*)::int n from public.guests g join private.client_users u on u.id = g.client_user_id
                               where g.event_id = ${w.open_event} and u.phone = any(${phones})`;
    expect(n).toBe(40);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });

  it("throws the database's code and sentences for other errors", async () => {
    const api = createApi(client());
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const err = await api.authenticate(randomPhone(), "Wrong-2026x", link).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([err.code, err.status]).toEqual(["invalid_credentials", 401]);
    expect(err.details).toMatch(/password/);
  });

  it("resolves a link and logs a returning guest in", async () => {
    const api = createApi(client());
    const card = await api.resolvePromoterLink(w.promoter_slug, w.open_slug);
    expect(card.event.id).toBe(w.open_event);
    const link = { eventId: card.event.id, promoterId: card.promoter.id, teamId: card.team?.id ?? null };
    const phone = randomPhone();
    const first = await api.register({ phone, firstName: "Rosa", lastName: "Return", email: "r@example.com", password: "Again-2026x" }, link);
    // Registering again is a new submit: a fresh proof of work and a new salt, so another string
    // than the account's, which the database refuses (a retry of one call is idempotent: below).
    const twice = await api.register({ phone, firstName: "Rosa", lastName: "Return", email: "r@example.com", password: "Again-2026x" }, link)
      .catch((e) => e);
    expect([twice.code, twice.status]).toEqual(["phone_already_registered", 409]);
    const again = await api.authenticate(phone, "Again-2026x", link);
    expect(again.qr_token).toBe(first.qr_token);
    expect((await api.checkPhone(phone)).exists).toBe(true);
  });
});
