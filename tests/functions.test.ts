// The edge functions as the scanner and the pages call them, through /functions/v1: the ones that
// send email run their production path against the local Auth and the mail catcher.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { client, env, mailIds, makeWorld, newestMail, phoneHash, proof, randomPhone, rawClient, signedIn, type World } from "./env";

const sql = connect(1);
let w: World;
let staffToken = "";

const call = (name: string, init: RequestInit & { token?: string } = {}) =>
  fetch(`${env.apiUrl}/functions/v1/${name}`, {
    method: init.method ?? "POST",
    headers: {
      apikey: env.anonKey,
      "content-type": "application/json",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body,
  });

beforeAll(async () => {
  w = await makeWorld();
  const staff = await signedIn(w.staff_a);
  staffToken = (await staff.auth.getSession()).data.session!.access_token;
});
afterAll(() => sql.end());

/** A password as the guest page sends it: a bcrypt string (cost 10) computed on the phone. */
const PREPARED_PASSWORD = `$2b$10$${"abcdefghijklmnopqrstuv".repeat(3).slice(0, 53)}`;

/** For each function: a body it accepts, and one of the wrong shape with the field it names. */
const bodies: Record<string, () => { ok: unknown; wrong: unknown; field: RegExp }> = {
  "door-checkin": () => ({
    ok: { event_id: w.open_event, qr_token: "x".repeat(24), nonce: crypto.randomUUID() }, wrong: { event_id: "not-a-uuid" }, field: /event_id/,
  }),
  "event-broadcast": () => ({ ok: { event_id: w.open_event, kind: "closing_soon", message: "Soon" }, wrong: { event_id: "not-a-uuid" }, field: /event_id/ }),
  "invite-member": () => ({
    ok: { organization_id: w.org_a, email: `nobody-${Date.now()}@example.com`, role: "staff" }, wrong: { organization_id: "x" }, field: /organization_id/,
  }),
  "guest-password-reset": () => ({ ok: { phone: randomPhone() }, wrong: { phone: 912 }, field: /phone/ }),
};

describe.each(Object.keys(bodies))("%s", (name) => {
  it("answers the CORS preflight", async () => {
    const res = await fetch(`${env.apiUrl}/functions/v1/${name}`, { method: "OPTIONS" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/authorization/);
  });

  it("runs without the platform's verify_jwt and lets PostgREST refuse a missing or forged token", async () => {
    // verify_jwt = false (config.toml): the caller's token goes to PostgREST, which decides.
    const body = JSON.stringify(bodies[name]().ok);
    const missing = await call(name, { body });
    expect(missing.status).toBe(401);
    const forged = await call(name, { body, token: "forged.jwt.token" });
    // guest-password-reset asks the database with the service role: it refuses the token itself.
    expect([forged.status, (await forged.json()).code]).toEqual([401, name === "guest-password-reset" ? "PT401" : "PGRST301"]);
  });

  it("refuses other methods with 405", async () => {
    const res = await call(name, { method: "GET", token: staffToken });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
    expect((await res.json()).message).toBe("method_not_allowed");
  });

  it("refuses a body that is not JSON, and one of the wrong shape, with 400", async () => {
    const bad = await call(name, { body: "{nope", token: staffToken });
    expect([bad.status, (await bad.json()).message]).toEqual([400, "invalid_json"]);
    const { wrong: shape, field } = bodies[name]();
    const wrong = await call(name, { body: JSON.stringify(shape), token: staffToken });
    const body = await wrong.json();
    expect([wrong.status, body.message]).toEqual([400, "invalid_body"]);
    expect(body.details).toMatch(field);
  });
});

describe("door-checkin", () => {
  it("returns the database's verdict for staff, and its refusal for others", async () => {
    const { data: pass } = await rawClient().rpc("register_and_create_guest_v2", {
      p_phone: randomPhone(), p_first_name: "Dora",
      p_last_name: "Door", p_email: "dora@example.com", p_password: await phoneHash("Door-2026x"),
      p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
    });
    const nonce = crypto.randomUUID();
    const scan = () => call("door-checkin", { token: staffToken, body: JSON.stringify({ event_id: w.open_event, qr_token: pass.qr_token, nonce }) });
    const first = await (await scan()).json();
    expect(first.verdict).toBe("checked_in");
    expect(first.guest.first_name).toBe("Dora");
    expect(await (await scan()).json()).toEqual(first);

    const other = await signedIn(w.staff_b);
    const otherToken = (await other.auth.getSession()).data.session!.access_token;
    const refused = await call("door-checkin", {
      token: otherToken, body: JSON.stringify({ event_id: w.open_event, qr_token: pass.qr_token, nonce: crypto.randomUUID() }),
    });
    expect([refused.status, (await refused.json()).message]).toEqual([404, "event_not_found"]);
    const anonymous = await call("door-checkin", {
      token: env.anonKey, body: JSON.stringify({ event_id: w.open_event, qr_token: pass.qr_token, nonce: crypto.randomUUID() }),
    });
    expect(anonymous.status).toBe(401);
  });

  it("passes the per-staff rate limit on with Retry-After", async () => {
    await sql`update private.rate_limits set max_hits = 1 where bucket = 'staff_scans' and subject = '*'`;
    try {
      const body = () => JSON.stringify({ event_id: w.open_event, qr_token: "nothing", nonce: crypto.randomUUID() });
      const a = await call("door-checkin", { token: staffToken, body: body() });
      const b = await call("door-checkin", { token: staffToken, body: body() });
      expect(a.status === 429 || b.status === 429).toBe(true);
      const limited = a.status === 429 ? a : b;
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await limited.json()).message).toBe("rate_limited");
    } finally {
      await sql`update private.rate_limits set max_hits = 300 where bucket = 'staff_scans' and subject = '*'`;
    }
  });
});

describe("event-broadcast", () => {
  it("lets owners announce and refuses door staff", async () => {
    const body = JSON.stringify({ event_id: w.open_event, kind: "capacity_reached", message: "We are full" });
    const owner = await signedIn(w.owner_a);
    const ownerToken = (await owner.auth.getSession()).data.session!.access_token;
    const ok = await call("event-broadcast", { token: ownerToken, body });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ sent: true, topic: `event:${w.open_event}`, event: "announcement",
      event_id: w.open_event, kind: "capacity_reached", message: "We are full" });
    const refused = await call("event-broadcast", { token: staffToken, body });
    expect([refused.status, (await refused.json()).message]).toEqual([403, "forbidden"]);
  });
});

describe("invite-member when the email cannot be sent", () => {
  it("answers 502 invitation_not_delivered, and Auth keeps no user or link for the address", async () => {
    const stateDir = `.stack/${process.env.STACK ?? "test"}`;
    const owner = await signedIn(w.owner_a);
    const token = (await owner.auth.getSession()).data.session!.access_token;
    const email = `undelivered-${Date.now()}@example.com`;
    // The mail server is down: Auth cannot send, as GoTrue with an unreachable SMTP server.
    process.kill(Number(readFileSync(`${stateDir}/mail.pid`, "utf8")), "SIGTERM");
    try {
      await expect.poll(() => fetch(`${process.env.MAILPIT_URL}/livez`).then(() => "up", () => "down")).toBe("down");
      const res = await call("invite-member", { token, body: JSON.stringify({ organization_id: w.org_a, email, role: "staff" }) });
      const body = await res.json();
      expect([res.status, body.message]).toEqual([502, "invitation_not_delivered"]);
      expect(JSON.stringify(body)).not.toMatch(/verify|token=/);
      expect(await sql`select 1 from auth.users where email = ${email}`).toEqual([]);
    } finally {
      execFileSync("bash", ["local/stack.sh", "up"], { stdio: "ignore", env: { ...process.env, STACK: process.env.STACK ?? "test" } });
    }
    // With the mail server back, the same invitation goes out.
    const again = await call("invite-member", { token, body: JSON.stringify({ organization_id: w.org_a, email, role: "staff" }) });
    expect(again.status).toBe(200);
    expect((await newestMail(email)).Subject).toBe("You have been invited");
  });
});

describe("guest-password-reset", () => {
  it("sends through the provider's API (the mail catcher takes its call), for a number with an account only", async () => {
    const phone = randomPhone();
    const email = `reset-${Date.now()}@example.com`;
    const { error } = await client().rpc("register_and_create_guest_v2", {
      p_phone: phone, p_first_name: "Rui", p_last_name: "Reis", p_email: email, p_password: await phoneHash("Reset-2026x"),
      p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
    });
    expect(error).toBeNull();
    const res = await call("guest-password-reset", { token: env.anonKey, body: JSON.stringify({ phone }) });
    expect(res.status).toBe(200);
    const mail = await newestMail(email);
    expect(mail.Text).toMatch(new RegExp(`${env.apiUrl}/me#reset=\\S+`));
    expect(await mailIds(email)).toHaveLength(1);
  });

  it("counts on the guest's address, not the function's: the address limit first, then a budget per phone and address", async () => {
    const phone = randomPhone();
    const email = `budget-${Date.now()}@example.com`;
    const { error } = await client().rpc("register_and_create_guest_v2", {
      p_phone: phone, p_first_name: "Rita", p_last_name: "Reis", p_email: email, p_password: PREPARED_PASSWORD,
      p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
    });
    expect(error).toBeNull();
    const from = (address: string, body: unknown) => fetch(`${env.apiUrl}/functions/v1/guest-password-reset`, {
      method: "POST",
      headers: { apikey: env.anonKey, authorization: `Bearer ${env.anonKey}`, "content-type": "application/json", "x-forwarded-for": address },
      body: JSON.stringify(body),
    });
    const attacker = `198.51.100.${10 + Math.floor(Math.random() * 200)}`;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await (await from(attacker, { phone })).json());
    // The fourth answer is the same as the first, but no fourth email goes out.
    expect(answers[3]).toEqual(answers[0]);
    await newestMail(email);
    expect((await mailIds(email)).length).toBe(3);
    // The guest's own address still has its budget for the phone.
    const seen = await mailIds(email);
    expect((await from(`203.0.113.${10 + Math.floor(Math.random() * 200)}`, { phone })).status).toBe(200);
    await newestMail(email, seen);
    // One address gets 10 requests in 15 minutes, whatever the numbers; the eleventh is refused.
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await from(attacker, { phone: randomPhone() })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect((await from(`203.0.113.${210 + Math.floor(Math.random() * 40)}`, { phone: randomPhone() })).status).toBe(200);
  });
});
