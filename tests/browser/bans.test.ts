// Bans in a real browser: the owner bans a guest's number on /manage (after a confirmation), the
// guest's login on the organisation's link then reads the neutral sentence in Portuguese and
// English, and the owner lifts the ban (asked first). And a guest whose account has no date of
// birth, logging in to a night with a minimum age, is asked for it, then gets too young or the pass.
// Every screen: accessibility and no sideways scroll.
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../client/api";
import { errorsEn, errorsPt } from "../../client/pages/src/i18n";
import { connect } from "../db";
import { client, makeWorld, randomPhone, type World } from "../env";
import { axeViolations, launch, phone, screenshot, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let owner: Page;
let w: World;
const banned = randomPhone();
const noBirthDate = randomPhone();
const password = "noite de bans 26";

async function checkScreen(p: Page, name: string, part?: Locator) {
  expect(await axeViolations(p)).toEqual([]);
  expect(await scrollsSideways(p)).toBe(false);
  await screenshot(p, name, part);
}

beforeAll(async () => {
  w = await makeWorld();
  const api = createApi(client());
  const night2 = { eventId: w.open_event2, promoterId: w.promoter, teamId: w.team };
  for (const [n, first] of [[banned, "Bruno"], [noBirthDate, "Dina"]] as const) {
    await api.register({ phone: n, firstName: first, lastName: "Teste", email: `${first.toLowerCase()}@example.com`, password }, night2);
  }
  // The open night is 18+ from now on; Dina's account never gave a date of birth.
  await sql`insert into public.event_questions (event_id, ask_birth_date, min_age) values (${w.open_event}, true, 18)`;
  browser = await launch();
  owner = await (await phone(browser)).newPage();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

async function logIn(p: Page, number: string) {
  await p.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
  await p.fill("#phone", number);
  await p.click("button[type=submit]");
  await p.locator("#password").waitFor();
  await p.fill("#password", password);
  await p.click("button[type=submit]");
}

describe("bans on /manage and the guest page", { timeout: 60_000 }, () => {
  it("the owner bans a number after confirming; its pass is cancelled", async () => {
    const [{ email }] = await sql`select email from auth.users where id = ${w.owner_a}`;
    await owner.goto("/manage");
    await owner.fill("#email", email);
    await owner.fill("#password", "Password-1");
    await owner.keyboard.press("Enter");
    await owner.locator("#bans").waitFor();
    expect(await owner.locator("#ban-list-empty").count()).toBe(1);
    await owner.fill("#ban-phone", banned.replace("+351", ""));
    await owner.fill("#ban-reason", "Confusão à porta");
    let asked = "";
    owner.once("dialog", (d) => { asked = d.message(); void d.dismiss(); });
    await owner.click("#ban-form button[type=submit]");
    await expect.poll(() => asked).toContain(banned.replace("+351", ""));
    expect(await owner.locator("#ban-list").count()).toBe(0); // dismissed: nothing banned
    owner.once("dialog", (d) => void d.accept());
    await owner.click("#ban-form button[type=submit]");
    await owner.locator(`#ban-list li[data-phone="${banned}"]`).waitFor();
    await expect.poll(() => owner.locator("#message").textContent()).toContain("1 passe(s) cancelado(s)");
    expect(await owner.locator("#ban-list").textContent()).toContain("Confusão à porta");
    const [{ status }] = await sql`select g.status from public.guests g join private.client_users u on u.id = g.client_user_id
                                   where u.phone = ${banned} and g.event_id = ${w.open_event2}`;
    expect(status).toBe("revoked");
    await checkScreen(owner, "manage-bans", owner.locator("#bans"));
  });

  it("the banned guest's login reads a sentence that does not say why, in Portuguese and English", async () => {
    const p = await (await phone(browser)).newPage();
    await logIn(p, banned);
    await expect.poll(() => p.locator("#message").textContent()).toBe(errorsPt.not_admitted);
    expect(await p.getAttribute("#message", "role")).toBe("alert");
    expect((await p.locator("#message").textContent())!.toLowerCase()).not.toMatch(/ban/);
    await checkScreen(p, "guest-not-admitted");
    await p.click("#lang");
    await expect.poll(() => p.locator("#message").textContent()).toBe(errorsEn.not_admitted);
    await p.close();
  });

  it("the owner lifts the ban after confirming", async () => {
    owner.once("dialog", (d) => void d.dismiss());
    await owner.click(`#ban-list li[data-phone="${banned}"] button[data-action=unban]`);
    expect(await owner.locator(`#ban-list li[data-phone="${banned}"]`).count()).toBe(1);
    owner.once("dialog", (d) => void d.accept());
    await owner.click(`#ban-list li[data-phone="${banned}"] button[data-action=unban]`);
    await owner.locator("#ban-list-empty").waitFor();
    const [{ n }] = await sql`select count(*)::int n from private.organization_bans where phone = ${banned}`;
    expect(n).toBe(0);
  });

  it("an account with no date of birth is asked for it on an 18+ night: too young, then the pass", async () => {
    const p = await (await phone(browser)).newPage();
    await logIn(p, noBirthDate);
    await p.locator("#birth-date-form").waitFor();
    expect(await p.locator("#birth-date-title").textContent()).toBe("Falta a tua data de nascimento");
    await checkScreen(p, "guest-birth-date-needed");
    const young = new Date(Date.now() - 15 * 365.25 * 86400000).toISOString().slice(0, 10);
    await p.fill("#birth-date", young);
    await p.click("#birth-date-form button[type=submit]");
    await expect.poll(() => p.locator("#message").textContent()).toBe(errorsPt.too_young);
    await p.fill("#birth-date", "1990-04-05");
    await p.click("#birth-date-form button[type=submit]");
    await p.locator("#qr svg").waitFor();
    const [{ birth_date }] = await sql`select birth_date::text from private.client_users where phone = ${noBirthDate}`;
    expect(birth_date).toBe("1990-04-05");
    await p.close();
  });
});
