// The promoter's page, /promoter: their links to published nights, the running and upcoming ones
// first (URL and QR, copy and share buttons), with the link's opens, registered and arrived guests
// and the conversion between them, the night's latest announcement, and a night's feed of their
// own guests (a team leader: the team's), live from the private Realtime topics promoter:<id> and
// team:<id>, which RLS opens to them alone.
import type { RealtimeChannel } from "@supabase/supabase-js";
import type { PromoterFeed as Feed, GuestStats, PromoterLink as Link, PromoterOverview as Overview } from "../../answers.ts";
import { qrSvg } from "../../qr.ts";
import { api, h, mountLangSwitch, showError, signInForm, statsSection, supabaseClient } from "./common.ts";
import { announcementView } from "./announcements.ts";
import { formatTime, formatWhen, lang, t } from "./i18n.ts";
import { m } from "./manage-i18n.ts";

const app = document.getElementById("app")!;
const supabase = supabaseClient(true);
const client = api(supabase);
let view: () => void = () => {};
let overview: Overview | null = null;
let feed: Feed | null = null;
let stats: GuestStats | null = null;
let selected: string | null = null;
let channels: RealtimeChannel[] = [];
let live: "connecting" | "live" | "offline" = "connecting";

const message = () => document.getElementById("message") as HTMLElement;

async function refresh() {
  try {
    overview = await client.call("promoter_overview");
    if (selected) {
      [feed, stats] = await Promise.all([client.call("promoter_event_feed", { p_event_id: selected }),
        client.call("event_guest_stats", { p_event_id: selected })]);
    }
    render();
  } catch (e) {
    showError(message(), e);
  }
}

async function subscribe() {
  for (const c of channels) await supabase.removeChannel(c);
  await supabase.realtime.setAuth();
  const topics = [...overview!.promoters.map((p) => `promoter:${p.id}`), ...overview!.teams.map((x) => `team:${x.id}`)];
  channels = topics.map((topic) => supabase.channel(topic, { config: { private: true } })
    .on("broadcast", { event: "guest_registered" }, () => void refresh())
    .on("broadcast", { event: "guest_checked_in" }, () => void refresh())
    // A pass promoted from the waiting list, approved, refused or revoked: the counts change.
    .on("broadcast", { event: "guest_status" }, () => void refresh())
    .on("broadcast", { event: "guest_revoked" }, () => void refresh())
    .on("broadcast", { event: "announcement" }, () => void refresh())
    .subscribe((status) => {
      live = status === "SUBSCRIBED" ? "live" : status === "CHANNEL_ERROR" || status === "CLOSED" || status === "TIMED_OUT" ? "offline" : live;
      if (status === "SUBSCRIBED") void refresh(); // catch up on anything missed while away
      const badge = document.getElementById("connection");
      if (badge) badge.replaceWith(stateBadge());
    }));
}

function stateBadge() {
  const key = live === "live" ? "state_live" : live === "offline" ? "state_offline" : "state_connecting";
  return h("span", { class: "state", id: "connection", "data-state": live, role: "status", "aria-live": "polite" }, t(key));
}

/** Shares the link with the phone's share sheet where there is one, or copies it; says which happened. */
async function share(url: string, night: string, useSheet: boolean) {
  const status = document.getElementById("copy-status")!;
  try {
    if (useSheet && navigator.share) {
      await navigator.share({ title: night, url });
      return;
    }
    await navigator.clipboard.writeText(url);
    status.textContent = m("copied");
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") return; // the sheet was closed
    status.textContent = m("share_failed");
  }
}

const percent = (part: number, whole: number) =>
  whole > 0 ? new Intl.NumberFormat(lang() === "pt" ? "pt-PT" : "en-GB", { style: "percent", maximumFractionDigits: 0 }).format(part / whole) : "–";

function render() {
  const o = overview!;
  view = render;
  const mine = new Set(o.promoters.map((p) => p.id));
  // The newest announcement of any of the nights, at the top.
  const latest = o.links.map((l) => l.announcement).filter((a) => a !== null)
    .sort((a, b) => Date.parse(b.sent_at) - Date.parse(a.sent_at))[0] ?? null;
  const group = (links: Link[], title: string) => links.length === 0 ? null : h("section", { class: "card" }, h("h2", {}, title),
    h("ul", { class: "links" }, ...links.map((l) => {
      const url = `${location.origin}${l.path}`;
      const qr = h("div", { class: "link-qr" });
      qr.innerHTML = qrSvg(url, { title: url });
      return h("li", { class: "link-row", "data-event": l.event.slug },
        qr,
        h("div", {},
          h("strong", {}, l.event.name), ` · ${l.promoter.display_name}`,
          h("p", {}, formatWhen(l.event.starts_at)),
          h("p", { class: "url" }, h("a", { href: url }, url)),
          h("dl", { class: "counts", "aria-label": m("link_stats", { night: l.event.name }) },
            h("div", {}, h("dt", {}, m("opens")), h("dd", { class: "opens" }, String(l.opens))),
            h("div", {}, h("dt", {}, t("registered")), h("dd", {}, h("span", { class: "registered" }, String(l.registered)),
              ` (${m("of_opens", { pct: percent(l.registered, l.opens) })})`)),
            h("div", {}, h("dt", {}, t("arrived")), h("dd", {}, h("span", { class: "arrived" }, String(l.checked_in)),
              ` (${m("of_registered", { pct: percent(l.checked_in, l.registered) })})`))),
          l.announcement ? h("p", { class: "announcement" }, h("strong", {}, `${t("announcement")} · ${formatTime(l.announcement.sent_at)}: `), l.announcement.message) : null,
          h("div", { class: "row" },
            h("button", { type: "button", class: "secondary small", "data-action": "copy", onclick: () => void share(url, l.event.name, false) }, m("copy")),
            h("button", { type: "button", class: "secondary small", "data-action": "share", onclick: () => void share(url, l.event.name, true) }, m("share"))),
          h("button", { type: "button", class: "secondary small", onclick: () => { selected = l.event.id; void refresh(); } }, m("pick_link"))));
    })));
  const parts: (Node | null)[] = [
    h("section", { class: "card" }, h("div", { class: "row spread" }, h("h1", {}, m("promoter_title")), stateBadge()),
      h("p", { class: "message", id: "message", role: "alert", "aria-live": "assertive" }),
      latest ? announcementView(latest) : null,
      h("p", { class: "message", id: "copy-status", role: "status", "aria-live": "polite" }),
      h("button", { type: "button", class: "link inline", id: "sign-out", onclick: () => void signOut() }, t("sign_out"))),
    o.links.length === 0 ? h("p", { class: "card" }, m("no_promoter_links")) : null,
    group(o.links.filter((l) => mine.has(l.promoter.id)), m("your_links")),
    group(o.links.filter((l) => !mine.has(l.promoter.id)), m("team_links")),
    feed ? h("section", { class: "card", id: "feed" },
      h("h2", {}, `${m("guests_of_night")} · ${feed.event.name}`),
      h("div", { class: "totals" },
        h("div", {}, h("strong", { id: "feed-registered" }, String(feed.totals.registered)), t("registered")),
        h("div", {}, h("strong", { id: "feed-arrived" }, String(feed.totals.checked_in)), t("arrived")),
        feed.totals.waiting ? h("div", {}, h("strong", { id: "feed-waiting" }, String(feed.totals.waiting)), t("waiting_col")) : null),
      feed.guests.length
        ? h("ul", { class: "feed", id: "guests" }, ...feed.guests.map((g) => h("li", {},
          h("strong", {}, `${g.first_name ?? "—"}${g.last_initial ? ` ${g.last_initial}.` : ""}`),
          ` · ${g.promoter} · `, g.checked_in_at ? m("arrived_at", { time: formatTime(g.checked_in_at) }) : m("registered_at", { time: formatTime(g.registered_at) }),
          // A pass that holds no place says so: it is not counted above.
          g.status === "waiting" || g.status === "pending" || g.status === "revoked" ? ` · ${t(`reason_${g.status}`)}` : "")))
        : h("p", {}, m("no_guests"))) : null,
    feed ? statsSection(stats) : null];
  app.replaceChildren(...parts.filter((x): x is Node => x !== null));
}

async function signOut() {
  for (const c of channels) await supabase.removeChannel(c);
  channels = [];
  await supabase.auth.signOut();
  void route();
}

async function route() {
  const { data } = await supabase.auth.getSession();
  if (!data.session) { view = () => signInForm(app, supabase, () => void route()); return view(); }
  app.replaceChildren(h("p", { class: "message", id: "message", role: "alert", "aria-live": "assertive" }));
  try {
    overview = await client.call("promoter_overview");
    selected = overview.links[0]?.event.id ?? null;
    if (selected) {
      [feed, stats] = await Promise.all([client.call("promoter_event_feed", { p_event_id: selected }),
        client.call("event_guest_stats", { p_event_id: selected })]);
    }
    render();
    await subscribe();
  } catch (e) {
    showError(message(), e);
  }
}

mountLangSwitch(() => view());
void route();
