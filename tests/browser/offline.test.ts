// The guest's pass without a network and messages in view, in Chromium at 360 × 740 with touch:
// once shown, the pass reloads with the context offline (service worker and the saved pass) and
// from the home screen's start (/guest.html); back online it shows that the guest was checked in;
// "Another person" leaves the phone to a second guest while the first pass stays valid; deleting
// the account takes the pass, the session and the offline copy off the phone. Every message the
// pages write after a tap (weak password, rate limit, the waiting line, an error on /manage's long
// form) is inside the viewport and in a live region.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorsPt } from "../../client/pages/src/i18n";
import { connect } from "../db";
import { makeWorld, randomPhone, type World } from "../env";
import { axeViolations, launch, screenshot, scrollsSideways, withWait } from "./browser";
import { env } from "../env";

const sql = connect(1);
let browser: Browser;
let w: World;
let context: BrowserContext;
let page: Page;
const password = "Noite-2026x";
let token = "";

/** A phone: 360 × 740, touch, Portuguese, at the stack's origin. */
const touchPhone = () => browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true,
  locale: "pt-PT", baseURL: env.apiUrl, deviceScaleFactor: 1 });

/** Whether the element's box is inside the viewport (and not empty). */
const inView = (p: Page, selector: string) => p.evaluate((s) => {
  const el = document.querySelector(s);
  if (!el || !el.textContent) return false;
  const b = el.getBoundingClientRect();
  return b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight;
}, selector);

const guestKeys = (p: Page) => p.evaluate(() => Object.keys(localStorage).filter((k) => /^guestlist\.(session|pass\.|card\.)/.test(k)));

/** Fills the registration form (the phone step done) and taps submit. */
async function register(p: Page, first: string, pw = password) {
  await p.locator("#first-name").waitFor();
  await p.fill("#first-name", first);
  await p.fill("#last-name", "Offline");
  await p.fill("#email", "guest@example.com");
  await p.fill("#new-password", pw);
  if (await p.locator("#confirm-password").count()) await p.fill("#confirm-password", pw);
  await p.locator("button[type=submit]").tap();
}

async function phoneStep(p: Page, number: string) {
  await p.locator("#phone").waitFor();
  await p.fill("#phone", number);
  await p.locator("button[type=submit]").tap();
}

beforeAll(async () => {
  w = await makeWorld();
  browser = await launch();
  context = await touchPhone();
  page = await context.newPage();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

describe("the pass without a network", { timeout: 60_000 }, () => {
  it("the service worker and the manifest are served from the root, revalidated, with their types", async () => {
    const sw = await fetch(`${env.apiUrl}/sw.js`);
    expect(sw.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(sw.headers.get("cache-control")).toBe("no-cache");
    const source = await sw.text();
    // The build filled in its version and the guest page's files (the page and its entry script).
    expect(source).toMatch(/const VERSION = "[0-9a-f]{16}";/);
    const files = JSON.parse(source.match(/const FILES = (\[.*\]);/)![1]) as string[];
    expect(files).toContain("/guest.html");
    expect(files.some((f) => /^\/assets\/guest-[\w-]+\.js$/.test(f))).toBe(true);
    const manifest = await fetch(`${env.apiUrl}/manifest.webmanifest`);
    expect(manifest.headers.get("content-type")).toBe("application/manifest+json");
    const icons = (await manifest.json()).icons as { src: string; sizes: string }[];
    for (const icon of icons) expect((await fetch(`${env.apiUrl}${icon.src}`)).headers.get("content-type")).toBe("image/png");
  });

  it("once shown, the pass reloads with no network, from the link and from the home screen", async () => {
    await page.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
    // What an earlier deploy's worker left behind: the new one deletes it when it takes over.
    await page.evaluate(() => caches.open("guestlist-0000000000000000").then((c) => c.put("/old.js", new Response("old"))));
    await phoneStep(page, randomPhone());
    await register(page, "Inês");
    await page.locator("#qr svg").waitFor();
    token = (await page.getAttribute("#qr", "data-token"))!;
    // The service worker has taken the page and keeps a whole copy of it.
    await expect.poll(() => page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration("/");
      const names = await caches.keys();
      const cache = names.find((n) => n.startsWith("guestlist-"));
      return !!reg?.active && !!navigator.serviceWorker.controller && !!cache && !!(await (await caches.open(cache)).match("/guest.html"));
    }), { timeout: 20_000 }).toBe(true);
    const version = (await (await fetch(`${env.apiUrl}/sw.js`)).text()).match(/const VERSION = "(\w+)"/)![1];
    await expect.poll(() => page.evaluate(() => caches.keys())).toEqual([`guestlist-${version}`]);
    expect(await page.evaluate(() => fetch("/manifest.webmanifest").then((r) => r.json()).then((m) => m.start_url))).toBe("/guest.html");

    await context.setOffline(true);
    await page.reload();
    await page.locator("#qr svg").waitFor();
    expect(await page.getAttribute("#qr", "data-token")).toBe(token);
    expect(await page.locator("h1").textContent()).toBe("Open night");
    await expect.poll(() => page.locator("#status").textContent()).toContain("Sem rede");
    expect(await page.locator("#status").textContent()).not.toContain("A ligar de novo");
    expect(await scrollsSideways(page)).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, "guest-pass-offline");

    // A bad network (the API never answers): the kept pass all the same, at once.
    await context.setOffline(false);
    const hanging: (() => void)[] = [];
    await page.route("**/rest/v1/**", (route) => new Promise<void>((r) => hanging.push(r)).then(() => route.abort().catch(() => {})));
    await page.reload();
    await page.locator("#qr svg").waitFor();
    expect(await page.getAttribute("#qr", "data-token")).toBe(token);
    expect(await page.locator("h1").textContent()).toBe("Open night");
    await expect.poll(() => hanging.length).toBeGreaterThan(0); // the page did ask, and is still waiting
    await page.unroute("**/rest/v1/**");
    for (const release of hanging) release();
    await context.setOffline(true);

    // From the home screen: the manifest starts at /guest.html, which opens the kept pass.
    await page.goto("/guest.html");
    await page.locator("#qr svg").waitFor();
    expect(await page.getAttribute("#qr", "data-token")).toBe(token);
    expect(new URL(page.url()).pathname).toBe(`/p/${w.promoter_slug}/${w.open_slug}`);
  });

  it("back online, the pass shows that the guest was checked in, and the night's news", async () => {
    expect(await page.locator("#pass-status").textContent()).toBe("");
    await sql`update public.guests set status = 'checked_in', checked_in_at = now() where qr_token = ${token}`;
    await sql`update public.events set venue = 'Armazém 2' where id = ${w.open_event}`; // the night changed
    // The link's card is cached by the browser for 30 s (the API's Cache-Control): that time has passed.
    await (await context.newCDPSession(page)).send("Network.clearBrowserCache");
    await context.setOffline(false);
    await expect.poll(() => page.getAttribute("#pass-status", "data-status"), { timeout: 15_000 }).toBe("checked_in");
    expect(await page.locator("#event-card .venue").textContent()).toBe("Armazém 2");
    expect(await page.locator("#pass-status").textContent()).toMatch(/^Entrada registada às \d\d:\d\d\.$/);
    expect(await page.locator("#status").textContent()).toBe("");
    // The status is kept: offline again, a reload still says so.
    await context.setOffline(true);
    await page.reload();
    await expect.poll(() => page.getAttribute("#pass-status", "data-status")).toBe("checked_in");
    await context.setOffline(false);
  });

  it("'Another person' clears this phone for a second guest; the first pass stays valid", async () => {
    await page.locator("#another-person").tap();
    await page.locator("#phone").waitFor();
    expect(await guestKeys(page)).toEqual([]);
    await expect.poll(() => inView(page, "#status")).toBe(true);
    await screenshot(page, "guest-another-person");
    const [first] = await sql`select status from public.guests where qr_token = ${token}`;
    expect(first.status).toBe("checked_in");
    await phoneStep(page, randomPhone());
    await register(page, "Rui");
    await page.locator("#qr svg").waitFor();
    const second = await page.getAttribute("#qr", "data-token");
    expect(second).not.toBe(token);
    expect(await page.locator(".pass h2").textContent()).toContain("Rui");
    await page.reload();
    await page.locator("#qr svg").waitFor();
    expect(await page.getAttribute("#qr", "data-token")).toBe(second);
    token = second!;
  });

  it("deleting the account on /me removes the pass, the session and the offline copy from the phone", async () => {
    await page.locator("#my-data").tap();
    await page.locator("#delete").waitFor();
    await page.locator("#delete").tap();
    await page.locator("#delete").tap();
    await page.locator("#deleted").waitFor();
    expect(await guestKeys(page)).toEqual([]);
    expect(await page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith("guestlist-")))).toEqual([]);
    expect(await sql`select 1 from public.guests where qr_token = ${token}`).toHaveLength(0);
    await page.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
    await page.locator("#phone").waitFor();
    expect(await page.locator("#qr").count()).toBe(0);
    // The home screen's start has no pass to open any more, and says how to get one.
    await page.goto("/guest.html");
    await page.locator("#no-pass").waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });
});

describe("messages in view at 360 × 740 with touch", { timeout: 60_000 }, () => {
  it("a weak password: the sentence is on screen after the tap, announced", async () => {
    const p = await (await touchPhone()).newPage();
    await p.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
    await phoneStep(p, randomPhone());
    await register(p, "Ana", "abc");
    await expect.poll(() => p.locator("#message").textContent()).toBe(errorsPt.password_too_short);
    await expect.poll(() => inView(p, "#message")).toBe(true);
    expect(await p.getAttribute("#message", "aria-live")).toBe("assertive");
    await p.context().close();
  });

  it("a rate limit and the waiting line: on screen after the tap", async () => {
    const p = await (await touchPhone()).newPage();
    let calls = 0;
    await p.route("**/rest/v1/rpc/register_and_create_guest_v2", async (route) => {
      const cors = { "Access-Control-Allow-Origin": "*" };
      calls++;
      if (calls === 1) {
        return route.fulfill({ status: 429, contentType: "application/json", headers: { "Retry-After": "60", ...cors },
          body: JSON.stringify({ code: "PT429", message: "rate_limited", details: null, hint: null }) });
      }
      return route.fulfill({ status: 429, contentType: "application/json", headers: { "Retry-After": "30", ...cors },
        body: JSON.stringify({ code: "PT429", message: "busy", details: null, hint: null, retry_after: 30, position: 12, wait_seconds: 30 }) });
    });
    await p.goto(`/p/${w.promoter_slug}/${w.open_slug}`);
    await phoneStep(p, randomPhone());
    await register(p, "Eva");
    await expect.poll(() => p.locator("#message").textContent()).toMatch(withWait(errorsPt.rate_limited));
    await expect.poll(() => inView(p, "#message")).toBe(true);
    // The second try waits in the line: its place is on screen, politely announced.
    await p.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await p.locator("button[type=submit]").tap();
    await expect.poll(() => p.locator("#status").textContent()).toContain("posição 12");
    await expect.poll(() => inView(p, "#status")).toBe(true);
    expect(await p.getAttribute("#status", "aria-live")).toBe("polite");
    await p.context().close();
  });

  it("an error on /manage's long form is on screen after the tap", async () => {
    const p = await (await touchPhone()).newPage();
    const [{ email }] = await sql`select email from auth.users where id = ${w.owner_a}`;
    await p.goto("/manage");
    await p.fill("#email", email);
    await p.fill("#password", "Password-1");
    await p.keyboard.press("Enter");
    await p.locator("#new-event").tap();
    await p.fill("#ev-name", "Noite repetida");
    await p.fill("#ev-slug", w.open_slug); // taken by the open night of this organisation
    await p.locator("#event-form button[type=submit]").tap();
    await expect.poll(() => p.locator("#message").textContent()).not.toBe("");
    expect(await p.getAttribute("#message", "class")).toContain("error");
    await expect.poll(() => inView(p, "#message")).toBe(true);
    await p.context().close();
  });
});
