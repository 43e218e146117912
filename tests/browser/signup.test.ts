// Sign-up as people have it, in Chromium at 360 × 740 with touch: one password field with a
// show/hide control; every wrong field at once, each under its input; a number pasted with the
// direction marks iOS adds; Devanagari and combining-mark names; "I forgot my password" at the
// password step, reaching the mail catcher; the lockout's true wait; and a guest already on a
// closed list logging in from another phone to get the pass they have.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../client/api";
import { errorsEn, errorsPt } from "../../client/pages/src/i18n";
import { connect } from "../db";
import { client, env, linkIn, mailIds, makeWorld, newestMail, randomPhone, type World } from "../env";
import { axeViolations, launch, screenshot, scrollsSideways } from "./browser";

const sql = connect(1);
let browser: Browser;
let w: World;

const small = (b: Browser): Promise<BrowserContext> =>
  b.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, locale: "pt-PT", baseURL: env.apiUrl });
const openLink = () => `/p/${w.promoter_slug}/${w.open_slug}`;

beforeAll(async () => {
  w = await makeWorld();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await sql.end();
});

/** The new guest's form, for a fresh number. */
async function registrationForm(p: Page, number: string) {
  await p.goto(openLink());
  await p.fill("#phone", number);
  await p.locator("button[type=submit]").tap();
  await p.locator("#first-name").waitFor();
}

describe("sign-up at 360 × 740", { timeout: 90_000 }, () => {
  it("one password field with show/hide, every wrong field at once, each under its input", async () => {
    const p = await (await small(browser)).newPage();
    await registrationForm(p, randomPhone());
    expect(await p.locator("input[type=password]").count()).toBe(1);
    expect(await p.locator("#confirm-password").count()).toBe(0);
    await p.fill("#new-password", "segredo");
    await p.locator("#new-password-reveal").tap();
    expect(await p.getAttribute("#new-password", "type")).toBe("text");
    expect(await p.getAttribute("#new-password-reveal", "aria-pressed")).toBe("true");
    await p.locator("#new-password-reveal").tap();
    expect(await p.getAttribute("#new-password", "type")).toBe("password");

    await p.fill("#first-name", "R2D2");
    await p.fill("#email", "ana@");
    await p.locator("button[type=submit]").tap();
    await expect.poll(() => p.locator(".field-error").count()).toBe(4);
    expect(await p.locator("#message").textContent()).toBe(errorsPt.invalid_fields);
    expect(await p.locator("#first-name-error").textContent()).toBe(errorsPt.invalid_first_name);
    expect(await p.locator("#last-name-error").textContent()).toBe(errorsPt.invalid_last_name);
    expect(await p.locator("#email-error").textContent()).toBe(errorsPt.invalid_email);
    expect(await p.locator("#new-password-error").textContent()).toBe(errorsPt.password_too_short);
    expect(await p.getAttribute("#first-name", "aria-invalid")).toBe("true");
    expect(await p.getAttribute("#first-name", "aria-describedby")).toContain("first-name-error");
    expect(await p.evaluate(() => document.activeElement?.id)).toBe("first-name");

    // A common password is refused on the phone (the server never sees it), whatever its case.
    await p.fill("#first-name", "Ana");
    await p.fill("#last-name", "Lima");
    await p.fill("#email", "ana@example.com");
    await p.fill("#new-password", "Password1");
    await p.locator("button[type=submit]").tap();
    await expect.poll(() => p.locator("#new-password-error").textContent()).toBe(errorsPt.common_password);
    expect(await p.locator(".field-error").count()).toBe(1);
    expect(await p.locator("#message").textContent()).toBe(errorsPt.common_password);
    expect(await axeViolations(p)).toEqual([]);
    expect(await scrollsSideways(p)).toBe(false);
    await screenshot(p, "guest-register-errors");
    await p.context().close();
  });

  it("a name's limit is shown, never cut: 51 letters stay 51 and are refused with the reason", async () => {
    const p = await (await small(browser)).newPage();
    await registrationForm(p, randomPhone());
    expect(await p.getAttribute("#first-name", "maxlength")).toBeNull();
    await p.fill("#first-name", "é".repeat(51));
    expect(await p.inputValue("#first-name")).toBe("é".repeat(51));
    expect(await p.locator("#first-name-count").textContent()).toBe("51 de 50 caracteres");
    await p.fill("#last-name", "Lima");
    await p.fill("#email", "ana@example.com");
    await p.fill("#new-password", "caminho das pedras");
    await p.locator("button[type=submit]").tap();
    await expect.poll(() => p.locator("#first-name-error").textContent()).toBe(errorsPt.invalid_first_name);
    await p.context().close();
  });

  it("a number pasted with iOS's direction marks, a Devanagari first name and a last name with a combining mark get a pass", async () => {
    const p = await (await small(browser)).newPage();
    const number = `+3519${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
    const pasted = `\u202A${number.slice(0, 4)} ${number.slice(4, 7)}\u00A0${number.slice(7, 10)} ${number.slice(10)}\u202C`;
    await registrationForm(p, pasted);
    expect(await p.locator(".phone").textContent()).toBe(number);
    await p.fill("#first-name", "देवनागरी");
    await p.fill("#last-name", "Jose\u0301 d’Ávila");
    await p.fill("#email", "dev@example.com");
    await p.fill("#new-password", "noite de verão");
    await p.locator("button[type=submit]").tap();
    await p.locator("#qr svg").waitFor();
    expect(await p.locator(".pass h2").textContent()).toContain("देवनागरी");
    const [u] = await sql`select first_name, last_name from private.client_users where phone = ${number}`;
    expect(u).toEqual({ first_name: "देवनागरी", last_name: "José d’Ávila" });
    expect(u.last_name).toBe("José d’Ávila".normalize("NFC"));
    await p.context().close();
  });

  it("at the password step, 'I forgot my password' sends the reset link, which reaches the mail catcher", async () => {
    const number = randomPhone();
    const email = `forgot-${Date.now()}@example.com`;
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    await createApi(client()).register({ phone: number, firstName: "Inês", lastName: "Rocha", email, password: "lua cheia de maio" }, link);
    const seen = await mailIds(email);
    const p = await (await small(browser)).newPage();
    await p.goto(openLink());
    await p.fill("#phone", number);
    await p.locator("button[type=submit]").tap();
    await p.locator("#password").waitFor();
    expect(await p.locator("#password-reveal").count()).toBe(1);
    await p.locator("#forgot").tap();
    await expect.poll(() => p.locator("#status").textContent()).toBe((await import("../../client/pages/src/i18n")).t("forgot_sent"));
    const mail = await newestMail(email, seen);
    const reset = linkIn(mail, /\S+\/me#reset=\S+/);
    expect(reset.startsWith(`${env.apiUrl}/me#reset=`)).toBe(true);
    expect(await axeViolations(p)).toEqual([]);
    await screenshot(p, "guest-forgot");

    // The link opens /me on this phone: one password field there too, with the same rules.
    await p.goto(reset.slice(env.apiUrl.length));
    await p.locator("#new-password").waitFor();
    await p.fill("#new-password", "sol de inverno");
    await p.locator("#reset-form button[type=submit]").tap();
    await p.locator("#reset-done").waitFor();
    await p.goto(openLink());
    await p.fill("#phone", number);
    await p.locator("button[type=submit]").tap();
    await p.fill("#password", "sol de inverno");
    await p.locator("button[type=submit]").tap();
    await p.locator("#qr svg").waitFor();
    await p.context().close();
  });

  it("five wrong passwords: the message tells the true wait in minutes, in Portuguese and in English", async () => {
    const number = randomPhone();
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    await createApi(client()).register({ phone: number, firstName: "Rui", lastName: "Sá", email: "rui@example.com", password: "rio abaixo 2026" }, link);
    await sql`update private.rate_limits set max_hits = 1000 where bucket = 'phone_attempts' and subject = '*'`;
    try {
      const p = await (await small(browser)).newPage();
      await p.goto(openLink());
      await p.fill("#phone", number);
      await p.locator("button[type=submit]").tap();
      for (let i = 0; i < 5; i++) {
        await p.fill("#password", `errada ${i} 2026`);
        await p.locator("button[type=submit]").tap();
        await expect.poll(() => p.locator("#message").textContent()).toBe(errorsPt.invalid_credentials);
        await p.evaluate(() => { document.getElementById("message")!.textContent = ""; });
      }
      await p.fill("#password", "rio abaixo 2026");
      await p.locator("button[type=submit]").tap();
      // The wait as the server counted it: in minutes, or in seconds under a minute and a half (a
      // slow machine may take that long between the first wrong password and this one).
      await expect.poll(() => p.locator("#message").textContent()).toMatch(/daqui a (\d+ (minutos|segundos)|1 minuto)/);
      const [, n, unit] = (await p.locator("#message").textContent())!.match(/daqui a (\d+) (minutos|minuto|segundos)/)!;
      const seconds = unit === "segundos" ? Number(n) : Number(n) * 60;
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(15 * 60);
      const wait = (pt: boolean) => unit === "segundos" ? `${n} ${pt ? "segundos" : "seconds"}`
        : n === "1" ? (pt ? "1 minuto" : "1 minute") : `${n} ${pt ? "minutos" : "minutes"}`;
      expect(await p.locator("#message").textContent()).toBe(errorsPt.account_locked.replace("{wait}", wait(true)));
      await p.click("#lang");
      await expect.poll(() => p.locator("#message").textContent()).toBe(errorsEn.account_locked.replace("{wait}", wait(false)));
      expect(await p.locator("#forgot").isVisible()).toBe(true);
      await p.context().close();
    } finally {
      await sql`update private.rate_limits set max_hits = 5 where bucket = 'phone_attempts' and subject = '*'`;
    }
  });

  it("a guest already on a closed list logs in from another phone and gets the pass they have; a guest not on it is told it is closed", async () => {
    const onList = randomPhone();
    const notOnList = randomPhone();
    const night = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const api = createApi(client());
    await api.register({ phone: onList, firstName: "Vera", lastName: "Luz", email: "vera@example.com", password: "vento norte 26" }, night);
    await api.register({ phone: notOnList, firstName: "Tomé", lastName: "Paz", email: "tome@example.com", password: "vento sul 2026" }, night);
    const [{ qr }] = await sql`insert into public.guests (event_id, client_user_id, promoter_id, team_id)
      select ${w.closed_event}, id, ${w.promoter}, ${w.team} from private.client_users where phone = ${onList} returning qr_token qr`;

    const p = await (await small(browser)).newPage();
    await p.goto(`/p/${w.promoter_slug}/closed-${w.closed_event.slice(0, 8)}`);
    await p.locator("#closed").waitFor();
    expect(await axeViolations(p)).toEqual([]);
    await p.locator("#closed-login").tap();
    await p.fill("#phone", onList);
    await p.locator("button[type=submit]").tap();
    await p.fill("#password", "vento norte 26");
    await p.locator("button[type=submit]").tap();
    await p.locator("#qr svg").waitFor();
    expect(await p.getAttribute("#qr", "data-token")).toBe(qr);
    await screenshot(p, "guest-closed-login");
    await p.context().close();

    const q = await (await small(browser)).newPage();
    await q.goto(`/p/${w.promoter_slug}/closed-${w.closed_event.slice(0, 8)}`);
    await q.locator("#closed-login").tap();
    await q.fill("#phone", notOnList);
    await q.locator("button[type=submit]").tap();
    await q.fill("#password", "vento sul 2026");
    await q.locator("button[type=submit]").tap();
    await q.locator("#closed").waitFor();
    expect(await q.locator("#qr").count()).toBe(0);
    // A number with no account on a closed list: no sign-up form, the closed notice.
    await q.locator("#closed-login").tap();
    await q.fill("#phone", randomPhone());
    await q.locator("button[type=submit]").tap();
    await q.locator("#closed").waitFor();
    expect(await q.locator("#first-name").count()).toBe(0);
    await q.context().close();
  });
});

describe("a night's questions at 360 × 740", { timeout: 90_000 }, () => {
  it("a night that asks date of birth (18+), gender and city: a too-young date is refused with the other missing answers, then the pass", async () => {
    await sql`insert into public.event_questions (event_id, ask_birth_date, min_age, ask_gender, ask_city)
              values (${w.open_event2}, true, 18, true, true)`;
    const [{ night }] = await sql`select (starts_at at time zone 'Europe/Lisbon')::date::text night from public.events where id = ${w.open_event2}`;
    const yearsBefore = (n: number, days = 0) => {
      const d = new Date(`${night}T00:00:00Z`);
      d.setUTCFullYear(d.getUTCFullYear() - n);
      d.setUTCDate(d.getUTCDate() + days);
      return d.toISOString().slice(0, 10);
    };
    const number = randomPhone();
    const p = await (await small(browser)).newPage();
    await p.goto(`/p/${w.promoter_slug}/open2-${w.open_event2.slice(0, 8)}`);
    await p.fill("#phone", number);
    await p.locator("button[type=submit]").tap();
    await p.locator("#birth-date").waitFor();
    expect(await p.locator("#birth-date-help").textContent()).toBe("Esta noite é para maiores de 18 anos.");
    await p.fill("#first-name", "Rita");
    await p.fill("#last-name", "Moura");
    await p.fill("#email", "rita@example.com");
    await p.fill("#new-password", "maré alta 2026");
    await p.fill("#birth-date", yearsBefore(18, 1));
    await p.locator("button[type=submit]").tap();
    await expect.poll(() => p.locator(".field-error").count()).toBe(3);
    expect(await p.locator("#birth-date-error").textContent()).toBe(errorsPt.too_young);
    expect(await p.locator("#gender-error").textContent()).toBe(errorsPt.invalid_gender);
    expect(await p.locator("#city-error").textContent()).toBe(errorsPt.invalid_city);
    expect(await axeViolations(p)).toEqual([]);
    expect(await scrollsSideways(p)).toBe(false);
    await screenshot(p, "guest-questions");

    // The database refuses it too, whatever the page says: the same registration straight to the API.
    const api = createApi(client());
    const link = { eventId: w.open_event2, promoterId: w.promoter, teamId: w.team };
    const refused = await api.register({ phone: randomPhone(), firstName: "Rita", lastName: "Moura", email: "r@example.com",
      password: "maré alta 2026", birthDate: yearsBefore(18, 1), gender: "female", city: "Porto" }, link).catch((e) => e);
    expect([refused.code, refused.status]).toEqual(["too_young", 403]);

    await p.fill("#birth-date", yearsBefore(18));
    await p.selectOption("#gender", "female");
    await p.fill("#city", "Porto");
    await p.locator("button[type=submit]").tap();
    await p.locator("#qr svg").waitFor();
    const [u] = await sql`select birth_date::text, gender, city from private.client_users where phone = ${number}`;
    expect(u).toEqual({ birth_date: yearsBefore(18), gender: "female", city: "Porto" });
    await p.context().close();
  });
});
