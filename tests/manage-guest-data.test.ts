// A guest's own data through supabase-js, as the guest page calls it: see it with the session,
// reset a forgotten password by email (outbox + edge function, its production path: the email
// provider's API, here the local mail catcher), and delete the account.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { createApi } from "../client/api";
import { client, rawClient, proof, eventually, linkIn, mailIds, makeWorld, newestMail, phoneHash, randomPhone, type World } from "./env";

const sql = connect(1);
let w: World;
const phone = randomPhone();
const email = `guest-${Date.now()}@example.com`;
let session = "";

beforeAll(async () => {
  w = await makeWorld();
  const { data, error } = await rawClient().rpc("register_and_create_guest_v2", {
    p_phone: phone, p_first_name: "Marta", p_last_name: "Pinto", p_email: email, p_password: await phoneHash("Noite-2026"),
    p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
  });
  if (error) throw error;
  session = data.session_token;
});
afterAll(() => sql.end());

const gatewayLog = () => readFileSync(`.stack/${process.env.STACK ?? "test"}/gateway.log`, "utf8");
const outboxRows = (to: string) => sql`select count(*)::int n from private.outbox where to_email = ${to}`;

describe("a guest's own data", () => {
  it("with the session the guest sees the account and the pass", async () => {
    const { data, error } = await rawClient().rpc("my_guest_data", { p_session_token: session });
    expect(error).toBeNull();
    expect(data.account).toMatchObject({ phone, email, first_name: "Marta", last_name: "Pinto" });
    expect(data.passes).toHaveLength(1);
    const { error: refused } = await rawClient().rpc("my_guest_data", { p_session_token: "forged" });
    expect(refused?.message).toBe("invalid_session");
  });

  it("a forgotten password: the link goes out through the outbox and the email provider's API (the mail catcher) and works once", async () => {
    const { data, error } = await client().functions.invoke("guest-password-reset", { body: { phone } });
    expect(error).toBeNull();
    expect(data.requested).toBe(true);
    const mail = await newestMail(email);
    expect(mail.Subject).toBe("Nova palavra-passe / New password");
    expect(mail.From.Address).toBe("no-reply@example.com");
    expect(mail.Text).toMatch(/Olá Marta/);
    const link = linkIn(mail, /\S+\/me#reset=\S+/);
    expect(link.startsWith(`${process.env.API_URL}/me#reset=`)).toBe(true);
    const token = decodeURIComponent(new URL(link).hash.replace("#reset=", ""));
    expect(gatewayLog()).not.toContain(token);
    const [{ n }] = await sql`select count(*)::int n from private.outbox where to_email = ${email} and sent_at is not null and not payload ? 'token'`;
    expect(n).toBe(1);

    // As /me does it: the new password checked and hashed on the phone with a new salt.
    const api = createApi(client());
    const weak = await api.resetGuestPassword(token, "fraca").catch((e) => e);
    expect(weak.code).toBe("password_too_short"); // refused on the phone, the token still unused
    await api.resetGuestPassword(token, "Nova-Senha-2027");
    const again = await api.resetGuestPassword(token, "Outra-Senha-2027").catch((e) => e);
    expect(again.code).toBe("invalid_reset_token");
    const [{ salt }] = await sql`select password_salt salt from private.client_users where phone = ${phone}`;
    expect(salt).toMatch(/^\$2b\$10\$/);
    const night = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const old = await api.authenticate(phone, "Noite-2026", night).catch((e) => e);
    expect(old.code).toBe("invalid_credentials");
    const login = await api.authenticate(phone, "Nova-Senha-2027", night);
    session = login.session_token;
  });

  it("an unknown number gets the same answer and no email", async () => {
    const other = randomPhone();
    const [{ n: before }] = await outboxRows(email);
    const { data, error } = await client().functions.invoke("guest-password-reset", { body: { phone: other } });
    expect(error).toBeNull();
    expect(data.requested).toBe(true);
    const [{ n: after }] = await outboxRows(email);
    expect(after).toBe(before);
  });

  it("an email the provider refuses stays unsent in the outbox, with the provider's error, for a retry", async () => {
    // The provider answers 422 for a message it will not send (here: no recipient address), as Resend does.
    const [{ id }] = await sql`insert into private.outbox (kind, to_email, payload)
      values ('guest_password_reset', '', ${sql.json({ first_name: "X", token: "never-sent", expires_at: "" })}) returning id`;
    const seen = await mailIds("");
    const res = await fetch(`${process.env.API_URL}/functions/v1/guest-password-reset`, {
      method: "POST", body: "{}",
      headers: { apikey: process.env.SERVICE_ROLE_KEY!, authorization: `Bearer ${process.env.SERVICE_ROLE_KEY}`, "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    const [row] = await sql`select sent_at, last_error, payload ? 'token' as has_token from private.outbox where id = ${id}`;
    expect(row).toEqual({ sent_at: null, last_error: "provider answered HTTP 422", has_token: true });
    expect(await mailIds("")).toEqual(seen);
    await sql`delete from private.outbox where id = ${id}`;
  });

  it("the guest deletes the account; the phone is unknown from then on", async () => {
    const { data, error } = await rawClient().rpc("delete_my_guest_account", { p_session_token: session });
    expect(error).toBeNull();
    expect(data).toEqual({ deleted: true, passes_deleted: 1, passes_anonymised: 0 });
    const { data: check } = await rawClient().rpc("check_phone_with_cache", { p_phone: phone });
    expect(check.exists).toBe(false);
    const { error: gone } = await rawClient().rpc("my_guest_data", { p_session_token: session });
    expect(gone?.message).toBe("invalid_session");
  });
});
