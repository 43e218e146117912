// What every page shares: the one config file (/config.js: Supabase URL and anon key), the
// supabase-js client, a tiny DOM helper, the language switch, error display, and for the staff
// pages the sign-in form and the event picker.
import { createClient } from "@supabase/supabase-js";
import type { GuestStats } from "../../answers.ts";
import { type Api, type Client, createApi, type Options } from "../../api.ts";
import type { Database } from "../../database.types.ts";
import { ApiError } from "../../errors.ts";
import type { MyEvent } from "../../schemas.ts";
import { errorText, formatWhen, type Key, lang, setLang, t } from "./i18n.ts";

declare global {
  interface Window { GUESTLIST_CONFIG?: { supabaseUrl: string; anonKey: string } }
}

export function config(): { supabaseUrl: string; anonKey: string } {
  const c = window.GUESTLIST_CONFIG;
  if (!c?.supabaseUrl || !c?.anonKey) throw new Error("config.js is missing: it must set window.GUESTLIST_CONFIG");
  return c;
}

export function supabaseClient(persistSession: boolean): Client {
  const c = config();
  return createClient<Database>(c.supabaseUrl, c.anonKey, {
    auth: { persistSession, autoRefreshToken: persistSession, detectSessionInUrl: false },
  });
}

export function api(supabase: Client, options?: Options): Api {
  return createApi(supabase, options);
}

type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;
/** Creates an element: h("button", {type: "submit", onclick: f}, "text", child). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== false) el.append(c);
  return el;
}

/** A labelled input with its help text, wired for screen readers (errors: showFieldErrors). */
export function field(id: string, label: Key, attrs: Attrs, help?: Key): HTMLDivElement {
  const helpId = help ? `${id}-help` : null;
  return h("div", { class: "field" },
    h("label", { for: id }, t(label)),
    h("input", { id, name: id, "aria-describedby": helpId, ...attrs }),
    help ? h("p", { class: "help", id: helpId! }, t(help)) : null,
  );
}

/**
 * Every error, wait and success a page writes goes through here: the region is a live region
 * (announced: `role=alert` at once, anything else politely), and once written it is scrolled into
 * view, after whatever focus the caller moves in the same turn, so that a phone whose form runs
 * below the message still shows it after the tap.
 */
export function reveal(region: HTMLElement) {
  if (!region.hasAttribute("aria-live")) region.setAttribute("aria-live", region.getAttribute("role") === "alert" ? "assertive" : "polite");
  requestAnimationFrame(() => {
    if (!region.isConnected || !region.textContent) return;
    const box = region.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) region.scrollIntoView({ block: "nearest" });
  });
}

/** The page's live region for errors and waiting states (role=alert is announced at once). */
export function showError(region: HTMLElement, e: unknown) {
  const code = e instanceof ApiError ? e.code : "unexpected";
  const retryAfter = e instanceof ApiError ? e.retryAfter : null;
  region.dataset.code = code;
  delete region.dataset.say;
  if (retryAfter !== null) region.dataset.retryAfter = String(retryAfter);
  else delete region.dataset.retryAfter;
  region.className = "message error";
  region.textContent = errorText(code, retryAfter);
  reveal(region);
  if (!(e instanceof ApiError)) console.error(e);
}
/** The error shown in `region` again (after a language switch), with its wait. */
export function shownError(region: HTMLElement): ApiError | null {
  const code = region.dataset.code;
  if (!code) return null;
  const retry = region.dataset.retryAfter ? Number(region.dataset.retryAfter) : null;
  return new ApiError(code, 0, null, null, null, [], retry);
}

/**
 * A password input with a show/hide button (one field, no confirmation: the guest can see what
 * they typed). The button says what it does and is `aria-pressed` while the password shows.
 */
export function passwordField(id: string, label: Key, autocomplete: string, help?: Key): HTMLDivElement {
  const wrap = field(id, label, { type: "password", autocomplete, required: true, maxlength: 72, autocapitalize: "off", spellcheck: "false" }, help);
  const input = wrap.querySelector("input")!;
  const toggle = h("button", { type: "button", class: "reveal", id: `${id}-reveal`, "aria-controls": id, "aria-pressed": "false",
    "aria-label": t("show_password_label") }, t("show_password"));
  toggle.addEventListener("click", () => {
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    toggle.setAttribute("aria-pressed", String(show));
    toggle.textContent = t(show ? "hide_password" : "show_password");
    input.focus();
  });
  input.after(h("div", { class: "password-row" }));
  const row = wrap.querySelector(".password-row")!;
  row.append(input, toggle);
  return wrap;
}

/**
 * A counter under a text input with a limit in characters ("12 de 50 caracteres"): the limit is
 * shown, never enforced by cutting what was typed or pasted (the check says when it is too long).
 */
export function withCounter(wrap: HTMLElement, max: number, count: (s: string) => number): HTMLElement {
  const input = wrap.querySelector("input")!;
  const counter = h("p", { class: "help counter", id: `${input.id}-count` });
  const update = () => {
    const n = count(input.value);
    counter.textContent = t("name_count", { count: n, max });
    counter.classList.toggle("over", n > max);
  };
  input.addEventListener("input", update);
  input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), counter.id].filter(Boolean).join(" "));
  wrap.append(counter);
  update();
  return wrap;
}

/**
 * Every wrong field of a form at once: the sentence under each input (`byField` maps the check's
 * field to the input's id), `aria-invalid` on it, and the first one focused. Returns whether any
 * field was marked.
 */
export function showFieldErrors(form: HTMLElement, e: unknown, byField: Record<string, string>): boolean {
  clearFieldErrors(form);
  const issues = e instanceof ApiError ? (e.issues.length ? e.issues : [{ field: e.field, code: e.code }]) : [];
  let first: HTMLInputElement | null = null;
  for (const issue of issues) {
    const id = byField[issue.field ?? ""] ?? byField[issue.code];
    const input = id ? form.querySelector<HTMLInputElement>(`#${id}`) : null;
    if (!input || input.getAttribute("aria-invalid") === "true") continue;
    const err = h("p", { class: "field-error", id: `${id}-error` }, errorText(issue.code, e instanceof ApiError ? e.retryAfter : null));
    input.closest(".field")!.append(err);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), err.id].filter(Boolean).join(" "));
    first ??= input;
  }
  first?.focus();
  return first !== null;
}
export function clearFieldErrors(form: HTMLElement) {
  for (const err of form.querySelectorAll(".field-error")) {
    const input = form.querySelector<HTMLInputElement>(`#${err.id.replace(/-error$/, "")}`);
    if (input) {
      input.removeAttribute("aria-invalid");
      const rest = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((x) => x && x !== err.id).join(" ");
      if (rest) input.setAttribute("aria-describedby", rest);
      else input.removeAttribute("aria-describedby");
    }
    err.remove();
  }
}

export function showInfo(region: HTMLElement, text: string) {
  delete region.dataset.code;
  delete region.dataset.say; // a page that redraws a sentence in the new language marks it again
  region.className = "message info";
  region.textContent = text;
  reveal(region);
}
export function clearMessage(region: HTMLElement) {
  delete region.dataset.code;
  delete region.dataset.say;
  region.className = "message";
  region.textContent = "";
}

/** The language switch in the header; `rerender` redraws the page in the new language. */
export function mountLangSwitch(rerender: () => void) {
  const button = document.getElementById("lang") as HTMLButtonElement;
  const label = () => {
    button.textContent = t("lang_switch");
    button.setAttribute("aria-label", t("lang_switch_label"));
    button.lang = lang() === "pt" ? "en" : "pt";
  };
  setLang(lang());
  label();
  button.addEventListener("click", () => {
    setLang(lang() === "pt" ? "en" : "pt");
    label();
    rerender();
  });
}

/**
 * Runs `action` once at a time for a form: a double tap or a second Enter while the first
 * request is under way sends nothing more. The button keeps its size (no layout jump).
 */
export function once(button: HTMLButtonElement, action: () => Promise<void>): () => Promise<void> {
  let running = false;
  return async () => {
    if (running) return;
    running = true;
    const label = button.textContent;
    button.setAttribute("aria-busy", "true");
    button.dataset.label = label ?? "";
    button.textContent = t("working");
    try {
      await action();
    } finally {
      running = false;
      if (button.isConnected) {
        button.removeAttribute("aria-busy");
        button.textContent = label;
      }
    }
  };
}

/** Staff sign-in (Supabase Auth password grant); resolves once signed in. */
export function signInForm(root: HTMLElement, supabase: Client, onDone: () => void) {
  const message = h("p", { class: "message", role: "alert", "aria-live": "assertive", id: "message" });
  const submit = h("button", { type: "submit", class: "primary" }, t("sign_in"));
  const form = h("form", { class: "card", novalidate: true },
    h("h1", {}, t("sign_in_title")),
    field("email", "staff_email", { type: "email", autocomplete: "username", required: true }),
    field("password", "staff_password", { type: "password", autocomplete: "current-password", required: true }),
    message, submit);
  const run = once(submit, async () => {
    clearMessage(message);
    const email = (form.querySelector("#email") as HTMLInputElement).value.trim();
    const password = (form.querySelector("#password") as HTMLInputElement).value;
    const { error } = await supabase.auth.signInWithPassword({ email, password });
    if (error) {
      const code = error.status === 0 || error.name === "AuthRetryableFetchError" ? "network"
        : error.status === 429 ? "rate_limited" : "invalid_credentials";
      showError(message, new ApiError(code, error.status ?? 0, error.message));
      (form.querySelector("#password") as HTMLInputElement).focus();
      return;
    }
    onDone();
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  root.replaceChildren(form);
  (form.querySelector("#email") as HTMLInputElement).focus();
}

/** The events the signed-in member may pick (my_events). */
export async function pickEvent(root: HTMLElement, a: Api, storageKey: string, onPick: (e: MyEvent) => void) {
  const message = h("p", { class: "message", role: "alert", "aria-live": "assertive", id: "message" });
  const list = h("ul", { class: "events" });
  root.replaceChildren(h("section", { class: "card" }, h("h1", {}, t("pick_event")), message, list));
  try {
    const events = await a.myEvents();
    if (events.length === 0) list.append(h("li", {}, t("no_events")));
    for (const ev of events) {
      list.append(h("li", {}, h("button", {
        type: "button", class: "event", "data-event-id": ev.id,
        onclick: () => { localStorage.setItem(storageKey, ev.id); onPick(ev); },
      }, h("strong", {}, ev.name), h("span", {}, `${formatWhen(ev.starts_at)} · ${ev.organization_name}`))));
    }
    (list.querySelector("button") as HTMLButtonElement | null)?.focus();
  } catch (e) {
    showError(message, e);
  }
}

/**
 * Who is coming, for /live and /promoter (event_guest_stats): the gender ratio and the age bands,
 * counts and shares only, for the questions the night asks; null when it asks neither.
 */
export function statsSection(st: GuestStats | null): HTMLElement | null {
  if (!st || (!st.gender && !st.age_bands)) return null;
  const share = (n: number, of: number) => (of > 0 ? ` (${Math.round((100 * n) / of)} %)` : "");
  const rows = (pairs: [string, number][]) => h("dl", {}, ...pairs.flatMap(([k, n]) => [h("dt", {}, k), h("dd", {}, `${n}${share(n, st.guests)}`)]));
  return h("section", { class: "card stats", id: "guest-stats" }, h("h2", {}, t("stats_title")),
    st.gender ? h("div", { id: "stats-gender" }, h("h3", {}, t("stats_gender")), rows([
      [t("gender_female"), st.gender.female], [t("gender_male"), st.gender.male], [t("gender_other"), st.gender.other],
      [t("stats_unknown"), st.gender.unknown]])) : null,
    st.age_bands ? h("div", { id: "stats-age" }, h("h3", {}, t("stats_age")), rows(st.age_bands.map((b) => [
      b.band === "under_18" ? t("stats_under_18") : b.band === "unknown" ? t("stats_unknown") : b.band, b.guests] as [string, number]))) : null);
}
