// Management in a real browser: an owner with only an account creates the organisation, creates and
// publishes a night and a promoter, links the promoter, and invites them; the promoter opens the
// invitation email (in the local mail catcher, as Mailpit under `supabase start`), follows its
// link, lands on /promoter and sees a registration through their link arrive live.
// Then the guest opens "my data" from the pass. Every screen: accessibility and no sideways scroll.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../client/api";
import { connect } from "../db";
import { client, linkIn, newestMail, randomPhone } from "../env";
import { axeViolations, launch, phone, screenshot, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let owner: Page;
let promoter: Page;
const stamp = Date.now().toString(36);
const ownerEmail = `owner-${stamp}@walkthrough.test`;
const nightSlug = `sexta-${stamp}`;
const promoterSlug = `rita-${stamp}`;
let invitationLink = "";

async function checkScreen(p: Page, name: string) {
  expect(await axeViolations(p)).toEqual([]);
  expect(await scrollsSideways(p)).toBe(false);
  await screenshot(p, name);
}

beforeAll(async () => {
  // A person with an Auth account and nothing else (as after signing up): no organisation yet.
  // The columns are the ones GoTrue needs to read the row (see supabase/seed.sql).
  await sql`insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
      confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
      phone_change, phone_change_token, reauthentication_token, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
    values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', ${ownerEmail},
      extensions.crypt('Password-1', extensions.gen_salt('bf', 4)), now(), '', '', '', '', '', '', '', '',
      '{"provider": "email", "providers": ["email"]}', '{}', now(), now())`;
  browser = await launch();
  owner = await (await phone(browser)).newPage();
  promoter = await (await phone(browser)).newPage();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

describe("running a night from /manage and /promoter", () => {
  it("the owner signs in and has no organisation yet", async () => {
    await owner.goto("/manage");
    await owner.fill("#email", ownerEmail);
    await owner.fill("#password", "Password-1");
    await owner.keyboard.press("Enter");
    await owner.locator("#org-form").waitFor();
    await checkScreen(owner, "manage-no-organisation");
  });

  it("creates the organisation from the page", async () => {
    await owner.fill("#org-name", "Noites do Rio");
    await owner.click("#org-form button[type=submit]");
    await owner.locator("#new-event").waitFor();
    await checkScreen(owner, "manage-empty");
  });

  it("creates and publishes a night", async () => {
    await owner.click("#new-event");
    await owner.fill("#ev-name", "Sexta no Rio");
    await owner.fill("#ev-slug", nightSlug);
    await owner.fill("#ev-venue", "Cais do Sodré");
    await owner.check("#ev-published");
    await checkScreen(owner, "manage-new-night");
    await owner.click("#event-form button[type=submit]");
    await owner.locator(`article[data-slug="${nightSlug}"]`).waitFor();
  });

  it("raises the night's pace of new guests for a viral night", async () => {
    const pace = owner.locator(`article[data-slug="${nightSlug}"] form[data-form=pace]`);
    const [{ pace: byDefault }] = await sql`select max_hits pace from private.rate_limits where bucket = 'event_registrations' and subject = '*'`;
    expect(Number(await pace.locator("input").inputValue())).toBe(byDefault); // the default in force
    await pace.locator("input").fill("2500");
    await pace.locator("button[type=submit]").click();
    await owner.locator("#message", { hasText: "Guardado" }).waitFor();
    const [{ n }] = await sql`select l.max_hits n from private.rate_limits l join public.events e on l.subject = e.id::text
                              where l.bucket = 'event_registrations' and e.slug = ${nightSlug}`;
    expect(n).toBe(2500);
    expect(await owner.locator(`article[data-slug="${nightSlug}"] form[data-form=pace] input`).inputValue()).toBe("2500");
  });

  it("creates a promoter and links them to the night: the link's URL and QR are shown", async () => {
    await owner.fill("#pr-name", "Rita Sousa");
    await owner.fill("#pr-slug", promoterSlug);
    await owner.click("#promoter-form button[type=submit]");
    await owner.locator("#promoters li", { hasText: "Rita Sousa" }).waitFor();
    await owner.locator(`article[data-slug="${nightSlug}"] form[data-form=link] button[type=submit]`).click();
    const row = owner.locator(`article[data-slug="${nightSlug}"] li[data-promoter="${promoterSlug}"]`);
    await row.waitFor();
    expect(await row.locator("a").textContent()).toBe(`${process.env.API_URL}/p/${promoterSlug}/${nightSlug}`);
    expect(await row.locator(".link-qr svg").count()).toBe(1);
    await checkScreen(owner, "manage-night-linked");
  });

  it("invites the promoter by email: the page says it was emailed, and the email arrives with the link", async () => {
    const email = `rita-${stamp}@walkthrough.test`;
    await owner.fill("#inv-email", email);
    await owner.selectOption("#inv-role", "promoter");
    await owner.selectOption("#inv-promoter", { label: "Rita Sousa" });
    await owner.click("#invite-form button[type=submit]");
    expect(await owner.locator("#invite-sent").textContent()).toContain(email);
    expect(await owner.locator("#members a[href*='/auth/v1/verify']").count()).toBe(0);
    await checkScreen(owner, "manage-invited");
    invitationLink = linkIn(await newestMail(email));
    expect(invitationLink).toMatch(/\/auth\/v1\/verify\?token=/);
  });

  it("the local mail catcher's page lists the invitation and opens it, with the link", async () => {
    const mailbox = await (await phone(browser)).newPage();
    await mailbox.goto(process.env.MAILPIT_URL!);
    await mailbox.locator("tr", { hasText: `rita-${stamp}@walkthrough.test` }).getByRole("link", { name: "You have been invited" }).click();
    await mailbox.locator("h1", { hasText: "You have been invited" }).waitFor();
    expect(await mailbox.locator("pre a[href*='/auth/v1/verify']").getAttribute("href")).toBe(invitationLink);
    expect(await axeViolations(mailbox)).toEqual([]);
    await mailbox.context().close();
  });

  it("the promoter follows the link, chooses a password, accepts, and sees their link", async () => {
    await promoter.goto(invitationLink);
    await promoter.locator("#accept-form").waitFor();
    await checkScreen(promoter, "manage-accept-invitation");
    await promoter.fill("#new-password", "Promotora-2026");
    await promoter.click("#accept-form button[type=submit]");
    await promoter.waitForURL("**/promoter");
    await promoter.locator(`li[data-event="${nightSlug}"]`).waitFor();
    await expect.poll(() => promoter.getAttribute("#connection", "data-state"), { timeout: 10_000 }).toBe("live");
    expect(await promoter.locator("#feed-registered").textContent()).toBe("0");
  });

  it("invites door staff, who follow their link and land on the scanner with the night", async () => {
    const email = `porta-${stamp}@walkthrough.test`;
    await owner.fill("#inv-email", email);
    await owner.selectOption("#inv-role", "staff");
    await owner.click("#invite-form button[type=submit]");
    await expect.poll(() => owner.locator("#invite-sent").textContent()).toContain(email);
    const staffLink = linkIn(await newestMail(email));
    expect(staffLink).not.toBe(invitationLink);
    const door = await (await phone(browser)).newPage();
    await door.goto(staffLink);
    await door.fill("#new-password", "Porta-2026x");
    await door.click("#accept-form button[type=submit]");
    await door.waitForURL("**/door");
    const night = door.locator("button.event", { hasText: "Sexta no Rio" });
    await night.waitFor();
    await checkScreen(door, "door-staff-invited");
    await checkScreen(owner, "manage-team-ready");
    await door.context().close();
  });

  it("a guest registers through the link and the promoter sees it arrive, live", async () => {
    const [{ id: eventId }] = await sql`select id from public.events where slug = ${nightSlug}`;
    const [{ id: promoterId }] = await sql`select id from public.promoters where slug = ${promoterSlug}`;
    await createApi(client()).register({ phone: randomPhone(), firstName: "Beatriz", lastName: "Lopes", email: "b@example.com", password: "Noite-2026x" },
      { eventId, promoterId, teamId: null });
    await expect.poll(() => promoter.locator("#feed-registered").textContent(), { timeout: 10_000 }).toBe("1");
    expect(await promoter.locator("#guests li").first().textContent()).toContain("Beatriz L.");
    await checkScreen(promoter, "promoter-live");
  });

  it("the guest's pass links to their data, which they can see and delete", async () => {
    const guest = await (await phone(browser)).newPage();
    await guest.goto(`/p/${promoterSlug}/${nightSlug}`);
    await guest.fill("#phone", "919 555 777");
    await guest.keyboard.press("Enter");
    await guest.fill("#first-name", "Tiago");
    await guest.fill("#last-name", "Reis");
    await guest.fill("#email", "tiago@example.com");
    await guest.fill("#new-password", "Noite-2026x");
    await guest.keyboard.press("Enter");
    await guest.locator("#my-data").click();
    await guest.locator("#account").waitFor();
    expect(await guest.locator("#account").textContent()).toContain("+351919555777");
    await checkScreen(guest, "me-data");
    await guest.click("#delete");
    await guest.click("#delete");
    await guest.locator("#deleted").waitFor();
  });
});
