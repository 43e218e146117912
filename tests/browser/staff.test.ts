// The door scanner and the organiser's live page in a real browser. The live page (its own
// context) follows registrations and arrivals without a reload, and catches up after its socket
// is dropped; the scanner shows green, amber and red, and a scan made offline is sent when the
// network returns, counted once. Every screen: accessibility check and no sideways scroll.
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../client/api";
import type { Link, Pass } from "../../client/schemas";
import { connect } from "../db";
import { client, makeWorld, randomPhone, signedIn, type World } from "../env";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { axeViolations, launch, phone, qrVideo, screenshot, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let w: World;
let link: Link;
let live: Page;
let door: Page;
let doorContext: BrowserContext;
const sockets: WebSocketRoute[] = [];
let networkDown = false;
const states: string[] = [];
const guestApi = () => createApi(client());

async function newGuest(first: string): Promise<Pass> {
  return guestApi().register({ phone: randomPhone(), firstName: first, lastName: "Teste", email: "t@example.com", password: "Porta-2026x" }, link);
}
const emailOf = async (id: string) => (await sql`select email from auth.users where id = ${id}`)[0].email as string;

async function signIn(p: Page, userId: string) {
  await p.locator("#email").waitFor();
  expect(await axeViolations(p)).toEqual([]);
  await p.fill("#email", await emailOf(userId));
  await p.fill("#password", "Password-1");
  await p.keyboard.press("Enter");
  await p.locator(`button[data-event-id="${w.open_event}"]`).waitFor();
  expect(await axeViolations(p)).toEqual([]); // the event picker
  await p.locator(`button[data-event-id="${w.open_event}"]`).click();
}

const text = (p: Page, sel: string) => p.locator(sel).textContent();

beforeAll(async () => {
  w = await makeWorld();
  link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
  browser = await launch();
  const liveContext = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: "pt-PT", baseURL: process.env.API_URL });
  live = await liveContext.newPage();
  // The Realtime socket goes through a route the test can cut, as a network drop would.
  await live.routeWebSocket(/\/realtime\/v1\/websocket/, (ws) => {
    if (networkDown) return void ws.close({ code: 4001, reason: "network down" });
    ws.connectToServer();
    sockets.push(ws);
  });
  await live.exposeFunction("recordState", (s: string) => states.push(s));
  doorContext = await phone(browser);
  door = await doorContext.newPage();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

describe("organiser live page and door scanner", { timeout: 60_000 }, () => {
  it("the organiser signs in, picks the event and sees it live", async () => {
    await live.goto("/live");
    await signIn(live, w.owner_a);
    await expect.poll(() => live.getAttribute("#connection", "data-state"), { timeout: 10_000 }).toBe("live");
    await expect.poll(() => text(live, "#total-registered")).toBe("0");
    await live.evaluate(() => {
      new MutationObserver(() => {
        const s = document.getElementById("connection")?.dataset.state;
        if (s) (window as unknown as { recordState(s: string): void }).recordState(s);
      }).observe(document.getElementById("app")!, { subtree: true, childList: true, attributes: true });
    });
    expect(await axeViolations(live)).toEqual([]);
  });

  it("shows a registration without a reload", async () => {
    await newGuest("Rita");
    await expect.poll(() => text(live, "#total-registered")).toBe("1");
    expect(await text(live, "#by-promoter tbody")).toContain("Pat Promoter1");
  });

  it("the scanner shows green, then amber for the same pass, and red for a made-up code", async () => {
    const pass = await newGuest("Vasco");
    await door.goto("/door");
    await signIn(door, w.staff_a);
    await door.locator("#token").waitFor();
    expect(await scrollsSideways(door)).toBe(false);
    expect(await axeViolations(door)).toEqual([]);
    await screenshot(door, "door-scanner");

    await door.fill("#token", pass.qr_token);
    await door.keyboard.press("Enter");
    await door.locator("#verdict").waitFor();
    expect(await door.getAttribute("#verdict", "data-verdict")).toBe("checked_in");
    expect(await door.getAttribute("#verdict", "class")).toContain("green");
    expect(await text(door, "#verdict")).toContain("Vasco Teste");
    expect(await axeViolations(door)).toEqual([]);
    await screenshot(door, "door-verdict-green");
    await door.click("#verdict");

    await door.fill("#token", pass.qr_token);
    await door.keyboard.press("Enter");
    await expect.poll(() => door.getAttribute("#verdict", "data-verdict")).toBe("already_checked_in");
    expect(await door.getAttribute("#verdict", "class")).toContain("amber");
    expect(await text(door, "#verdict")).toMatch(/Já entrou às \d\d:\d\d/);
    await screenshot(door, "door-verdict-amber");
    await door.click("#verdict");

    await door.fill("#token", "made-up-token-123");
    await door.keyboard.press("Enter");
    await expect.poll(() => door.getAttribute("#verdict", "data-verdict")).toBe("unknown");
    expect(await door.getAttribute("#verdict", "class")).toContain("red");
    await screenshot(door, "door-verdict-red");
    await door.click("#verdict");

    // ... and the organiser saw the arrival without a reload.
    await expect.poll(() => text(live, "#total-arrived")).toBe("1");
    expect(await text(live, "#arrivals")).toContain("Vasco T.");
    expect(await live.locator("#chart rect").count()).toBeGreaterThan(0);
    expect(await axeViolations(live)).toEqual([]);
    await screenshot(live, "live");
  });

  it("the scanner reads a pass with the camera", async () => {
    const pass = await newGuest("Camila");
    const video = join(mkdtempSync(join(tmpdir(), "guestlist-camera-")), "qr.y4m");
    qrVideo(pass.qr_token, video);
    const cameraBrowser = await launch(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${video}`]);
    try {
      const p = await (await phone(cameraBrowser)).newPage();
      await p.goto("/door");
      await signIn(p, w.staff_a);
      await p.click("#camera");
      await expect.poll(() => p.getAttribute("#verdict", "data-verdict"), { timeout: 15_000 }).toBe("checked_in");
      expect(await text(p, "#verdict")).toContain("Camila Teste");
    } finally {
      await cameraBrowser.close();
    }
    await expect.poll(() => text(live, "#total-arrived")).toBe("2");
  });

  it("the live page catches up after its socket is dropped and reconnected", async () => {
    const pass = await newGuest("Sara");
    expect(sockets.length).toBeGreaterThan(0);
    const before = states.length;
    networkDown = true; // reconnection attempts fail until the arrival below is committed
    for (const s of sockets.splice(0)) await s.close({ code: 4000, reason: "dropped by the test" });
    await expect.poll(() => states.slice(before).includes("offline")).toBe(true);
    // An arrival while the socket is down: its broadcast never reaches this page.
    const staff = createApi(await signedIn(w.staff_a));
    expect((await staff.checkInGuest(w.open_event, pass.qr_token, crypto.randomUUID())).verdict).toBe("checked_in");
    expect(await text(live, "#total-arrived")).toBe("2");
    networkDown = false;
    await expect.poll(() => live.getAttribute("#connection", "data-state"), { timeout: 20_000 }).toBe("live");
    await expect.poll(() => text(live, "#total-arrived")).toBe("3");
    expect(await text(live, "#arrivals")).toContain("Sara T.");
    expect(sockets.length).toBeGreaterThan(0); // it really opened a new socket
  });

  it("a scan made offline is judged on the device, kept there, sent when the network returns, and counted once", async () => {
    const pass = await newGuest("Tiago");
    await door.reload(); // the night's list reaches the device when the night opens
    await expect.poll(async () => Number(await door.getAttribute("#offline-list", "data-count"))).toBeGreaterThan(0);
    await doorContext.setOffline(true);
    await door.fill("#token", pass.qr_token);
    await door.keyboard.press("Enter");
    await expect.poll(() => door.getAttribute("#verdict", "data-verdict"), { timeout: 15_000 }).toBe("checked_in");
    expect(await door.getAttribute("#verdict", "data-offline")).toBe("true");
    await door.click("#verdict");
    expect(await door.getAttribute("#queue", "data-count")).toBe("1");
    await screenshot(door, "door-offline-queue");
    expect((await sql`select count(*)::int n from public.checkins c join public.guests g on g.id = c.guest_id
                      where g.qr_token = ${pass.qr_token}`)[0].n).toBe(0);
    await doorContext.setOffline(false);
    await expect.poll(() => door.getAttribute("#queue", "data-count"), { timeout: 15_000 }).toBe("0");
    const rows = await sql`select c.result from public.checkins c join public.guests g on g.id = c.guest_id
                           where g.qr_token = ${pass.qr_token}`;
    expect(rows.map((r) => r.result)).toEqual(["checked_in"]);
    await expect.poll(() => text(live, "#total-arrived")).toBe("4");
    expect(await text(door, "#recent")).toContain("Tiago T.");
  });

  it("no staff page scrolls sideways at 360 px", async () => {
    const p = await (await phone(browser)).newPage();
    for (const path of ["/door", "/live"]) {
      await p.goto(path);
      await p.locator("#email").waitFor();
      expect(await scrollsSideways(p)).toBe(false);
    }
    await p.close();
    await live.setViewportSize({ width: 360, height: 800 });
    expect(await scrollsSideways(live)).toBe(false);
  });
});
