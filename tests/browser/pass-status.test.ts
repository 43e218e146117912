// The pass's place on the list as the guest sees it, in Chromium at 360 px: a guest on the
// waiting list sees "waiting" and no QR, then the QR appears without a reload once a place frees;
// a guest of a night with approval sees "awaiting approval"; a cancelled pass says so. Offline
// (the service worker and the pass kept on the phone, context.setOffline), a waiting, pending or
// cancelled pass still says so and shows no QR, in both languages, and a pending pass approved
// while the phone was offline shows its QR once the network is back. A waiting pass goes on asking
// after an ask that failed for lack of network.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../db";
import { env, makeWorld, randomPhone, signedIn, type World } from "../env";
import { axeViolations, launch, phone, screenshot, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let w: World;
const stamp = Date.now().toString(36);
const nights: Record<"wait" | "approve" | "cancel", { id: string; slug: string }> = {
  wait: { id: "", slug: `espera-${stamp}` }, approve: { id: "", slug: `aprova-${stamp}` }, cancel: { id: "", slug: `cancela-${stamp}` },
};

async function checkScreen(p: Page, name: string) {
  expect(await axeViolations(p)).toEqual([]);
  expect(await scrollsSideways(p)).toBe(false);
  await screenshot(p, name);
}

/** A new phone that opens the night's link and registers; resolves once the pass screen shows. */
async function newGuest(night: keyof typeof nights, first: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await phone(browser);
  const page = await context.newPage();
  await page.goto(`/p/${w.promoter_slug}/${nights[night].slug}`);
  await page.fill("#phone", randomPhone());
  await page.click("button[type=submit]");
  await page.locator("#first-name").waitFor();
  await page.fill("#first-name", first);
  await page.fill("#last-name", "Estado");
  await page.fill("#email", "estado@example.com");
  await page.fill("#new-password", "Noite-2026x");
  await page.click("button[type=submit]");
  await page.locator("#pass-title").waitFor();
  return { context, page };
}

/** Once the service worker controls the page and keeps a copy of it. */
const workerReady = (page: Page) => expect.poll(() => page.evaluate(async () => {
  const names = await caches.keys();
  const cache = names.find((n) => n.startsWith("guestlist-"));
  return !!navigator.serviceWorker.controller && !!cache && !!(await (await caches.open(cache)).match("/guest.html"));
}), { timeout: 20_000 }).toBe(true);

const qrShown = (page: Page) => page.locator("#qr").isVisible();
/** The short code, "show this code at the door", "save image" and "send by e-mail": only for a pass that admits, as the QR. */
const codeShown = async (page: Page) => (await page.locator(".pass-code").isVisible()) || (await page.locator("#pass-help").isVisible())
  || (await page.locator("#save").isVisible()) || (await page.locator("#email-pass").isVisible());
const OFFLINE_STATE_PT = "Sem rede: este é o estado do passe guardado neste telemóvel; muda quando houver rede.";
const OFFLINE_STATE_EN = "No network: this is the pass's state saved on this phone; it changes when there is a network.";
const state = (page: Page) => page.locator("#pass-state").getAttribute("data-status");

beforeAll(async () => {
  w = await makeWorld();
  for (const [key, n] of Object.entries(nights)) {
    [{ id: n.id }] = await sql`insert into public.events (organization_id, slug, name, starts_at, ends_at, guest_list_closes_at,
        capacity, waiting_list, requires_approval, is_published)
      values (${w.org_a}, ${n.slug}, ${`Noite ${key}`}, now() + interval '1 day', now() + interval '1 day 6 hours', now() + interval '1 day',
        ${key === "wait" ? 1 : null}, ${key === "wait"}, ${key === "approve"}, true) returning id`;
    await sql`insert into public.event_promoters (event_id, promoter_id) values (${n.id}, ${w.promoter})`;
  }
  // The waiting night's one place is taken.
  const [{ id: first }] = await sql`insert into private.client_users (phone, first_name, last_name, password_salt, password_digest)
    values (${randomPhone()}, 'Primeira', 'Pessoa', '$2a$10$abcdefghijklmnopqrstuu', private.sha256('x')) returning id`;
  await sql`insert into public.guests (event_id, client_user_id, promoter_id) values (${nights.wait.id}, ${first}, ${w.promoter})`;
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

describe("the pass's place on the list, online and offline", { timeout: 90_000 }, () => {
  it("a guest on the waiting list sees 'waiting' and no QR, offline too, then the pass appears without a reload once promoted", async () => {
    const { context, page } = await newGuest("wait", "Wanda");
    expect(await state(page)).toBe("waiting");
    expect(await page.locator("#pass-state").textContent()).toBe("Estás na lista de espera. O passe aparece aqui se abrir um lugar.");
    expect(await qrShown(page)).toBe(false);
    expect(await codeShown(page)).toBe(false);
    await checkScreen(page, "guest-pass-waiting");
    await workerReady(page);
    await context.setOffline(true);
    await page.reload();
    await page.locator("#pass-title").waitFor();
    await expect.poll(() => page.locator("#status").textContent()).toContain("Sem rede");
    expect(await state(page)).toBe("waiting");
    expect(await qrShown(page)).toBe(false);
    await context.setOffline(false); // the page asks again when the network is back
    await sql`update public.events set capacity = 2 where id = ${nights.wait.id}`;
    await sql`select private.promote_waiting(${nights.wait.id})`;
    await expect.poll(() => qrShown(page), { timeout: 30_000 }).toBe(true); // my_pass, asked every 20 s while waiting
    expect(await page.locator("#pass-state").count()).toBe(0);
    expect(await page.url()).toMatch(new RegExp(`/p/${w.promoter_slug}/${nights.wait.slug}$`));
    await context.close();
  });

  it("a guest of a night with approval sees 'awaiting approval' and no QR", async () => {
    const { context, page } = await newGuest("approve", "Paula");
    expect(await state(page)).toBe("pending");
    expect(await page.locator("#pass-state").textContent()).toBe("À espera da aprovação da organização.");
    expect(await qrShown(page)).toBe(false);
    expect(await codeShown(page)).toBe(false);
    await checkScreen(page, "guest-pass-pending");
    await context.close();
  });

  it("a pending pass opened offline says it awaits approval, with no QR, in both languages; approved meanwhile, the QR appears once back online", async () => {
    const { context, page } = await newGuest("approve", "Olga");
    expect(await state(page)).toBe("pending");
    await workerReady(page);
    await context.setOffline(true);
    await page.reload();
    await page.locator("#pass-title").waitFor();
    await expect.poll(() => page.locator("#status").textContent()).toContain("Sem rede");
    expect(await qrShown(page)).toBe(false);
    expect(await codeShown(page)).toBe(false);
    expect(await page.locator("#status").textContent()).toBe(OFFLINE_STATE_PT);
    expect(await page.locator("#pass-title").textContent()).toBe("O passe de Olga"); // not "on the list"
    expect(await state(page)).toBe("pending");
    expect(await page.locator("#pass-state").textContent()).toBe("À espera da aprovação da organização.");
    await checkScreen(page, "guest-pass-pending-offline");
    await page.click("#lang");
    expect(await page.locator("#pass-state").textContent()).toBe("Waiting for the organisers' approval.");
    expect(await page.locator("#status").textContent()).toBe(OFFLINE_STATE_EN);
    expect(await page.locator("#pass-title").textContent()).toBe("Olga's pass");
    expect(await qrShown(page)).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
    await page.click("#lang");
    expect(await page.locator("#pass-state").textContent()).toBe("À espera da aprovação da organização.");

    // The organiser approves while the phone has no network; the network returns: the QR, no reload.
    const guestId = (await sql`select g.id from public.guests g join private.client_users u on u.id = g.client_user_id
      where g.event_id = ${nights.approve.id} and u.first_name = 'Olga'`)[0].id as string;
    const { error } = await (await signedIn(w.owner_a)).rpc("decide_pending_guest", { p_event_id: nights.approve.id, p_guest_id: guestId, p_approve: true });
    expect(error).toBeNull();
    await context.setOffline(false);
    await expect.poll(() => qrShown(page), { timeout: 30_000 }).toBe(true);
    expect(await page.locator("#pass-state").count()).toBe(0);
    expect(await codeShown(page)).toBe(true);
    expect(await page.locator("#pass-title").textContent()).toBe("Olga, estás na lista.");
    expect(await page.locator("#status").textContent()).not.toContain("Sem rede");
    await context.close();
  });

  it("a cancelled pass says so, online and offline, and 'Sem rede' follows the language switch", async () => {
    const { context, page } = await newGuest("cancel", "Rui");
    expect(await qrShown(page)).toBe(true);
    const guestId = (await sql`select g.id from public.guests g where g.event_id = ${nights.cancel.id}`)[0].id as string;
    await workerReady(page);
    const { error } = await (await signedIn(w.owner_a)).rpc("revoke_guest", { p_event_id: nights.cancel.id, p_guest_id: guestId, p_reason: "Duplicado" });
    expect(error).toBeNull();
    await page.reload();
    await expect.poll(() => state(page)).toBe("revoked");
    expect(await qrShown(page)).toBe(false);
    expect(await page.locator("#pass-state").textContent()).toBe("Este passe foi cancelado.");
    await expect.poll(() => page.locator("#pass-status").textContent()).toBe("Este passe foi cancelado pela organização.");

    await context.setOffline(true);
    await page.reload();
    await page.locator("#pass-title").waitFor();
    await expect.poll(() => page.locator("#status").textContent()).toBe(OFFLINE_STATE_PT); // not "it works at the door"
    expect(await state(page)).toBe("revoked");
    expect(await qrShown(page)).toBe(false);
    expect(await codeShown(page)).toBe(false);
    expect(await page.locator("#pass-status").textContent()).toBe("Este passe foi cancelado pela organização.");
    await checkScreen(page, "guest-pass-revoked-offline");

    await page.click("#lang");
    expect(await page.locator("#status").textContent()).toBe(OFFLINE_STATE_EN);
    expect(await page.locator("#pass-state").textContent()).toBe("This pass was cancelled.");
    expect(await page.locator("#pass-status").textContent()).toBe("This pass was cancelled by the organisers.");
    expect(await axeViolations(page)).toEqual([]);
    await page.click("#lang");
    expect(await page.locator("#status").textContent()).toBe(OFFLINE_STATE_PT);
    await context.setOffline(false);
    await context.close();
  });

  it("a waiting guest whose phone loses the network for a while, without a reload, still sees the QR once promoted", async () => {
    const { context, page } = await newGuest("wait", "Vera"); // the night's 2 places are taken
    expect(await state(page)).toBe("waiting");
    // The page's next ask (my_pass, every 20 s while waiting) fails for lack of network.
    const failed = page.waitForEvent("requestfailed", { predicate: (r) => r.url().endsWith("/rpc/my_pass"), timeout: 40_000 });
    await context.setOffline(true);
    await failed;
    await context.setOffline(false);
    await sql`update public.events set capacity = 3 where id = ${nights.wait.id}`;
    await sql`select private.promote_waiting(${nights.wait.id})`;
    await expect.poll(() => qrShown(page), { timeout: 30_000 }).toBe(true); // the asking went on
    expect(await page.locator("#pass-state").count()).toBe(0);
    await context.close();
  });
});
