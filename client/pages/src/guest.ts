// The guest page, /p/<promoter-slug>/<event-slug>: event card; phone; password (returning) or
// registration (new); then the pass with a QR code. The device remembers the session token
// (next night: one tap) and each night's pass (a reload shows the same pass, with no network
// too: offline.ts and the service worker).
import { warmHashWorker } from "../../bcrypt.ts";
import { ApiError } from "../../errors.ts";
import { passCode } from "../../passcode.ts";
import { qrSvg } from "../../qr.ts";
import { checkAsync } from "../../api.ts";
import {
  commonPasswords, GENDERS, type Link, type LinkCard, NAME_MAX, nameLength, type Pass, type Questions, registrationFor,
} from "../../schemas.ts";
import {
  api, clearFieldErrors, clearMessage, field, h, mountLangSwitch, once, passwordField, showError, showFieldErrors, showInfo,
  shownError, supabaseClient, withCounter,
} from "./common.ts";
import { formatTime, formatWhen, t } from "./i18n.ts";
import { forgetGuest, keepOffline, linkPath, o, offline, passStatus } from "./offline.ts";
import type { MyPass } from "../../answers.ts";

type Session = { token: string; expiresAt: string; firstName: string };
const SESSION_KEY = "guestlist.session";
const passKey = (eventId: string) => `guestlist.pass.${eventId}`;

const store = {
  session(): Session | null {
    try {
      const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null") as Session | null;
      return s && Date.parse(s.expiresAt) > Date.now() ? s : null;
    } catch { return null; }
  },
  saveSession(p: Pass) {
    localStorage.setItem(SESSION_KEY, JSON.stringify({ token: p.session_token, expiresAt: p.session_expires_at, firstName: p.first_name }));
  },
  forgetSession() { localStorage.removeItem(SESSION_KEY); },
  pass(eventId: string): Pass | null {
    try { return JSON.parse(localStorage.getItem(passKey(eventId)) ?? "null"); } catch { return null; }
  },
  savePass(eventId: string, p: Pass) { localStorage.setItem(passKey(eventId), JSON.stringify(p)); },
};

const app = document.getElementById("app")!;
const cardSlot = document.getElementById("event-card")!;
const message = document.getElementById("message")!;
const status = document.getElementById("status")!;

const supabase = supabaseClient(false);
const client = api(supabase, {
  onWait: (q) => showInfo(status, q?.position != null && q.waitSeconds != null
    ? t("waiting_position", { position: q.position, seconds: Math.ceil(q.waitSeconds) })
    : q ? t("waiting") : t("waiting_retry")),
  // The phone's bcrypt of the password takes a moment (more on a slow phone): say so.
  onHashing: (on) => {
    if (on) showInfo(status, t("preparing"));
    else if (status.textContent === t("preparing")) clearMessage(status);
  },
});

let card: LinkCard | null = null;
let view: () => void = () => {};
let phone = "";
let salt: string | null = null; // the account's bcrypt salt, from check_phone_with_cache
let path = ""; // this link's canonical path (offline.ts keeps the night's card under it)
// Refreshing a pass already on screen: one try, no waiting line, nothing said while it runs.
const quiet = api(supabase, { retry: () => false });

function show(render: () => void) {
  view = render;
  clearMessage(message);
  clearMessage(status);
  render();
}

function renderCard() {
  if (!card) return;
  const e = card.event;
  cardSlot.replaceChildren(
    h("h1", {}, e.name),
    h("p", { class: "when" }, formatWhen(e.starts_at)),
    e.venue ? h("p", { class: "venue" }, e.venue) : "",
    h("p", { class: "promoter" }, t("promoter_by", { name: card.promoter.display_name }),
      card.team ? ` · ${t("team", { name: card.team.name })}` : ""),
    listNotice(card) ?? "",
  );
}

/** What the night's list means for a guest before the form: full (with a waiting list), approval. */
function listNotice(c: LinkCard): Node | null {
  const e = c.event;
  if (e.is_full) return h("p", { class: "message info", id: "list-notice" }, t(e.waiting_list ? "list_full_waiting" : "list_full"));
  if (e.requires_approval) return h("p", { class: "message info", id: "list-notice" }, t("list_approval"));
  return null;
}

/** The statuses of a pass that does not let its guest in: no QR, no code, no "show this", no image or e-mail, not "on the list". */
const NOT_ON_LIST = ["waiting", "pending", "revoked"];

/**
 * The pass's place on the list under the QR: waiting, pending or cancelled (the QR, the short code
 * and "show this code" hidden until the pass is on the list), and the plus-ones choice within the
 * night's most. Asks my_pass with the session for the current status, again every 20 s while
 * waiting or pending (also after a failure for lack of network), so a promoted pass appears.
 */
function passListState(p: Pass, title: HTMLElement, admits: HTMLElement[]): Node {
  const box = h("div", { id: "pass-list" });
  const draw = (status: string, plusOnes: number, max: number, open: boolean) => {
    const off = NOT_ON_LIST.includes(status);
    // The elements themselves (not looked up in the document): the first draw runs before the pass
    // is on screen, and a pass kept offline as waiting, pending or revoked must not show its QR or code.
    for (const el of admits) el.toggleAttribute("hidden", off);
    title.textContent = t(off ? "pass_of" : "pass_for", { name: p.first_name });
    const line = off ? h("p", { class: status === "revoked" ? "message error" : "message info", id: "pass-state", "data-status": status, role: "status" },
      t(status === "waiting" ? "pass_waiting" : status === "pending" ? "pass_pending" : "pass_revoked")) : null;
    const plus = h("input", { id: "plus-ones", type: "number", min: "0", max: String(max), value: String(plusOnes), inputmode: "numeric" }) as HTMLInputElement;
    const save = h("button", { type: "submit", class: "secondary" }, t("plus_ones_save"));
    const f = max > 0 && open && status !== "revoked"
      ? h("form", { id: "plus-ones-form", class: "inline-form" }, h("div", { class: "field" }, h("label", { for: "plus-ones" }, t("plus_ones_label")), plus), save)
      : null;
    const run = once(save, async () => {
      const s = store.session();
      try {
        const r = await client.call("set_my_plus_ones", { p_session_token: s?.token ?? p.session_token, p_event_id: card!.event.id, p_plus_ones: Number(plus.value) });
        store.savePass(card!.event.id, { ...p, status: r.status, plus_ones: r.plus_ones });
        showInfo(status_(), t("plus_ones_saved", { n: r.plus_ones }));
      } catch (e) { showError(message, e); }
    });
    f?.addEventListener("submit", (ev) => { ev.preventDefault(); void run(); });
    box.replaceChildren(...[line, f].filter(Boolean) as Node[]);
  };
  const status_ = () => status;
  // The status last saved on this phone (a redraw after news must not flash an older one).
  const last = store.pass(card!.event.id) ?? p;
  draw(last.status, last.plus_ones, card!.event.plus_ones_max, card!.event.guest_list_closes_at > new Date().toISOString());
  const refresh = async () => {
    let now: string;
    try {
      const r: MyPass = await quiet.call("my_pass", { p_session_token: store.session()?.token ?? p.session_token, p_event_id: card!.event.id });
      store.savePass(card!.event.id, { ...p, status: r.status, plus_ones: r.plus_ones });
      if (!box.isConnected) return;
      draw(r.status, r.plus_ones, r.plus_ones_max, r.list_open);
      now = r.status;
    } catch (e) {
      // Offline: the saved pass stays as it is (and is asked for again). The session ended: nothing more to ask.
      if (!box.isConnected || !(e instanceof ApiError && e.status === 0)) return;
      now = (store.pass(card!.event.id) ?? p).status;
    }
    if (now === "waiting" || now === "pending") setTimeout(() => void refresh(), 20_000);
  };
  void refresh();
  return box;
}

const link = (): Link => ({ eventId: card!.event.id, promoterId: card!.promoter.id, teamId: card!.team?.id ?? null });

/**
 * The inputs of the forms, by the field a check names (client/schemas.ts Registration) and by
 * the server's code, so that each error shows under its own input.
 */
const INPUTS: Record<string, string> = {
  firstName: "first-name", lastName: "last-name", email: "email", password: "new-password",
  birthDate: "birth-date", gender: "gender", city: "city", too_young: "birth-date", birth_date_needed: "birth-date",
  invalid_birth_date: "birth-date", invalid_gender: "gender", invalid_city: "city",
  invalid_first_name: "first-name", invalid_last_name: "last-name", invalid_email: "email",
  password_too_short: "new-password", password_too_long: "new-password", common_password: "new-password",
};

/**
 * Runs a joining call; on success shows the pass, on failure the sentence for its code: every
 * wrong field under its input at once (and a summary above), anything else above the form.
 */
async function join(call: () => Promise<Pass>, focusOnError?: string, withBirthDate?: (birthDate: string) => Promise<Pass>) {
  clearMessage(message);
  const form = app.querySelector("form");
  if (form) clearFieldErrors(form);
  try {
    const pass = await call();
    store.saveSession(pass);
    store.savePass(card!.event.id, pass);
    offline.saveCard(path, card!);
    show(() => passView(pass));
  } catch (e) {
    clearMessage(status);
    if (e instanceof ApiError && e.code === "invalid_session") store.forgetSession();
    if (e instanceof ApiError && e.code === "guest_list_closed") return show(closedView);
    if (e instanceof ApiError && e.code === "birth_date_needed" && withBirthDate && !document.getElementById("birth-date")) {
      return show(() => birthDateView(withBirthDate));
    }
    if (form && showFieldErrors(form, e, INPUTS)) {
      const many = e instanceof ApiError && e.issues.length > 1;
      return showError(message, many ? new ApiError("invalid_fields", 400) : e);
    }
    showError(message, e);
    if (focusOnError) (document.getElementById(focusOnError) as HTMLInputElement | null)?.focus();
  }
}

function form(children: (Node | null)[], submitLabel: Parameters<typeof t>[0], action: () => Promise<void>, extra?: Node) {
  const submit = h("button", { type: "submit", class: "primary" }, t(submitLabel));
  const f = h("form", { novalidate: true }, ...children.filter(Boolean) as Node[], submit, extra ?? null);
  const run = once(submit, action);
  f.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  app.replaceChildren(f);
  return f;
}

/** The phone step; on a closed or full list only a number with an account goes on (to log in). */
function phoneView() {
  // A full night with a waiting list takes new guests (onto the waiting list), as its card says.
  const closedList = !card!.event.is_open && !(card!.event.is_full && card!.event.waiting_list);
  warmHashWorker(); // loaded while the guest types, ready for the password
  const f = form([field("phone", "phone_label", { type: "tel", autocomplete: "tel", inputmode: "tel", required: true, value: phone }, "phone_help")],
    "continue", async () => {
      phone = (f.querySelector("#phone") as HTMLInputElement).value;
      try {
        const r = await client.checkPhone(phone);
        phone = r.phone;
        salt = r.salt;
        show(r.exists ? passwordView : closedList ? closedView : registerView);
      } catch (e) {
        showError(message, e);
        (f.querySelector("#phone") as HTMLInputElement).focus();
      }
    });
  (f.querySelector("#phone") as HTMLInputElement).focus();
}

const otherPhone = () => h("button", { type: "button", class: "link", onclick: () => { phone = ""; show(phoneView); } }, t("other_phone"));

function passwordView() {
  const f = form([
    h("p", {}, t("welcome_back")),
    h("p", { class: "phone" }, phone),
    passwordField("password", "password_label", "current-password"),
  ], "log_in", () => {
    const password = (f.querySelector("#password") as HTMLInputElement).value;
    return join(() => client.authenticate(phone, password, link(), salt), "password",
      (birthDate) => client.authenticate(phone, password, link(), salt, birthDate));
  },
  h("div", { class: "links" }, forgotButton(), otherPhone()));
  (f.querySelector("#password") as HTMLInputElement).focus();
}

/**
 * "I forgot my password", at the password step: asks for a reset link by e-mail for this number
 * (guest-password-reset; the same answer whether or not the number has an e-mail), which opens
 * /me#reset=… . Works while the number is locked out: the link ends the lockout.
 */
function forgotButton() {
  const button = h("button", { type: "button", class: "link", id: "forgot" }, t("forgot_password"));
  const run = once(button, async () => {
    clearMessage(message);
    try {
      await client.invoke("guest-password-reset", { phone });
      showInfo(status, t("forgot_sent"));
    } catch (e) {
      showError(message, e);
    }
  });
  button.addEventListener("click", () => void run());
  return button;
}

/** A name input: its limit shown as a counter, nothing cut (the check says when it is too long). */
const nameField = (id: string, label: "first_name" | "last_name", autocomplete: string) =>
  withCounter(field(id, label, { type: "text", autocomplete, required: true, autocapitalize: "words", spellcheck: "false" }), NAME_MAX, nameLength);

/** What this night asks (link_questions), asked once per page. */
let questions: Promise<Questions> | null = null;
const NO_QUESTIONS: Questions = { birth_date: false, min_age: null, gender: false, city: false };

/** The night's questions as form fields: date of birth (with its minimum age), gender, city. */
function questionFields(q: Questions): Node[] {
  const fields: Node[] = [];
  if (q.birth_date) {
    fields.push(field("birth-date", "birth_date", { type: "date", autocomplete: "bday", required: true, min: "1900-01-01",
      max: new Date().toISOString().slice(0, 10) }));
    if (q.min_age !== null) {
      const help = h("p", { class: "help", id: "birth-date-help" }, t("birth_date_help", { age: q.min_age }));
      (fields.at(-1) as HTMLElement).append(help);
      (fields.at(-1) as HTMLElement).querySelector("input")!.setAttribute("aria-describedby", "birth-date-help");
    }
  }
  if (q.gender) {
    fields.push(h("div", { class: "field" }, h("label", { for: "gender" }, t("gender")),
      h("select", { id: "gender", name: "gender", required: true },
        h("option", { value: "" }, t("choose")), ...GENDERS.map((g) => h("option", { value: g }, t(`gender_${g}`))))));
  }
  if (q.city) fields.push(field("city", "city", { type: "text", autocomplete: "address-level2", required: true }));
  return fields;
}

async function registerView() {
  client.prepareRegistration();
  void commonPasswords().catch(() => {}); // the common-password list, loaded while the guest types
  const eventId = card!.event.id;
  questions ??= client.linkQuestions(eventId).catch(() => NO_QUESTIONS);
  const q = await questions;
  if (card?.event.id !== eventId || view !== registerView) return;
  const night = new Date(card.event.starts_at).toLocaleDateString("sv-SE", { timeZone: "Europe/Lisbon" });
  const f = form([
    h("p", {}, t("new_here")),
    h("p", { class: "phone" }, phone),
    nameField("first-name", "first_name", "given-name"),
    nameField("last-name", "last_name", "family-name"),
    field("email", "email", { type: "email", autocomplete: "email", required: true, maxlength: 254 }),
    passwordField("new-password", "new_password", "new-password", "new_password_help"),
    ...questionFields(q),
  ], "register", () => {
    const v = (id: string) => (f.querySelector(`#${id}`) as HTMLInputElement | null)?.value;
    return join(async () => {
      const input = { phone, firstName: v("first-name")!, lastName: v("last-name")!, email: v("email")!, password: v("new-password")!,
        birthDate: v("birth-date"), gender: v("gender"), city: v("city") };
      await checkAsync(registrationFor(q, night), input); // every wrong field at once, the night's questions included
      return client.register(input, link());
    }).then(() => {
      if (document.getElementById("first-name")) client.prepareRegistration(); // still here: a fresh proof for the next try
    });
  }, otherPhone());
  (f.querySelector("#first-name") as HTMLInputElement).focus();
}

function sessionView(s: Session) {
  const f = form([], "continue", () => join(() => client.joinWithSession(s.token, link()), undefined,
    (birthDate) => client.joinWithSession(s.token, link(), birthDate)),
    h("button", { type: "button", class: "link", onclick: () => { store.forgetSession(); show(phoneView); } }, t("not_you", { name: s.firstName })));
  const submit = f.querySelector("button[type=submit]") as HTMLButtonElement;
  submit.textContent = t("join_as", { name: s.firstName });
  submit.id = "join";
  submit.focus();
}

/**
 * A night with a minimum age and an account that never gave its date of birth (the server's
 * `birth_date_needed`): asks for it, then joins again with it (kept on the account); under the
 * age the answer is `too_young`, shown under the field.
 */
function birthDateView(retry: (birthDate: string) => Promise<Pass>) {
  const input = field("birth-date", "birth_date", { type: "date", autocomplete: "bday", required: true, min: "1900-01-01",
    max: new Date().toISOString().slice(0, 10) });
  const f = form([h("h2", { id: "birth-date-title" }, t("birth_date_title")), h("p", {}, t("birth_date_body")), input], "continue", () => {
    const value = (f.querySelector("#birth-date") as HTMLInputElement).value;
    return join(() => retry(value), "birth-date");
  }, otherPhone());
  f.id = "birth-date-form";
  (f.querySelector("#birth-date") as HTMLInputElement).focus();
}

function passView(p: Pass) {
  const svg = qrSvg(p.qr_token, { title: t("qr_alt", { name: p.first_name }) });
  const qr = h("div", { class: "qr", id: "qr", "data-token": p.qr_token });
  qr.innerHTML = svg;
  const code = h("strong", { id: "pass-code" });
  passCode(p.qr_token).then((c) => { code.textContent = c; }, () => { /* no WebCrypto: the QR alone */ });
  const e = card!.event;
  const codeLine = h("p", { class: "pass-code" }, h("span", { class: "help" }, t("pass_code")), code);
  const help = h("p", { id: "pass-help" }, t("pass_help"));
  const title = h("h2", { id: "pass-title", tabindex: "-1" }, t("pass_for", { name: p.first_name }));
  const save = h("button", { type: "button", class: "secondary", id: "save", onclick: () => void saveImage(svg, `${e.slug}-pass.png`) }, t("save_image"));
  const email = emailPassButton(p);
  app.replaceChildren(h("section", { class: "pass", "aria-labelledby": "pass-title" },
    title,
    qr,
    codeLine,
    h("p", { class: "pass-event" }, `${e.name} · ${formatWhen(e.starts_at)}`),
    help,
    passListState(p, title, [qr, codeLine, help, save, email]),
    save,
    email,
    h("p", {}, h("a", { href: "/me", id: "my-data" }, t("my_data"))),
    ...offlineParts(),
  ));
  (document.getElementById("pass-title") as HTMLElement).focus();
  keepOffline();
}

/** The pass's last known status (checked in, cancelled) and "Another person", under the pass. */
function offlineParts(): Node[] {
  const s = offline.saved(path)?.status;
  const line = s?.status === "revoked" ? o("status_revoked")
    : s?.checked_in_at ? o("status_checked_in", { time: formatTime(s.checked_in_at) }) : "";
  return [
    h("p", { id: "pass-status", class: s?.status === "revoked" ? "message error" : "message info", role: "status", "aria-live": "polite",
      "data-status": s ? (s.checked_in_at ? "checked_in" : s.status) : null }, line),
    h("button", { type: "button", class: "link", id: "another-person", onclick: () => void anotherPerson() }, o("another_person")),
  ];
}

/** Clears this phone's session and passes so that someone else can get a pass (the first stays valid). */
async function anotherPerson() {
  await forgetGuest();
  phone = "";
  salt = null;
  show(card!.event.is_open ? phoneView : closedView);
  showInfo(status, o("another_person_help"));
}

let refreshAgain: ReturnType<typeof setTimeout> | undefined;
/**
 * Asks the network for news about a pass already on screen: the night's card (a changed time or
 * venue) and the pass's status through the guest's session. Without a network, says that the
 * saved pass is shown, and asks again when the browser is back `online` and every 5 s meanwhile:
 * a browser that never noticed the loss (a page loaded without a network, a network that connects
 * but carries nothing) sends no `online` event.
 */
async function refreshPass(promoterSlug: string, eventSlug: string) {
  clearTimeout(refreshAgain);
  const later = () => {
    sayOffline();
    refreshAgain = setTimeout(() => void refreshPass(promoterSlug, eventSlug), 5_000);
  };
  if (!navigator.onLine) return later();
  try {
    const fresh = await quiet.resolvePromoterLink(promoterSlug, eventSlug);
    card = fresh;
    offline.saveCard(path, fresh);
    const s = store.session();
    const st = s ? await passStatus(quiet, s.token, fresh) : null;
    if (st) offline.saveStatus(path, st);
    if (status.dataset.say === "offline_saved") clearMessage(status);
    renderCard();
    if (app.querySelector(".pass")) view();
  } catch (e) {
    if (e instanceof ApiError && e.status === 0) later();
  }
}

/**
 * "No network: the saved pass" ("it works at the door" only for a pass that admits: a waiting,
 * pending or cancelled one is its saved state), marked so that the language switch says it again.
 */
function sayOffline() {
  const saved = card && store.pass(card.event.id);
  showInfo(status, o(saved && NOT_ON_LIST.includes(saved.status) ? "offline_saved_state" : "offline_saved"));
  status.dataset.say = "offline_saved";
}

/**
 * "Send by email": the pass to the account's own address (never one typed here), through the edge
 * function guest-pass-email; the answer names the address, masked.
 */
function emailPassButton(p: Pass): HTMLButtonElement {
  const button = h("button", { type: "button", class: "secondary", id: "email-pass" }, t("email_pass"));
  button.addEventListener("click", once(button, async () => {
    clearMessage(message);
    try {
      const sent = await client.invoke("guest-pass-email", { session_token: p.session_token, guest_id: p.guest_id });
      showInfo(status, t("email_pass_sent", { to: sent.to }));
    } catch (e) {
      showError(message, e);
    }
  }));
  return button;
}

/** Saves the QR as a PNG (drawn on a canvas from the SVG; the SVG itself if that fails). */
async function saveImage(svg: string, name: string) {
  const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  const download = (href: string, file: string) => { const a = h("a", { href, download: file }); document.body.append(a); a.click(); a.remove(); };
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = h("canvas", { width: 800, height: 800 });
    canvas.getContext("2d")!.drawImage(img, 0, 0, 800, 800);
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, "image/png"));
    if (!blob) throw new Error("no PNG");
    const png = URL.createObjectURL(blob);
    download(png, name);
    setTimeout(() => URL.revokeObjectURL(png), 10_000);
  } catch {
    download(url, name.replace(/\.png$/, ".svg"));
  }
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A closed or full list; a guest already on it can still log in (any phone) and get the pass. */
function closedView() {
  app.replaceChildren(h("section", { class: "notice", id: "closed" }, h("h2", {}, t("closed_title")), h("p", {}, t("closed_body")),
    h("button", { type: "button", class: "secondary", id: "closed-login", onclick: () => { phone = ""; show(phoneView); } },
      t("closed_login"))));
}

function noPassView() {
  cardSlot.replaceChildren(h("h1", {}, t("pass_title")));
  app.replaceChildren(h("section", { class: "notice", id: "no-pass" }, h("p", {}, o("no_saved_pass"))));
}

function unknownView() {
  cardSlot.replaceChildren(h("h1", {}, t("unknown_title")));
  app.replaceChildren(h("section", { class: "notice", id: "unknown" }, h("p", {}, t("unknown_body"))));
}

async function start() {
  const linkRe = /^\/(?:p|promotor)\/([^/]+)\/([^/]+)\/?$/;
  let m = location.pathname.match(linkRe);
  if (!m && location.pathname === "/guest.html") {
    // Opened from the home screen (the manifest's start): the pass of the next night kept here.
    const home = offline.homeLink();
    if (!home) return show(noPassView);
    history.replaceState(null, "", home);
    m = home.match(linkRe);
  }
  if (!m) return show(unknownView);
  path = linkPath(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  const kept = offline.saved(path);
  const keptPass = kept && store.pass(kept.card.event.id);
  if (kept && keptPass) {
    // The pass at once, from this phone, whatever the network; then news from the server.
    card = kept.card;
    renderCard();
    show(() => passView(keptPass));
    const [p, e] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
    addEventListener("online", () => void refreshPass(p, e));
    return refreshPass(p, e);
  }
  try {
    card = await client.resolvePromoterLink(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  } catch (e) {
    if (e instanceof ApiError && (e.code === "event_not_found" || e.code === "input_too_long" || e.code === "promoter_not_linked")) {
      return show(unknownView);
    }
    cardSlot.replaceChildren(h("h1", {}, t("unknown_title")));
    return showError(message, e);
  }
  renderCard();
  // One open of the link counted for the promoter's page, and nothing about who opened it.
  void client.call("record_link_open", { p_promoter_slug: card.promoter.slug, p_event_slug: card.event.slug }).catch(() => {});
  const saved = store.pass(card.event.id);
  if (saved) offline.saveCard(path, card);
  if (saved) return show(() => passView(saved));
  const s = store.session();
  // A closed or full list still gives a guest on it their pass: with the session in one tap.
  if (s) return show(() => sessionView(s));
  show(card.event.is_open || (card.event.is_full && card.event.waiting_list) ? phoneView : closedView);
}

mountLangSwitch(() => {
  renderCard();
  const shown = shownError(message);
  const values = [...app.querySelectorAll("input")].map((i) => [i.id, i.value] as const);
  view();
  for (const [id, value] of values) {
    const input = document.getElementById(id) as HTMLInputElement | null;
    if (input) input.value = value;
  }
  if (shown) showError(message, shown);
  if (status.dataset.say === "offline_saved") sayOffline();
});
void start();
