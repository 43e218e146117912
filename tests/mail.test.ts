// Mail beyond reset links, through the outbox and the provider's API (here the local mail
// catcher): alerts e-mailed to the operators once per firing and once when they clear, sent by
// the scheduled sender (pg_cron → pg_net → send-outbox); and a guest's pass by e-mail with the QR
// inline, counted per pass and per address.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { env, eventually, mailIds, makeWorld, newestMail, phoneHash, proof, rawClient, randomPhone, type World } from "./env";

const sql = connect(2);
let w: World;
const gatewayLog = () => readFileSync(`.stack/${process.env.STACK ?? "test"}/gateway.log`, "utf8");

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => sql.end());

/** A new guest on the open night: the pass as the guest page holds it. */
async function guest(email: string) {
  const { data, error } = await rawClient().rpc("register_and_create_guest_v2", {
    p_phone: randomPhone(), p_first_name: "Inês", p_last_name: "Lopes", p_email: email, p_password: await phoneHash("Noite-2026"),
    p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
  });
  if (error) throw error;
  return data as { guest_id: string; session_token: string; qr_token: string };
}

/** The pass screen's call: guest-pass-email with the anon key, from `address`. */
const askPass = (body: unknown, address = "203.0.113.9") => fetch(`${env.apiUrl}/functions/v1/guest-pass-email`, {
  method: "POST",
  headers: { apikey: env.anonKey, authorization: `Bearer ${env.anonKey}`, "content-type": "application/json", "x-forwarded-for": address },
  body: JSON.stringify(body),
});

describe("alerts by e-mail", () => {
  const ops = `ops-${Date.now()}@example.test`;
  beforeAll(async () => {
    // Whatever the files before left in the outbox, the alert starts resolved (with no address
    // set, so no e-mail says so): the test's own firing is then a change, and one e-mail.
    await sql`update private.alert_rules set threshold = 1000000 where name = 'outbox_backlog'`;
    await sql`select private.evaluate_alerts()`;
    await sql`update private.settings set value = ${sql.json([ops])} where key = 'alert_emails'`;
    await sql`update private.settings set value = ${sql.json(`${env.apiUrl}/functions/v1/send-outbox`)} where key = 'outbox_sender_url'`;
    await sql`update private.settings set value = ${sql.json(env.anonKey)} where key = 'outbox_sender_key'`;
    await sql`delete from private.rate_limit_counters where bucket = 'alert_emails'`;
  });
  afterAll(async () => {
    await sql`update private.alert_rules set threshold = 50 where name = 'outbox_backlog'`;
    await sql`select private.evaluate_alerts()`;
    await sql`update private.settings set value = '[]' where key = 'alert_emails'`;
    await sql`update private.settings set value = '""' where key in ('outbox_sender_url', 'outbox_sender_key')`;
  });

  it("a firing alert is one e-mail, however many evaluations see it, sent by the scheduled sender; its end is one more", async () => {
    // Any outbox at all is over a threshold of -1: the alert fires for real.
    await sql`update private.alert_rules set threshold = -1 where name = 'outbox_backlog'`;
    for (let i = 0; i < 3; i++) await sql`select private.evaluate_alerts()`;
    const [{ n }] = await sql`select count(*)::int n from private.outbox where to_email = ${ops} and kind = 'alert'`;
    expect(n).toBe(1);
    // What pg_cron runs every minute: pg_net calls send-outbox, which sends what waits. pg_cron's
    // own run may take the row first, at a minute's turn: then the call finds nothing waiting, and
    // the row is already the sender's (locked or sent); either way the same sender sends it once.
    const [{ id }] = await sql`select private.send_outbox() as id`;
    const [{ taken }] = await sql`select bool_or(locked_until is not null or sent_at is not null) taken
                                  from private.outbox where to_email = ${ops} and kind = 'alert'`;
    expect(id !== null || taken).toBe(true);
    const alert = await newestMail(ops);
    expect(alert.Subject).toBe("[ALERT] outbox_backlog");
    expect(alert.Text).toMatch(/e-mails waiting in the outbox \(threshold -1\)/);
    await sql`select private.evaluate_alerts()`;
    await sql`select private.send_outbox()`;
    expect(await mailIds(ops)).toHaveLength(1);

    await sql`update private.alert_rules set threshold = 1000 where name = 'outbox_backlog'`;
    await sql`select private.evaluate_alerts()`;
    await sql`select private.evaluate_alerts()`;
    await sql`select private.send_outbox()`;
    const resolved = await newestMail(ops, [alert.ID]);
    expect(resolved.Subject).toBe("[RESOLVED] outbox_backlog");
    expect(await mailIds(ops)).toHaveLength(2);
  });

  it("a flapping alert is limited: past alert_emails an hour it goes to the webhook only", async () => {
    const before = (await mailIds(ops)).length;
    await sql`insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('alert_emails', 'outbox_backlog', 3, 3600)
              on conflict (bucket, subject) do update set max_hits = 3`;
    try {
      for (let i = 0; i < 3; i++) {
        await sql`update private.alert_rules set threshold = -1 where name = 'outbox_backlog'`;
        await sql`select private.evaluate_alerts()`;
        await sql`update private.alert_rules set threshold = 1000 where name = 'outbox_backlog'`;
        await sql`select private.evaluate_alerts()`;
      }
      const [{ n }] = await sql`select count(*)::int n from private.outbox where to_email = ${ops} and kind = 'alert'`;
      // Two sent in the test above, one more within the limit of 3, none of the other five.
      expect(n).toBe(3);
      expect(before).toBe(2);
    } finally {
      await sql`delete from private.rate_limits where bucket = 'alert_emails' and subject = 'outbox_backlog'`;
    }
  });
});

describe("the pass by e-mail", () => {
  it("goes to the account's own address with the QR inline (a CID image), the night and venue; the token is not kept or logged", async () => {
    const email = `pass-${Date.now()}@example.com`;
    const pass = await guest(email);
    const res = await askPass({ session_token: pass.session_token, guest_id: pass.guest_id });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ queued: true, to: `p***@example.com` });
    const mail = await newestMail(email);
    const [{ name, venue }] = await sql`select name, venue from public.events where id = ${w.open_event}`;
    expect(mail.Subject).toBe(`O teu passe / Your pass: ${name}`);
    expect(mail.Text).toContain(name);
    if (venue) expect(mail.Text).toContain(venue);
    expect(mail.HTML).toContain(`src="cid:pass-qr"`);
    const full = await (await fetch(`${process.env.MAILPIT_URL}/api/v1/message/${mail.ID}`)).json() as {
      Inline: { PartID: string; ContentType: string; ContentID: string; Size: number }[];
    };
    expect(full.Inline).toEqual([expect.objectContaining({ ContentType: "image/gif", ContentID: "pass-qr" })]);
    const gif = new Uint8Array(await (await fetch(`${process.env.MAILPIT_URL}/api/v1/message/${mail.ID}/part/${full.Inline[0].PartID}`)).arrayBuffer());
    expect(new TextDecoder().decode(gif.slice(0, 6))).toBe("GIF87a");
    const [row] = await sql`select sent_at, payload from private.outbox where to_email = ${email}`;
    expect(row.sent_at).not.toBeNull();
    expect(row.payload).not.toHaveProperty("qr_token");
    expect(gatewayLog()).not.toContain(pass.qr_token);
  });

  it("is counted per pass: the fourth request is refused with rate_limited and no e-mail", async () => {
    const email = `count-${Date.now()}@example.com`;
    const pass = await guest(email);
    for (let i = 0; i < 3; i++) expect((await askPass({ session_token: pass.session_token, guest_id: pass.guest_id }, `198.51.100.${i + 1}`)).status).toBe(200);
    await eventually(async () => ((await mailIds(email)).length === 3 ? true : undefined));
    const refused = await askPass({ session_token: pass.session_token, guest_id: pass.guest_id }, "198.51.100.4");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await refused.json()).message).toBe("rate_limited");
    expect(await mailIds(email)).toHaveLength(3);
  });

  it("is counted per client address, across passes", async () => {
    const address = `192.0.2.${10 + Math.floor(Math.random() * 200)}`;
    await sql`insert into private.rate_limits (bucket, subject, max_hits, window_seconds) values ('pass_email_addresses', ${address}, 1, 900)`;
    try {
      const a = await guest(`addr-a-${Date.now()}@example.com`);
      const b = await guest(`addr-b-${Date.now()}@example.com`);
      expect((await askPass({ session_token: a.session_token, guest_id: a.guest_id }, address)).status).toBe(200);
      const refused = await askPass({ session_token: b.session_token, guest_id: b.guest_id }, address);
      expect([refused.status, (await refused.json()).message]).toEqual([429, "rate_limited"]);
    } finally {
      await sql`delete from private.rate_limits where bucket = 'pass_email_addresses' and subject = ${address}`;
    }
  });

  it("refuses another guest's pass, an account without e-mail and a forged session, each with its code", async () => {
    const mine = await guest(`mine-${Date.now()}@example.com`);
    const other = await guest(`other-${Date.now()}@example.com`);
    const stolen = await askPass({ session_token: mine.session_token, guest_id: other.guest_id });
    expect([stolen.status, (await stolen.json()).message]).toEqual([404, "pass_not_found"]);
    // Registration asks for an e-mail; an account may still have none (accounts from before it was asked).
    const noEmail = await guest(`none-${Date.now()}@example.com`);
    await sql`update private.client_users u set email = null from public.guests g where g.id = ${noEmail.guest_id} and u.id = g.client_user_id`;
    const none = await askPass({ session_token: noEmail.session_token, guest_id: noEmail.guest_id });
    expect([none.status, (await none.json()).message]).toEqual([409, "no_email"]);
    const forged = await askPass({ session_token: "forged", guest_id: mine.guest_id });
    expect([forged.status, (await forged.json()).message]).toEqual([401, "invalid_session"]);
    const bad = await askPass({ session_token: mine.session_token, guest_id: "not-a-uuid" });
    expect([bad.status, (await bad.json()).message]).toEqual([400, "invalid_body"]);
  });
});

describe("when the provider refuses", () => {
  it("nothing is marked sent: the error is recorded and the message waits for the next run", async () => {
    const to = `refused-${Date.now()}@example.com`;
    // The provider refuses an address it cannot send to (422); the outbox keeps the message.
    const [{ id }] = await sql`insert into private.outbox (kind, to_email, payload)
      values ('alert', ${"not an address " + to}, ${sql.json({ alert: "cron_failed", firing: true, detail: "test", threshold: 0, at: new Date().toISOString() })})
      returning id`;
    try {
      const res = await fetch(`${env.apiUrl}/functions/v1/send-outbox`, {
        method: "POST", headers: { apikey: env.anonKey, authorization: `Bearer ${env.anonKey}`, "content-type": "application/json" }, body: "{}",
      });
      expect(res.status).toBe(200);
      const [row] = await sql`select sent_at, last_error from private.outbox where id = ${id}`;
      expect(row.sent_at).toBeNull();
      expect(row.last_error).toBe("provider answered HTTP 422");
    } finally {
      await sql`delete from private.outbox where id = ${id}`;
    }
  });
});
