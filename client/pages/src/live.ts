// The organiser's live page, /live: sign in, pick the event; totals, per promoter and team, a
// feed of arrivals and a chart of registrations and arrivals per 15 minutes, all moving from the
// private Realtime channel (client/live.ts refetches the dashboard after every reconnect), with
// a visible connection indicator.
import { type ConnectionState, subscribeToEvent } from "../../live.ts";
import type { EventList } from "../../answers.ts";
import type { Dashboard, MyEvent } from "../../schemas.ts";
import type { GuestStats } from "../../answers.ts";
import { api, clearMessage, h, mountLangSwitch, once, pickEvent, showError, showInfo, shownError, signInForm, statsSection, supabaseClient } from "./common.ts";
import { errorText, formatTime, formatWhen, lang, t } from "./i18n.ts";

const EVENT_KEY = "guestlist.live.event";
const app = document.getElementById("app")!;
const supabase = supabaseClient(true);
const client = api(supabase);

let event: MyEvent | null = null;
let dashboard: Dashboard | null = null;
let stats: GuestStats | null = null;
let statsAt = 0;
/** The night's gender ratio and age bands (event_guest_stats), at most every 30 seconds. */
function refreshStats(eventId: string) {
  if (Date.now() - statsAt < 30_000) return;
  statsAt = Date.now();
  void client.call("event_guest_stats", { p_event_id: eventId }).then((s) => {
    if (event?.id !== eventId) return;
    stats = s;
    render();
  }).catch(() => {});
}
let state: ConnectionState = "connecting";
let unsubscribe: (() => Promise<void>) | null = null;
let view: () => void = () => {};
let announceForm: HTMLElement | null = null;
let list: EventList | null = null;
let found: { id: string; name: string; status: string }[] = [];

const SVG = "http://www.w3.org/2000/svg";
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Grouped bars per 15-minute slot: registrations and arrivals. */
function chart(d: Dashboard): Node {
  const slots = new Map<number, { r: number; a: number }>();
  for (const x of d.registrations_per_15_min) slots.set(Date.parse(x.slot), { r: x.registrations, a: slots.get(Date.parse(x.slot))?.a ?? 0 });
  for (const x of d.arrivals_per_15_min) slots.set(Date.parse(x.slot), { r: slots.get(Date.parse(x.slot))?.r ?? 0, a: x.arrivals });
  const rows = [...slots.entries()].sort((a, b) => a[0] - b[0]).slice(-24);
  if (rows.length === 0) return h("p", { id: "chart-empty" }, t("chart_empty"));
  const W = 640, H = 220, pad = 28, bw = Math.min(64, (W - pad) / rows.length);
  const max = Math.max(1, ...rows.map(([, v]) => Math.max(v.r, v.a)));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H + 30}`, role: "img", "aria-labelledby": "chart-title", id: "chart" });
  root.append(svg("title", { id: "chart-svg-title" }, t("chart_title")));
  root.append(svg("line", { x1: pad, y1: H, x2: W, y2: H, stroke: "#444" }));
  root.append(svg("text", { x: 0, y: 12, "font-size": 12, fill: "#111" }, String(max)));
  rows.forEach(([slot, v], i) => {
    const x = pad + i * bw;
    const bar = (n: number, dx: number, color: string, label: string) => {
      const height = (n / max) * (H - 20);
      const rect = svg("rect", { x: x + dx, y: H - height, width: Math.max(1, bw / 2 - 3), height, fill: color });
      rect.append(svg("title", {}, `${formatTime(new Date(slot).toISOString())} ${label}: ${n}`));
      root.append(rect);
    };
    bar(v.r, 2, "#1a4fd6", t("chart_registrations"));
    bar(v.a, bw / 2, "#0b6b2e", t("chart_arrivals"));
    if (rows.length <= 12 || i % Math.ceil(rows.length / 12) === 0) {
      root.append(svg("text", { x: x + 2, y: H + 16, "font-size": 11, fill: "#111" }, formatTime(new Date(slot).toISOString())));
    }
  });
  return root;
}

function stateBadge() {
  const key = state === "live" ? "state_live" : state === "offline" ? "state_offline" : "state_connecting";
  return h("span", { class: "state", id: "connection", "data-state": state, role: "status", "aria-live": "polite" }, t(key));
}

/**
 * Owners and admins announce to the night's team (the event-broadcast function; the database
 * decides who may). Built once per night, so a redraw of the dashboard keeps what is typed.
 */
function announcementForm(e: MyEvent): HTMLElement | null {
  if (e.role !== "owner" && e.role !== "admin") return null;
  const kind = h("select", { id: "announce-kind", name: "announce-kind" },
    ...(["message", "closing_soon", "capacity_reached"] as const).map((k) => h("option", { value: k }, t(`kind_${k}`))));
  const text = h("input", { id: "announce-message", name: "announce-message", maxlength: 280, required: true, autocomplete: "off" });
  const status = h("p", { class: "message", id: "announce-status", role: "status", "aria-live": "polite" });
  kind.addEventListener("change", () => {
    if (!text.value || text.dataset.auto) { text.value = kind.value === "message" ? "" : t(`kind_${kind.value}` as "kind_message"); text.dataset.auto = "1"; }
  });
  text.addEventListener("input", () => { delete text.dataset.auto; });
  const submit = h("button", { type: "submit", class: "primary", id: "announce-send" }, t("announce_send"));
  const form = h("form", { class: "card", id: "announce-form", novalidate: true, lang: lang() },
    h("h2", {}, t("announce_title")),
    h("div", { class: "field" }, h("label", { for: "announce-kind" }, t("announce_kind")), kind),
    h("div", { class: "field" }, h("label", { for: "announce-message" }, t("announce_message")), text),
    submit, status);
  const run = once(submit, async () => {
    clearMessage(status);
    try {
      const sent = await client.invoke("event-broadcast", { event_id: e.id, kind: kind.value, message: text.value });
      text.value = "";
      showInfo(status, t("announce_sent", { time: formatTime(sent.sent_at) }));
    } catch (err) {
      showError(status, err);
    }
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); void run(); });
  return form;
}

/** Runs a list action, shows its error or `done`, then reloads the list and the dashboard. */
async function listAct(action: () => Promise<unknown>, done?: string) {
  const msg = document.getElementById("list-message")!;
  clearMessage(msg);
  try {
    await action();
    await loadList();
    if (done) showInfo(document.getElementById("list-message")!, done);
  } catch (e) {
    showError(msg, e);
  }
}

async function loadList() {
  if (!event) return;
  list = await client.call("event_list", { p_event_id: event.id });
  dashboard = await client.eventDashboard(event.id);
  render();
}

/** The night's list on /live: add a guest by hand, approve or refuse, the waiting list, revoke with a reason. */
function listSection(): Node {
  const e = event!;
  const name = h("input", { id: "add-name", required: true, maxlength: "200", autocomplete: "off" }) as HTMLInputElement;
  const phone = h("input", { id: "add-phone", type: "tel", inputmode: "tel", autocomplete: "off" }) as HTMLInputElement;
  const source = h("select", { id: "add-source" }, ...(["door", "organiser", "vip"] as const).map((x) =>
    h("option", { value: x }, t(`source_${x}`)))) as HTMLSelectElement;
  const plus = h("input", { id: "add-plus", type: "number", min: "0", max: String(list?.plus_ones_max ?? 0), value: "0", inputmode: "numeric" }) as HTMLInputElement;
  const promoters = dashboard?.by_promoter ?? [];
  const promoter = h("select", { id: "add-promoter" }, ...promoters.map((p) => h("option", { value: p.promoter_id }, p.display_name))) as HTMLSelectElement;
  const field = (id: string, key: Parameters<typeof t>[0], control: Node) => h("div", { class: "field" }, h("label", { for: id }, t(key)), control);
  const submit = h("button", { type: "submit" }, t("add_guest"));
  const addForm = h("form", { id: "add-guest", class: "inline-form", "aria-label": t("add_guest"), novalidate: true }, // the server's sentence, in view
    field("add-name", "guest_name", name), field("add-phone", "guest_phone", phone), field("add-source", "source", source),
    field("add-promoter", "promoter", promoter), field("add-plus", "plus_ones_col", plus), submit);
  const add = once(submit, () => listAct(() => client.call("add_guest_by_hand", {
    p_event_id: e.id, p_name: name.value, p_phone: phone.value, p_promoter_id: promoter.value, p_source: source.value,
    p_plus_ones: Number(plus.value || 0),
  }), t("guest_added", { name: name.value })));
  addForm.addEventListener("submit", (ev) => { ev.preventDefault(); void add(); });

  const revoke = (id: string, who: string) => {
    const reason = (document.getElementById(`reason-${id}`) as HTMLInputElement | null)?.value ?? "";
    if (!confirm(t("revoke_confirm", { name: who }))) return;
    void listAct(() => client.call("revoke_guest", { p_event_id: e.id, p_guest_id: id, p_reason: reason }), t("revoked"));
  };
  const revokeControls = (id: string, who: string) => h("span", { class: "row" },
    h("label", { for: `reason-${id}`, class: "sr-only" }, `${t("revoke_reason")} · ${who}`),
    h("input", { id: `reason-${id}`, placeholder: t("revoke_reason"), maxlength: "200" }),
    h("button", { type: "button", class: "secondary small", "data-revoke": id, onclick: () => revoke(id, who) }, t("revoke")));
  const statusText = (s: string) => s === "waiting" ? t("waiting_col") : s === "pending" ? t("pending_col")
    : s === "revoked" ? t("revoked") : t("registered");
  const rows = (list?.guests ?? []).map((g) => h("tr", { "data-guest": g.guest_id, "data-status": g.status },
    h("td", {}, g.name), h("td", {}, statusText(g.status)), h("td", { class: "n" }, `+${g.plus_ones}`),
    h("td", {}, g.source === "link" ? g.promoter : `${t(`source_${g.source}` as Parameters<typeof t>[0])} · ${g.promoter}`),
    h("td", {}, g.status === "pending"
      ? h("span", { class: "row" },
        h("button", { type: "button", class: "small", "data-approve": g.guest_id, onclick: () => void listAct(() => client.call("decide_pending_guest", { p_event_id: e.id, p_guest_id: g.guest_id, p_approve: true })) }, t("approve")),
        h("button", { type: "button", class: "secondary small", "data-refuse": g.guest_id, onclick: () => void listAct(() => client.call("decide_pending_guest", { p_event_id: e.id, p_guest_id: g.guest_id, p_approve: false })) }, t("refuse")))
      : g.status === "revoked" ? (g.revoked_reason ?? "") : revokeControls(g.guest_id, g.name))));

  const query = h("input", { id: "find-query", type: "search", minlength: "2", maxlength: "100" }) as HTMLInputElement;
  const findForm = h("form", { id: "find-guest", class: "inline-form", "aria-label": t("find_guest") },
    field("find-query", "find_guest", query), h("button", { type: "submit", class: "secondary" }, t("find_search")));
  findForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void listAct(async () => {
      // find_guests answers the list itself (FoundGuest[]), as the door reads it.
      const r = await client.call("find_guests", { p_event_id: e.id, p_query: query.value });
      found = r.map((g) => ({ id: g.guest_id, name: `${g.first_name ?? ""} ${g.last_name ?? ""}`.trim(), status: g.status }));
    });
  });
  const tot = list?.totals;
  return h("section", { class: "card", id: "the-list" },
    h("h2", {}, t("list_title")),
    h("p", { id: "list-totals" }, tot ? `${t("places")}: ${tot.places}${list!.capacity === null ? "" : ` / ${list!.capacity}`} · ${t("waiting_col")}: ${tot.waiting} · ${t("pending_col")}: ${tot.pending}` : t("loading")),
    keep("list-message"),
    addForm,
    rows.length ? h("table", { id: "list-guests" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("guest_name")), h("th", { scope: "col" }, t("status_col")),
        h("th", { scope: "col", class: "n" }, t("plus_ones_col")), h("th", { scope: "col" }, t("promoter")), h("th", { scope: "col" }, t("revoke")))),
      h("tbody", {}, ...rows)) : null,
    findForm,
    found.length ? h("ul", { id: "found" }, ...found.map((g) => h("li", { "data-guest": g.id }, `${g.name} · ${statusText(g.status)} `,
      g.status === "revoked" ? null : revokeControls(g.id, g.name)))) : null);
}

/**
 * A message region carried over from the screen being redrawn: a broadcast redraws the page
 * (a revoke's own guest_revoked message among them), and what the last action said stays.
 */
function keep(id: "message" | "list-message"): HTMLElement {
  return document.getElementById(id) ?? h("p", { class: "message", id, role: "alert", "aria-live": "assertive" });
}

function render() {
  if (!event) return;
  if (announceForm && announceForm.lang !== lang()) announceForm = announcementForm(event); // the language switched
  const d = dashboard;
  const table = (head: string, rows: { name: string; registered: number; checked_in: number }[], id: string) =>
    h("table", { id },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, head), h("th", { scope: "col", class: "n" }, t("registered")), h("th", { scope: "col", class: "n" }, t("arrived")))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, h("td", {}, r.name), h("td", { class: "n" }, String(r.registered)), h("td", { class: "n" }, String(r.checked_in))))));
  app.replaceChildren(
    h("section", { class: "card" },
      h("div", { class: "row spread" }, h("h1", {}, event.name), stateBadge()),
      h("p", {}, formatWhen(event.starts_at)),
      keep("message"),
      h("div", { class: "row" },
        h("button", { type: "button", class: "link inline", onclick: () => void choose(null) }, t("change_event")),
        h("button", { type: "button", class: "link inline", id: "sign-out", onclick: () => void signOut() }, t("sign_out")))),
    ...(announceForm ? [announceForm] : []),
    h("div", { class: "totals", id: "totals" },
      h("div", {}, h("strong", { id: "total-registered" }, d ? String(d.totals.registered) : "–"), t("registered")),
      h("div", {}, h("strong", { id: "total-arrived" }, d ? String(d.totals.checked_in) : "–"), t("arrived")),
      h("div", {}, h("strong", { id: "total-capacity" }, d ? (d.event.capacity === null ? "∞" : String(d.event.capacity)) : "–"),
        d?.event.capacity === null ? `${t("capacity")} (${t("no_capacity")})` : t("capacity"))),
    h("section", { class: "card chart" },
      h("h2", { id: "chart-title" }, t("chart_title")),
      h("div", { class: "legend" },
        h("span", {}, h("span", { class: "swatch", style: "background:#1a4fd6" }), t("chart_registrations")),
        h("span", {}, h("span", { class: "swatch", style: "background:#0b6b2e" }), t("chart_arrivals"))),
      d ? chart(d) : h("p", {}, t("loading"))),
    h("div", { class: "grid2" },
      h("section", { class: "card" }, h("h2", {}, t("by_promoter")),
        table(t("promoter"), (d?.by_promoter ?? []).map((p) => ({ name: p.display_name, ...p })), "by-promoter")),
      h("section", { class: "card" }, h("h2", {}, t("by_team")),
        table(t("team_col"), (d?.by_team ?? []).map((x) => ({ ...x, name: x.name })), "by-team")),
      h("section", { class: "card" }, h("h2", {}, t("arrivals_feed")),
        d && d.latest_arrivals.length
          ? h("ul", { class: "feed", id: "arrivals" }, ...d.latest_arrivals.map((a) =>
            h("li", {}, h("strong", {}, formatTime(a.checked_in_at)), ` ${a.first_name}${a.last_initial ? ` ${a.last_initial}.` : ""} · ${a.promoter}`)))
          : h("p", { id: "arrivals" }, t("no_arrivals"))),
      statsSection(stats)),
    listSection(),
  );
}

async function signOut() {
  await unsubscribe?.();
  unsubscribe = null;
  await supabase.auth.signOut();
  event = null;
  void route();
}

async function choose(e: MyEvent | null) {
  await unsubscribe?.();
  unsubscribe = null;
  dashboard = null;
  stats = null;
  statsAt = 0;
  list = null;
  found = [];
  event = e;
  announceForm = e ? announcementForm(e) : null;
  if (!e) { localStorage.removeItem(EVENT_KEY); return void route(); }
  view = render;
  state = "connecting";
  render();
  unsubscribe = subscribeToEvent(supabase, client, e.id, {
    onDashboard: (d) => { dashboard = d; render(); refreshStats(e.id); void loadList().catch(() => {}); },
    onState: (s) => {
      state = s;
      const badge = document.getElementById("connection");
      if (badge) badge.replaceWith(stateBadge());
    },
    onError: (err) => { const m = document.getElementById("message"); if (m) showError(m, err); },
  });
}

async function route() {
  const { data } = await supabase.auth.getSession();
  if (!data.session) { view = () => signInForm(app, supabase, () => void route()); return view(); }
  const saved = localStorage.getItem(EVENT_KEY);
  if (saved) {
    try {
      const e = (await client.myEvents()).find((x) => x.id === saved);
      if (e) return choose(e);
    } catch { /* the picker shows the error */ }
  }
  view = () => void pickEvent(app, client, EVENT_KEY, (e) => void choose(e));
  view();
}

mountLangSwitch(() => {
  view();
  // An error kept through the redraw is said again in the new language.
  for (const id of ["message", "list-message"]) {
    const el = document.getElementById(id);
    const shown = el ? shownError(el) : null;
    if (el && shown) el.textContent = errorText(shown.code, shown.retryAfter);
  }
});
void route();
