// The door in a real browser (the pass's short code on the guest page: guest.test.ts): search
// by name and by code with check-in from the result, a burst of hand-held scanner scans (each its own verdict),
// and offline judging with the device's list (a valid pass green, a forged code red), reconciled
// once when the network returns. Accessibility checked on each screen.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../client/api";
import type { Link, Pass } from "../../client/schemas";
import { connect } from "../db";
import { client, makeWorld, randomPhone, type World } from "../env";
import { axeViolations, launch, phone, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let w: World;
let link: Link;
let door: Page;
let doorContext: BrowserContext;

async function newGuest(first: string, last = "Porta"): Promise<Pass> {
  return createApi(client()).register({ phone: randomPhone(), firstName: first, lastName: last, email: "d@example.com", password: "Porta-2026x" }, link);
}
const codeOf = async (qr: string) => (await sql`select short_code from public.guests where qr_token = ${qr}`)[0].short_code as string;
const results = async (qr: string) => (await sql`select c.result from public.checkins c join public.guests g on g.id = c.guest_id
  where g.qr_token = ${qr} order by c.at`).map((r) => r.result as string);

beforeAll(async () => {
  w = await makeWorld();
  link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
  browser = await launch();
  doorContext = await phone(browser);
  door = await doorContext.newPage();
  await door.goto("/door");
  await door.locator("#email").waitFor();
  const [{ email }] = await sql`select email from auth.users where id = ${w.staff_a}`;
  await door.fill("#email", email);
  await door.fill("#password", "Password-1");
  await door.keyboard.press("Enter");
  await door.locator(`button[data-event-id="${w.open_event}"]`).click();
  await door.locator("#token").waitFor();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

describe("the door", { timeout: 60_000 }, () => {
  it("finds a guest by name and by short code, and checks them in from the result", async () => {
    const ana = await newGuest("Anabela", "Quaresma");
    const rui = await newGuest("Rufino", "Quaresma");
    await door.fill("#search", "anabela quar");
    await door.click("#search-go");
    await door.locator(`#results li:has-text("Anabela Quaresma")`).waitFor();
    expect(await door.locator("#results li").count()).toBe(1);
    expect(await door.textContent("#results")).toContain(await codeOf(ana.qr_token));
    expect(await axeViolations(door)).toEqual([]);
    await door.click(`#results li:has-text("Anabela") button.check`);
    await expect.poll(() => door.getAttribute("#verdict", "data-verdict")).toBe("checked_in");
    expect(await door.textContent("#verdict")).toContain("Anabela Quaresma");
    expect(await results(ana.qr_token)).toEqual(["checked_in"]);

    const code = await codeOf(rui.qr_token);
    await door.fill("#search", `${code.slice(0, 3).toLowerCase()}-${code.slice(3)}`);
    await door.click("#search-go");
    await door.locator(`#results li:has-text("Rufino Quaresma")`).waitFor();
    await door.click(`#results li:has-text("Rufino") button.check`);
    await expect.poll(() => door.textContent("#verdict")).toContain("Rufino Quaresma");
    expect(await results(rui.qr_token)).toEqual(["checked_in"]);
    expect(await axeViolations(door)).toEqual([]);
    expect(await scrollsSideways(door)).toBe(false);
  });

  it("a hand-held scanner's burst of 5 scans: every one recorded, each with its verdict", async () => {
    const passes = [await newGuest("Bruno"), await newGuest("Carla"), await newGuest("Diogo")];
    await sql`update public.guests set plus_ones = 2 where qr_token = ${passes[1].qr_token}`;
    const burst = [passes[0].qr_token, passes[1].qr_token, "forged-code-0000000000", passes[0].qr_token, passes[2].qr_token];
    await door.focus("#token");
    for (const code of burst) await door.keyboard.type(`${code}\n`, { delay: 0 }); // as fast as a scanner types
    await expect.poll(() => door.getAttribute("#queue", "data-count"), { timeout: 15_000 }).toBe("0");
    const verdicts = await door.locator("#recent li").evaluateAll((els) => els.slice(0, 5).map((e) => (e as HTMLElement).dataset.verdict).reverse());
    expect(verdicts).toEqual(["checked_in", "checked_in", "unknown", "already_checked_in", "checked_in"]);
    expect(await door.textContent("#recent")).toContain("+2");
    for (const p of passes) expect((await results(p.qr_token))[0]).toBe("checked_in");
    expect(await results(passes[0].qr_token)).toEqual(["checked_in", "already_checked_in"]);
    const [{ plus }] = await sql`select c.plus_ones plus from public.checkins c join public.guests g on g.id = c.guest_id
      where g.qr_token = ${passes[1].qr_token}`;
    expect(plus).toBe(2);
  });

  it("offline, the device judges each scan with its list: green for a pass, red for a forged code; reconciled once online", async () => {
    const pass = await newGuest("Elsa");
    // The list on the device is downloaded when the night opens: reopen it to have Elsa's pass.
    await door.reload();
    await expect.poll(async () => Number(await door.getAttribute("#offline-list", "data-count"))).toBeGreaterThan(5);
    await doorContext.setOffline(true);
    await door.fill("#token", pass.qr_token);
    await door.keyboard.press("Enter");
    await expect.poll(() => door.getAttribute("#verdict", "data-verdict")).toBe("checked_in");
    expect(await door.getAttribute("#verdict", "data-offline")).toBe("true");
    expect(await door.textContent("#verdict")).toContain("Elsa P.");
    await door.fill("#token", "forged-offline-000000000");
    await door.keyboard.press("Enter");
    await expect.poll(() => door.getAttribute("#verdict", "data-verdict")).toBe("unknown");
    expect(await door.getAttribute("#verdict", "class")).toContain("red");
    await door.fill("#token", pass.qr_token);
    await door.keyboard.press("Enter");
    await expect.poll(() => door.getAttribute("#verdict", "data-verdict")).toBe("already_checked_in");
    expect(await door.getAttribute("#queue", "data-count")).toBe("3");
    expect(await axeViolations(door)).toEqual([]);
    expect(await results(pass.qr_token)).toEqual([]);

    await doorContext.setOffline(false);
    await expect.poll(() => door.getAttribute("#queue", "data-count"), { timeout: 15_000 }).toBe("0");
    expect(await results(pass.qr_token)).toEqual(["checked_in", "already_checked_in"]);
    const [{ n }] = await sql`select count(*)::int n from public.guests where qr_token = ${pass.qr_token} and checked_in_at is not null`;
    expect(n).toBe(1);
    expect(await door.textContent("#recent")).toContain("Enviado");
  });

  it("sound and vibration are switchable and remembered", async () => {
    await door.uncheck("#sound");
    await door.reload();
    await door.locator("#token").waitFor();
    expect(await door.isChecked("#sound")).toBe(false);
    expect(await door.isChecked("#vibration")).toBe(true);
    await door.check("#sound");
  });
});
