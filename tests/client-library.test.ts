// The pages' client library (client/api.ts) against the live stack: typed errors, the guest
// calls end to end with the password hashed on the phone (login, registration, a retry, a seed
// row, a cost the server refuses), the zod rules agreeing with the SQL's, a sentence in both
// languages for every error code the API can answer, and the live dashboard's message reducer.
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, checkAsync, createApi } from "../client/api";
import { bcrypt, newSalt } from "../client/bcrypt";
import { ApiError, ERROR_CODES } from "../client/errors";
import { applyMessage, slotOf } from "../client/live";
import { errorsEn, errorsPt } from "../client/pages/src/i18n";
import * as S from "../client/schemas";
import { connect } from "./db";
import { client, env, makeWorld, randomPhone, type World } from "./env";

const sql = connect(1);
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => sql.end());

describe("client library (pages)", () => {
  it("fails with a typed error carrying the server's code and sentences", async () => {
    const api = createApi(client());
    // A number the client accepts but the server refuses would reach the server; this one does not.
    const local = await api.checkPhone("not a phone").catch((e) => e);
    expect(local).toBeInstanceOf(ApiError);
    expect([local.code, local.status]).toEqual(["invalid_phone", 400]);
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const server = await api.authenticate(randomPhone(), "Wrong-2026x", link).catch((e) => e);
    expect(server).toBeInstanceOf(ApiError);
    expect([server.code, server.status]).toEqual(["invalid_credentials", 401]);
    expect(server.details).toMatch(/password/);
  });

  it("resolves a link, registers, logs in and joins with the session", async () => {
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
    const other = await api.joinWithSession(first.session_token, { ...link, eventId: w.open_event2 });
    expect(other.client_user_id).toBe(first.client_user_id);
    expect(other.qr_token).not.toBe(first.qr_token);
  });

  it("checks inputs with the SQL's own rules: the client and the database agree", async () => {
    const cases: [keyof typeof S, string, string][] = [
      ["Phone", "912 345 678", "private.normalize_phone($1)"], ["Phone", "+44 7700 900123", "private.normalize_phone($1)"],
      ["Phone", "00351 212345678", "private.normalize_phone($1)"], ["Phone", "812345678", "private.normalize_phone($1)"],
      ["Phone", "91234", "private.normalize_phone($1)"], ["Phone", "+351 91 (234) 56-78", "private.normalize_phone($1)"],
      ["Phone", "abc", "private.normalize_phone($1)"], ["Phone", "+0123456789", "private.normalize_phone($1)"],
      ["FirstName", "  Ana   Maria ", "private.clean_name('first_name', $1)"], ["FirstName", "João", "private.clean_name('first_name', $1)"],
      ["FirstName", "O'Neil-Smith", "private.clean_name('first_name', $1)"], ["FirstName", "A", "private.clean_name('first_name', $1)"],
      ["FirstName", "R2D2", "private.clean_name('first_name', $1)"], ["FirstName", "Ana--Rita", "private.clean_name('first_name', $1)"],
      ["Email", " Bea@Example.COM ", "private.clean_email($1)"], ["Email", "bea@example", "private.clean_email($1)"],
      ["Email", "bea@-example.com", "private.clean_email($1)"], ["Email", "a.b+c@sub.example.pt", "private.clean_email($1)"],
    ];
    for (const [schema, input, call] of cases) {
      let server: string | null;
      try {
        const [row] = await sql.unsafe(`select (${call})::text as v`, [input]);
        server = row.v || "ok"; // void checks answer ""
      } catch (e) {
        server = `error ${(e as { message: string }).message}`;
      }
      let local: string;
      try {
        const v = check(S[schema] as never, input) as unknown;
        local = typeof v === "string" ? v : "ok";
      } catch (e) {
        local = `error ${(e as ApiError).code}`;
      }
      expect(`${schema} ${JSON.stringify(input)}: ${local}`).toBe(`${schema} ${JSON.stringify(input)}: ${server}`);
    }
  });

  it("checks a new password on the phone by NIST SP 800-63B, the only place its rules live (the server sees only its bcrypt)", async () => {
    const verdict = async (p: string) => {
      try { await checkAsync(S.NewPassword, p); return "ok"; } catch (e) { return (e as ApiError).code; }
    };
    const cases = ["noite de verão", "Short1a", "sete7ch", "password1", "Password1", "iloveyou", "qwertyuiop", "ÉNORMEmente",
      `Aa1${"é".repeat(35)}`, `Aa1${"é".repeat(34)}`, "1234567890", "8 chars!"];
    expect(await Promise.all(cases.map(verdict))).toEqual(["ok", "password_too_short", "password_too_short", "common_password",
      "common_password", "common_password", "common_password", "ok", "password_too_long", "ok", "common_password", "ok"]);
    // No composition rules: lower case only, or no digit, is fine.
    expect(await verdict("caminho longo")).toBe("ok");
  });

  it("a registration's every wrong field is reported at once", async () => {
    const e = (await checkAsync(S.Registration, { phone: "912345678", firstName: "R2D2", lastName: "", email: "x@", password: "password" })
      .catch((x) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.issues.map((i: { field: string | null; code: string }) => `${i.field} ${i.code}`)).toEqual([
      "firstName invalid_first_name", "lastName invalid_last_name", "email invalid_email", "password common_password"]);
  });

  it("logs in with the phone's bcrypt of the password; the database keeps sha256 of it, never the string sent", async () => {
    const sent: string[] = [];
    const api = createApi(client(), { hashPassword: async (p, salt) => { const h = await bcrypt(p, salt); sent.push(h); return h; } });
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const phone = randomPhone();
    const pass = await api.register({ phone, firstName: "Sara", lastName: "Sal", email: "s@example.com", password: "Coração-2026" }, link);
    const check = await api.checkPhone(phone);
    expect(check).toEqual({ exists: true, phone, salt: sent[0].slice(0, 29) });
    expect(sent[0]).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    const again = await api.authenticate(phone, "Coração-2026", link, check.salt);
    expect(again.qr_token).toBe(pass.qr_token);
    expect(sent[1]).toBe(sent[0]); // the same salt gives the same string
    const [row] = await sql`select password_salt, password_digest, password_digest = extensions.digest(${sent[0]}, 'sha256') as is_sha256,
                                   position(convert_to(${sent[0]}, 'utf8') in password_digest) > 0 as holds_sent
                            from private.client_users where phone = ${phone}`;
    expect([row.password_salt, row.is_sha256, row.holds_sent]).toEqual([sent[0].slice(0, 29), true, false]);
    const wrong = await api.authenticate(phone, "Coracao-2026", link, check.salt).catch((e) => e);
    expect([wrong.code, wrong.status]).toEqual(["invalid_credentials", 401]);
  });

  it("logs in an account the seed made with pgcrypto (a $2a$ cost-10 row), accents included", async () => {
    const phone = randomPhone();
    await sql`select tests.create_guest_account(${phone}, 'Joana', 'Seed', 'Pão-de-Açúcar-1')`;
    const api = createApi(client());
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const { salt } = await api.checkPhone(phone);
    expect(salt).toMatch(/^\$2a\$10\$/);
    const pass = await api.authenticate(phone, "Pão-de-Açúcar-1", link, salt);
    expect(pass.first_name).toBe("Joana");
    const wrong = await api.authenticate(phone, "Pao-de-Acucar-1", link).catch((e) => e);
    expect(wrong.code).toBe("invalid_credentials");
  });

  it("the server refuses a hash of cost 4 (weak_password) and a password sent as it was typed", async () => {
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const input = { phone: randomPhone(), firstName: "Rui", lastName: "Raso", email: "r@example.com", password: "Barato-2026" };
    const cheap = createApi(client(), { hashPassword: (p) => bcrypt(p, newSalt(4)) });
    const e = await cheap.register(input, link).catch((x) => x);
    expect([e.code, e.status]).toEqual(["weak_password", 400]);
    expect(e.details).toMatch(/cost/);
    const plain = createApi(client(), { hashPassword: async (p) => p });
    const f = await plain.register(input, link).catch((x) => x);
    expect([f.code, f.status]).toEqual(["weak_password", 400]);
    const [{ n }] = await sql`select count(*)::int n from private.client_users where phone = ${input.phone}`;
    expect(n).toBe(0);
  });

  it("a registration whose answer was lost is retried with the same string and gets the same pass", async () => {
    const bodies: string[] = [];
    let dropped = false;
    const flaky = client(env.anonKey, async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).includes("register_and_create_guest_v2")) return res;
      bodies.push(String(init?.body));
      // The first answer is lost on the way back: the database committed, the phone saw nothing.
      if (!dropped) { dropped = true; await res.text(); throw new TypeError("fetch failed"); }
      return res;
    });
    let hashes = 0;
    const api = createApi(flaky, { sleep: async () => {}, hashPassword: (p, salt) => { hashes++; return bcrypt(p, salt); } });
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const phone = randomPhone();
    const pass = await api.register({ phone, firstName: "Tó", lastName: "Retry", email: "t@example.com", password: "Outra-Vez-2026" }, link);
    expect(bodies.length).toBe(2);
    expect(bodies[1]).toBe(bodies[0]); // the same proof and the same bcrypt string
    expect(hashes).toBe(1);
    const rows = await sql`select g.qr_token from public.guests g join private.client_users u on u.id = g.client_user_id
                           where u.phone = ${phone} and g.event_id = ${w.open_event}`;
    expect(rows.map((r) => r.qr_token)).toEqual([pass.qr_token]);
  });

  it("has a Portuguese and an English sentence for every error code the API can answer", () => {
    const sources = [
      ...readdirSync("supabase/migrations").map((f) => readFileSync(`supabase/migrations/${f}`, "utf8")),
      ...readdirSync("supabase/functions", { recursive: true }).map(String).filter((f) => f.endsWith(".ts"))
        .map((f) => readFileSync(`supabase/functions/${f}`, "utf8")),
    ].join("\n");
    const sqlCodes = [...sources.matchAll(/(?:fail|fail_retry|committed_error|password_failed)\((?:[^,'()]*,\s*)*'([a-z_]+)'/g)]
      .map((m) => m[1]);
    const fnCodes = [...sources.matchAll(/apiError\(\d+, "([a-z_]+)"/g)].map((m) => m[1]);
    const codes = new Set([...sqlCodes, ...fnCodes].flatMap((c) => (c.endsWith("_") ? [`${c}first_name`, `${c}last_name`] : [c])));
    expect(codes.size).toBeGreaterThan(15);
    expect([...codes].filter((c) => !(ERROR_CODES as readonly string[]).includes(c))).toEqual([]);
    for (const code of ERROR_CODES) {
      expect(errorsPt[code], code).toBeTruthy();
      expect(errorsEn[code], code).toBeTruthy();
      expect(errorsPt[code], code).not.toBe(errorsEn[code]);
    }
  });

  it("applies a live message to the dashboard: totals, promoter, team, feed and 15-minute slots", () => {
    const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
    const d: S.Dashboard = {
      event: { id: id(1), name: "N", starts_at: "2026-12-01T23:00:00Z", ends_at: "2026-12-02T06:00:00Z", guest_list_closes_at: "2026-12-01T23:00:00Z", capacity: null },
      totals: { registered: 1, checked_in: 0 },
      by_promoter: [{ promoter_id: id(2), display_name: "P", registered: 1, checked_in: 0 }],
      by_team: [{ team_id: id(3), name: "T", registered: 1, checked_in: 0 }],
      arrivals_per_15_min: [], registrations_per_15_min: [{ slot: "2026-12-01T22:45:00Z", registrations: 1 }], latest_arrivals: [],
    };
    const m: S.GuestMessage = {
      event_id: id(1), guest_id: id(4), first_name: "Ana", last_initial: "B", promoter: { id: id(2), display_name: "P" },
      team: { id: id(3), name: "T" }, registered_at: "2026-12-01T22:50:00Z", checked_in_at: null, totals: { registered: 2, checked_in: 0 },
    };
    const r = applyMessage(d, "guest_registered", m);
    expect([r.totals.registered, r.by_promoter[0].registered, r.by_team[0].registered]).toEqual([2, 2, 2]);
    expect(r.registrations_per_15_min).toEqual([{ slot: "2026-12-01T22:45:00Z", registrations: 2 }]);
    const a = applyMessage(r, "guest_checked_in", { ...m, checked_in_at: "2026-12-01T23:20:00Z", totals: { registered: 2, checked_in: 1 } });
    expect([a.totals.checked_in, a.by_promoter[0].checked_in, a.by_team[0].checked_in]).toEqual([1, 1, 1]);
    expect(a.arrivals_per_15_min).toEqual([{ slot: "2026-12-01T23:15:00.000Z", arrivals: 1 }]);
    expect(a.latest_arrivals.map((x) => x.first_name)).toEqual(["Ana"]);
    expect(slotOf("2026-12-01T22:59:59Z", "2026-12-01T23:00:00Z")).toBe("2026-12-01T22:45:00.000Z");
    // A waiting or pending pass holds no place: it moves no count but the totals the message carries.
    for (const status of ["waiting", "pending"]) {
      const q = applyMessage(d, "guest_registered", { ...m, status, totals: { registered: 1, checked_in: 0 } });
      expect([q.totals.registered, q.by_promoter[0].registered, q.by_team[0].registered]).toEqual([1, 1, 1]);
      expect(q.registrations_per_15_min).toEqual(d.registrations_per_15_min);
    }
  });
});
