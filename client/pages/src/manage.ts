// The organiser's management page, /manage (owners and admins): organisations, nights (create,
// edit with the version check, duplicate, publish, CSV), promoter links with their URL and QR,
// promoters, teams and members (roles, invitations). Every rule is the database's
// (docs/manage.md); this page only calls it and shows the answers. It is also where an
// invitation link lands: /manage?invitation=<token>, signed in by Auth's link.
import type { Ban, EventRow, Org, Overview } from "../../answers.ts";
import { qrSvg } from "../../qr.ts";
import { api, clearMessage, h, mountLangSwitch, once, reveal, showError, showInfo, shownError, signInForm, supabaseClient } from "./common.ts";
import { formatWhen, lang, t } from "./i18n.ts";
import { m, type MKey } from "./manage-i18n.ts";

const ORG_KEY = "guestlist.manage.org";
const app = document.getElementById("app")!;
const supabase = supabaseClient(true);
const client = api(supabase);
let view: () => void = () => {};
let org: Org | null = null;
let overview: Overview | null = null;
let editing: string | null = null; // event id being edited, "new" for a new one
let bans: Ban[] = [];

const message = () => document.getElementById("message") as HTMLElement;
const ROLES = ["owner", "admin", "staff", "promoter"] as const;
const roleName = (r: string) => m(`role_${r}` as MKey);

function input(id: string, label: MKey, attrs: Record<string, string | boolean | undefined> = {}, help?: MKey) {
  const helpId = help ? `${id}-help` : undefined;
  return h("div", { class: "field" }, h("label", { for: id }, m(label)),
    h("input", { id, name: id, "aria-describedby": helpId, ...attrs }),
    help ? h("p", { class: "help", id: helpId! }, m(help)) : null);
}
function select(id: string, label: MKey, options: [string, string][], value?: string) {
  const s = h("select", { id, name: id }, ...options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
  return h("div", { class: "field" }, h("label", { for: id }, m(label)), s);
}
const val = (root: ParentNode, id: string) => (root.querySelector(`#${id}`) as HTMLInputElement | HTMLSelectElement).value;
const messageP = () => h("p", { class: "message", id: "message", role: "alert", "aria-live": "assertive" });

/** Runs a change, shows its error or "saved", then reloads the overview and redraws. */
async function act(action: () => Promise<unknown>, done?: string | (() => string)) {
  clearMessage(message());
  try {
    await action();
    await load();
    render();
    showInfo(message(), (typeof done === "function" ? done() : done) ?? m("saved"));
  } catch (e) {
    showError(message(), e);
  }
}

/** A destructive change runs only once the person confirms it (the browser's own dialog). */
const confirmed = (question: string) => window.confirm(question);

async function load() {
  [overview, bans] = await Promise.all([
    client.call("organization_overview", { p_organization_id: org!.id }),
    client.call("organization_bans", { p_organization_id: org!.id }),
  ]);
}

/** A value for <input type="datetime-local"> from an ISO time, in the device's time zone. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
const fromLocalInput = (v: string) => (v ? new Date(v).toISOString() : null);

/** A slug from a name: lower case, accents dropped, words joined by hyphens. */
const slugify = (s: string) =>
  s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 100);

// ---------------------------------------------------------------------------------------------
// Nights
// ---------------------------------------------------------------------------------------------

function eventForm(ev: EventRow | null): HTMLFormElement {
  const now = new Date(Date.now() + 86400000);
  now.setHours(23, 0, 0, 0);
  const starts = ev?.starts_at ?? now.toISOString();
  const ends = ev?.ends_at ?? new Date(Date.parse(starts) + 7 * 3600000).toISOString();
  const closes = ev?.guest_list_closes_at ?? new Date(Date.parse(starts) + 2 * 3600000).toISOString();
  const submit = h("button", { type: "submit", class: "primary" }, m("save"));
  const form = h("form", { class: "card", id: "event-form", novalidate: true },
    h("h3", {}, m(ev ? "edit_event" : "new_event")),
    input("ev-name", "event_name", { required: true, maxlength: "200", value: ev?.name ?? "" }),
    input("ev-slug", "event_slug", { required: true, maxlength: "100", value: ev?.slug ?? "", autocapitalize: "none" }, "event_slug_help"),
    input("ev-venue", "venue", { maxlength: "200", value: ev?.venue ?? "" }),
    input("ev-starts", "starts_at", { type: "datetime-local", required: true, value: toLocalInput(starts) }),
    input("ev-ends", "ends_at", { type: "datetime-local", required: true, value: toLocalInput(ends) }),
    input("ev-closes", "closes_at_label", { type: "datetime-local", required: true, value: toLocalInput(closes) }),
    input("ev-capacity", "capacity_label", { type: "number", min: "1", inputmode: "numeric", value: ev?.capacity == null ? "" : String(ev.capacity) }),
    h("div", { class: "field check" }, h("input", { type: "checkbox", id: "ev-published", checked: ev?.is_published ?? false }),
      h("label", { for: "ev-published" }, m("published"))),
    submit,
    h("button", { type: "button", class: "link", onclick: () => { editing = null; render(); } }, m("cancel")));
  const name = form.querySelector("#ev-name") as HTMLInputElement;
  const slug = form.querySelector("#ev-slug") as HTMLInputElement;
  if (!ev) name.addEventListener("input", () => { if (!slug.dataset.touched) slug.value = slugify(name.value); });
  slug.addEventListener("input", () => { slug.dataset.touched = "1"; });
  const run = once(submit, () => act(async () => {
    const capacity = val(form, "ev-capacity");
    const fields = {
      p_slug: val(form, "ev-slug").trim(), p_name: val(form, "ev-name"), p_venue: val(form, "ev-venue") || null,
      p_starts_at: fromLocalInput(val(form, "ev-starts")), p_ends_at: fromLocalInput(val(form, "ev-ends")),
      p_guest_list_closes_at: fromLocalInput(val(form, "ev-closes")), p_capacity: capacity ? Number(capacity) : null,
      p_is_published: (form.querySelector("#ev-published") as HTMLInputElement).checked,
    };
    if (ev) await client.call("update_event", { p_event_id: ev.id, p_version: ev.version, ...fields });
    else await client.call("create_event", { p_organization_id: org!.id, ...fields });
    editing = null;
  }));
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return form;
}

function linkRow(ev: EventRow, l: EventRow["links"][number]) {
  const p = overview!.promoters.find((x) => x.id === l.promoter_id);
  const team = overview!.teams.find((x) => x.id === l.team_id);
  const url = `${location.origin}${l.path}`;
  const qr = h("div", { class: "link-qr" });
  qr.innerHTML = qrSvg(url, { title: url });
  return h("li", { class: "link-row", "data-promoter": p?.slug ?? "" },
    qr,
    h("div", {},
      h("strong", {}, p?.display_name ?? "?"), team ? ` · ${team.name}` : "",
      h("p", { class: "url" }, h("a", { href: url }, url)),
      h("div", { class: "row" },
        h("button", { type: "button", class: "secondary small", onclick: () => void navigator.clipboard?.writeText(url).then(() => showInfo(message(), m("copied"))) }, m("copy")),
        h("button", { type: "button", class: "link inline", "data-action": "unlink", onclick: () => {
          if (confirmed(m("confirm_unlink", { promoter: p?.display_name ?? "?", night: ev.name }))) void act(() => client.call("unlink_promoter", { p_event_id: ev.id, p_promoter_id: l.promoter_id }));
        } }, m("unlink")))));
}

function linkForm(ev: EventRow) {
  const id = `link-${ev.id}`;
  const submit = h("button", { type: "submit", class: "secondary" }, m("link_promoter"));
  const form = h("form", { class: "inline-form", "data-form": "link", "aria-label": m("link_promoter") },
    select(`${id}-promoter`, "promoters", overview!.promoters.map((p) => [p.id, p.display_name])),
    select(`${id}-team`, "teams", [["", m("no_team")], ...overview!.teams.map((t) => [t.id, t.name] as [string, string])]),
    submit);
  const run = once(submit, () => act(() => client.call("link_promoter", {
    p_event_id: ev.id, p_promoter_id: val(form, `${id}-promoter`), p_team_id: val(form, `${id}-team`) || null,
  })));
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return form;
}

/** The night's pace of new guests (set_event_registration_limit), raised for a viral night. */
function paceForm(ev: EventRow) {
  const id = `pace-${ev.id}`;
  const submit = h("button", { type: "submit", class: "secondary" }, m("save_pace"));
  const form = h("form", { class: "inline-form", "data-form": "pace", "aria-label": m("pace") },
    input(id, "pace", { type: "number", min: "1", max: "100000", step: "1", required: true, inputmode: "numeric",
      value: String(ev.registrations_per_minute) }, "pace_help"),
    submit);
  const run = once(submit, () => act(() => client.call("set_event_registration_limit", {
    p_event_id: ev.id, p_per_minute: Number(val(form, id)),
  })));
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return form;
}

/**
 * What the night asks new guests besides their names (set_event_questions): date of birth with
 * an optional minimum age, gender, city. The current choice is read with event_guest_stats.
 */
function questionsForm(ev: EventRow) {
  const id = (k: string) => `q-${k}-${ev.id}`;
  const box = (k: string, label: MKey) => h("div", { class: "field check" },
    h("input", { type: "checkbox", id: id(k), name: id(k) }), h("label", { for: id(k) }, m(label)));
  const submit = h("button", { type: "submit", class: "secondary" }, m("save_questions"));
  // novalidate: an out-of-range minimum age gets the page's sentence in view, not the browser's bubble.
  const form = h("form", { class: "inline-form", "data-form": "questions", novalidate: true },
    h("fieldset", {}, h("legend", {}, m("questions")),
      box("birth", "ask_birth_date"),
      input(id("age"), "min_age", { type: "number", min: "1", max: "99", step: "1", inputmode: "numeric" }, "min_age_help"),
      box("gender", "ask_gender"), box("city", "ask_city")),
    submit);
  const el = (k: string) => form.querySelector(`#${id(k)}`) as HTMLInputElement;
  // The saved choice arrives after the form shows: it never undoes what the organiser already changed.
  let touched = false;
  form.addEventListener("input", () => { touched = true; });
  form.addEventListener("change", () => { touched = true; });
  void client.call("event_guest_stats", { p_event_id: ev.id }).then((st) => {
    form.dataset.loaded = "true";
    if (touched) return;
    el("birth").checked = st.questions.birth_date;
    el("age").value = st.questions.min_age === null ? "" : String(st.questions.min_age);
    el("gender").checked = st.questions.gender;
    el("city").checked = st.questions.city;
  }).catch(() => {});
  const run = once(submit, () => act(() => client.call("set_event_questions", {
    p_event_id: ev.id, p_birth_date: el("birth").checked, p_min_age: el("age").value === "" ? null : Number(el("age").value),
    p_gender: el("gender").checked, p_city: el("city").checked,
  })));
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return form;
}

/** The night's list rules (set_event_list_rules): plus-ones, waiting list, approval. */
function listRulesForm(ev: EventRow) {
  const id = `rules-${ev.id}`;
  const submit = h("button", { type: "submit", class: "secondary" }, m("save_rules"));
  const check = (key: "waiting_list" | "requires_approval", on: boolean) =>
    h("div", { class: "field check" }, h("input", { type: "checkbox", id: `${id}-${key}`, checked: on }),
      h("label", { for: `${id}-${key}` }, m(key)));
  const form = h("form", { class: "inline-form", "data-form": "rules", "aria-label": m("list_rules") },
    input(`${id}-plus`, "plus_ones_max", { type: "number", min: "0", max: "20", step: "1", required: true, inputmode: "numeric",
      value: String(ev.plus_ones_max) }),
    check("waiting_list", ev.waiting_list), check("requires_approval", ev.requires_approval),
    submit);
  const on = (key: string) => (form.querySelector(`#${id}-${key}`) as HTMLInputElement).checked;
  const run = once(submit, () => act(() => client.call("set_event_list_rules", {
    p_event_id: ev.id, p_plus_ones_max: Number(val(form, `${id}-plus`)), p_waiting_list: on("waiting_list"),
    p_requires_approval: on("requires_approval"),
  })));
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return form;
}

/** A promoter's quota of places on the night (set_event_quota); empty removes it. */
function quotaForm(ev: EventRow) {
  const id = `quota-${ev.id}`;
  const submit = h("button", { type: "submit", class: "secondary" }, m("save_quota"));
  const linked = overview!.promoters.filter((p) => ev.links.some((l) => l.promoter_id === p.id));
  const current = h("ul", { class: "plain", id: `${id}-current` });
  void client.call("event_list", { p_event_id: ev.id }).then((l) => {
    current.replaceChildren(...l.quotas.map((q) => h("li", { "data-promoter": q.promoter_id ?? "" },
      m("quota_of", { name: q.name, taken: q.taken, places: q.places }))));
  }).catch(() => {});
  const form = h("form", { class: "inline-form", "data-form": "quota", "aria-label": m("quota") },
    current,
    select(`${id}-promoter`, "promoters", linked.map((p) => [p.id, p.display_name])),
    input(`${id}-places`, "quota_places", { type: "number", min: "1", step: "1", inputmode: "numeric" }),
    submit);
  const run = once(submit, () => act(() => client.call("set_event_quota", {
    p_event_id: ev.id, p_promoter_id: val(form, `${id}-promoter`), p_team_id: null as unknown as string,
    p_places: val(form, `${id}-places`) ? Number(val(form, `${id}-places`)) : null as unknown as number,
  })));
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return linked.length ? form : null;
}

/**
 * The night's list as CSV, headers in the page's language and times in this device's time zone
 * (the schema keeps none per venue; whoever exports is normally where the night happens).
 */
async function downloadCsv(ev: EventRow) {
  const csv = await client.call("export_guest_list", {
    p_event_id: ev.id, p_lang: lang(), p_time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  });
  const a = h("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" })), download: `${ev.slug}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
}

function eventCard(ev: EventRow) {
  if (editing === ev.id) return eventForm(ev);
  const nextSlug = () => {
    const d = new Date(Date.parse(ev.starts_at) + 7 * 86400000);
    return `${ev.slug.replace(/-\d{4}-\d{2}-\d{2}$/, "")}-${d.toISOString().slice(0, 10)}`;
  };
  return h("article", { class: "card event-card", "data-slug": ev.slug },
    h("div", { class: "row spread" }, h("h3", {}, ev.name), h("span", { class: ev.is_published ? "badge ok" : "badge" }, m(ev.is_published ? "is_published" : "draft"))),
    h("p", {}, `${formatWhen(ev.starts_at)}${ev.venue ? ` · ${ev.venue}` : ""}`),
    h("p", {}, ev.capacity === null ? m("registered_of", { registered: ev.registered }) : m("capacity_of", { registered: ev.registered, capacity: ev.capacity })),
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary small", onclick: () => { editing = ev.id; render(); } }, m("edit_event")),
      h("button", { type: "button", class: "secondary small", onclick: () => void act(() => client.call("duplicate_event", { p_event_id: ev.id, p_slug: nextSlug() })) }, m("duplicate")),
      h("button", { type: "button", class: "secondary small", "data-action": "export-csv", onclick: () => void downloadCsv(ev).catch((e) => showError(message(), e)) }, m("export_csv"))),
    paceForm(ev),
    questionsForm(ev),
    h("h4", {}, m("list_rules")), listRulesForm(ev), quotaForm(ev),
    h("h4", {}, m("links")),
    ev.links.length ? h("ul", { class: "links" }, ...ev.links.map((l) => linkRow(ev, l))) : h("p", {}, m("no_links")),
    overview!.promoters.length ? linkForm(ev) : null);
}

// ---------------------------------------------------------------------------------------------
// Promoters, teams, members
// ---------------------------------------------------------------------------------------------

function promotersSection() {
  const o = overview!;
  const submit = h("button", { type: "submit", class: "secondary" }, m("new_promoter"));
  const form = h("form", { class: "inline-form", id: "promoter-form" },
    input("pr-name", "display_name", { required: true, maxlength: "100" }),
    input("pr-slug", "promoter_slug", { required: true, maxlength: "100", autocapitalize: "none" }),
    submit);
  const name = form.querySelector("#pr-name") as HTMLInputElement;
  const slug = form.querySelector("#pr-slug") as HTMLInputElement;
  name.addEventListener("input", () => { if (!slug.dataset.touched) slug.value = slugify(name.value); });
  slug.addEventListener("input", () => { slug.dataset.touched = "1"; });
  const run = once(submit, () => act(() => client.call("create_promoter", {
    p_organization_id: org!.id, p_slug: val(form, "pr-slug").trim(), p_display_name: val(form, "pr-name"),
  })));
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return h("section", { class: "card", id: "promoters" }, h("h2", {}, m("promoters")),
    h("ul", { class: "plain" }, ...o.promoters.map((p) => h("li", {}, h("strong", {}, p.display_name), ` /p/${p.slug}/… · ${m(p.user_id ? "has_account" : "no_account")}`))),
    form);
}

function teamsSection() {
  const o = overview!;
  const name = (id: string) => o.promoters.find((p) => p.id === id)?.display_name ?? "?";
  const newTeam = h("button", { type: "submit", class: "secondary" }, m("new_team"));
  const teamForm = h("form", { class: "inline-form", id: "team-form" }, input("team-name", "team_name", { required: true, maxlength: "100" }), newTeam);
  const runTeam = once(newTeam, () => act(() => client.call("create_team", { p_organization_id: org!.id, p_name: val(teamForm, "team-name") })));
  teamForm.addEventListener("submit", (e) => { e.preventDefault(); void runTeam(); });
  return h("section", { class: "card", id: "teams" }, h("h2", {}, m("teams")),
    ...o.teams.map((t) => {
      const add = h("button", { type: "submit", class: "secondary small" }, m("add_to_team"));
      const form = h("form", { class: "inline-form" },
        select(`tm-${t.id}`, "promoters", o.promoters.map((p) => [p.id, p.display_name])),
        h("div", { class: "field check" }, h("input", { type: "checkbox", id: `tl-${t.id}` }), h("label", { for: `tl-${t.id}` }, m("leader"))),
        add);
      const run = once(add, () => act(() => client.call("set_team_member", {
        p_team_id: t.id, p_promoter_id: val(form, `tm-${t.id}`), p_member: true,
        p_is_leader: (form.querySelector(`#tl-${t.id}`) as HTMLInputElement).checked,
      })));
      form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
      return h("div", { class: "team" }, h("h3", {}, t.name),
        t.members.length
          ? h("ul", { class: "plain" }, ...t.members.map((x) => h("li", {}, name(x.promoter_id), x.is_leader ? ` (${m("leader")})` : "",
            " ", h("button", { type: "button", class: "link inline", "data-action": "remove-from-team", onclick: () => {
              if (confirmed(m("confirm_team_remove", { promoter: name(x.promoter_id), team: t.name }))) void act(() => client.call("set_team_member", { p_team_id: t.id, p_promoter_id: x.promoter_id, p_member: false }));
            } }, m("remove")))))
          : h("p", {}, m("team_members_none")),
        o.promoters.length ? form : null);
    }),
    teamForm);
}

function membersSection() {
  const o = overview!;
  const roles = ROLES.filter((r) => r !== "owner" || o.my_role === "owner");
  const free = o.promoters.filter((p) => !p.user_id);
  const invite = h("button", { type: "submit", class: "secondary" }, m("invite"));
  const result = h("div", { id: "invite-result", "aria-live": "polite" });
  const form = h("form", { class: "inline-form", id: "invite-form" },
    input("inv-email", "invite_email", { type: "email", required: true, autocomplete: "off" }),
    select("inv-role", "role", roles.map((r) => [r, roleName(r)]), "staff"),
    free.length ? select("inv-promoter", "invite_promoter", [["", "—"], ...free.map((p) => [p.id, p.display_name] as [string, string])]) : null,
    invite, result);
  const run = once(invite, async () => {
    clearMessage(message());
    result.replaceChildren();
    try {
      const email = val(form, "inv-email").trim();
      const answer = await client.invoke("invite-member", {
        organization_id: org!.id, email, role: val(form, "inv-role"),
        promoter_id: form.querySelector("#inv-promoter") ? val(form, "inv-promoter") || null : null,
      });
      await load();
      render();
      // The link is emailed to the invitee; the inviter never sees it.
      const sent = document.getElementById("invite-result")!;
      sent.replaceChildren(h("p", { id: "invite-sent" }, m("invite_sent", { email: answer.email })));
      reveal(sent);
    } catch (e) {
      showError(message(), e);
    }
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return h("section", { class: "card", id: "members" }, h("h2", {}, m("members")),
    h("ul", { class: "plain" }, ...o.members.map((x) => {
      const id = `role-${x.user_id}`;
      const s = h("select", { id, "aria-label": `${m("role")}: ${x.email}` }, ...ROLES.map((r) => h("option", { value: r, selected: r === x.role }, roleName(r))));
      const pick = h("div", { class: "promoter-pick", id: `pick-${x.user_id}`, "aria-live": "polite" });
      s.addEventListener("change", () => {
        pick.replaceChildren();
        if (s.value === "promoter") return pick.append(promoterPick(x, () => { s.value = x.role; }));
        void act(() => client.call("set_member_role", { p_organization_id: org!.id, p_user_id: x.user_id, p_role: s.value }));
      });
      return h("li", { class: "member" }, h("div", { class: "row spread" }, h("span", {}, x.email), h("span", { class: "row" }, s,
        h("button", { type: "button", class: "link inline", "data-action": "remove-member", onclick: () => {
          if (confirmed(m("confirm_remove_member", { email: x.email }))) void act(() => client.call("remove_member", { p_organization_id: org!.id, p_user_id: x.user_id }));
        } }, m("remove")))), pick);
    })),
    o.invitations.length ? h("ul", { class: "plain", id: "invitations" }, ...o.invitations.map((i) => h("li", { class: "row spread" },
      h("span", {}, `${i.email} · ${roleName(i.role)} · ${formatWhen(i.expires_at)}`),
      h("button", { type: "button", class: "link inline", "data-action": "revoke-invitation", onclick: () => {
        if (confirmed(m("confirm_revoke_invitation", { email: i.email }))) void act(() => client.call("revoke_invitation", { p_invitation_id: i.id }));
      } }, m("revoke_invitation"))))) : null,
    form);
}

/**
 * The organisation's banned numbers (ban_phone, organization_bans, unban_phone): add with a
 * reason after a confirmation, list (whole numbers for owners, masked for admins), lift one.
 */
function bansSection() {
  const submit = h("button", { type: "submit", class: "secondary" }, m("ban_add"));
  const form = h("form", { class: "inline-form", id: "ban-form", "aria-label": m("ban_add") },
    input("ban-phone", "ban_phone", { type: "tel", required: true, maxlength: "32", autocomplete: "off", inputmode: "tel" }),
    input("ban-reason", "ban_reason", { required: true, maxlength: "200" }),
    submit);
  const run = once(submit, async () => {
    const phone = val(form, "ban-phone").trim();
    if (!confirmed(m("confirm_ban", { phone }))) return;
    let revoked = 0;
    await act(async () => {
      revoked = (await client.call("ban_phone", { p_organization_id: org!.id, p_phone: phone, p_reason: val(form, "ban-reason") })).revoked;
    }, () => m("banned", { n: revoked }));
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return h("section", { class: "card", id: "bans" }, h("h2", {}, m("bans")), h("p", { class: "help" }, m("bans_help")),
    bans.length
      ? h("ul", { class: "plain", id: "ban-list" }, ...bans.map((b) => h("li", { class: "row spread ban", "data-phone": b.phone },
        h("span", {}, h("strong", {}, b.phone), ` · ${b.reason} · ${formatWhen(b.created_at)}${b.banned_by ? ` · ${m("banned_by", { who: b.banned_by })}` : ""}`),
        h("button", { type: "button", class: "link inline", "data-action": "unban", "aria-label": `${m("unban")}: ${b.phone}`, onclick: () => {
          if (confirmed(m("confirm_unban", { phone: b.phone }))) {
            void act(() => client.call("unban_phone", { p_organization_id: org!.id, p_ban_id: b.id }), m("unbanned"));
          }
        } }, m("unban")))))
      : h("p", { id: "ban-list-empty" }, m("bans_none")),
    form);
}

/**
 * Which promoter record a member becomes when their role changes to promoter: they then see that
 * record's guests, so the page asks (the database refuses a change that names none).
 */
function promoterPick(x: { user_id: string; email: string; promoter_id: string | null }, cancel: () => void) {
  const choices = overview!.promoters.filter((p) => !p.user_id || p.user_id === x.user_id);
  const id = `pick-promoter-${x.user_id}`;
  const close = () => { document.getElementById(`pick-${x.user_id}`)?.replaceChildren(); cancel(); };
  if (!choices.length) {
    return h("p", { class: "help" }, m("no_free_promoter"), " ",
      h("button", { type: "button", class: "link inline", onclick: close }, m("cancel")));
  }
  const submit = h("button", { type: "submit", class: "secondary small" }, m("make_promoter"));
  const form = h("form", { class: "inline-form", "data-form": "promoter-pick", "aria-label": m("which_promoter", { email: x.email }) },
    select(id, "which_promoter_label", [["", "—"], ...choices.map((p) => [p.id, p.display_name] as [string, string])], x.promoter_id ?? ""),
    submit, h("button", { type: "button", class: "link inline", onclick: close }, m("cancel")));
  const run = once(submit, () => act(() => client.call("set_member_role", {
    p_organization_id: org!.id, p_user_id: x.user_id, p_role: "promoter", p_promoter_id: val(form, id) || undefined,
  })));
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  return form;
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

function render() {
  if (!overview) return;
  const o = overview;
  view = render;
  app.replaceChildren(
    h("section", { class: "card" },
      h("div", { class: "row spread" }, h("h1", {}, o.organization.name), h("span", {}, roleName(o.my_role))),
      messageP(),
      h("div", { class: "row" },
        h("button", { type: "button", class: "link inline", id: "my-orgs", onclick: () => void showOrgs() }, m("my_orgs")),
        h("button", { type: "button", class: "link inline", id: "create-org", onclick: () => void showOrgs(true) }, m("create_org")),
        h("button", { type: "button", class: "link inline", id: "sign-out", onclick: () => void supabase.auth.signOut().then(() => route()) }, t("sign_out")))),
    h("section", { id: "events" }, h("div", { class: "row spread" }, h("h2", {}, m("events")),
      editing === null ? h("button", { type: "button", class: "secondary", id: "new-event", onclick: () => { editing = "new"; render(); } }, m("new_event")) : null),
      editing === "new" ? eventForm(null) : null,
      ...o.events.map(eventCard)),
    promotersSection(), teamsSection(), membersSection(), bansSection());
}

/** The organisations and the form to create one, from inside any organisation. */
async function showOrgs(create = false) {
  localStorage.removeItem(ORG_KEY);
  org = null;
  try {
    orgPicker(await client.call("my_organizations"));
    if (create) (document.getElementById("org-name") as HTMLInputElement).focus();
  } catch (e) {
    showError(message(), e);
  }
}

async function openOrg(o: Org) {
  org = o;
  localStorage.setItem(ORG_KEY, o.id);
  try {
    await load();
    render();
  } catch (e) {
    app.replaceChildren(h("section", { class: "card" }, messageP()));
    showError(message(), e);
  }
}

function orgPicker(orgs: Org[]) {
  const manageable = orgs.filter((o) => o.role === "owner" || o.role === "admin");
  const submit = h("button", { type: "submit", class: "primary" }, m("create_org"));
  const form = h("form", { id: "org-form" }, input("org-name", "org_name", { required: true, maxlength: "120" }), submit);
  const run = once(submit, async () => {
    try {
      const o = await client.call("create_organization", { p_name: val(form, "org-name") });
      await openOrg({ ...o, promoter_id: null });
    } catch (e) {
      showError(message(), e);
    }
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  view = () => orgPicker(orgs);
  app.replaceChildren(h("section", { class: "card" }, h("h1", {}, m("my_orgs")), messageP(),
    manageable.length ? h("ul", { class: "events" }, ...manageable.map((o) => h("li", {},
      h("button", { type: "button", class: "event", onclick: () => void openOrg(o) }, h("strong", {}, o.name), h("span", {}, roleName(o.role))))))
      : h("p", {}, m("no_manage_role")),
    orgs.some((o) => o.role === "promoter") ? h("p", {}, h("a", { href: "/promoter" }, m("go_promoter"))) : null),
  form);
}

function acceptInvitation(token: string) {
  view = () => acceptInvitation(token);
  const submit = h("button", { type: "submit", class: "primary" }, m("accept_invitation"));
  const form = h("form", { id: "accept-form" }, h("h1", {}, m("invited_title")), h("p", {}, m("invited_body")),
    input("new-password", "choose_password", { type: "password", autocomplete: "new-password", minlength: "8" }), messageP(), submit);
  const run = once(submit, async () => {
    clearMessage(message());
    const password = val(form, "new-password");
    if (password) {
      const { error } = await supabase.auth.updateUser({ password });
      if (error) return showError(message(), error);
    }
    try {
      const r = await client.call("accept_invitation", { p_token: token });
      history.replaceState(null, "", "/manage");
      if (r.role === "promoter") { location.href = "/promoter"; return; }
      if (r.role === "staff") { location.href = "/door"; return; }
      localStorage.setItem(ORG_KEY, r.organization_id);
      await route();
    } catch (e) {
      showError(message(), e);
    }
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  app.replaceChildren(form);
}

async function route() {
  // An Auth email link lands here with the session in the fragment (implicit flow).
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("access_token") && hash.get("refresh_token")) {
    await supabase.auth.setSession({ access_token: hash.get("access_token")!, refresh_token: hash.get("refresh_token")! });
    history.replaceState(null, "", location.pathname + location.search);
  }
  const { data } = await supabase.auth.getSession();
  if (!data.session) { view = () => signInForm(app, supabase, () => void route()); return view(); }
  const invitation = new URLSearchParams(location.search).get("invitation");
  if (invitation) return acceptInvitation(invitation);
  try {
    const orgs = await client.call("my_organizations");
    const saved = orgs.find((o) => o.id === localStorage.getItem(ORG_KEY) && (o.role === "owner" || o.role === "admin"));
    const only = orgs.filter((o) => o.role === "owner" || o.role === "admin");
    if (saved) return openOrg(saved);
    if (only.length === 1 && orgs.length === 1) return openOrg(only[0]);
    orgPicker(orgs);
  } catch (e) {
    app.replaceChildren(h("section", { class: "card" }, messageP()));
    showError(message(), e);
  }
}

mountLangSwitch(() => {
  const shown = document.getElementById("message") ? shownError(message()) : null;
  view();
  if (shown && document.getElementById("message")) showError(message(), shown); // the error stays, in the new language
});
void route();
