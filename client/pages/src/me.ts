// The guest's own data, /me (linked from the pass): what is stored about them, with the session
// this phone keeps; deleting the account; asking for a password reset link by email; and the
// reset itself (/me#reset=<token>, the link in that email).
import type { GuestData } from "../../answers.ts";
import { GENDERS } from "../../schemas.ts";
import { api, clearMessage, h, mountLangSwitch, once, showError, showInfo, supabaseClient } from "./common.ts";
import { formatWhen, t } from "./i18n.ts";
import { m, type MKey } from "./manage-i18n.ts";
import { forgetGuest } from "./offline.ts";

const SESSION_KEY = "guestlist.session"; // where the guest page keeps the session
const app = document.getElementById("app")!;
const client = api(supabaseClient(false));
let view: () => void = () => {};

const messageP = () => h("p", { class: "message", id: "message", role: "alert", "aria-live": "assertive" });
const message = () => document.getElementById("message") as HTMLElement;
const field = (id: string, label: MKey, attrs: Record<string, string>) =>
  h("div", { class: "field" }, h("label", { for: id }, m(label)), h("input", { id, name: id, ...attrs }));

function session(): string | null {
  try { return (JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null") as { token?: string } | null)?.token ?? null; } catch { return null; }
}

function forgotForm() {
  const submit = h("button", { type: "submit", class: "secondary" }, m("send_link"));
  const form = h("form", { id: "forgot-form" }, h("h2", {}, m("forgot_title")),
    h("div", { class: "field" }, h("label", { for: "phone" }, t("phone_label")), h("input", { id: "phone", type: "tel", autocomplete: "tel", required: true })),
    submit);
  const run = once(submit, async () => {
    clearMessage(message());
    try {
      await client.invoke("guest-password-reset", { phone: (form.querySelector("#phone") as HTMLInputElement).value });
      showInfo(message(), m("forgot_sent"));
    } catch (e) {
      showError(message(), e);
    }
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return form;
}

function resetForm(token: string) {
  view = () => resetForm(token);
  const submit = h("button", { type: "submit", class: "primary" }, m("reset_title"));
  const form = h("form", { id: "reset-form" }, h("h1", {}, m("reset_title")),
    field("new-password", "reset_title", { type: "password", autocomplete: "new-password", required: "" }),
    h("p", { class: "help" }, t("new_password_help")), messageP(), submit);
  const run = once(submit, async () => {
    clearMessage(message());
    try {
      await client.resetGuestPassword(token, (form.querySelector("#new-password") as HTMLInputElement).value);
      history.replaceState(null, "", "/me");
      localStorage.removeItem(SESSION_KEY); // every session ended with the reset
      app.replaceChildren(h("section", { class: "card" }, h("h1", {}, m("reset_title")), h("p", { id: "reset-done" }, m("reset_done"))));
    } catch (e) {
      showError(message(), e);
    }
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  app.replaceChildren(form);
}

async function showData(token: string) {
  view = () => void showData(token);
  app.replaceChildren(h("section", { class: "card" }, h("h1", {}, m("me_title")), messageP()));
  let data: GuestData;
  try {
    data = await client.call("my_guest_data", { p_session_token: token });
  } catch (e) {
    showError(message(), e);
    app.append(forgotForm());
    return;
  }
  const a = data.account;
  let armed = false;
  const del = h("button", { type: "button", class: "secondary", id: "delete" }, m("delete_account"));
  del.addEventListener("click", async () => {
    if (!armed) { armed = true; showInfo(message(), m("delete_confirm")); del.focus(); return; }
    try {
      await client.call("delete_my_guest_account", { p_session_token: token });
      await forgetGuest(true); // the session, every pass and the offline copy leave the phone too
      app.replaceChildren(h("section", { class: "card" }, h("h1", {}, m("me_title")), h("p", { id: "deleted" }, m("deleted"))));
    } catch (e) {
      showError(message(), e);
    }
  });
  app.replaceChildren(
    h("section", { class: "card", id: "account" }, h("h1", {}, m("me_title")), h("p", {}, m("me_intro")), messageP(),
      h("h2", {}, m("account")),
      h("dl", {},
        h("dt", {}, t("first_name")), h("dd", {}, `${a.first_name} ${a.last_name}`),
        h("dt", {}, m("phone")), h("dd", {}, a.phone),
        h("dt", {}, t("email")), h("dd", {}, a.email ?? "—")),
      answersForm(token, a)),
    h("section", { class: "card", id: "passes" }, h("h2", {}, m("passes")),
      h("ul", { class: "plain" }, ...data.passes.map((p) => h("li", {}, h("strong", {}, p.event.name), ` · ${formatWhen(p.event.starts_at)} · ${p.organization} · ${p.promoter}`)))),
    h("section", { class: "card" }, del));
}

/**
 * The answers to the nights' questions (date of birth, gender, city), the guest's to change or
 * clear (update_my_answers).
 */
function answersForm(token: string, a: GuestData["account"]) {
  const submit = h("button", { type: "submit", class: "secondary" }, m("save"));
  const form = h("form", { id: "answers-form", "aria-labelledby": "answers-title" }, h("h2", { id: "answers-title" }, m("my_answers")),
    h("div", { class: "field" }, h("label", { for: "birth-date" }, t("birth_date")),
      h("input", { id: "birth-date", type: "date", autocomplete: "bday", min: "1900-01-01", value: a.birth_date ?? "" })),
    h("div", { class: "field" }, h("label", { for: "gender" }, t("gender")),
      h("select", { id: "gender" }, h("option", { value: "" }, t("choose")),
        ...GENDERS.map((g) => h("option", { value: g, selected: a.gender === g }, t(`gender_${g}`))))),
    h("div", { class: "field" }, h("label", { for: "city" }, t("city")),
      h("input", { id: "city", type: "text", autocomplete: "address-level2", value: a.city ?? "" })),
    submit);
  const value = (id: string) => (form.querySelector(`#${id}`) as HTMLInputElement).value;
  const run = once(submit, async () => {
    clearMessage(message());
    try {
      await client.call("update_my_answers", { p_session_token: token, p_birth_date: value("birth-date"), p_gender: value("gender"), p_city: value("city") });
      showInfo(message(), m("saved"));
    } catch (e) {
      showError(message(), e);
    }
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return form;
}

function route() {
  const reset = new URLSearchParams(location.hash.slice(1)).get("reset");
  if (reset) return resetForm(reset);
  const token = session();
  if (token) return void showData(token);
  view = route;
  app.replaceChildren(h("section", { class: "card" }, h("h1", {}, m("me_title")), h("p", {}, m("me_no_session")), messageP()), forgotForm());
}

mountLangSwitch(() => view());
route();
