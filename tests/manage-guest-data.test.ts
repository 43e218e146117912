// A guest's own data through supabase-js, as the guest page calls it: see it with the session,
// reset a forgotten password by email (outbox + edge function; locally the link is logged), and
// delete the account.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { createApi } from "../client/api";
import { client, rawClient, proof, eventually, makeWorld, phoneHash, randomPhone, type World } from "./env";

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

describe("a guest's own data", () => {
  it("with the session the guest sees the account and the pass", async () => {
    const { data, error } = await rawClient().rpc("my_guest_data", { p_session_token: session });
    expect(error).toBeNull();
    expect(data.account).toMatchObject({ phone, email, first_name: "Marta", last_name: "Pinto" });
    expect(data.passes).toHaveLength(1);
    const { error: refused } = await rawClient().rpc("my_guest_data", { p_session_token: "forged" });
    expect(refused?.message).toBe("invalid_session");
  });

  it("a forgotten password: the link goes out through the outbox (logged locally) and works once", async () => {
    const { data, error } = await rawClient().functions.invoke("guest-password-reset", { body: { phone } });
    expect(error).toBeNull();
    expect(data.requested).toBe(true);
    const link = await eventually(() => gatewayLog().match(new RegExp(`reset link for ${email}: (\\S+)`))?.[1]);
    const token = decodeURIComponent(new URL(link).hash.replace("#reset=", ""));
    const [{ n }] = await sql`select count(*)::int n from private.outbox where to_email = ${email} and sent_at is not null and not payload ? 'token'`;
    expect(n).toBe(1);

    // As /me does it: the new password checked and hashed on the phone with a new salt.
    const api = createApi(client());
    const weak = await api.resetGuestPassword(token, "fraca").catch((e) => e);
    expect(weak.code).toBe("weak_password"); // refused on the phone, the token still unused
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
    const { data, error } = await rawClient().functions.invoke("guest-password-reset", { body: { phone: other } });
    expect(error).toBeNull();
    expect(data.requested).toBe(true);
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
