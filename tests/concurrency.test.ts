// Two identical requests at once must give one row: real parallel connections, not reasoning.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCode, callAs, callWithRetry, connect } from "./db";
import { rawClient, makeWorld, phoneHash, proof, randomPhone, signedIn } from "./env";

// The passwords as phones send them (bcrypt with a new salt; a login with the same salt sends the same string).
const burst = await phoneHash("Burst-2026");
const floodPassword = await phoneHash("Flood-2026x");

const sql = connect(60);
afterAll(() => sql.end());

let link: { p_event_id: string; p_promoter_id: string; p_team_id: string };
let staffId = "";
let ownerId = "";

beforeAll(async () => {
  const w = await makeWorld();
  link = { p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team };
  staffId = w.staff_a;
  ownerId = w.owner_a;
});


async function settle<T>(n: number, fn: () => Promise<T>) {
  const results = await Promise.allSettled(Array.from({ length: n }, fn));
  const ok = results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<T>).value);
  const errors = results.filter((r) => r.status === "rejected").map((r) => apiCode((r as PromiseRejectedResult).reason));
  return { ok, errors };
}

describe("concurrency", () => {
  it("50 identical registrations at once give one account, one guest and one pass", async () => {
    const p = randomPhone();
    const registration = await proof();
    const { ok, errors } = await settle(50, () => callWithRetry(sql, "anon", "register_and_create_guest_v2", {
      p_phone: p, p_first_name: "Paula", p_last_name: "Paralela", p_email: "paula@example.com", p_password: burst, ...link,
      p_proof: registration,
    }));
    expect(ok.length).toBeGreaterThan(0);
    // Past the per-phone limit the rest are refused cleanly; nothing else may go wrong.
    expect(new Set(errors)).toEqual(errors.length ? new Set(["rate_limited"]) : new Set());
    expect(new Set(ok.map((r) => r.qr_token)).size).toBe(1);
    expect(ok.filter((r) => r.already_registered === false)).toHaveLength(1);
    const [{ users }] = await sql`select count(*)::int users from private.client_users where phone = ${p}`;
    const [{ guests }] = await sql`select count(*)::int guests from public.guests g
      join private.client_users u on u.id = g.client_user_id where u.phone = ${p}`;
    expect([users, guests]).toEqual([1, 1]);
  });

  it("50 identical logins at once give one guest row", async () => {
    const p = randomPhone();
    await callWithRetry(sql, "anon", "register_and_create_guest_v2", {
      p_phone: p, p_first_name: "Lu", p_last_name: "Login", p_email: "lu@example.com", p_password: burst, ...link, p_proof: await proof(),
    });
    await sql`delete from public.guests g using private.client_users u where u.id = g.client_user_id and u.phone = ${p}`;
    await sql`delete from private.rate_limit_counters where key_hash = private.sha256(${p})`;
    const { ok, errors } = await settle(50, () => callWithRetry(sql, "anon", "authenticate_and_create_guest_v2", {
      p_phone: p, p_password: burst, ...link,
    }));
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(errors.length ? new Set(["rate_limited"]) : new Set());
    expect(new Set(ok.map((r) => r.qr_token)).size).toBe(1);
    const [{ guests }] = await sql`select count(*)::int guests from public.guests g
      join private.client_users u on u.id = g.client_user_id where u.phone = ${p}`;
    expect(guests).toBe(1);
  });

  it("20 parallel scans of one pass give exactly one checked_in", async () => {
    const pass = await callWithRetry(sql, "anon", "register_and_create_guest_v2", {
      p_phone: randomPhone(), p_first_name: "Sara", p_last_name: "Scan", p_email: "sara@example.com", p_password: burst, ...link, p_proof: await proof(),
    });
    const { ok, errors } = await settle(20, () => callAs(sql, "authenticated", "check_in_guest", {
      p_event_id: link.p_event_id, p_qr_token: pass.qr_token, p_nonce: crypto.randomUUID(),
    }, staffId));
    expect(errors).toEqual([]);
    const verdicts = ok.map((r) => r.verdict).sort();
    expect(verdicts.filter((v) => v === "checked_in")).toHaveLength(1);
    expect(verdicts.filter((v) => v === "already_checked_in")).toHaveLength(19);
    expect(new Set(ok.map((r) => r.checked_in_at)).size).toBe(1);
  });

  it("10 parallel retries of one scan (same nonce) are one scan", async () => {
    const pass = await callWithRetry(sql, "anon", "register_and_create_guest_v2", {
      p_phone: randomPhone(), p_first_name: "Rui", p_last_name: "Retry", p_email: "rui@example.com", p_password: burst, ...link, p_proof: await proof(),
    });
    const nonce = crypto.randomUUID();
    const { ok, errors } = await settle(10, () => callAs(sql, "authenticated", "check_in_guest", {
      p_event_id: link.p_event_id, p_qr_token: pass.qr_token, p_nonce: nonce,
    }, staffId));
    expect(errors).toEqual([]);
    expect(new Set(ok.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify(ok[0])]));
    expect(ok[0].verdict).toBe("checked_in");
    const [{ n }] = await sql`select count(*)::int n from public.checkins where nonce = ${nonce}`;
    expect(n).toBe(1);
  });

  it("80 registrations of one phone at once through the API cannot take the pool from door staff and organisers", async () => {
    // The attack: one phone, many parallel calls. Before, each waited on a lock of the phone
    // while holding a pooled connection, and door scans in every organization got 503.
    const p = randomPhone();
    const pass = await callWithRetry(sql, "anon", "register_and_create_guest_v2", {
      p_phone: randomPhone(), p_first_name: "Dani", p_last_name: "Door", p_email: "dani@example.com", p_password: burst, ...link,
      p_proof: await proof(),
    });
    const attackProof = await proof();
    const staff = await signedIn(staffId);
    const owner = await signedIn(ownerId);
    const flood = Array.from({ length: 80 }, () =>
      rawClient().rpc("register_and_create_guest_v2", {
        p_phone: p, p_first_name: "Ana", p_last_name: "Flood", p_email: "flood@example.com", p_password: floodPassword, ...link,
        p_proof: attackProof,
      }).then((r) => ({ status: r.status, code: r.error?.message ?? "pass" })));
    const scans = Array.from({ length: 10 }, () =>
      staff.rpc("check_in_guest", { p_event_id: link.p_event_id, p_qr_token: pass.qr_token, p_nonce: crypto.randomUUID() })
        .then((r) => r.status));
    const dashboards = Array.from({ length: 10 }, () =>
      owner.rpc("event_dashboard", { p_event_id: link.p_event_id }).then((r) => r.status));
    const [floodResults, scanStatuses, dashboardStatuses] = await Promise.all([Promise.all(flood), Promise.all(scans), Promise.all(dashboards)]);
    expect(scanStatuses).toEqual(Array(10).fill(200));
    expect(dashboardStatuses).toEqual(Array(10).fill(200));
    // The flood itself: one registration, the rest told busy (come back) or rate limited; no 5xx.
    expect(floodResults.filter((r) => r.status >= 500)).toEqual([]);
    expect(new Set(floodResults.map((r) => r.code)).size).toBeGreaterThan(0);
    expect(floodResults.every((r) => ["pass", "busy", "rate_limited"].includes(r.code))).toBe(true);
    const [{ users }] = await sql`select count(*)::int users from private.client_users where phone = ${p}`;
    expect(users).toBeLessThanOrEqual(1);
  });
});
