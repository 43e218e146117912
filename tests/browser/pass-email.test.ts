// The pass screen's "Send by email" in a real browser (Chromium at 360 px): the pass goes to the
// account's own address with the QR inline, the page says where (masked), and past the limit it
// says why in the page's language; axe stays at zero.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorsEn, errorsPt } from "../../client/pages/src/i18n";
import { connect } from "../db";
import { makeWorld, mailIds, newestMail, phoneHash, proof, randomPhone, rawClient, type World } from "../env";
import { axeViolations, launch, phone, screenshot, scrollsSideways, withWait } from "./browser";

const sql = connect(1);
let browser: Browser;
let w: World;
let page: Page;
const email = `browser-pass-${Date.now()}@example.com`;

beforeAll(async () => {
  w = await makeWorld();
  browser = await launch();
  page = await (await phone(browser)).newPage();
  // A guest who already has the pass on this phone (as the page keeps it after registering).
  const { data, error } = await rawClient().rpc("register_and_create_guest_v2", {
    p_phone: randomPhone(), p_first_name: "Carla", p_last_name: "Matos", p_email: email, p_password: await phoneHash("Noite-2026x"),
    p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
  });
  if (error) throw error;
  await page.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
  await page.evaluate(([key, pass]) => localStorage.setItem(key, pass), [`guestlist.pass.${w.open_event}`, JSON.stringify(data)]);
  await page.reload();
  await page.locator("#qr svg").waitFor();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

describe("the pass by e-mail", { timeout: 60_000 }, () => {
  it("a tap sends the pass to the account's address, shown masked; the e-mail has the QR inline", async () => {
    await page.click("#email-pass");
    await expect.poll(() => page.locator("#status").textContent()).toBe("Enviado para b***@example.com. Vê a tua caixa de correio.");
    const mail = await newestMail(email);
    expect(mail.HTML).toContain(`src="cid:pass-qr"`);
    expect(await mailIds(email)).toHaveLength(1);
    expect(await axeViolations(page)).toEqual([]);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, "guest-pass-emailed");
  });

  it("past the limit per pass the page says so, in Portuguese and then in English, and no e-mail leaves", async () => {
    await page.click("#email-pass");
    await expect.poll(async () => (await mailIds(email)).length, { timeout: 20_000 }).toBe(2);
    await page.click("#email-pass");
    await expect.poll(async () => (await mailIds(email)).length, { timeout: 20_000 }).toBe(3);
    await page.click("#email-pass");
    await expect.poll(() => page.locator("#message").textContent()).toMatch(withWait(errorsPt.rate_limited));
    expect(await page.getAttribute("#message", "data-code")).toBe("rate_limited");
    await page.click("#lang");
    await expect.poll(() => page.locator("#message").textContent()).toMatch(withWait(errorsEn.rate_limited));
    expect(await page.locator("#email-pass").textContent()).toBe("Send by email");
    expect(await mailIds(email)).toHaveLength(3);
    expect(await axeViolations(page)).toEqual([]);
  });
});
