// The night's list in a real browser, from the organiser's side and the guest's data: on /manage
// the night's questions (saved, shown again after a reload, a wrong minimum age refused in view in
// both languages), the list rules and a promoter's quota (saved, shown, and a guest past the
// quota told so on the link); on /live adding a guest by hand, cancelling a pass with a reason
// behind its confirmation, approving and refusing pending guests, the list and totals following;
// "Quem vem" on /live and /promoter only for a night that asks; on /me a guest's own answers.
// One browser for the file; every screen: accessibility.
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../client/api";
import { errorsEn, errorsPt } from "../../client/pages/src/i18n";
import { connect } from "../db";
import { client, env, randomPhone, type World } from "../env";
import { axeViolations, launch, phone, screenshot, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let w: World;
let ownerContext: BrowserContext;
let owner: Page;
const stamp = Date.now().toString(36);
const listSlug = `lista-${stamp}`;
const plainSlug = `simples-${stamp}`;
let night = ""; // asks date of birth (18+) and gender once the owner sets it on /manage
let plain = ""; // asks nothing
const guests: Record<string, string> = {}; // first name -> guest id

async function checkScreen(p: Page, name: string, part?: Locator) {
  expect(await axeViolations(p)).toEqual([]);
  expect(await scrollsSideways(p)).toBe(false);
  await screenshot(p, name, part);
}
const emailOf = async (id: string) => (await sql`select email from auth.users where id = ${id}`)[0].email as string;
async function signIn(p: Page, userId: string) {
  await p.locator("#email").waitFor();
  await p.fill("#email", await emailOf(userId));
  await p.fill("#password", "Password-1");
  await p.keyboard.press("Enter");
}
/** Whether the element is on screen with some text. */
const inView = (p: Page, selector: string) => p.evaluate((s) => {
  const el = document.querySelector(s);
  if (!el || !el.textContent) return false;
  const b = el.getBoundingClientRect();
  return b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight;
}, selector);

/** A guest registered through the API (as their phone would), on `promoter`'s link of `eventId`. */
async function register(firstName: string, eventId: string, promoter: string, answers: { birthDate?: string; gender?: string } = {}) {
  const pass = await createApi(client()).register({ phone: randomPhone(), firstName, lastName: "Lista", email: `${firstName.toLowerCase()}@example.com`,
    password: "Noite-2026x", ...answers }, { eventId, promoterId: promoter, teamId: null });
  guests[firstName] = pass.guest_id;
  return pass;
}
const statusOf = async (id: string) => (await sql`select status from public.guests where id = ${id}`)[0].status as string;

beforeAll(async () => {
  await sql.unsafe(readFileSync("supabase/tests/helpers.sql", "utf8"));
  [{ v: w }] = await sql`select tests.manage_world() as v`;
  [{ id: night }] = await sql`insert into public.events (organization_id, slug, name, starts_at, ends_at, guest_list_closes_at, is_published)
    values (${w.org_a}, ${listSlug}, 'Noite da lista', now() + interval '1 day', now() + interval '1 day 6 hours', now() + interval '1 day', true) returning id`;
  [{ id: plain }] = await sql`insert into public.events (organization_id, slug, name, starts_at, ends_at, guest_list_closes_at, is_published)
    values (${w.org_a}, ${plainSlug}, 'Noite simples', now() + interval '2 days', now() + interval '2 days 6 hours', now() + interval '2 days', true) returning id`;
  await sql`insert into public.event_promoters (event_id, promoter_id) values (${night}, ${w.promoter}), (${night}, ${w.other_promoter}), (${plain}, ${w.promoter})`;
  browser = await launch();
  ownerContext = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: "pt-PT", baseURL: env.apiUrl });
  owner = await ownerContext.newPage();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

describe("the night's list, from /manage, /live, /promoter and /me", { timeout: 90_000 }, () => {
  const card = () => owner.locator(`article[data-slug="${listSlug}"]`);
  const q = (k: string) => owner.locator(`#q-${k}-${night}`);

  it("/manage: the night's questions are saved and shown again after a reload", async () => {
    await owner.goto("/manage");
    await signIn(owner, w.owner_a);
    await card().waitFor();
    await q("birth").check();
    await q("age").fill("18");
    await q("gender").check();
    await card().locator("form[data-form=questions] button[type=submit]").click();
    await owner.locator("#message", { hasText: "Guardado" }).waitFor();
    const [row] = await sql`select ask_birth_date, min_age, ask_gender, ask_city from public.event_questions where event_id = ${night}`;
    expect(row).toEqual({ ask_birth_date: true, min_age: 18, ask_gender: true, ask_city: false });
    await owner.reload();
    await card().waitFor();
    await expect.poll(() => q("age").inputValue()).toBe("18");
    expect(await q("birth").isChecked()).toBe(true);
    expect(await q("gender").isChecked()).toBe(true);
    expect(await q("city").isChecked()).toBe(false);
    await checkScreen(owner, "manage-questions", card().locator("form[data-form=questions]"));
  });

  it("/manage: a wrong minimum age is refused with the sentence in view, in Portuguese and in English", async () => {
    await q("age").fill("120");
    await card().locator("form[data-form=questions] button[type=submit]").click();
    await owner.locator("#message[data-code=invalid_min_age]").waitFor();
    expect(await owner.locator("#message").textContent()).toBe(errorsPt.invalid_min_age);
    await expect.poll(() => inView(owner, "#message")).toBe(true);
    await owner.click("#lang");
    expect(await owner.locator("#message").textContent()).toBe(errorsEn.invalid_min_age);
    await owner.click("#lang");
    // A minimum age without the date of birth asked is refused too.
    await q("age").fill("18");
    await q("birth").uncheck();
    await card().locator("form[data-form=questions] button[type=submit]").click();
    await owner.locator("#message[data-code=invalid_min_age]").waitFor();
    const [row] = await sql`select ask_birth_date, min_age from public.event_questions where event_id = ${night}`;
    expect(row).toEqual({ ask_birth_date: true, min_age: 18 });
    expect(await axeViolations(owner)).toEqual([]);
  });

  it("/manage: list rules and a promoter's quota are saved and shown; a guest past the quota is told on the link", async () => {
    await owner.reload();
    await card().waitFor();
    const rules = card().locator("form[data-form=rules]");
    await rules.locator(`#rules-${night}-plus`).fill("2");
    await rules.locator("button[type=submit]").click();
    await owner.locator("#message", { hasText: "Guardado" }).waitFor();
    const quota = card().locator("form[data-form=quota]");
    await quota.locator(`#quota-${night}-promoter`).selectOption(w.promoter);
    await quota.locator(`#quota-${night}-places`).fill("1");
    await quota.locator("button[type=submit]").click();
    await owner.locator("#message", { hasText: "Guardado" }).waitFor();
    const [event] = await sql`select plus_ones_max, waiting_list, requires_approval from public.events where id = ${night}`;
    expect(event).toEqual({ plus_ones_max: 2, waiting_list: false, requires_approval: false });
    expect((await sql`select places from private.event_quotas where event_id = ${night} and promoter_id = ${w.promoter}`)[0].places).toBe(1);
    await owner.reload();
    await card().waitFor();
    expect(await owner.locator(`#rules-${night}-plus`).inputValue()).toBe("2");
    await expect.poll(() => owner.locator(`#quota-${night}-current li`).allTextContents()).toEqual(["Pat Promoter: 0 / 1 lugares"]);

    // The quota holds: one guest on Pat's link takes the place; the next one is told on the page.
    await register("Ana", night, w.promoter, { birthDate: "1995-03-01", gender: "female" });
    const guest = await (await phone(browser)).newPage();
    await guest.goto(`/p/${w.promoter_slug}/${listSlug}`);
    await guest.locator("#closed").waitFor();
    expect(await guest.locator("#list-notice").textContent()).toBe("Esta noite está esgotada.");
    await checkScreen(guest, "guest-quota-full");
    // With the waiting list on, the link offers it instead, and the next guest waits.
    await owner.locator(`#rules-${night}-waiting_list`).check();
    await card().locator("form[data-form=rules] button[type=submit]").click();
    await owner.locator("#message", { hasText: "Guardado" }).waitFor();
    expect(await owner.locator(`#rules-${night}-waiting_list`).isChecked()).toBe(true);
    await checkScreen(owner, "manage-rules", card());
    await guest.context().close();
    // Another phone (the link's card is cached for 30 s in a browser that opened it).
    const next = await (await phone(browser)).newPage();
    await next.goto(`/p/${w.promoter_slug}/${listSlug}`);
    await next.locator("#phone").waitFor();
    expect(await next.locator("#list-notice").textContent()).toMatch(/^Esgotado — entra na lista de espera/);
    await next.context().close();
    expect((await register("Bia", night, w.promoter, { birthDate: "1990-01-01", gender: "female" })).status).toBe("waiting");
    await owner.reload();
    await expect.poll(() => owner.locator(`#quota-${night}-current li`).allTextContents()).toEqual(["Pat Promoter: 1 / 1 lugares"]);
  });

  it("/live: adds a guest by hand, and the list and totals follow", async () => {
    await owner.goto("/live");
    await owner.locator(`button[data-event-id="${night}"]`).click();
    const totals = owner.locator("#list-totals");
    await expect.poll(() => totals.textContent(), { timeout: 10_000 }).toBe("Lugares: 1 · Em espera: 1 · Por aprovar: 0");
    await owner.fill("#add-name", "Zé Porta");
    await owner.selectOption("#add-source", "door");
    await owner.selectOption("#add-promoter", w.other_promoter);
    // More plus-ones than the night takes: the sentence in the list's alert, in both languages.
    await owner.fill("#add-plus", "5");
    await owner.click("#add-guest button[type=submit]");
    await owner.locator("#list-message[data-code=invalid_plus_ones]").waitFor();
    expect(await owner.locator("#list-message").textContent()).toBe(errorsPt.invalid_plus_ones);
    await owner.click("#lang");
    expect(await owner.locator("#list-message").textContent()).toBe(errorsEn.invalid_plus_ones);
    await owner.click("#lang");
    await owner.fill("#add-name", "Zé Porta");
    await owner.selectOption("#add-source", "door");
    await owner.selectOption("#add-promoter", w.other_promoter);
    await owner.fill("#add-plus", "1");
    await owner.click("#add-guest button[type=submit]");
    await owner.locator("#list-message", { hasText: "Zé Porta está na lista." }).waitFor();
    const row = owner.locator("#list-guests tr", { hasText: "Zé Porta" });
    expect(await row.locator("td").allTextContents()).toEqual(expect.arrayContaining(["Zé Porta", "+1", "Porta · Quinn Unlinked"]));
    expect(await totals.textContent()).toBe("Lugares: 3 · Em espera: 1 · Por aprovar: 0");
    const [added] = await sql`select source, plus_ones, status, added_name from public.guests where event_id = ${night} and source <> 'link'`;
    expect(added).toEqual({ source: "door", plus_ones: 1, status: "registered", added_name: "Zé Porta" });
    await checkScreen(owner, "live-list-added", owner.locator("#the-list"));
  });

  it("/live: cancels a pass with a reason only once confirmed, and the waiting guest takes the place", async () => {
    await owner.fill("#find-query", "Ana");
    await owner.click("#find-guest button[type=submit]");
    const found = owner.locator(`#found li[data-guest="${guests.Ana}"]`);
    await found.waitFor();
    await owner.fill(`#reason-${guests.Ana}`, "Comportamento");
    await checkScreen(owner, "live-revoke", owner.locator("#the-list"));
    owner.once("dialog", (d) => void d.dismiss());
    await found.locator(`button[data-revoke="${guests.Ana}"]`).click();
    expect(await statusOf(guests.Ana)).toBe("registered"); // not confirmed: nothing happens
    let asked = "";
    owner.once("dialog", (d) => { asked = d.message(); void d.accept(); });
    await found.locator(`button[data-revoke="${guests.Ana}"]`).click();
    await owner.locator("#list-message", { hasText: "Cancelado" }).waitFor();
    expect(asked).toBe("Cancelar o passe de Ana Lista? O lugar passa à lista de espera.");
    const [revoked] = await sql`select status, revoked_reason from public.guests where id = ${guests.Ana}`;
    expect(revoked).toEqual({ status: "revoked", revoked_reason: "Comportamento" });
    expect(await owner.locator(`#list-guests tr[data-guest="${guests.Ana}"]`).getAttribute("data-status")).toBe("revoked");
    expect(await owner.locator(`#list-guests tr[data-guest="${guests.Ana}"]`).textContent()).toContain("Comportamento");
    expect(await statusOf(guests.Bia)).toBe("registered"); // promoted from the waiting list
    expect(await owner.locator("#list-totals").textContent()).toBe("Lugares: 3 · Em espera: 0 · Por aprovar: 0");
  });

  it("/live: approves and refuses pending guests", async () => {
    await sql`update public.events set requires_approval = true where id = ${night}`;
    expect((await register("Carla", night, w.other_promoter, { birthDate: "1988-06-01", gender: "female" })).status).toBe("pending");
    expect((await register("Duarte", night, w.other_promoter, { birthDate: "2001-06-01", gender: "male" })).status).toBe("pending");
    await owner.reload();
    const totals = owner.locator("#list-totals");
    await expect.poll(() => totals.textContent(), { timeout: 10_000 }).toBe("Lugares: 3 · Em espera: 0 · Por aprovar: 2");
    await checkScreen(owner, "live-list-pending", owner.locator("#the-list"));
    await owner.click(`button[data-approve="${guests.Carla}"]`);
    await expect.poll(() => totals.textContent()).toBe("Lugares: 4 · Em espera: 0 · Por aprovar: 1");
    expect(await owner.locator(`#list-guests tr[data-guest="${guests.Carla}"]`).count()).toBe(0); // on the list now
    await owner.click(`button[data-refuse="${guests.Duarte}"]`);
    await expect.poll(() => totals.textContent()).toBe("Lugares: 4 · Em espera: 0 · Por aprovar: 0");
    expect(await owner.locator(`#list-guests tr[data-guest="${guests.Duarte}"]`).getAttribute("data-status")).toBe("revoked");
    expect(await statusOf(guests.Carla)).toBe("registered");
    expect(await statusOf(guests.Duarte)).toBe("revoked");
  });

  it("/live shows who is coming (gender, ages) for a night that asks, and nothing for one that does not", async () => {
    // The page asks for these counts at most every 30 s: a reload asks now, after the approvals.
    await owner.reload();
    const stats = owner.locator("#guest-stats");
    await stats.waitFor({ timeout: 10_000 });
    expect(await stats.locator("h2").textContent()).toBe("Quem vem");
    const pairs = async (id: string) => {
      const dt = await owner.locator(`#${id} dt`).allTextContents();
      const dd = await owner.locator(`#${id} dd`).allTextContents();
      return Object.fromEntries(dt.map((k, i) => [k, dd[i]]));
    };
    // The guests on the list count (Bia, Carla and Zé by hand): 3; not Ana and Duarte, cancelled.
    expect(await pairs("stats-gender")).toEqual({ Feminino: "2 (67 %)", Masculino: "0 (0 %)", Outro: "0 (0 %)", "não indicado": "1 (33 %)" });
    const ages = await pairs("stats-age");
    expect(ages["35-44"]).toBe("2 (67 %)"); // Bia and Carla
    expect(ages["25-29"]).toBe("0 (0 %)"); // Duarte, refused
    expect(ages["não indicado"]).toBe("1 (33 %)"); // Zé, added by hand
    await checkScreen(owner, "live-stats", owner.locator("#guest-stats"));
    await owner.getByRole("button", { name: "Mudar de evento" }).click();
    const asked = owner.waitForResponse((r) => r.url().includes("/rpc/event_guest_stats"));
    await owner.locator(`button[data-event-id="${plain}"]`).click();
    await asked;
    await owner.locator("#list-totals", { hasText: "Lugares" }).waitFor();
    expect(await owner.locator("#guest-stats").count()).toBe(0);
  });

  it("/promoter shows who is coming for their night that asks, and nothing for one that does not", async () => {
    const promoter = await (await phone(browser)).newPage();
    await promoter.goto("/promoter");
    await signIn(promoter, w.promoter_user);
    const pick = (slug: string) => promoter.locator(`li[data-event="${slug}"] button`, { hasText: /^Ver convidados$|^See guests$/ });
    await promoter.locator(`li[data-event="${listSlug}"]`).waitFor();
    await pick(listSlug).click();
    await promoter.locator("#feed h2", { hasText: "Noite da lista" }).waitFor();
    const stats = promoter.locator("#guest-stats");
    await stats.waitFor();
    // Pat's own guests on the list only: Bia, a woman (not Ana, cancelled).
    expect(await promoter.locator("#stats-gender dd").first().textContent()).toBe("1 (100 %)");
    await checkScreen(promoter, "promoter-stats", promoter.locator("#guest-stats"));
    await pick(plainSlug).click();
    await promoter.locator("#feed h2", { hasText: "Noite simples" }).waitFor();
    expect(await promoter.locator("#guest-stats").count()).toBe(0);
    await promoter.context().close();
  });

  it("/me: a guest changes their answers and sees them in their data", async () => {
    const pass = await register("Eva", plain, w.promoter);
    const me = await (await phone(browser)).newPage();
    await me.goto("/me");
    await me.evaluate((s) => localStorage.setItem("guestlist.session", JSON.stringify(s)),
      { token: pass.session_token, expiresAt: pass.session_expires_at, firstName: "Eva" });
    await me.reload();
    await me.locator("#answers-form").waitFor();
    expect(await me.locator("#birth-date").inputValue()).toBe("");
    await me.fill("#birth-date", "1992-04-30");
    await me.selectOption("#gender", "female");
    await me.fill("#city", "Porto");
    await me.click("#answers-form button[type=submit]");
    await me.locator("#message", { hasText: "Guardado" }).waitFor();
    const [u] = await sql`select to_char(birth_date, 'YYYY-MM-DD') birth_date, gender, city from private.client_users u
      join public.guests g on g.client_user_id = u.id where g.id = ${guests.Eva}`;
    expect(u).toEqual({ birth_date: "1992-04-30", gender: "female", city: "Porto" });
    await me.reload();
    await me.locator("#answers-form").waitFor();
    expect(await me.locator("#birth-date").inputValue()).toBe("1992-04-30");
    expect(await me.locator("#gender").inputValue()).toBe("female");
    expect(await me.locator("#city").inputValue()).toBe("Porto");
    await checkScreen(me, "me-answers");
    // Cleared answers are cleared.
    await me.fill("#city", "");
    await me.click("#answers-form button[type=submit]");
    await me.locator("#message", { hasText: "Guardado" }).waitFor();
    const [after] = await sql`select city from private.client_users u join public.guests g on g.client_user_id = u.id where g.id = ${guests.Eva}`;
    expect(after.city).toBeNull();
    await me.context().close();
  });
});
