// Supabase Auth as GoTrue answers it, through the real supabase-js and plain HTTP: sessions,
// sign-out, rotating refresh tokens, unconfirmed emails, row shapes GoTrue writes, the per-address
// limit on /token, and user tokens signed ES256 with a published key.
import { createHmac } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { client, env, makeWorld, newestMail, type World } from "./env";

const sql = connect(2);
let w: World;

const auth = (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
  fetch(`${env.apiUrl}/auth/v1/${path}`, {
    method: init.method ?? "POST",
    headers: {
      apikey: env.anonKey,
      "content-type": "application/json",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

const signIn = (email: string, password = "Password-1") => auth("token?grant_type=password", { body: { email, password } });
const refresh = (token: string) => auth("token?grant_type=refresh_token", { body: { refresh_token: token } });

/** GoTrue's error body, as [status, error_code]. */
const failure = async (res: Response) => [res.status, (await res.json()).error_code];

const rpc = (token: string, fn: string, args: Record<string, unknown>) =>
  fetch(`${env.apiUrl}/rest/v1/rpc/${fn}`, {
    method: "POST",
    headers: { apikey: env.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(args),
  });

function hs256(claims: Record<string, unknown>) {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = `${b({ alg: "HS256", typ: "JWT" })}.${b(claims)}`;
  return `${head}.${createHmac("sha256", env.jwtSecret).update(head).digest("base64url")}`;
}

/** A user written as GoTrue writes one (helpers.sql), then changed by `change` (raw SQL on the row). */
async function user(tag: string, change?: string) {
  const email = `${tag}-${crypto.randomUUID()}@auth.test`;
  const [{ id }] = await sql`select tests.create_user(${email}) as id`;
  if (change) await sql.unsafe(`update auth.users set ${change} where id = $1`, [id]);
  return { id: id as string, email };
}

/** POST /auth/v1/token from another loopback address, so the limit test has its own bucket. */
function signInFrom(localAddress: string, email: string): Promise<{ status: number; body: { error_code?: string } }> {
  const url = new URL(`${env.apiUrl}/auth/v1/token?grant_type=password`);
  const body = JSON.stringify({ email, password: "Wrong-password-1" });
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: "POST", localAddress,
      headers: { apikey: env.anonKey, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => sql.end());

describe("sessions", () => {
  it("sign-in creates a session and a refresh token, and answers the user with its identity", async () => {
    const u = await user("session");
    const res = await signIn(u.email);
    expect(res.status).toBe(200);
    const body = await res.json();
    const claims = JSON.parse(Buffer.from(body.access_token.split(".")[1], "base64url").toString());
    const [session] = await sql`select user_id, aal from auth.sessions where id = ${claims.session_id}`;
    expect(session).toEqual({ user_id: u.id, aal: "aal1" });
    const [token] = await sql`select revoked, session_id from auth.refresh_tokens where token = ${body.refresh_token}`;
    expect(token).toEqual({ revoked: false, session_id: claims.session_id });
    expect(body.user.identities).toEqual([expect.objectContaining({ provider: "email", id: u.id, user_id: u.id })]);
  });

  it("sign-out revokes the session: Auth refuses its access and refresh tokens (PostgREST, as on Supabase, does not look)", async () => {
    const own = await makeWorld();
    const c = client();
    const [{ email }] = await sql`select email from auth.users where id = ${own.owner_a}`;
    await c.auth.signInWithPassword({ email, password: "Password-1" });
    const { session } = (await c.auth.getSession()).data;
    expect((await auth("user", { method: "GET", token: session!.access_token })).status).toBe(200);

    const { error } = await c.auth.signOut();
    expect(error).toBeNull();
    expect((await sql`select 1 from auth.sessions where user_id = ${own.owner_a}`).length).toBe(0);
    expect(await failure(await auth("user", { method: "GET", token: session!.access_token }))).toEqual([403, "session_not_found"]);
    expect(await failure(await refresh(session!.refresh_token))).toEqual([400, "refresh_token_not_found"]);
    // Hosted PostgREST verifies signature and expiry only, so the token works there until it expires.
    expect((await rpc(session!.access_token, "event_dashboard", { p_event_id: own.open_event })).status).toBe(200);
  });

  it("refresh tokens rotate; the one just used may be retried; an older one revokes the session", async () => {
    const u = await user("rotate");
    const first = await (await signIn(u.email)).json();
    const second = await (await refresh(first.refresh_token)).json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // The client lost the answer: the token it just used gives the current one back, once rotated.
    const retried = await (await refresh(first.refresh_token)).json();
    expect(retried.refresh_token).toBe(second.refresh_token);
    const third = await (await refresh(second.refresh_token)).json();
    // `first` is now two generations old; past the reuse interval (10 s) its reuse means theft.
    // The test sets the clock instead of waiting: `first` was revoked 11 s ago.
    await sql`update auth.refresh_tokens set updated_at = now() - interval '11 seconds' where token = ${first.refresh_token}`;
    expect(await failure(await refresh(first.refresh_token))).toEqual([400, "refresh_token_already_used"]);
    // The whole session is revoked with it, the current token included.
    const [{ session_id }] = await sql`select session_id from auth.refresh_tokens where token = ${third.refresh_token}`;
    expect((await sql`select revoked from auth.refresh_tokens where session_id = ${session_id}`).map((r) => r.revoked))
      .toEqual([true, true, true]);
  });

  it("an unknown refresh token is refresh_token_not_found", async () => {
    expect(await failure(await refresh("not-a-token"))).toEqual([400, "refresh_token_not_found"]);
  });
});

describe("sign-in", () => {
  it("answers GoTrue's codes: wrong password or unknown email invalid_credentials, unconfirmed email_not_confirmed, banned user_banned", async () => {
    const ok = await user("codes");
    expect(await failure(await signIn(ok.email, "Wrong-1"))).toEqual([400, "invalid_credentials"]);
    expect(await failure(await signIn(`nobody-${crypto.randomUUID()}@auth.test`))).toEqual([400, "invalid_credentials"]);
    const unconfirmed = await user("unconfirmed", "email_confirmed_at = null");
    expect(await failure(await signIn(unconfirmed.email))).toEqual([400, "email_not_confirmed"]);
    // A wrong password for an unconfirmed address says nothing about the address.
    expect(await failure(await signIn(unconfirmed.email, "Wrong-1"))).toEqual([400, "invalid_credentials"]);
    const banned = await user("banned", "banned_until = now() + interval '1 day'");
    expect(await failure(await signIn(banned.email))).toEqual([400, "user_banned"]);
    expect(await failure(await auth("token?grant_type=magic", { body: {} }))).toEqual([400, "invalid_credentials"]);
  });

  it("survives every row shape GoTrue writes: no password or an empty one is invalid_credentials, never a 500", async () => {
    for (const change of ["encrypted_password = ''", "encrypted_password = null", "encrypted_password = 'not-a-hash'"]) {
      const u = await user("shape", change);
      expect(await failure(await signIn(u.email))).toEqual([400, "invalid_credentials"]);
    }
    // Such rows do not disturb anyone else's sign-in.
    const fine = await user("fine");
    expect((await signIn(fine.email)).status).toBe(200);
  });

  it("refuses a row GoTrue itself could not read (NULL token columns) as GoTrue does, for that user only", async () => {
    const broken = await user("null-tokens", "confirmation_token = null");
    const res = await signIn(broken.email);
    expect([res.status, (await res.json()).msg]).toEqual([500, "Database error querying schema"]);
    const fine = await user("fine");
    expect((await signIn(fine.email)).status).toBe(200);
  });

  it("hashes one password per sign-in: a user whose hash would take a minute does not slow anyone else", async () => {
    // Cost 20 is about a minute of bcrypt. Comparing the password against every row, as a
    // `where crypt(password, encrypted_password) = …` scan does, would time this test out.
    const slow = await user("slow", "encrypted_password = '$2a$20$' || repeat('a', 53)");
    const fine = await user("fine");
    expect((await signIn(fine.email)).status).toBe(200);
    await sql`delete from auth.users where id = ${slow.id}`;
  });

  it("seed and test users are written as GoTrue writes them: no NULL token column, confirmed, one email identity", async () => {
    const ids = ["a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002", w.owner_a, w.staff_a];
    const rows = await sql`select u.email from auth.users u
      where u.id = any(${ids}::uuid[]) and (u.instance_id is distinct from '00000000-0000-0000-0000-000000000000'
        or u.confirmation_token is null or u.recovery_token is null or u.email_change_token_new is null or u.email_change is null
        or u.email_change_token_current is null or u.phone_change is null or u.phone_change_token is null
        or u.reauthentication_token is null or u.email_confirmed_at is null or u.aud <> 'authenticated' or u.role <> 'authenticated'
        or not exists (select 1 from auth.identities i where i.user_id = u.id and i.provider = 'email' and i.provider_id = u.id::text))`;
    expect((await sql`select count(*)::int as n from auth.users where id = any(${ids}::uuid[])`)[0].n).toBe(4);
    expect(rows).toEqual([]);
    const demo = await auth("token?grant_type=password", { body: { email: "organiser@demo.test", password: "Organiser-2026" } });
    expect(demo.status).toBe(200);
  });

  it("limits /token per client address as GoTrue does (burst 30, then 429 over_request_rate_limit)", async () => {
    const u = await user("limited");
    // 40 at once from one address: the burst of 30 passes (to the password check), the rest wait
    // for the bucket to refill at token_refresh / 5 min (0.5 a second): 429.
    const answers = await Promise.all(Array.from({ length: 40 }, () => signInFrom("127.0.0.3", u.email)));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(new Set(limited.map((a) => a.body.error_code))).toEqual(new Set(["over_request_rate_limit"]));
    const served = answers.filter((a) => a.status !== 429);
    expect(served.length).toBeGreaterThanOrEqual(30);
    expect(new Set(served.map((a) => a.body.error_code))).toEqual(new Set(["invalid_credentials"]));
    // Another address is not affected.
    expect((await signIn(u.email)).status).toBe(200);
  });
});

describe("signing keys", () => {
  it("signs user access tokens ES256 with a kid that the JWKS publishes; API keys stay HS256", async () => {
    const u = await user("es256");
    const { access_token } = await (await signIn(u.email)).json();
    const header = JSON.parse(Buffer.from(access_token.split(".")[0], "base64url").toString());
    expect(header).toMatchObject({ alg: "ES256", typ: "JWT" });
    const jwks = await (await fetch(`${env.apiUrl}/auth/v1/.well-known/jwks.json`)).json();
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: "EC", crv: "P-256", alg: "ES256", kid: header.kid })]);
    expect(JSON.stringify(jwks)).not.toContain(env.jwtSecret);
    // The published key really verifies the token (WebCrypto, as a third party would).
    const key = await crypto.subtle.importKey("jwk", jwks.keys[0], { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const [h, p, s] = access_token.split(".");
    expect(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, Buffer.from(s, "base64url"),
      new TextEncoder().encode(`${h}.${p}`))).toBe(true);
    expect(JSON.parse(Buffer.from(env.anonKey.split(".")[0], "base64url").toString()).alg).toBe("HS256");
  });

  it("PostgREST accepts both kinds: an ES256 user token and an HS256 one; a tampered ES256 token is refused", async () => {
    const { access_token } = await (await signIn((await sql`select email from auth.users where id = ${w.owner_a}`)[0].email)).json();
    expect((await rpc(access_token, "event_dashboard", { p_event_id: w.open_event })).status).toBe(200);
    const legacy = hs256({ role: "authenticated", sub: w.owner_a, aud: "authenticated", exp: Math.floor(Date.now() / 1000) + 600 });
    expect((await rpc(legacy, "event_dashboard", { p_event_id: w.open_event })).status).toBe(200);
    const [h, p, s] = access_token.split(".");
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: w.staff_b })).toString("base64url")}.${s}`;
    const refused = await rpc(forged, "event_dashboard", { p_event_id: w.open_event });
    expect([refused.status, (await refused.json()).code]).toEqual([401, "PGRST301"]);
  });

  it("refuses a token whose exp is a string", async () => {
    const token = hs256({ role: "authenticated", sub: w.owner_a, exp: String(Math.floor(Date.now() / 1000) + 600) });
    const res = await rpc(token, "event_dashboard", { p_event_id: w.open_event });
    expect([res.status, (await res.json()).code]).toEqual([401, "PGRST303"]);
    expect(await failure(await auth("user", { method: "GET", token }))).toEqual([403, "bad_jwt"]);
  });

  it("an edge function with verify_jwt = false serves an ES256 user token, PostgREST deciding", async () => {
    // The edge runtime's verify_jwt knows only the legacy secret and would refuse this token.
    const staff = await (await signIn((await sql`select email from auth.users where id = ${w.staff_a}`)[0].email)).json();
    const res = await fetch(`${env.apiUrl}/functions/v1/door-checkin`, {
      method: "POST",
      headers: { apikey: env.anonKey, authorization: `Bearer ${staff.access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ event_id: w.open_event, qr_token: "A".repeat(24), nonce: crypto.randomUUID() }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).verdict).toBe("unknown");
  });
});

/** A request to /auth/v1 from a loopback address of its own (each limit test has its own bucket). */
function from(localAddress: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  const url = new URL(`${env.apiUrl}/auth/v1/${path}`);
  const text = body === undefined ? "" : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, localAddress,
      headers: {
        apikey: env.anonKey, "content-type": "application/json", "content-length": Buffer.byteLength(text),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    }, (res) => {
      let out = "";
      res.on("data", (c) => (out += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: out ? JSON.parse(out) : {} }));
    });
    req.on("error", reject);
    req.end(text);
  });
}

/** A signed-in user of its own: [user, access token]. */
async function session(tag: string) {
  const u = await user(tag);
  const res = await signIn(u.email);
  expect(res.status).toBe(200);
  const body = await res.json();
  return { ...u, token: body.access_token as string, refresh: body.refresh_token as string };
}

describe("account changes (PUT /user) as GoTrue with config.toml", () => {
  it("a new password follows minimum_password_length and password_requirements, and must differ from the current one", async () => {
    const s = await session("rules");
    const put = (password: string) => auth("user", { method: "PUT", token: s.token, body: { password } });
    const short = await put("Ab1");
    expect(short.status).toBe(422);
    expect(await short.json()).toMatchObject({ error_code: "weak_password", weak_password: { reasons: ["length"] } });
    const plain = await put("onlylowercaseletters");
    expect(await plain.json()).toMatchObject({ error_code: "weak_password", weak_password: { reasons: ["characters"] } });
    expect(await failure(await put("A1" + "b".repeat(71)))).toEqual([400, "validation_failed"]);
    expect(await failure(await put("Password-1"))).toEqual([422, "same_password"]);
    expect((await put("Nova-Senha-2027")).status).toBe(200);
    expect((await signIn(s.email, "Nova-Senha-2027")).status).toBe(200);
  });

  it("secure_password_change: a session older than 24 hours needs the code /reauthenticate emails", async () => {
    const s = await session("reauth");
    await sql`update auth.sessions set created_at = now() - interval '25 hours' where user_id = ${s.id}`;
    const put = (body: Record<string, unknown>) => auth("user", { method: "PUT", token: s.token, body });
    expect(await failure(await put({ password: "Nova-Senha-2027" }))).toEqual([400, "reauthentication_needed"]);
    expect(await failure(await put({ password: "Nova-Senha-2027", nonce: "000000" }))).toEqual([422, "reauthentication_not_valid"]);
    expect((await auth("reauthenticate", { method: "GET", token: s.token })).status).toBe(200);
    const mail = await newestMail(s.email);
    const code = mail.Text.match(/code: (\d{6})/)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect((await put({ password: "Nova-Senha-2027", nonce: code })).status).toBe(200);
    // Single use.
    expect(await failure(await put({ password: "Outra-Senha-2027", nonce: code }))).toEqual([422, "reauthentication_not_valid"]);
  });

  it("limits PUT /user per client address (sign_in_sign_ups per 5 minutes, burst 30): 429 before any work", async () => {
    const s = await session("user-limit");
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => from("127.0.0.6", "PUT", "user", { data: { n: i } }, s.token)));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(new Set(limited.map((a) => a.body.error_code))).toEqual(new Set(["over_request_rate_limit"]));
    expect((await auth("user", { method: "PUT", token: s.token, body: { data: { other: "address" } } })).status).toBe(200);
  });

  it("a token made large by user_metadata is verified but never kept in the gateway's JWT cache", async () => {
    const s = await session("large");
    expect((await auth("user", { method: "PUT", token: s.token, body: { data: { blob: "x".repeat(200_000) } } })).status).toBe(200);
    const { access_token: big } = await (await refresh(s.refresh)).json();
    expect(big.length).toBeGreaterThan(200_000);
    const cached = async () => {
      const text = await (await fetch(`${env.apiUrl}/metrics`, { headers: { apikey: env.serviceKey } })).text();
      return Number(text.match(/^gateway_jwt_cache_bytes (\d+)$/m)?.[1]);
    };
    const before = await cached();
    for (let i = 0; i < 3; i++) expect((await rpc(big, "client_address", {})).status).not.toBe(401);
    expect(await cached() - before).toBeLessThan(200_000);
  });
});

describe("email links", () => {
  it("/verify redirects only where GoTrue's allow-list lets it (IsRedirectURLValid), else to the site", async () => {
    const go = async (redirect: string) => (await fetch(`${env.apiUrl}/auth/v1/verify?token=${"0".repeat(56)}&type=magiclink&redirect_to=${encodeURIComponent(redirect)}`,
      { redirect: "manual" })).headers.get("location")!.split("#")[0];
    expect(await go("https://evil.example/steal")).toBe(env.apiUrl);
    expect(await go("http://2130706433/")).toBe(env.apiUrl);
    expect(await go(`${env.apiUrl}/manage`)).toBe(`${env.apiUrl}/manage`);
  });

  it("limits /verify per client address (token_verifications per 5 minutes, burst 30), so codes cannot be guessed", async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () =>
      from("127.0.0.7", "POST", "verify", { type: "magiclink", email: "nobody@auth.test", token: "123456" })));
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(5);
    expect(new Set(answers.filter((a) => a.status !== 429).map((a) => a.body.error_code))).toEqual(new Set(["otp_expired"]));
  });
});
