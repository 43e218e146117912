// The guest page, /p/<promoter-slug>/<event-slug>: event card; phone; password (returning) or
// registration (new); then the pass with a QR code. The device remembers the session token
// (next night: one tap) and each night's pass (a reload shows the same pass).
import { warmHashWorker } from "../../bcrypt.ts";
import { ApiError } from "../../errors.ts";
import { qrSvg } from "../../qr.ts";
import type { MyPass } from "../../answers.ts";
import type { Link, LinkCard, Pass } from "../../schemas.ts";
import { api, clearMessage, field, h, mountLangSwitch, once, showError, showInfo, supabaseClient } from "./common.ts";
import { formatWhen, t } from "./i18n.ts";

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

/**
 * The pass's place on the list under the QR: waiting, pending or cancelled (the QR hidden until
 * the pass is on the list), and the plus-ones choice within the night's most. Asks my_pass with
 * the session for the current status, again every 20 s while waiting, so a promoted pass appears.
 */
function passListState(p: Pass): Node {
  const box = h("div", { id: "pass-list" });
  const qr = () => document.getElementById("qr");
  const draw = (status: string, plusOnes: number, max: number, open: boolean) => {
    const off = ["waiting", "pending", "revoked"].includes(status);
    qr()?.toggleAttribute("hidden", off);
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
  draw(p.status, p.plus_ones, card!.event.plus_ones_max, card!.event.guest_list_closes_at > new Date().toISOString());
  const refresh = async () => {
    try {
      const r: MyPass = await client.call("my_pass", { p_session_token: store.session()?.token ?? p.session_token, p_event_id: card!.event.id });
      store.savePass(card!.event.id, { ...p, status: r.status, plus_ones: r.plus_ones });
      if (!box.isConnected) return;
      draw(r.status, r.plus_ones, r.plus_ones_max, r.list_open);
      if (r.status === "waiting" || r.status === "pending") setTimeout(() => void refresh(), 20_000);
    } catch { /* offline or the session ended: the saved pass stays as it is */ }
  };
  void refresh();
  return box;
}

const link = (): Link => ({ eventId: card!.event.id, promoterId: card!.promoter.id, teamId: card!.team?.id ?? null });

/** Runs a joining call; on success shows the pass, on failure the sentence for its code. */
async function join(call: () => Promise<Pass>, focusOnError?: string) {
  clearMessage(message);
  try {
    const pass = await call();
    store.saveSession(pass);
    store.savePass(card!.event.id, pass);
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
    passListState(p),
    h("button", { type: "button", class: "secondary", id: "save", onclick: () => void saveImage(svg, `${e.slug}-pass.png`) }, t("save_image")),
    h("p", {}, h("a", { href: "/me", id: "my-data" }, t("my_data"))),
  ));
  (document.getElementById("pass-title") as HTMLElement).focus();
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

function unknownView() {
  cardSlot.replaceChildren(h("h1", {}, t("unknown_title")));
  app.replaceChildren(h("section", { class: "notice", id: "unknown" }, h("p", {}, t("unknown_body"))));
}

async function start() {
  const m = location.pathname.match(/^\/(?:p|promotor)\/([^/]+)\/([^/]+)\/?$/);
  if (!m) return show(unknownView);
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
  if (saved) return show(() => passView(saved));
  if (!card.event.is_open && !(card.event.is_full && card.event.waiting_list)) return show(closedView);
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
