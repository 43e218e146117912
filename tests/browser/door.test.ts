// The door in a real browser (the pass's short code on the guest page: guest.test.ts): search
// by name and by code with check-in from the result, a burst of hand-held scanner scans (each its own verdict),
// and offline judging with the device's list (a valid pass green, a forged code red), reconciled
// once when the network returns, each scan at the time the device took it; a guest added by hand
// found by name; the guest's age against the night's minimum. Accessibility checked on each screen.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../client/api";
import type { Link, Pass } from "../../client/schemas";
import { connect } from "../db";
import { client, makeWorld, randomPhone, type World } from "../env";
import { axeViolations, launch, phone, screenshot, scrollsSideways } from "./browser";

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
    await screenshot(door, "door-search");
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

  it("finds a guest added by hand (no account) by the name typed, and names them in the verdict", async () => {
    const [{ id, short_code }] = await sql`insert into public.guests (event_id, promoter_id, team_id, source, added_name, added_phone)
      values (${w.open_event}, ${w.promoter}, ${w.team}, 'door', 'Joaquina Mãozinha', '+351912000222') returning id, short_code`;
    await door.fill("#search", "mãozinha joaq");
    await door.click("#search-go");
    await door.locator(`#results li[data-guest="${id}"]`).waitFor();
    expect(await door.textContent(`#results li[data-guest="${id}"]`)).toContain("Joaquina Mãozinha");
    expect(await door.textContent(`#results li[data-guest="${id}"]`)).toContain(short_code);
    await screenshot(door, "door-search-added");
    await door.click(`#results li[data-guest="${id}"] button.check`);
    await expect.poll(() => door.getAttribute("#verdict", "data-verdict")).toBe("checked_in");
    expect(await door.textContent("#verdict .name")).toBe("Joaquina Mãozinha");
    const [{ n }] = await sql`select count(*)::int n from public.guests where id = ${id} and checked_in_at is not null`;
    expect(n).toBe(1);
    expect(await axeViolations(door)).toEqual([]);
  });

  it("on a night with a minimum age, shows each guest's age, 'age not given', and under the minimum in words", async () => {
    const young = await newGuest("Tomé", "Jovem");
    const adult = await newGuest("Adelaide", "Adulta");
    const unknown = await newGuest("Ulisses", "Semdata");
    await sql`insert into public.event_questions (event_id, ask_birth_date, min_age) values (${w.open_event}, true, 18)
      on conflict (event_id) do update set ask_birth_date = true, min_age = 18`;
    try {
      await sql`update private.client_users set birth_date = current_date - interval '16 years 40 days' where id = ${young.client_user_id}`;
      await sql`update private.client_users set birth_date = current_date - interval '30 years 40 days' where id = ${adult.client_user_id}`;

      await door.fill("#token", young.qr_token);
      await door.keyboard.press("Enter");
      await expect.poll(() => door.textContent("#verdict")).toContain("Tomé");
      expect(await door.getAttribute("#verdict-age", "data-age")).toBe("under");
      expect(await door.textContent("#verdict-age")).toBe("16 anos: abaixo da idade mínima de 18");
      expect(await axeViolations(door)).toEqual([]);
      await screenshot(door, "door-age-under");

      await door.fill("#token", unknown.qr_token);
      await door.keyboard.press("Enter");
      await expect.poll(() => door.textContent("#verdict")).toContain("Ulisses");
      expect(await door.getAttribute("#verdict-age", "data-age")).toBe("unknown");
      expect(await door.textContent("#verdict-age")).toBe("Idade não indicada (mínimo 18 anos)");
      await screenshot(door, "door-age-unknown");

      await door.fill("#token", adult.qr_token);
      await door.keyboard.press("Enter");
      await expect.poll(() => door.textContent("#verdict")).toContain("Adelaide");
      expect(await door.textContent("#verdict-age")).toMatch(/^30 anos$/);

      // The search shows it too, in English when the page is.
      await door.click("#lang");
      await door.locator("#search").waitFor();
      await door.fill("#search", "tomé jovem");
      await door.click("#search-go");
      await door.locator(`#results li:has-text("Tomé Jovem") .age-tag`).waitFor();
      expect(await door.textContent(`#results li:has-text("Tomé Jovem") .age-tag`)).toBe("16 years old: under the minimum age of 18");
      expect(await door.getAttribute(`#results li:has-text("Tomé Jovem") .age-tag`, "data-age")).toBe("under");
      expect(await axeViolations(door)).toEqual([]);
      await door.click("#lang");
    } finally {
      await sql`delete from public.event_questions where event_id = ${w.open_event}`;
    }
  });

  it("an offline scan is recorded at the time the device took it, not when it was uploaded", async () => {
    await sql`update public.events set starts_at = now() - interval '1 hour' where id = ${w.open_event}`;
    const pass = await newGuest("Olinda", "Tempo");
    await sql`update public.guests set created_at = now() - interval '1 hour' where qr_token = ${pass.qr_token}`;
    await door.reload();
    await expect.poll(async () => Number(await door.getAttribute("#offline-list", "data-count"))).toBeGreaterThan(5);
    await doorContext.setOffline(true);
    let before = 0, scanned = 0;
    try {
      before = Date.now();
      await door.fill("#token", pass.qr_token);
      await door.keyboard.press("Enter");
      await expect.poll(() => door.getAttribute("#verdict", "data-verdict")).toBe("checked_in");
      scanned = Date.now();
      await new Promise((r) => setTimeout(r, 4000)); // the network stays gone a while
    } finally {
      // Back online whatever happened: the next tests share this page.
      await doorContext.setOffline(false);
    }
    await expect.poll(() => door.getAttribute("#queue", "data-count"), { timeout: 15_000 }).toBe("0");
    const [{ at, offline_at }] = await sql`select g.checked_in_at at, c.offline_at from public.guests g
      join public.checkins c on c.guest_id = g.id where g.qr_token = ${pass.qr_token}`;
    expect(offline_at).not.toBeNull();
    expect(at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(at.getTime()).toBeLessThanOrEqual(scanned + 1000);
  }, 120_000); // a reload, a download of the list and an upload, each polled, on a machine CI shares

  it("sound and vibration are switchable and remembered", async () => {
    await door.uncheck("#sound");
    await door.reload();
    await door.locator("#token").waitFor();
    expect(await door.isChecked("#sound")).toBe(false);
    expect(await door.isChecked("#vibration")).toBe(true);
    await door.check("#sound");
  });
});
