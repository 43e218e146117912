// The public API through the gateway and the real supabase-js: every public RPC with its success
// and each error code and status, the per-IP limit, and the actors. (PostgREST's own behaviour,
// JWTs included, is checked apart from the product in local/tests/postgrest.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { rawClient, env, loginHash, makeWorld, phoneHash, proof, randomPhone, signedIn, type World } from "./env";

const sql = connect(2);
let w: World;
const anon = rawClient();
const link = () => ({ p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team });
// The password as the phone sends it: bcrypt of "Gate-2026x" with a new salt, made once.
let gate: string;
const register = async (p: string, extra: Record<string, unknown> = {}) =>
  anon.rpc("register_and_create_guest_v2", {
    p_phone: p, p_first_name: "Gina", p_last_name: "Gateway", p_email: "gina@example.com", p_password: gate,
    ...link(), p_proof: await proof(), ...extra,
  });

const rpcFetch = (fn: string, body: string, headers: Record<string, string> = {}, method = "POST") =>
  fetch(`${env.apiUrl}/rest/v1/rpc/${fn}`, {
    method,
    headers: { apikey: env.anonKey, "content-type": "application/json", ...headers },
    body: method === "GET" ? undefined : body,
  });

beforeAll(async () => {
  w = await makeWorld();
  gate = await phoneHash("Gate-2026x");
});
afterAll(async () => {
  await sql.end();
});

describe("guest RPCs as anon", () => {
  it("resolve_promoter_link answers the card, and 404 for an unknown link", async () => {
    const ok = await anon.rpc("resolve_promoter_link", { p_promoter_slug: w.promoter_slug, p_event_slug: w.open_slug });
    expect(ok.status).toBe(200);
    expect(ok.data.event.id).toBe(w.open_event);
    const missing = await anon.rpc("resolve_promoter_link", { p_promoter_slug: "nobody", p_event_slug: "nothing" });
    expect([missing.status, missing.error?.message, missing.error?.code]).toEqual([404, "event_not_found", "PT404"]);
  });

  it("check_phone_with_cache answers {exists, phone, salt} only", async () => {
    const { data, status } = await anon.rpc("check_phone_with_cache", { p_phone: "912 000 009" });
    expect(status).toBe(200);
    expect(data).toEqual({ exists: false, phone: "+351912000009", salt: null });
    const p = randomPhone();
    await register(p);
    const known = await anon.rpc("check_phone_with_cache", { p_phone: p });
    expect(known.data).toEqual({ exists: true, phone: p, salt: gate.slice(0, 29) });
  });

  it("registers, logs in and joins with a session, always the same pass", async () => {
    const p = randomPhone();
    const first = await register(p);
    expect(first.status).toBe(200);
    expect(first.data.already_registered).toBe(false);
    const again = await register(p); // a retry: the same string
    expect(again.data.qr_token).toBe(first.data.qr_token);
    const login = await anon.rpc("authenticate_and_create_guest_v2", { p_phone: p, p_password: await loginHash(p, "Gate-2026x"), ...link() });
    expect(login.data.qr_token).toBe(first.data.qr_token);
    const joined = await anon.rpc("join_event_with_session", {
      p_session_token: first.data.session_token, ...link(), p_event_id: w.open_event2,
    });
    expect(joined.status).toBe(200);
    expect(joined.data.client_user_id).toBe(first.data.client_user_id);
    expect(joined.data.qr_token).not.toBe(first.data.qr_token);
  });

  it.each([
    ["invalid_phone", 400, { p_phone: "12" }],
    ["weak_password", 400, { p_password: "Gate-2026x" }], // a password, not the phone's bcrypt of it
    ["weak_password", 400, { p_password: "$2b$04$abcdefghijklmnopqrstuu" + "x".repeat(31) }], // cost 4
    ["invalid_first_name", 400, { p_first_name: "R2D2" }],
    ["invalid_last_name", 400, { p_last_name: "" }],
    ["invalid_email", 400, { p_email: "nope" }],
    ["event_not_found", 404, { p_event_id: "00000000-0000-4000-8000-000000000000" }],
    ["promoter_not_linked", 404, { p_promoter_id: "00000000-0000-4000-8000-000000000000" }],
    ["guest_list_closed", 409, { p_event_id: "closed" }],
  ])("register refuses with %s (%i)", async (code, status, extra) => {
    const args = { ...extra } as Record<string, unknown>;
    if (args.p_event_id === "closed") args.p_event_id = w.closed_event;
    const { error, status: got, data } = await register(randomPhone(), args);
    expect(data).toBeNull();
    expect([got, error?.message, error?.code]).toEqual([status, code, `PT${status}`]);
    expect(error?.details).toMatch(/\w+/);
  });

  it("a malformed uuid is PostgREST's 400 22P02", async () => {
    const { error, status } = await register(randomPhone(), { p_event_id: "not-a-uuid" });
    expect([status, error?.code]).toEqual([400, "22P02"]);
  });

  it("wrong password: 401 invalid_credentials; other password on register: 409 phone_already_registered", async () => {
    const p = randomPhone();
    await register(p);
    const login = await anon.rpc("authenticate_and_create_guest_v2", { p_phone: p, p_password: await loginHash(p, "Wrong-2026"), ...link() });
    expect([login.status, login.error?.message]).toEqual([401, "invalid_credentials"]);
    const reg = await register(p, { p_password: await phoneHash("Gate-2026x") }); // the same password, another salt
    expect([reg.status, reg.error?.message]).toEqual([409, "phone_already_registered"]);
    const raw = await anon.rpc("authenticate_and_create_guest_v2", { p_phone: p, p_password: "Gate-2026x", ...link() });
    expect([raw.status, raw.error?.message]).toEqual([401, "invalid_credentials"]); // the password itself is not accepted
    expect([reg.status, reg.error?.message]).toEqual([409, "phone_already_registered"]);
  });

  it("an unknown session is 401 invalid_session", async () => {
    const { status, error } = await anon.rpc("join_event_with_session", { p_session_token: "x".repeat(44), ...link() });
    expect([status, error?.message]).toEqual([401, "invalid_session"]);
  });

  it("a locked phone answers 429 with Retry-After", async () => {
    const p = randomPhone();
    await sql`select tests.create_guest_account(${p}, 'Lock', 'Ed', 'Gate-2026x')`;
    const wrong = await loginHash(p, "Wrong-2026");
    for (let i = 0; i < 5; i++) {
      await anon.rpc("authenticate_and_create_guest_v2", { p_phone: p, p_password: wrong, ...link() });
    }
    const res = await rpcFetch("authenticate_and_create_guest_v2",
      JSON.stringify({ p_phone: p, p_password: await loginHash(p, "Gate-2026x"), ...link() }));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await res.json()).message).toBe("account_locked");
  });
});

describe("the per-IP limit through the gateway", () => {
  it("with the gateway as the one trusted hop, counts the address it saw, whatever the client claims, and answers 429 + Retry-After", async () => {
    // An hour-long window, so that a minute boundary cannot fall between these six calls.
    await sql`update private.settings set value = '1' where key = 'client_ip_trusted_hops'`;
    await sql`update private.rate_limits set max_hits = 3, window_seconds = 3600 where bucket = 'ip' and subject = '127.0.0.1'`;
    await sql`delete from private.rate_limit_counters where bucket = 'ip' and key_hash = private.sha256('127.0.0.1')`;
    try {
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 6; i++) {
        const res = await rpcFetch("check_phone_with_cache", JSON.stringify({ p_phone: "912000001" }), {
          "x-forwarded-for": `10.0.0.${i}`, "cf-connecting-ip": `192.0.2.${i}`,
        });
        statuses.push(res.status);
        if (res.status === 429) limited = res;
        await res.body?.cancel();
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
      expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
      // Signed-in staff are not counted against it.
      const staff = await signedIn(w.staff_a);
      const dash = await staff.rpc("event_dashboard", { p_event_id: w.open_event });
      expect(dash.status).toBe(200);
    } finally {
      await sql`update private.settings set value = '0' where key = 'client_ip_trusted_hops'`;
      await sql`update private.rate_limits set max_hits = 100000, window_seconds = 60 where bucket = 'ip' and subject = '127.0.0.1'`;
    }
  });
});

describe("resolve_promoter_link is not counted per IP", () => {
  it("runs read-only (stable) over POST and GET, as on hosted PostgREST, so the per-IP hook cannot count it", async () => {
    await sql`update private.rate_limits set max_hits = 2, window_seconds = 3600 where bucket = 'ip' and subject = '127.0.0.1'`;
    await sql`delete from private.rate_limit_counters where bucket = 'ip' and key_hash = private.sha256('127.0.0.1')`;
    try {
      const args = { p_promoter_slug: w.promoter_slug, p_event_slug: w.open_slug };
      for (let i = 0; i < 3; i++) {
        expect((await anon.rpc("resolve_promoter_link", args)).status).toBe(200);
        expect((await anon.rpc("resolve_promoter_link", args, { get: true })).status).toBe(200);
      }
      // A call that writes is counted: the third is over the limit of 2.
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await anon.rpc("check_phone_with_cache", { p_phone: "912000001" })).status);
      expect(statuses).toEqual([200, 200, 429]);
      // A function that writes cannot be called over GET, where PostgREST's transaction is read-only.
      const get = await anon.rpc("registration_challenge", {}, { get: true });
      expect([get.status, get.error?.code]).toEqual([405, "25006"]);
    } finally {
      await sql`update private.rate_limits set max_hits = 100000, window_seconds = 60 where bucket = 'ip' and subject = '127.0.0.1'`;
    }
  });
});

describe("actors", () => {
  it("anon cannot call staff functions (401), staff cannot call guest functions (403)", async () => {
    const r1 = await anon.rpc("check_in_guest", { p_event_id: w.open_event, p_qr_token: "x", p_nonce: "12345678" });
    expect([r1.status, r1.error?.code]).toEqual([401, "42501"]);
    const staff = await signedIn(w.staff_a);
    const r2 = await staff.rpc("check_phone_with_cache", { p_phone: "912000001" });
    expect([r2.status, r2.error?.code]).toEqual([403, "42501"]);
  });

  it("staff of this organization scan; staff of another get 404 (as for an unknown event); the service role is no staff", async () => {
    const pass = (await register(randomPhone())).data;
    const staff = await signedIn(w.staff_a);
    const ok = await staff.rpc("check_in_guest", { p_event_id: w.open_event, p_qr_token: pass.qr_token, p_nonce: crypto.randomUUID() });
    expect([ok.status, ok.data?.verdict]).toEqual([200, "checked_in"]);
    const other = await signedIn(w.staff_b);
    const no = await other.rpc("check_in_guest", { p_event_id: w.open_event, p_qr_token: pass.qr_token, p_nonce: crypto.randomUUID() });
    expect([no.status, no.error?.message]).toEqual([404, "event_not_found"]);
    const service = rawClient(env.serviceKey);
    const svc = await service.rpc("check_in_guest", { p_event_id: w.open_event, p_qr_token: pass.qr_token, p_nonce: crypto.randomUUID() });
    // Nothing in public is granted to the service role by default (a project created in 2026).
    expect([svc.status, svc.error?.code]).toEqual([403, "42501"]);
  });

  it.each([
    ["invalid_nonce", 400, { p_nonce: "short" }],
    ["input_too_long", 400, { p_qr_token: "x".repeat(65) }],
    ["event_not_found", 404, { p_event_id: "00000000-0000-4000-8000-000000000000" }],
  ])("check_in_guest refuses with %s (%i)", async (code, status, extra) => {
    const staff = await signedIn(w.staff_a);
    const r = await staff.rpc("check_in_guest", { p_event_id: w.open_event, p_qr_token: "x", p_nonce: crypto.randomUUID(), ...extra });
    expect([r.status, r.error?.message]).toEqual([status, code]);
  });

  it("a nonce reused by another scanner is 409 nonce_reused", async () => {
    const nonce = crypto.randomUUID();
    const a = await signedIn(w.staff_a);
    const b = await signedIn(w.owner_a);
    expect((await a.rpc("check_in_guest", { p_event_id: w.open_event, p_qr_token: "x", p_nonce: nonce })).data.verdict).toBe("unknown");
    const r = await b.rpc("check_in_guest", { p_event_id: w.open_event, p_qr_token: "x", p_nonce: nonce });
    expect([r.status, r.error?.message]).toEqual([409, "nonce_reused"]);
  });

  it("the dashboard is refused to another organization (404, as for an unknown event)", async () => {
    const other = await signedIn(w.staff_b);
    const r = await other.rpc("event_dashboard", { p_event_id: w.open_event });
    expect([r.status, r.error?.message]).toEqual([404, "event_not_found"]);
  });

  it("the organiser reads the dashboard", async () => {
    const owner = await signedIn(w.owner_a);
    const { data, status } = await owner.rpc("event_dashboard", { p_event_id: w.open_event });
    expect(status).toBe(200);
    expect(data.totals.registered).toBeGreaterThan(0);
  });
});

describe("auth", () => {
  it("signs staff in with a password and knows who they are", async () => {
    const c = await signedIn(w.staff_a);
    const { data } = await c.auth.getUser();
    expect(data.user?.id).toBe(w.staff_a);
  });

  it("refuses a wrong password with invalid_credentials", async () => {
    const [{ email }] = await sql`select email from auth.users where id = ${w.staff_a}`;
    const { error } = await rawClient().auth.signInWithPassword({ email, password: "Wrong-1" });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe("invalid_credentials");
  });
});

describe("/health", () => {
  it("answers anyone that it is up, and lists the deployed functions only to the service key", async () => {
    const open = await (await fetch(`${env.apiUrl}/health`)).json();
    expect(open.ok).toBe(true);
    expect(open).not.toHaveProperty("functions");
    const operator = await (await fetch(`${env.apiUrl}/health`, { headers: { apikey: env.serviceKey } })).json();
    expect(operator.functions).toEqual(expect.arrayContaining(["guest-password-reset", "invite-member"]));
  });
});
