// The guest client against the live stack: a burst larger than the bcrypt slots loses nobody.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../client/api";
import type { Database } from "../client/database.types";
import { ApiError } from "../client/errors";
import { backoff, retryDelay } from "../client/retry";
import { connect } from "./db";
import { createClient } from "@supabase/supabase-js";
import WebSocket from "ws";
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

  it("a burst of 40 registrations with one bcrypt slot: one pass each, in arrival order, never a 503", async () => {
    await sql`update private.settings set value = '1' where key = 'bcrypt_slots'`;
    try {
      const statuses: number[] = [];
      const busy: Record<string, unknown>[] = [];
      // Per guest: when its first request left, when its first answer came back (its ticket
      // exists by then), and when its pass arrived.
      const sentAt: number[] = [], enteredAt: number[] = [], servedAt: number[] = [];
      const guestOf = (init?: RequestInit) => phones.findIndex((p) => String(init?.body ?? "").includes(`"${p}"`));
      const recording = createClient<Database>(env.apiUrl, env.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
        realtime: { transport: WebSocket as never },
        global: {
          fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
            const g = guestOf(init);
            if (g >= 0) sentAt[g] ??= Date.now();
            const res = await fetch(input, init);
            if (g >= 0) enteredAt[g] ??= Date.now();
            statuses.push(res.status);
            if (res.status === 429) busy.push({ ...(await res.clone().json()), header: res.headers.get("retry-after") });
            return res;
          },
        },
      });
      const base = String(Math.floor(Math.random() * 1e5)).padStart(5, "0");
      const phones = Array.from({ length: 40 }, (_, i) => `+35191${base}${String(i).padStart(2, "0")}`);
      const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
      // Guests arrive one after another (25 ms apart), each with the page's client, which starts
      // the proof of work while the guest types (prepareRegistration).
      const apis = phones.map(() => createApi(recording));
      for (const api of apis) api.prepareRegistration();
      const passes = await Promise.all(phones.map(async (phone, i) => {
        await new Promise((r) => setTimeout(r, 25 * i));
        const pass = await apis[i].register(
          { phone, firstName: "Bia", lastName: "Burst", email: "bia@example.com", password: "Burst-2026x" }, link);
        servedAt[i] = Date.now();
        return pass;
      }));

      expect(new Set(passes.map((p) => p.qr_token)).size).toBe(40);
      expect(passes.every((p) => p.already_registered === false)).toBe(true);
      const [{ n }] = await sql`select count(*)::int n from public.guests g join private.client_users u on u.id = g.client_user_id
                                 where g.event_id = ${w.open_event} and u.phone = any(${phones})`;
      expect(n).toBe(40);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      // The burst did wait in the line, and was told its place and wait with the contract's answer.
      expect(busy.length).toBeGreaterThan(0);
      for (const b of busy) {
        expect(b).toMatchObject({ code: "PT429", message: "busy" });
        expect([typeof b.position, typeof b.wait_seconds, String(Math.max(1, Math.ceil(Number(b.retry_after))))]).toEqual(["number", "number", b.header]);
      }
      // Arrival order, within the rule's tolerance: nobody is served more than 2 s after a guest
      // who came later (later for sure: who sent its first request after the first had its answer).
      const overtaken = phones.flatMap((_, i) => phones.map((_, j) => j)
        .filter((j) => enteredAt[i] < sentAt[j] && servedAt[i] > servedAt[j] + 2000).map((j) => `${i} after ${j}`));
      expect(overtaken).toEqual([]);
      const [{ left }] = await sql`select count(*)::int left from private.password_line
        where ticket in (select private.sha256(p || ' 127.0.0.1') from unnest(${phones}::text[]) p)`;
      expect(left).toBe(0); // every ticket left the line with its pass
    } finally {
      await sql`update private.settings set value = '"auto"' where key = 'bcrypt_slots'`;
    }
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
    expect((await api.register({ phone, firstName: "Rosa", lastName: "Return", email: "r@example.com", password: "Again-2026x" }, link)).qr_token)
      .toBe(first.qr_token); // the guest client solves a fresh proof of work for each registration
    const again = await api.authenticate(phone, "Again-2026x", link);
    expect(again.qr_token).toBe(first.qr_token);
    expect((await api.checkPhone(phone)).exists).toBe(true);
  });
});
