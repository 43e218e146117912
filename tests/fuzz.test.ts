// Malformed input of every kind, over HTTP, against every public RPC (found in the database, so
// a new one is covered without editing this file), both edge functions and the Auth token
// endpoint: wrong types, missing and extra arguments, nulls, 1 MB strings, control characters
// and NUL, mixed scripts and emoji, SQL and JSON metacharacters, huge arrays and objects.
// Every answer must be a 4xx or a success, or the platform's own overload answer (503/504 with a
// PGRST00x code); 413 for an oversized body is a 4xx. No answer carries SQL text, and a refused
// call leaves no new row behind. Bounded: a few dozen cases per endpoint, no shrinking.
import fc from "fast-check";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { env, makeWorld, phoneHash, randomPhone, signedIn, type World } from "./env";

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const sql = connect(2);
afterAll(() => sql.end());

let w: World;
let staffToken = "";
let ownerToken = "";

beforeAll(async () => {
  w = await makeWorld();
  const token = async (id: string) => (await (await signedIn(id)).auth.getSession()).data.session!.access_token;
  staffToken = await token(w.staff_a);
  ownerToken = await token(w.owner_a);
});

// ---- values ------------------------------------------------------------------------------------

const MB = "x".repeat(1 << 20);
const metacharacters = fc.constantFrom(
  "'", "''", "\"", "\\", "`", ";", "--", "/*", "*/", "%", "_", "$$", "$1", "' or '1'='1", "'); drop table public.guests; --",
  "\\u0000", "{", "}", "[", "]", "{\"a\":", "null", "true", "1e309", "-0", "NaN", "Infinity", "\\\"", "%00", "${x}", "<script>",
);
const scripts = fc.constantFrom(
  "😀", "👩🏽‍🚀", "👨‍👩‍👧‍👦", "Ωμέγα", "Жанна", "中文名字", "عربي", "עברית", "हिन्दी", "\u202eevil", "a\u0301", "\uFEFF", "\u200b",
  "İıſ", "ß", "Ａｎａ", "🇵🇹",
);
const control = fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 8 });
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 3, arbitrary: metacharacters },
  { weight: 3, arbitrary: scripts },
  { weight: 3, arbitrary: control },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 5 }), fc.constant("\u0000"), fc.string({ maxLength: 5 })).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.constant(MB) },
);
const huge = fc.oneof(
  fc.constant(Array.from({ length: 100_000 }, (_, i) => i)),
  fc.constant(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]))),
  fc.constant(JSON.parse("[".repeat(500) + "]".repeat(500))),
);
const scalar = fc.oneof(
  text, fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true }), fc.constant(Number.MAX_SAFE_INTEGER * 1000),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.dictionary(text, scalar, { maxKeys: 5 }) },
  { weight: 1, arbitrary: huge },
);

/** A body for arguments `names`, `good` holding a valid value for some: each argument valid,
 * malformed or missing, plus extra keys now and then; or a body that is not an object at all. */
function body(names: string[], good: Record<string, () => unknown>): fc.Arbitrary<string> {
  const field = (n: string) => fc.oneof(
    { weight: good[n] ? 3 : 0, arbitrary: fc.constant(undefined).map(() => good[n]?.()) },
    { weight: 3, arbitrary: value },
    { weight: 1, arbitrary: fc.constant(Symbol.for("missing")) },
  );
  const object = fc.tuple(fc.tuple(...names.map(field)), fc.dictionary(fc.oneof(text, fc.constantFrom(...names.map((n) => n + "x"), "p_", "")), value, { maxKeys: 3 }), fc.boolean())
    .map(([vals, extra, withExtra]) => {
      const o: Record<string, unknown> = withExtra ? { ...extra } : {};
      names.forEach((n, i) => { if (vals[i] !== Symbol.for("missing")) o[n] = vals[i]; });
      return JSON.stringify(o);
    });
  const notAnObject = fc.oneof(
    value.map((v) => JSON.stringify(v) ?? "null"),
    fc.constantFrom("", "{", "{\"p_phone\":", "nul", "[1,", "\u0000", "{\"a\":\"\u0000\"}", "\"\\ud800\"", "{\"a\":1}{\"b\":2}", "\ufeff{}"),
  );
  return fc.oneof({ weight: 4, arbitrary: object }, { weight: 1, arbitrary: notAnObject });
}

/** The cases every endpoint gets besides the random ones, so the known-hard inputs never depend on luck. */
function examples(names: string[]): [string][] {
  const first = names[0] ?? "p_x";
  const all = (v: unknown) => JSON.stringify(Object.fromEntries(names.map((n) => [n, v])));
  return [
    "null", "[]", "\"x\"", "1", "{}", "", "{", all(null), all("\u0000"), all("a\u0000b"), all(MB), all([]), all({}), all("😀👨‍👩‍👧"),
    JSON.stringify({ [first]: "' or 1=1; --" }), JSON.stringify({ [first]: Array.from({ length: 100_000 }, (_, i) => i) }),
    JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]))),
    all("\u0001\u001f\u007f"),
  ].map((b) => [b]);
}

// ---- what must hold for every answer ------------------------------------------------------------

const SQL_TEXT = /PL\/pgSQL|SQL statement|syntax error at or near|\bat character \d+|\b(select|insert into|delete from)\b .*\b(from|values|where)\b/i;

async function countRows() {
  const [r] = await sql`select
    (select count(*) from private.client_users)::int users, (select count(*) from private.guest_sessions)::int sessions,
    (select count(*) from public.guests)::int guests, (select count(*) from public.checkins)::int checkins,
    (select count(*) from realtime.messages)::int messages`;
  return r;
}

/** POSTs `payload` from the loopback address `from` (every 127.x address reaches the gateway). */
function post(url: string, payload: string, token: string, from: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST", localAddress: from, timeout: 20_000,
      headers: { apikey: env.anonKey, authorization: `Bearer ${token}`, "content-type": "application/json" },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within 20 s: ${url}`)));
    req.on("error", reject);
    req.end(payload);
  });
}

// Auth limits sign-ins per address (a small burst): each Auth case comes from its own loopback
// address, so that every case reaches the parser and the other test files' sign-ins from
// 127.0.0.1 keep their budget.
let nextAddress = 0;
const freshAddress = () => `127.0.${10 + Math.floor(nextAddress / 250) % 200}.${1 + (nextAddress++ % 250)}`;

async function send(url: string, payload: string, token: string, from = "127.0.0.1") {
  const before = await countRows();
  const res = await post(url, payload, token, from);
  const answer = res.text;
  const label = `${url.replace(env.apiUrl, "")} ${payload.length > 300 ? payload.slice(0, 300) + `… (${payload.length} chars)` : payload}\n→ ${res.status} ${answer.slice(0, 300)}`;
  const platformOverload = [503, 504].includes(res.status) && /"PGRST00\d"/.test(answer);
  expect(res.status < 500 || platformOverload, `a 5xx: ${label}`).toBe(true);
  expect(answer, `SQL text in the answer: ${label}`).not.toMatch(SQL_TEXT);
  if (res.status >= 400) expect(await countRows(), `a refused call left rows: ${label}`).toEqual(before);
  return res.status;
}

// Valid values by argument name, so that many cases reach deep into a function (a password as
// the phone sends it: its bcrypt).
const fuzzPassword = await phoneHash("Fuzz-2026x");
const good: Record<string, () => unknown> = {
  p_event_id: () => w.open_event, p_promoter_id: () => w.promoter, p_team_id: () => w.team,
  p_phone: () => randomPhone(), p_password: () => fuzzPassword, p_first_name: () => "Ana", p_last_name: () => "Lima",
  p_email: () => "ana@example.com", p_promoter_slug: () => w.promoter_slug, p_event_slug: () => w.open_slug,
  p_nonce: () => crypto.randomUUID(), p_qr_token: () => "not-a-pass", p_session_token: () => "not-a-session",
  event_id: () => w.open_event, qr_token: () => "not-a-pass", nonce: () => crypto.randomUUID(),
  kind: () => "message", message: () => "Fuzz", email: () => "nobody@example.com", password: () => "Password-1",
};

describe("malformed input over HTTP", async () => {
  const probe = connect(1);
  const rpcs: { name: string; args: string[]; role: string }[] = await probe`
    select p.proname::text name, coalesce(p.proargnames[1:p.pronargs], '{}')::text[] args,
           case when has_function_privilege('anon', p.oid, 'execute') then 'anon' else 'authenticated' end role
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public'
      and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))
    order by 1`;
  await probe.end();

  it("finds the public RPCs to try", () => {
    expect(rpcs.map((r) => r.name)).toEqual(expect.arrayContaining(["register_and_create_guest_v2", "check_in_guest"]));
  });

  for (const rpc of rpcs) {
    it(`rpc ${rpc.name} (${rpc.role})`, async () => {
      const token = () => (rpc.role === "anon" ? env.anonKey : ownerToken);
      await fc.assert(fc.asyncProperty(body(rpc.args, good), (b) => send(`${env.apiUrl}/rest/v1/rpc/${rpc.name}`, b, token()).then(() => true)),
        { numRuns: RUNS, endOnFailure: true, examples: examples(rpc.args) });
    }, 120_000);
  }

  it("edge function door-checkin (staff)", async () => {
    await fc.assert(fc.asyncProperty(body(["event_id", "qr_token", "nonce"], good),
      (b) => send(`${env.apiUrl}/functions/v1/door-checkin`, b, staffToken).then(() => true)), { numRuns: RUNS, endOnFailure: true, examples: examples(["event_id", "qr_token", "nonce"]) });
  }, 120_000);

  it("edge function event-broadcast (owner)", async () => {
    await fc.assert(fc.asyncProperty(body(["event_id", "kind", "message"], good),
      (b) => send(`${env.apiUrl}/functions/v1/event-broadcast`, b, ownerToken).then(() => true)), { numRuns: RUNS, endOnFailure: true, examples: examples(["event_id", "kind", "message"]) });
  }, 120_000);

  it("auth /auth/v1/token?grant_type=password", async () => {
    await fc.assert(fc.asyncProperty(body(["email", "password"], good),
      (b) => send(`${env.apiUrl}/auth/v1/token?grant_type=password`, b, env.anonKey, freshAddress()).then(() => true)), { numRuns: RUNS, endOnFailure: true, examples: examples(["email", "password"]) });
  }, 120_000);

  it("auth /auth/v1/token?grant_type=refresh_token", async () => {
    await fc.assert(fc.asyncProperty(body(["refresh_token"], good),
      (b) => send(`${env.apiUrl}/auth/v1/token?grant_type=refresh_token`, b, env.anonKey, freshAddress()).then(() => true)), { numRuns: RUNS, endOnFailure: true, examples: examples(["refresh_token"]) });
  }, 120_000);
});
