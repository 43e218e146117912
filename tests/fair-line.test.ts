// The fair line's answers over HTTP, as hosted PostgREST gives them: a committed 429 `busy`
// with Retry-After and the place in line, never a 503; and the phone check answering GET as it
// answers POST.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { env, makeWorld, randomPhone, type World } from "./env";

const sql = connect(2);
let w: World;
beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => sql.end());

const rpc = (fn: string, args: Record<string, unknown>, method = "POST") =>
  fetch(`${env.apiUrl}/rest/v1/rpc/${fn}${method === "GET" ? "?" + new URLSearchParams(args as Record<string, string>) : ""}`, {
    method,
    headers: { apikey: env.anonKey, authorization: `Bearer ${env.anonKey}`, "content-type": "application/json" },
    body: method === "POST" ? JSON.stringify(args) : undefined,
  });

describe("the fair line over HTTP", () => {
  it("behind a line, a password call answers 429 busy with Retry-After, position and wait, and keeps its ticket", async () => {
    const [{ room }] = await sql`select private.line_room() room`;
    const ahead = room + 5;
    const tag = `test-ahead-${crypto.randomUUID()}`;
    await sql`insert into private.password_line (ticket, address, finish, arrived_at, due_at)
              select private.sha256(${tag} || i), private.sha256(${tag}), 0, clock_timestamp() - interval '1 minute', clock_timestamp()
              from generate_series(1, ${ahead}) i`;
    const phone = randomPhone();
    try {
      // Their owners are here: a transaction holds their presence locks while the guest calls.
      const res = await sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(74203, presence) from private.password_line where address = private.sha256(${tag})`;
        return rpc("authenticate_and_create_guest_v2", {
          p_phone: phone, p_password: "Queue-2026x", p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team,
        });
      });
      const body = await res.json();
      expect(res.status).toBe(429);
      expect(Object.keys(body).sort()).toEqual(["code", "details", "hint", "message", "position", "retry_after", "wait_seconds"]);
      expect([body.code, body.message, body.position]).toEqual(["PT429", "busy", ahead + 1]);
      // The body's retry_after may be a fraction of a second; the header is whole seconds (HTTP).
      expect(res.headers.get("retry-after")).toBe(String(Math.max(1, Math.ceil(body.retry_after))));
      expect(body.retry_after).toBeLessThan(body.wait_seconds);
      expect(body.wait_seconds).toBeGreaterThan(0);
      const [{ kept }] = await sql`select count(*)::int kept from private.password_line where ticket = private.sha256(${phone} || ' 127.0.0.1')`;
      expect(kept).toBe(1);
      // With the line ahead gone, the same call is served (here: a wrong password for an unknown phone).
      await sql`delete from private.password_line where address = private.sha256(${tag})`;
      const again = await rpc("authenticate_and_create_guest_v2", {
        p_phone: phone, p_password: "Queue-2026x", p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team,
      });
      expect([again.status, (await again.json()).message]).toEqual([401, "invalid_credentials"]);
    } finally {
      await sql`delete from private.password_line where address = private.sha256(${tag})`;
    }
  });

  it("check_phone_with_cache answers GET like POST whether or not the number was looked up lately", async () => {
    const fresh = randomPhone();
    const get = await rpc("check_phone_with_cache", { p_phone: fresh }, "GET");
    expect([get.status, await get.json()]).toEqual([200, { exists: false, phone: fresh }]);
    const post = await rpc("check_phone_with_cache", { p_phone: fresh });
    expect([post.status, await post.json()]).toEqual([200, { exists: false, phone: fresh }]);
    const again = await rpc("check_phone_with_cache", { p_phone: fresh }, "GET");
    expect([again.status, await again.json()]).toEqual([200, { exists: false, phone: fresh }]);
  });
});
