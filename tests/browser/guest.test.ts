// The guest page in a real browser (Chromium at 360 px): a new guest registers and gets a QR
// that decodes to a pass the database knows; a reload shows the same pass; another night's link
// is one tap; a returning guest's phone hashes the password (bcrypt in a Web Worker, with an
// announced "A preparar…"); a wrong password is explained in Portuguese, then in English; closed, unknown and
// unpublished links get a clear page; old links redirect; accessibility, no sideways scroll and
// the first load's byte budget.
import jsQR from "jsqr";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorsEn, errorsPt } from "../../client/pages/src/i18n";
import { connect } from "../db";
import { makeWorld, randomPhone, type World } from "../env";
import { axeViolations, launch, phone, qrPixels, screenshot, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let w: World;
let page: Page;
const guestPhone = randomPhone();
const password = "Noite-2026x";
let token = "";

beforeAll(async () => {
  w = await makeWorld();
  browser = await launch();
  page = await (await phone(browser)).newPage();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

const open2Slug = () => `open2-${w.open_event2.slice(0, 8)}`;

async function decodeQr(p: Page): Promise<string | undefined> {
  const { data, size } = await qrPixels(p);
  return jsQR(data, size, size)?.data;
}

describe("guest page", { timeout: 60_000 }, () => {
  it("first load, the bcrypt worker included, stays within 150 KB compressed, all from the stack's origin", async () => {
    const sizes: Promise<number>[] = [];
    const origins = new Set<string>();
    const paths: string[] = [];
    const onRequest = (r: Request) => {
      origins.add(new URL(r.url()).origin);
      paths.push(new URL(r.url()).pathname);
      sizes.push(r.response().then(async (res) => {
        if (!res) return 0;
        await res.finished();
        const s = await r.sizes();
        return s.responseBodySize + s.responseHeadersSize;
      }));
    };
    page.on("request", onRequest);
    await page.goto(`/p/${w.promoter_slug}/${w.open_slug}`, { waitUntil: "networkidle" });
    page.off("request", onRequest);
    const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(10_000); // the bundle did load, compressed
    expect(total).toBeLessThanOrEqual(150 * 1024);
    // The budget includes the password's bcrypt (its worker loads while the guest types).
    expect(paths.filter((x) => /\/assets\/bcrypt\.worker-[\w-]+\.js$/.test(x))).toHaveLength(1);
    expect([...origins]).toEqual([new URL(page.url()).origin]);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Open night");
    await expect.poll(() => page.locator("#phone").isVisible()).toBe(true);
    await screenshot(page, "guest-phone");
    expect(await scrollsSideways(page)).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
  });

  it("a new guest registers at 360 px and gets a QR that decodes to a pass the database knows; a double tap sends one request", async () => {
    await page.fill("#phone", guestPhone);
    await page.keyboard.press("Enter");
    await page.locator("#first-name").waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("first-name");
    await page.fill("#first-name", "Beatriz");
    await page.fill("#last-name", "Nunes");
    await page.fill("#email", "beatriz@example.com");
    await page.fill("#new-password", password);
    expect(await axeViolations(page)).toEqual([]);
    expect(await scrollsSideways(page)).toBe(false);
    await screenshot(page, "guest-register");
    let registrations = 0;
    page.on("request", (r) => { if (r.url().includes("/rpc/register_and_create_guest_v2")) registrations++; });
    await page.locator("button[type=submit]").dblclick();
    await page.locator("#qr svg").waitFor();
    token = (await decodeQr(page))!;
    expect(token).toBeTruthy();
    expect(await page.getAttribute("#qr", "data-token")).toBe(token);
    const [g] = await sql`select g.event_id, u.phone from public.guests g join private.client_users u on u.id = g.client_user_id
                          where g.qr_token = ${token}`;
    expect(g).toEqual({ event_id: w.open_event, phone: guestPhone });
    // The short code beside the QR, as the door finds it.
    const [{ short_code }] = await sql`select short_code from public.guests where qr_token = ${token}`;
    await expect.poll(() => page.locator("#pass-code").textContent()).toBe(short_code);
    expect(registrations).toBe(1);
    await expect.poll(() => page.locator(".pass h2").textContent()).toContain("Beatriz");
    expect(await scrollsSideways(page)).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, "guest-pass");
  });

  it("a reload shows the same pass; another night's link joins with one tap", async () => {
    await page.reload();
    await page.locator("#qr svg").waitFor();
    expect(await decodeQr(page)).toBe(token);

    let calls = 0;
    // The pass then reads its place on the list (my_pass): a read, not a second join.
    page.on("request", (r) => { if (r.url().includes("/rpc/") && !r.url().includes("/rpc/my_pass")) calls++; });
    await page.goto(`/p/${w.promoter_slug}/${open2Slug()}`);
    await page.locator("#join").waitFor();
    expect(await page.locator("#join").textContent()).toContain("Beatriz");
    const before = calls;
    await page.click("#join");
    await page.locator("#qr svg").waitFor();
    expect(calls - before).toBe(1); // one tap, one request: join_event_with_session
    const second = await decodeQr(page);
    expect(second).toBeTruthy();
    expect(second).not.toBe(token);
    const [g] = await sql`select g.event_id, u.phone from public.guests g join private.client_users u on u.id = g.client_user_id
                          where g.qr_token = ${second!}`;
    expect(g).toEqual({ event_id: w.open_event2, phone: guestPhone });
  });

  it("a returning guest with a wrong password reads the Portuguese sentence, then the English one", async () => {
    const other = await (await phone(browser)).newPage();
    await other.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
    await other.fill("#phone", guestPhone);
    await other.click("button[type=submit]");
    await other.locator("#password").waitFor();
    await other.fill("#password", "Wrong-2026x");
    await other.click("button[type=submit]");
    await expect.poll(() => other.locator("#message").textContent()).toBe(errorsPt.invalid_credentials);
    expect(await other.getAttribute("#message", "role")).toBe("alert");
    expect(await other.evaluate(() => document.activeElement?.id)).toBe("password");
    await screenshot(other, "guest-wrong-password");
    await other.click("#lang");
    await expect.poll(() => other.locator("#message").textContent()).toBe(errorsEn.invalid_credentials);
    expect(await other.locator("label[for=password]").textContent()).toBe("Password");
    expect(await other.getAttribute("html", "lang")).toBe("en");
    await other.close();
  });

  it("a returning guest's phone hashes the password in its worker, saying 'A preparar…' meanwhile; the server gets bcrypt, never the password", async () => {
    const p = await (await phone(browser)).newPage();
    // The worker's script is held until the page has announced its state, so the state is seen
    // whatever the speed of this machine.
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    await p.route("**/assets/bcrypt.worker-*.js", async (route) => { await held; await route.continue(); });
    const sent: string[] = [];
    p.on("request", (r) => { if (r.url().includes("/rpc/authenticate_and_create_guest_v2")) sent.push(r.postData() ?? ""); });
    await p.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
    await p.fill("#phone", guestPhone);
    await p.click("button[type=submit]");
    await p.fill("#password", password);
    await p.click("button[type=submit]");
    await expect.poll(() => p.locator("#status").textContent()).toBe("A preparar…");
    expect([await p.getAttribute("#status", "role"), await p.getAttribute("#status", "aria-live")]).toEqual(["status", "polite"]);
    expect(sent).toEqual([]); // nothing leaves the phone before the hash
    await screenshot(p, "guest-preparing");
    release();
    await p.locator("#qr svg").waitFor();
    expect(await p.getAttribute("#qr", "data-token")).toBe(token);
    expect(await p.locator("#status").textContent()).toBe("");
    expect(sent).toHaveLength(1);
    const body = JSON.parse(sent[0]);
    const [{ salt }] = await sql`select password_salt salt from private.client_users where phone = ${guestPhone}`;
    expect(body.p_password).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    expect(body.p_password.slice(0, 29)).toBe(salt);
    expect(sent[0]).not.toContain(password);
    await p.close();
  });

  it("a guest the server asks to come back (429 busy) sees a calm waiting state with the place in line, then the pass", async () => {
    const p = await (await phone(browser)).newPage();
    let calls = 0;
    // The server's busy answer (client/retry.ts) for the first attempt, then the real database.
    await p.route("**/rest/v1/rpc/authenticate_and_create_guest_v2", async (route) => {
      if (calls++ > 0) return route.continue();
      await route.fulfill({
        status: 429, contentType: "application/json", headers: { "Retry-After": "1", "Access-Control-Allow-Origin": "*" },
        body: JSON.stringify({ code: "PT429", message: "busy", details: "The line is long.", hint: null, retry_after: 1, position: 7, wait_seconds: 3 }),
      });
    });
    await p.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
    await p.fill("#phone", guestPhone);
    await p.click("button[type=submit]");
    await p.fill("#password", password);
    await p.click("button[type=submit]");
    await expect.poll(() => p.locator("#status").textContent()).toContain("posição 7");
    expect(await p.locator("#message").textContent()).toBe(""); // no error while waiting
    expect(await p.getAttribute("button[type=submit]", "aria-busy")).toBe("true");
    await p.locator("#qr svg").waitFor();
    expect(await p.getAttribute("#qr", "data-token")).toBe(token);
    expect(calls).toBe(2);
    await p.close();
  });

  it("closed list, unknown link and unpublished event get a clear page; old links redirect", async () => {
    const p = await (await phone(browser)).newPage();
    await p.goto(`/p/${w.promoter_slug}/closed-${w.closed_event.slice(0, 8)}`);
    await p.locator("#closed").waitFor();
    expect(await p.locator("#phone").count()).toBe(0);
    await screenshot(p, "guest-closed");
    expect(await axeViolations(p)).toEqual([]);
    await p.goto(`/p/${w.promoter_slug}/no-such-night`);
    await p.locator("#unknown").waitFor();
    await p.goto(`/p/${w.promoter_slug}/${w.draft_slug}`);
    await p.locator("#unknown").waitFor();
    expect(await axeViolations(p)).toEqual([]);
    await p.goto(`/promotor/${w.promoter_slug}/${w.open_slug}`);
    expect(new URL(p.url()).pathname).toBe(`/p/${w.promoter_slug}/${w.open_slug}`);
    await p.locator("#phone").waitFor();
    await p.close();
  });
});
