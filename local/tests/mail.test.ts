// The mail catcher (local/mail) and the local Auth's email endpoints: Mailpit's API shape for
// readers, the provider's send call and Mailpit's send API for senders, a page that shows what
// arrived without running it, and Auth's /invite, /otp, /recover and /admin/generate_link as
// GoTrue answers them (the link is emailed, never answered, except by the service-role-only
// generate_link).
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

const env = process.env as Record<string, string>;
const mail = env.MAILPIT_URL;
const sql = postgres(env.DB_URL, { max: 1, onnotice: () => {} });
afterAll(() => sql.end());

/** A confirmed email account, made through Auth itself: an invitation link generated and followed. */
async function createUser(email: string) {
  const link = await auth("admin/generate_link", { type: "invite", email }, env.SERVICE_ROLE_KEY);
  const { hashed_token } = await link.json();
  const verified = await auth("verify", { type: "invite", token_hash: hashed_token });
  expect(verified.status).toBe(200);
}

const stamp = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

async function search(query: string) {
  const res = await fetch(`${mail}/api/v1/search?query=${encodeURIComponent(query)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { total: number; count: number; messages: { ID: string; Subject: string; To: { Address: string }[]; Snippet: string }[] };
}

const providerSend = (body: unknown, key: string | null = "re_test") =>
  fetch(`${mail}/emails`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

const auth = (path: string, body: unknown, key = env.ANON_KEY) =>
  fetch(`${env.API_URL}/auth/v1/${path}`, {
    method: "POST",
    headers: { apikey: env.ANON_KEY, authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("the mail catcher", () => {
  it("takes the provider's send call and serves the message through Mailpit's API", async () => {
    const to = `reader-${stamp()}@example.com`;
    const sent = await providerSend({ from: "Noite <noite@example.com>", to: [to], subject: "Olá", text: "Linha 1\nLinha 2" });
    expect(sent.status).toBe(200);
    const { id } = await sent.json();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const found = await search(`to:"${to}"`);
    expect(found.messages.map((m) => m.ID)).toEqual([id]);
    expect(found.messages[0]).toMatchObject({ Subject: "Olá", To: [{ Address: to }], Snippet: "Linha 1 Linha 2" });
    const one = await (await fetch(`${mail}/api/v1/message/${id}`)).json();
    expect(one).toMatchObject({ ID: id, From: { Name: "Noite", Address: "noite@example.com" }, Subject: "Olá", Text: "Linha 1\nLinha 2", HTML: "" });
    const latest = await (await fetch(`${mail}/api/v1/message/latest`)).json();
    expect(latest.ID).toBe(id);
  });

  it("refuses what the provider refuses: no key (401), no recipient or a malformed address (422)", async () => {
    const to = `refused-${stamp()}@example.com`;
    const noKey = await providerSend({ from: "a@example.com", to, subject: "x", text: "x" }, null);
    expect([noKey.status, (await noKey.json()).name]).toEqual([401, "missing_api_key"]);
    for (const body of [{ from: "a@example.com", subject: "x", text: "x" }, { from: "a@example.com", to: [""], subject: "x", text: "x" },
      { from: "a@example.com", to, text: "x" }, { from: "a@example.com", to, subject: "x" }]) {
      const res = await providerSend(body);
      expect([res.status, (await res.json()).name]).toEqual([422, "validation_error"]);
    }
    expect((await search(`to:"${to}"`)).count).toBe(0);
  });

  it("lists messages on its page and shows one without running its content", async () => {
    const to = `page-${stamp()}@example.com`;
    const res = await fetch(`${mail}/api/v1/send`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ From: { Email: "x@example.com" }, To: [{ Email: to }], Subject: "<script>alert(1)</script>",
        Text: "Open https://example.com/a?b=1&c=2.", HTML: "<p onclick=x>hi</p>" }),
    });
    const { ID } = await res.json();
    const list = await (await fetch(`${mail}/`)).text();
    expect(list).toContain(`href="/view/${ID}"`);
    expect(list).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
    expect(list).not.toContain("<script>");
    const view = await (await fetch(`${mail}/view/${ID}`)).text();
    expect(view).toContain(`<a href="https://example.com/a?b=1&#38;c=2">`);
    expect(view).toMatch(/<iframe [^>]*sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="&#60;p onclick=x&#62;hi/);
    expect((await fetch(`${mail}/view/nothing`)).status).toBe(404);
  });

  it("deletes the messages it is asked to", async () => {
    const to = `delete-${stamp()}@example.com`;
    await providerSend({ from: "a@example.com", to, subject: "one", text: "1" });
    const ids = (await search(`to:"${to}"`)).messages.map((m) => m.ID);
    expect(ids).toHaveLength(1);
    const res = await fetch(`${mail}/api/v1/messages`, { method: "DELETE", body: JSON.stringify({ IDs: ids }) });
    expect(res.status).toBe(200);
    expect((await search(`to:"${to}"`)).count).toBe(0);
  });
});

describe("the local Auth's emails", () => {
  it("/otp emails a magic link to an existing account and answers {} with no link; an unknown email is 422 without creating anyone", async () => {
    const email = `otp-${stamp()}@example.com`;
    await createUser(email);
    const res = await auth("otp", { email, create_user: false });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const [m] = (await search(`to:"${email}"`)).messages;
    expect(m.Subject).toBe("Your Magic Link");
    const body = await (await fetch(`${mail}/api/v1/message/${m.ID}`)).json();
    expect(body.Text).toMatch(new RegExp(`${env.API_URL}/auth/v1/verify\\?token=[0-9a-f]{56}&type=magiclink`));

    const unknown = `nobody-${stamp()}@example.com`;
    const refused = await auth("otp", { email: unknown, create_user: false });
    expect([refused.status, (await refused.json()).error_code]).toEqual([422, "otp_disabled"]);
    const signup = await auth("otp", { email: unknown });
    expect([signup.status, (await signup.json()).error_code]).toEqual([422, "signup_disabled"]);
    expect(await sql`select 1 from auth.users where email = ${unknown}`).toEqual([]);
    expect((await search(`to:"${unknown}"`)).count).toBe(0);
  });

  it("/recover answers {} for any email and emails a recovery link only to an account", async () => {
    const email = `recover-${stamp()}@example.com`;
    await createUser(email);
    for (const address of [email, `nobody-${stamp()}@example.com`]) {
      const res = await auth("recover", { email: address });
      expect([res.status, await res.json()]).toEqual([200, {}]);
    }
    const found = await search(`to:"${email}"`);
    expect(found.messages.map((m) => m.Subject)).toEqual(["Reset Your Password"]);
  });

  it("/invite emails the invitation and answers the user, not the link; generate_link answers the link and emails nothing", async () => {
    const email = `invite-${stamp()}@example.com`;
    const invite = await auth("invite", { email }, env.SERVICE_ROLE_KEY);
    expect(invite.status).toBe(200);
    const user = await invite.json();
    expect(user.email).toBe(email);
    expect(JSON.stringify(user)).not.toMatch(/verify|action_link|otp/);
    expect((await search(`to:"${email}"`)).messages.map((m) => m.Subject)).toEqual(["You have been invited"]);

    const other = `generated-${stamp()}@example.com`;
    const link = await auth("admin/generate_link", { type: "invite", email: other }, env.SERVICE_ROLE_KEY);
    expect(link.status).toBe(200);
    expect((await link.json()).action_link).toMatch(/\/auth\/v1\/verify\?token=/);
    expect((await search(`to:"${other}"`)).count).toBe(0);
    const anon = await auth("invite", { email: `x-${stamp()}@example.com` });
    expect(anon.status).toBe(403);
  });
});
