// The invitation flow end to end through supabase-js, as the /manage page runs it: the owner
// invites (edge function invite-member, its production path: Auth emails the link, here to the
// local mail catcher), the invitee follows the link from the email, sets a password, accepts, and
// signs in again with it; an inviter never gets anyone's sign-in link; plus the guest-list CSV as
// owners and admins get it.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { signer, signInFrom } from "./manage-auth";
import { client, linkIn, mailIds, newestMail, phoneHash, proof, makeWorld, randomPhone, type World } from "./env";

const signedIn = signer("127.0.0.21");

const sql = connect(1);
let w: World;

beforeAll(async () => {
  w = await makeWorld();
});
afterAll(() => sql.end());

/** Follows an Auth action link without a browser: the session arrives in the redirect's fragment. */
async function follow(link: string) {
  const res = await fetch(link, { redirect: "manual" });
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get("location")!);
  return { location, fragment: new URLSearchParams(location.hash.slice(1)) };
}

describe("inviting a person into the organisation", () => {
  const email = `invitee-${Date.now()}@example.com`;
  let link = "";

  it("the owner invites by email: Auth emails the link to the invitee, and the answer carries none", async () => {
    const owner = await signedIn(w.owner_a);
    const { data, error } = await owner.functions.invoke("invite-member", {
      body: { organization_id: w.org_a, email: email.toUpperCase(), role: "admin" },
    });
    expect(error).toBeNull();
    expect(Object.keys(data).sort()).toEqual(["delivered", "email", "expires_at", "id", "role"]);
    expect(data).toMatchObject({ email, role: "admin", delivered: "email" });

    const mail = await newestMail(email);
    expect(mail.To.map((a) => a.Address)).toEqual([email]);
    expect(mail.Subject).toBe("You have been invited");
    link = linkIn(mail);
    expect(link).toMatch(/\/auth\/v1\/verify\?token=[0-9a-f]{56}&type=invite&redirect_to=/);
    expect(mail.HTML).toContain(link.replaceAll("&", "&#38;"));
    // Not in the gateway's log either: a sign-in link is its owner's alone.
    const log = readFileSync(`.stack/${process.env.STACK ?? "test"}/gateway.log`, "utf8");
    expect(log).not.toContain(new URL(link).searchParams.get("token"));
  });

  it("staff cannot invite: the database refuses, and no Auth user is created", async () => {
    const staff = await signedIn(w.staff_a);
    const other = `not-invited-${Date.now()}@example.com`;
    const { error } = await staff.functions.invoke("invite-member", {
      body: { organization_id: w.org_a, email: other, role: "staff" },
    });
    expect(error).not.toBeNull();
    const body = await (error as { context: Response }).context.json();
    expect(body.message).toBe("forbidden");
    const rows = await sql`select 1 from auth.users where email = ${other}`;
    expect(rows.length).toBe(0);
  });

  it("the invitee follows the link, sets a password, accepts, and is an admin", async () => {
    const { location, fragment } = await follow(link);
    expect(location.pathname).toBe("/manage");
    const token = location.searchParams.get("invitation")!;
    expect(fragment.get("type")).toBe("invite");

    const invitee = client();
    const { error: sessionError } = await invitee.auth.setSession({
      access_token: fragment.get("access_token")!, refresh_token: fragment.get("refresh_token")!,
    });
    expect(sessionError).toBeNull();
    const { error: pwError } = await invitee.auth.updateUser({ password: "Invited-2026" });
    expect(pwError).toBeNull();
    const { data, error } = await invitee.rpc("accept_invitation", { p_token: token });
    expect(error).toBeNull();
    expect(data).toEqual({ organization_id: w.org_a, role: "admin", already_accepted: false });

    const again = await signInFrom("127.0.0.21", email, "Invited-2026");
    const { data: orgs } = await again.rpc("my_organizations");
    expect(orgs).toContainEqual(expect.objectContaining({ id: w.org_a, role: "admin" }));
  });

  it("the link is single use", async () => {
    const { fragment } = await follow(link);
    expect(fragment.get("error_code")).toBe("otp_expired");
    expect(fragment.get("access_token")).toBeNull();
  });

  it("someone who already has an account gets a sign-in link, and joins as the promoter they were invited as", async () => {
    const owner = await signedIn(w.owner_a);
    const { data: promoter } = await owner.rpc("create_promoter", {
      p_organization_id: w.org_a, p_slug: `inv-${Date.now()}`, p_display_name: "Invited Promoter",
    });
    const [{ email: staffEmail }] = await sql`select email from auth.users where id = ${w.staff_b}`;
    const seen = await mailIds(staffEmail);
    const { data, error } = await owner.functions.invoke("invite-member", {
      body: { organization_id: w.org_a, email: staffEmail, role: "promoter", promoter_id: promoter.id },
    });
    expect(error).toBeNull();
    expect(data).not.toHaveProperty("link");
    const mail = await newestMail(staffEmail, seen);
    expect(mail.Subject).toBe("Your Magic Link");
    const { location } = await follow(linkIn(mail, /\S+type=magiclink\S+/));

    const existing = await signedIn(w.staff_b);
    const { data: accepted, error: acceptError } = await existing.rpc("accept_invitation", {
      p_token: location.searchParams.get("invitation"),
    });
    expect(acceptError).toBeNull();
    expect(accepted.role).toBe("promoter");
    const { data: mine } = await existing.rpc("promoter_overview");
    expect(mine.promoters.map((p: { id: string }) => p.id)).toEqual([promoter.id]);
  });

  it("any signed-in account can invite an existing account, but gets no way in as them, and grants nothing until they accept", async () => {
    // The reproduction: door staff of another organisation creates an organisation of their own
    // and invites the email of another organisation's owner.
    const attacker = await signedIn(w.staff_b);
    const { data: org, error: orgError } = await attacker.rpc("create_organization", { p_name: "Not Yours" });
    expect(orgError).toBeNull();
    const [{ email: victimEmail }] = await sql`select email from auth.users where id = ${w.owner_a}`;
    const seen = await mailIds(victimEmail);
    const { data, error } = await attacker.functions.invoke("invite-member", {
      body: { organization_id: org.id, email: victimEmail, role: "owner" },
    });
    expect(error).toBeNull();
    // The answer holds nothing that signs anyone in: no link, no token, no code.
    expect(Object.keys(data).sort()).toEqual(["delivered", "email", "expires_at", "id", "role"]);
    expect(JSON.stringify(data)).not.toMatch(/verify|token|access|otp/i);

    // The sign-in link went to the victim's mailbox only, and it signs in the victim, nobody else.
    const mail = await newestMail(victimEmail, seen);
    expect(mail.To.map((a) => a.Address)).toEqual([victimEmail]);
    const { location, fragment } = await follow(linkIn(mail));
    const victim = client();
    await victim.auth.setSession({ access_token: fragment.get("access_token")!, refresh_token: fragment.get("refresh_token")! });
    expect((await victim.auth.getUser()).data.user?.id).toBe(w.owner_a);
    const { data: attackerUser } = await attacker.auth.getUser();
    expect(attackerUser.user?.id).toBe(w.staff_b);

    // Invited and even signed in through the link, the victim is not a member until accepting.
    const members = () => sql`select role from public.organization_members where organization_id = ${org.id} and user_id = ${w.owner_a}`;
    expect(await members()).toEqual([]);
    const { data: orgs } = await victim.rpc("my_organizations");
    expect((orgs as { id: string }[]).map((o) => o.id)).not.toContain(org.id);
    // The attacker cannot accept on the victim's behalf either: the token is only in the victim's email.
    const token = location.searchParams.get("invitation")!;
    const { error: notTheirs } = await attacker.rpc("accept_invitation", { p_token: token });
    expect(notTheirs?.message).toBe("invitation_for_another_email");
    expect(await members()).toEqual([]);
  });

  it("Auth's admin endpoints refuse anything but the service role", async () => {
    const owner = await signedIn(w.owner_a);
    const { error } = await owner.auth.admin.generateLink({ type: "invite", email: "x@example.com" });
    expect(error?.status).toBe(403);
  });
});

describe("events through the API", () => {
  it("a night created published through supabase-js is published (JSON booleans reach the database)", async () => {
    const owner = await signedIn(w.owner_a);
    const { data, error } = await owner.rpc("create_event", {
      p_organization_id: w.org_a, p_slug: `api-${Date.now()}`, p_name: "Published", p_venue: null,
      p_starts_at: "2031-03-01T22:00:00Z", p_ends_at: "2031-03-02T06:00:00Z", p_guest_list_closes_at: "2031-03-02T01:00:00Z",
      p_capacity: null, p_is_published: true,
    });
    expect(error).toBeNull();
    expect(data.is_published).toBe(true);
    const [{ is_published }] = await sql`select is_published from public.events where id = ${data.id}`;
    expect(is_published).toBe(true);
  });
});

describe("the guest list as CSV", () => {
  it("owners get phone numbers, admins do not", async () => {
    const phone = randomPhone();
    const { error: regError } = await client().rpc("register_and_create_guest_v2", {
      p_phone: phone, p_first_name: "Clara", p_last_name: "Vaz", p_email: "clara@example.com", p_password: await phoneHash("Noite-2026"),
      p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
    });
    expect(regError).toBeNull();
    const [{ a }] = await sql`select tests.create_user('csv-admin-' || gen_random_uuid() || '@a.test') as a`;
    await sql`insert into public.organization_members values (${w.org_a}, ${a}, 'admin')`;

    const { data: ownerCsv, error } = await (await signedIn(w.owner_a)).rpc("export_guest_list", { p_event_id: w.open_event, p_lang: "en", p_time_zone: "UTC" });
    expect(error).toBeNull();
    const [header, ...rows] = (ownerCsv as string).trimEnd().split("\r\n");
    expect(header).toBe('\uFEFF"First name","Last name","Promoter","Team","Status","Plus-ones","Source","Checked in (UTC)","Phone"');
    expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^"Clara","Vaz","Pat Promoter",".*","registered","0","link","","\\${phone}"$`)));

    const { data: adminCsv } = await (await signedIn(a)).rpc("export_guest_list", { p_event_id: w.open_event, p_lang: "en", p_time_zone: "UTC" });
    expect((adminCsv as string).split("\r\n")[0]).toBe('\uFEFF"First name","Last name","Promoter","Team","Status","Plus-ones","Source","Checked in (UTC)"');
    expect(adminCsv).toContain('"Clara","Vaz"');
    expect(adminCsv).not.toContain(phone);

    const { error: staffError } = await (await signedIn(w.staff_a)).rpc("export_guest_list", { p_event_id: w.open_event });
    expect(staffError?.message).toBe("forbidden");
  });
});
