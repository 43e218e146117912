// The guest page, /p/<promoter-slug>/<event-slug>: event card; phone; password (returning) or
// registration (new); then the pass with a QR code. The device remembers the session token
// (next night: one tap) and each night's pass (a reload shows the same pass, with no network
// too: offline.ts and the service worker).
import { warmHashWorker } from "../../bcrypt.ts";
import { ApiError } from "../../errors.ts";
import { qrSvg } from "../../qr.ts";
import type { Link, LinkCard, Pass } from "../../schemas.ts";
import { api, clearMessage, field, h, mountLangSwitch, once, showError, showInfo, supabaseClient } from "./common.ts";
import { formatTime, formatWhen, t } from "./i18n.ts";
import { forgetGuest, keepOffline, linkPath, o, offline, passStatus } from "./offline.ts";

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
  );
}

const link = (): Link => ({ eventId: card!.event.id, promoterId: card!.promoter.id, teamId: card!.team?.id ?? null });

/** Runs a joining call; on success shows the pass, on failure the sentence for its code. */
async function join(call: () => Promise<Pass>, focusOnError?: string) {
  clearMessage(message);
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
    showError(message, e);
    const target = fieldFor(e) ?? focusOnError;
    if (target) (document.getElementById(target) as HTMLInputElement | null)?.focus();
  }
}

function fieldFor(e: unknown): string | null {
  if (!(e instanceof ApiError)) return null;
  const byCode: Record<string, string> = {
    invalid_phone: "phone", invalid_first_name: "first-name", invalid_last_name: "last-name", invalid_email: "email",
    weak_password: "new-password", password_too_long: "new-password", password_mismatch: "confirm-password",
    invalid_credentials: "password",
  };
  return document.getElementById(byCode[e.code] ?? "") ? byCode[e.code] : null;
}

function form(children: (Node | null)[], submitLabel: Parameters<typeof t>[0], action: () => Promise<void>, extra?: Node) {
  const submit = h("button", { type: "submit", class: "primary" }, t(submitLabel));
  const f = h("form", { novalidate: true }, ...children.filter(Boolean) as Node[], submit, extra ?? null);
  const run = once(submit, action);
  f.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  app.replaceChildren(f);
  return f;
}

function phoneView() {
  warmHashWorker(); // loaded while the guest types, ready for the password
  const f = form([field("phone", "phone_label", { type: "tel", autocomplete: "tel", inputmode: "tel", required: true, value: phone }, "phone_help")],
    "continue", async () => {
      phone = (f.querySelector("#phone") as HTMLInputElement).value;
      try {
        const r = await client.checkPhone(phone);
        phone = r.phone;
        salt = r.salt;
        show(r.exists ? passwordView : registerView);
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
    field("password", "password_label", { type: "password", autocomplete: "current-password", required: true, maxlength: 72 }),
  ], "log_in", () => join(() => client.authenticate(phone, (f.querySelector("#password") as HTMLInputElement).value, link(), salt), "password"),
  otherPhone());
  (f.querySelector("#password") as HTMLInputElement).focus();
}

function registerView() {
  client.prepareRegistration();
  const f = form([
    h("p", {}, t("new_here")),
    h("p", { class: "phone" }, phone),
    field("first-name", "first_name", { type: "text", autocomplete: "given-name", required: true, maxlength: 50 }),
    field("last-name", "last_name", { type: "text", autocomplete: "family-name", required: true, maxlength: 50 }),
    field("email", "email", { type: "email", autocomplete: "email", required: true, maxlength: 254 }),
    field("new-password", "new_password", { type: "password", autocomplete: "new-password", required: true, maxlength: 72 }, "new_password_help"),
    field("confirm-password", "confirm_password", { type: "password", autocomplete: "new-password", required: true, maxlength: 72 }),
  ], "register", () => {
    const v = (id: string) => (f.querySelector(`#${id}`) as HTMLInputElement).value;
    return join(async () => {
      if (v("new-password") !== v("confirm-password")) throw new ApiError("password_mismatch", 400, null, null, "confirm-password");
      return client.register({ phone, firstName: v("first-name"), lastName: v("last-name"), email: v("email"), password: v("new-password") }, link());
    }).then(() => {
      if (document.getElementById("first-name")) client.prepareRegistration(); // still here: a fresh proof for the next try
    });
  }, otherPhone());
  (f.querySelector("#first-name") as HTMLInputElement).focus();
}

function sessionView(s: Session) {
  const f = form([], "continue", () => join(() => client.joinWithSession(s.token, link())),
    h("button", { type: "button", class: "link", onclick: () => { store.forgetSession(); show(phoneView); } }, t("not_you", { name: s.firstName })));
  const submit = f.querySelector("button[type=submit]") as HTMLButtonElement;
  submit.textContent = t("join_as", { name: s.firstName });
  submit.id = "join";
  submit.focus();
}

function passView(p: Pass) {
  const svg = qrSvg(p.qr_token, { title: t("qr_alt", { name: p.first_name }) });
  const qr = h("div", { class: "qr", id: "qr", "data-token": p.qr_token });
  qr.innerHTML = svg;
  const e = card!.event;
  app.replaceChildren(h("section", { class: "pass", "aria-labelledby": "pass-title" },
    h("h2", { id: "pass-title", tabindex: "-1" }, t("pass_for", { name: p.first_name })),
    qr,
    h("p", { class: "pass-event" }, `${e.name} · ${formatWhen(e.starts_at)}`),
    h("p", {}, t("pass_help")),
    h("button", { type: "button", class: "secondary", id: "save", onclick: () => void saveImage(svg, `${e.slug}-pass.png`) }, t("save_image")),
    emailPassButton(p),
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

/**
 * Asks the network for news about a pass already on screen: the night's card (a changed time or
 * venue) and the pass's status through the guest's session. Without a network, says that the
 * saved pass is shown, and tries again when the browser is back online.
 */
async function refreshPass(promoterSlug: string, eventSlug: string) {
  if (!navigator.onLine) return showInfo(status, o("offline_saved"));
  try {
    const fresh = await quiet.resolvePromoterLink(promoterSlug, eventSlug);
    card = fresh;
    offline.saveCard(path, fresh);
    const s = store.session();
    const st = s ? await passStatus(quiet, s.token, fresh) : null;
    if (st) offline.saveStatus(path, st);
    if (status.textContent === o("offline_saved")) clearMessage(status);
    renderCard();
    if (app.querySelector(".pass")) view();
  } catch (e) {
    if (e instanceof ApiError && e.status === 0) showInfo(status, o("offline_saved"));
  }
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

function closedView() {
  app.replaceChildren(h("section", { class: "notice", id: "closed" }, h("h2", {}, t("closed_title")), h("p", {}, t("closed_body"))));
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
  const saved = store.pass(card.event.id);
  if (saved) offline.saveCard(path, card);
  if (saved) return show(() => passView(saved));
  if (!card.event.is_open) return show(closedView);
  const s = store.session();
  show(s ? () => sessionView(s) : phoneView);
}

mountLangSwitch(() => {
  renderCard();
  const code = message.dataset.code;
  const values = [...app.querySelectorAll("input")].map((i) => [i.id, i.value] as const);
  view();
  for (const [id, value] of values) {
    const input = document.getElementById(id) as HTMLInputElement | null;
    if (input) input.value = value;
  }
  if (code) showError(message, new ApiError(code, 0));
});
void start();
