// Organisers and promoters in a real browser: changing a member to promoter asks which promoter,
// destructive actions wait for a confirmation, "Create organisation" is reachable from inside an
// organisation, the CSV is what Excel reads (BOM, the page's language and time zone), /promoter
// lists only published nights with opens, copy and share, and an announcement sent from /live
// reaches /door (as it arrives, and on load) and /promoter. Every screen: accessibility.
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../db";
import { client, env, eventually, type World } from "../env";
import { axeViolations, launch, phone, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let w: World;
let owner: Page;
let promoter: Page;
let door: Page;
let ownerContext: BrowserContext;
const FREE = "00000000-0000-4000-8000-0000000035f1";
let newbie = "";
let newbieEmail = "";

async function checkScreen(p: Page) {
  expect(await axeViolations(p)).toEqual([]);
  expect(await scrollsSideways(p)).toBe(false);
}
const emailOf = async (id: string) => (await sql`select email from auth.users where id = ${id}`)[0].email as string;
async function signIn(p: Page, userId: string) {
  await p.locator("#email").waitFor();
  await p.fill("#email", await emailOf(userId));
  await p.fill("#password", "Password-1");
  await p.keyboard.press("Enter");
}
async function pickNight(p: Page) {
  await p.locator(`button[data-event-id="${w.open_event}"]`).click();
}
async function download(p: Page, button: string): Promise<Buffer> {
  const [file] = await Promise.all([p.waitForEvent("download"), p.locator(button).click()]);
  return readFileSync((await file.path())!);
}

beforeAll(async () => {
  await sql.unsafe(readFileSync("supabase/tests/helpers.sql", "utf8"));
  [{ v: w }] = await sql`select tests.manage_world() as v`;
  [{ id: newbie }] = await sql`select tests.create_user('newbie-' || gen_random_uuid() || '@a.test') as id`;
  newbieEmail = await emailOf(newbie);
  await sql`insert into public.organization_members values (${w.org_a}, ${newbie}, 'staff')`;
  await sql`insert into public.promoters (id, organization_id, slug, display_name) values (${FREE}, ${w.org_a}, ${"free-" + Date.now().toString(36)}, 'Fia Free')`;
  // A guest who arrived at 22:30 UTC on a summer night: 23:30 in Lisbon.
  const [{ id: guest }] = await sql`insert into private.client_users (phone, first_name, last_name, password_salt, password_digest)
    values (${"+3519393" + String(Date.now()).slice(-5)}, 'Inês', 'Conceição', tests.salt(), private.sha256('x')) returning id`;
  await sql`insert into public.guests (event_id, client_user_id, promoter_id, status, checked_in_at, plus_ones, source)
    values (${w.open_event}, ${guest}, ${w.promoter}, 'checked_in', '2026-07-01 22:30:00+00', 2, 'vip')`;
  browser = await launch();
  ownerContext = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: "pt-PT", baseURL: env.apiUrl,
    timezoneId: "Europe/Lisbon", acceptDownloads: true });
  owner = await ownerContext.newPage();
  const promoterContext = await phone(browser);
  await promoterContext.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env.apiUrl });
  promoter = await promoterContext.newPage();
  door = await (await phone(browser)).newPage();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

describe("organisers on /manage", { timeout: 60_000 }, () => {
  it("changing a member to promoter asks which promoter, and only then changes the role", async () => {
    await owner.goto("/manage");
    await signIn(owner, w.owner_a);
    await owner.locator("#members").waitFor();
    await owner.selectOption(`#role-${newbie}`, "promoter");
    const pick = owner.locator(`#pick-${newbie} form[data-form=promoter-pick]`);
    await pick.waitFor();
    const [{ role }] = await sql`select role from public.organization_members where organization_id = ${w.org_a} and user_id = ${newbie}`;
    expect(role).toBe("staff"); // nothing guessed
    // Only records without an account are offered.
    expect(await pick.locator("option").allTextContents()).toEqual(["—", "Fia Free"]);
    await checkScreen(owner);
    await pick.locator("select").selectOption({ label: "Fia Free" });
    await pick.locator("button[type=submit]").click();
    await eventually(async () => (await sql`select user_id from public.promoters where id = ${FREE}`)[0].user_id === newbie || undefined);
    const [{ role: after }] = await sql`select role from public.organization_members where organization_id = ${w.org_a} and user_id = ${newbie}`;
    expect(after).toBe("promoter");
  });

  it("removing a member asks first: dismissed, nothing happens; confirmed, they are removed", async () => {
    const remove = owner.locator("#members li.member", { hasText: newbieEmail }).locator("button[data-action=remove-member]");
    let asked = "";
    owner.once("dialog", (d) => { asked = d.message(); void d.dismiss(); });
    await remove.click();
    expect(asked).toContain(newbieEmail);
    const still = await sql`select 1 from public.organization_members where organization_id = ${w.org_a} and user_id = ${newbie}`;
    expect(still.length).toBe(1);
    owner.once("dialog", (d) => void d.accept());
    await remove.click();
    await eventually(async () => (await sql`select 1 from public.organization_members
      where organization_id = ${w.org_a} and user_id = ${newbie}`).length === 0 || undefined);
  });

  it("unlinking a promoter from a night asks first", async () => {
    let asked = "";
    owner.once("dialog", (d) => { asked = d.message(); void d.dismiss(); });
    await owner.locator(`article[data-slug="${w.open_slug}"] button[data-action=unlink]`).first().click();
    expect(asked).toContain("Open night");
    const links = await sql`select 1 from public.event_promoters where event_id = ${w.open_event}`;
    expect(links.length).toBe(3);
  });

  it("the CSV starts with the BOM, in the page's language and time zone", async () => {
    const csv = await download(owner, `article[data-slug="${w.open_slug}"] button[data-action=export-csv]`);
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [head, row] = csv.subarray(3).toString("utf8").split("\r\n");
    expect(head).toBe('"Nome","Apelido","Promotor","Equipa","Estado","Acompanhantes","Origem","Entrada (Europe/Lisbon)","Telemóvel"');
    expect(row).toMatch(/^"Inês","Conceição","Pat Promoter","","checked_in","2","vip","2026-07-01 23:30:00","\+351/);
    await owner.click("#lang");
    const en = await download(owner, `article[data-slug="${w.open_slug}"] button[data-action=export-csv]`);
    expect(en.subarray(3).toString("utf8").split("\r\n")[0])
      .toBe('"First name","Last name","Promoter","Team","Status","Plus-ones","Source","Checked in (Europe/Lisbon)","Phone"');
    await owner.click("#lang");
  });

  it("'Create organisation' is reachable from inside an organisation", async () => {
    await owner.click("#create-org");
    await owner.locator("#org-form").waitFor();
    expect(await owner.evaluate(() => document.activeElement?.id)).toBe("org-name");
    await checkScreen(owner);
  });
});

describe("the promoter's page", { timeout: 60_000 }, () => {
  it("lists only published nights, the soonest first, with the link's opens", async () => {
    const anon = client();
    for (let i = 0; i < 3; i++) {
      const { error } = await anon.rpc("record_link_open", { p_promoter_slug: w.promoter_slug, p_event_slug: w.open_slug });
      expect(error).toBeNull();
    }
    // The page calls share() when the phone has a share sheet (this Chromium has none: a stand-in).
    await promoter.addInitScript(() => {
      Object.defineProperty(navigator, "share", { value: async (d: ShareData) => { (window as unknown as { shared: ShareData }).shared = d; } });
    });
    await promoter.goto("/promoter");
    await signIn(promoter, w.promoter_user);
    await promoter.locator(`li.link-row[data-event="${w.open_slug}"]`).waitFor();
    expect(await promoter.locator(`li.link-row[data-event="${w.draft_slug}"]`).count()).toBe(0);
    const order = await promoter.locator("li.link-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-event")));
    expect(order.at(-1)).toMatch(/^past-/);
    expect(order[0]).not.toMatch(/^(past|open2)-/);
    const row = promoter.locator(`li.link-row[data-event="${w.open_slug}"]`);
    expect(await row.locator(".opens").textContent()).toBe("3");
    await checkScreen(promoter);
  });

  it("copies the link to the clipboard, and shares it through the share sheet, saying so", async () => {
    const row = promoter.locator(`li.link-row[data-event="${w.open_slug}"]`);
    const url = `${env.apiUrl}/p/${w.promoter_slug}/${w.open_slug}`;
    await row.locator("button[data-action=copy]").click();
    await expect.poll(() => promoter.locator("#copy-status").textContent()).toBe("Link copiado.");
    expect(await promoter.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await row.locator("button[data-action=share]").click();
    await expect.poll(() => promoter.evaluate(() => (window as unknown as { shared?: ShareData }).shared?.url)).toBe(url);
  });
});

describe("announcements", { timeout: 60_000 }, () => {
  it("an announcement sent on /live appears on /door and /promoter as it arrives, and on /door after a reload", async () => {
    await door.goto("/door");
    await signIn(door, w.staff_a);
    await pickNight(door);
    await door.locator("#token").waitFor();
    await owner.goto("/live");
    await pickNight(owner);
    await owner.locator("#announce-form").waitFor();
    await checkScreen(owner);
    // The door has joined the night's channel (and caught up: nothing yet) before anything is sent,
    // so what appears next arrives live.
    await door.locator('#announcement[data-live="true"]').waitFor({ state: "attached" });
    expect(await door.locator("#announcement").isHidden()).toBe(true);
    await owner.fill("#announce-message", "Porta 2 aberta");
    await owner.click("#announce-send");
    await expect.poll(() => owner.locator("#announce-status").textContent()).toMatch(/Aviso enviado/);
    await expect.poll(() => door.locator("#announcement").textContent(), { timeout: 10_000 }).toContain("Porta 2 aberta");
    await checkScreen(door);
    await expect.poll(() => promoter.locator("#announcement").textContent(), { timeout: 10_000 }).toContain("Porta 2 aberta");
    await door.reload();
    await expect.poll(() => door.locator("#announcement").textContent(), { timeout: 10_000 }).toContain("Porta 2 aberta");
  });

  it("door staff see no form to announce on /live", async () => {
    const staff = await (await phone(browser)).newPage();
    await staff.goto("/live");
    await signIn(staff, w.staff_a);
    await pickNight(staff);
    await staff.locator("#total-registered").waitFor();
    expect(await staff.locator("#announce-form").count()).toBe(0);
  });
});
