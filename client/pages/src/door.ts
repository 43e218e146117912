// The door scanner, /door: staff sign in, pick the night, and scan passes with the camera
// (BarcodeDetector where the browser has it, jsQR on camera frames otherwise), a hand-held
// scanner that types like a keyboard (every scan ends with Enter; scans are taken however fast
// they come), or a typed short code; or find a guest by name or code and check them in.
//
// Every scan gets a fresh nonce and goes into a queue kept on the device, sent in order; each
// gets its own verdict, with sound and vibration. When the night opens the device downloads
// the door list (door_list: sha256 of each pass's secret, its short code, first name and last
// initial, plus-ones, status, age), so that a scan made without network is judged here at once,
// as pretixSCAN does; such scans are uploaded together when the network returns (door_sync), once
// per nonce and with the time each was taken (`scanned_at`, which the server records as the
// arrival's time), and the server's verdict (a conflict when another device admitted the same
// pass) replaces the device's in the list of recent scans. On a night that asks the date of
// birth, every verdict and search result shows the guest's age, "age not given", or that the
// guest is under the night's minimum age (in words, on a red or amber badge).
import { newNonce } from "../../api.ts";
import type { CheckIn as CheckInAnswer, DoorAge, MyEvent } from "../../schemas.ts";
import type { DoorList, FoundGuest } from "../../answers.ts";
import { ApiError } from "../../errors.ts";
import { normalizeCode, sha256Hex } from "../../passcode.ts";
import { api, clearMessage, h, mountLangSwitch, pickEvent, showError, showInfo, signInForm, supabaseClient } from "./common.ts";
import { followAnnouncements } from "./announcements.ts";
import { formatTime, t } from "./i18n.ts";

type Dir = "in" | "out";
type Verdict = CheckInAnswer["verdict"];
/**
 * A scan on the device: `local` is the verdict judged here when the network was gone; `held`, a
 * scan made offline before the night's list reached the device (sent for its verdict later).
 */
type Scan = { nonce: string; code: string; eventId: string; at: string; dir: Dir; local?: Verdict; held?: boolean };
/** The guest's age against the night's minimum, as the door shows it: words, and a level for colour. */
type AgeNote = { text: string; level: "ok" | "unknown" | "under" };
type Entry = DoorList["guests"][number];
type Prefs = { sound: boolean; vibration: boolean };

const QUEUE_KEY = "guestlist.door.queue";
const EVENT_KEY = "guestlist.door.event";
const PREFS_KEY = "guestlist.door.prefs";
const listKey = (eventId: string) => `guestlist.door.list.${eventId}`;

const app = document.getElementById("app")!;
document.body.classList.add("door");
const supabase = supabaseClient(true);
// A scan is retried twice at once on a network failure, then judged on the device.
const client = api(supabase, { retry: (f, attempt) => f.status !== 0 || attempt < 2 });

let event: MyEvent | null = null;
let view: () => void = () => {};
let dir: Dir = "in";
const recent: { nonce: string; verdict: Verdict | "queued"; cls: string; text: string; note: string }[] = [];

const queue = {
  read(): Scan[] { try { return JSON.parse(localStorage.getItem(QUEUE_KEY) ?? "[]"); } catch { return []; } },
  write(q: Scan[]) { localStorage.setItem(QUEUE_KEY, JSON.stringify(q)); renderQueue(); },
};

function prefs(): Prefs {
  try { return { sound: true, vibration: true, ...JSON.parse(localStorage.getItem(PREFS_KEY) ?? "{}") }; } catch { return { sound: true, vibration: true }; }
}

// ----- the list on the device ---------------------------------------------------------------
function loadList(eventId: string): DoorList | null {
  try { return JSON.parse(localStorage.getItem(listKey(eventId)) ?? "null"); } catch { return null; }
}
function saveList(list: DoorList) {
  localStorage.setItem(listKey(list.event_id), JSON.stringify(list));
  renderList();
}

async function refreshList() {
  if (!event || !navigator.onLine) return;
  try {
    saveList(await client.call("door_list", { p_event_id: event.id }));
    view === scanner && renderDirection();
  } catch { /* the list kept on the device stays */ }
}

async function findEntry(list: DoorList, code: string): Promise<Entry | undefined> {
  const short = normalizeCode(code);
  if (short) return list.guests.find((g) => g[1] === short);
  const hash = await sha256Hex(code);
  return list.guests.find((g) => g[0] === hash);
}

/** Judges a scan with the list on the device, and records the arrival (or exit) there. */
async function judgeHere(s: Scan): Promise<{ verdict: Verdict; entry?: Entry }> {
  const list = loadList(s.eventId)!;
  const entry = await findEntry(list, s.code);
  let verdict: Verdict;
  if (!entry) verdict = "unknown";
  else if (entry[4] !== "active") verdict = "not_admitted";
  else if (s.dir === "out") verdict = entry[6] ? "checked_out" : "not_inside";
  else if (!entry[5]) verdict = "checked_in";
  else verdict = list.exit_scans && !entry[6] ? "re_entered" : "already_checked_in";
  if (entry && ["checked_in", "re_entered", "checked_out"].includes(verdict)) {
    entry[5] = true;
    entry[6] = verdict !== "checked_out";
    saveList(list);
  }
  return { verdict, entry };
}

/** Keeps the list on the device up to date with a verdict the server gave. */
function learn(r: CheckInAnswer) {
  const list = loadList(r.event_id);
  const entry = list?.guests.find((g) => g[1] === r.guest?.short_code);
  if (!list || !entry) return;
  if (["checked_in", "re_entered", "already_checked_in"].includes(r.verdict)) { entry[5] = true; entry[6] = true; }
  if (r.verdict === "checked_out") entry[6] = false;
  saveList(list);
}

// ----- verdicts: colour, words, sound, vibration --------------------------------------------
function colour(v: Verdict): string {
  if (v === "checked_in" || v === "re_entered" || v === "checked_out") return "green";
  if (v === "already_checked_in" || v === "not_inside" || v === "conflict") return "amber";
  return "red";
}

function words(v: Verdict, checkedInAt: string | null, reason: string | null | undefined): string {
  if (v === "already_checked_in") return t("verdict_already_checked_in", { time: checkedInAt ? formatTime(checkedInAt) : "" });
  if (v === "not_admitted") {
    const why = reason === "revoked" || reason === "waiting" || reason === "pending" ? t(`reason_${reason}`) : "";
    return why ? `${t("verdict_not_admitted")}: ${why}` : t("verdict_not_admitted");
  }
  return t(`verdict_${v}`);
}

/**
 * The age line of a verdict or a search result (issue 18): the age on the night, "age not given",
 * or under the night's minimum, in words (never colour alone). Null when the night asks no date
 * of birth.
 */
function ageNote(a: DoorAge | null | undefined): AgeNote | null {
  if (!a) return null;
  if (a.age === null) return { text: a.min_age ? t("age_not_given_min", { min: a.min_age }) : t("age_not_given"), level: "unknown" };
  if (a.old_enough === false) return { text: t("age_under", { age: a.age, min: a.min_age ?? "" }), level: "under" };
  return { text: t("age_years", { age: a.age }), level: "ok" };
}

/** The age of a pass in the list kept on the device (for a scan judged offline). */
function ageFromList(list: DoorList, entry: Entry | undefined): DoorAge | null {
  if (!entry || !list.birth_date) return null;
  const age = entry[7] ?? null;
  const min = list.min_age ?? null;
  return { age, min_age: min, old_enough: min === null || age === null ? null : age >= min };
}

let audio: AudioContext | null = null;
function signal(cls: string) {
  const p = prefs();
  if (p.vibration) navigator.vibrate?.(cls === "green" ? 80 : cls === "amber" ? [80, 60, 80] : [350]);
  if (!p.sound) return;
  try {
    audio ??= new AudioContext();
    const tones: [number, number][] = cls === "green" ? [[880, 0.12]] : cls === "amber" ? [[660, 0.1], [660, 0.1]] : [[200, 0.45]];
    let at = audio.currentTime;
    for (const [freq, len] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + len);
      at += len + 0.06;
    }
  } catch { /* no sound on this device */ }
}

let verdictTimer: ReturnType<typeof setTimeout> | undefined;
/**
 * The latest verdict, large and in colour, readable from a metre away. It never takes the focus
 * nor holds the next scan back: the scanner keeps typing into the code field. A tap hides it.
 */
function showVerdict(nonce: string, v: Verdict | "queued", big: string, name: string | null, extra: string | null, offline: boolean,
  age: AgeNote | null = null) {
  const cls = v === "queued" ? "grey" : colour(v);
  document.getElementById("verdict")?.remove();
  clearTimeout(verdictTimer);
  const banner = h("button", { type: "button", id: "verdict", class: `verdict ${cls}`, "data-verdict": v, "data-nonce": nonce,
    "data-offline": String(offline), onclick: () => { banner.remove(); focusToken(); } },
  h("span", { class: "big" }, big), name ? h("span", { class: "name" }, name) : null,
  age ? h("span", { class: `age ${age.level}`, id: "verdict-age", "data-age": age.level }, age.text) : null,
  extra ? h("span", { class: "extra" }, extra) : null, offline ? h("span", {}, t("offline_judged")) : null);
  document.body.append(banner);
  verdictTimer = setTimeout(() => banner.remove(), 5000);
  // An admitted guest under the night's minimum age sounds like a warning, not a welcome.
  if (v !== "queued") signal(cls === "green" && age?.level === "under" ? "amber" : cls);
  const ageText = age && age.level !== "ok" ? ` · ${age.text}` : "";
  recent.unshift({ nonce, verdict: v, cls, text: `${formatTime(new Date().toISOString())} ${big}${name ? ` — ${name}` : ""}${extra ? ` (${extra})` : ""}${ageText}`, note: offline ? t("offline_judged") : "" });
  recent.splice(20);
  renderRecent();
}

function showAnswer(r: CheckInAnswer) {
  const name = r.guest ? `${r.guest.first_name} ${r.guest.last_name}`.trim() : null;
  const plus = (r.verdict === "checked_in" || r.verdict === "re_entered") && r.plus_ones ? t("plus_ones", { count: r.plus_ones }) : null;
  showVerdict(r.nonce ?? newNonce(), r.verdict, words(r.verdict, r.checked_in_at, r.reason), name, plus, false, ageNote(r.age));
}

// ----- the queue ----------------------------------------------------------------------------
const message = () => document.getElementById("message") ?? h("p");

async function judgeOffline(s: Scan) {
  if (!loadList(s.eventId)) {
    queue.write(queue.read().map((x) => (x.nonce === s.nonce ? { ...x, held: true } : x)));
    return showVerdict(s.nonce, "queued", t("saved_offline"), t("saved_offline_body"), null, true);
  }
  const { verdict, entry } = await judgeHere(s);
  const age = ageNote(ageFromList(loadList(s.eventId)!, entry));
  queue.write(queue.read().map((x) => (x.nonce === s.nonce ? { ...x, local: verdict } : x)));
  const plus = entry && (verdict === "checked_in" || verdict === "re_entered") && entry[3] ? t("plus_ones", { count: entry[3] }) : null;
  const why = verdict === "not_admitted" ? entry?.[4] : null;
  showVerdict(s.nonce, verdict, words(verdict, null, why), entry?.[2] ?? null, plus, true, age);
}

/** The server's answers to scans judged here: a different verdict (a conflict) is shown on the scan. */
function reconcile(answers: CheckInAnswer[], sent: Scan[]) {
  answers.forEach((r, i) => {
    const s = sent[i];
    const row = recent.find((x) => x.nonce === s.nonce);
    if (row && r.verdict !== s.local) {
      row.verdict = r.verdict;
      row.cls = colour(r.verdict);
      row.note = t("reconciled", { verdict: words(r.verdict, r.checked_in_at, r.reason) });
    } else if (row) {
      row.note = t("reconciled", { verdict: words(r.verdict, r.checked_in_at, r.reason) });
    }
    learn(r);
  });
  renderRecent();
}

let flushing: Promise<void> | null = null;
/** Until when the network is taken as gone after a failure (scans are judged here meanwhile). */
let networkDownUntil = 0;
const offline = () => !navigator.onLine || Date.now() < networkDownUntil;

/**
 * Sends the queued scans in order: a scan waiting for its verdict through door-checkin (or
 * check_out_guest), the scans already judged here together through door_sync. Without network
 * every waiting scan is judged here at once and stays queued for the next try.
 */
function flush(): Promise<void> {
  if (flushing) return flushing;
  flushing = (async () => {
    await Promise.resolve(); // `flushing` is set before the loop can finish and clear it
    try {
      for (;;) {
        const q = queue.read();
        if (!q.length) return;
        if (offline()) {
          for (const s of q.filter((x) => !x.local && !x.held)) await judgeOffline(s);
          return;
        }
        const waiting = q.findIndex((s) => !s.local);
        const sent = waiting === 0 ? [q[0]] : q.slice(0, waiting === -1 ? q.length : waiting).slice(0, 500);
        try {
          if (sent[0].local) {
            const answers = await client.call("door_sync", { p_event_id: sent[0].eventId, p_scans: sent.map((s) => (
              { nonce: s.nonce, code: s.code, direction: s.dir, scanned_at: s.at, verdict: s.local })) });
            const done = new Set(sent.map((s) => s.nonce));
            queue.write(queue.read().filter((s) => !done.has(s.nonce)));
            reconcile(answers, sent);
          } else {
            const s = sent[0];
            const r = s.dir === "out"
              ? await client.call("check_out_guest", { p_event_id: s.eventId, p_qr_token: s.code, p_nonce: s.nonce })
              : await client.checkInAtDoor(s.eventId, s.code, s.nonce);
            queue.write(queue.read().filter((x) => x.nonce !== s.nonce));
            learn(r);
            showAnswer({ ...r, nonce: s.nonce });
          }
        } catch (e) {
          if (e instanceof ApiError && (e.status === 0 || e.status === 429 || e.status >= 500)) {
            // No network, or the server cannot answer now: judged here, kept, sent in 15 s.
            networkDownUntil = Date.now() + 15_000;
            continue;
          }
          if (e instanceof ApiError && e.code === "not_authenticated") {
            showError(message(), e);
            return; // kept: sent after signing in again
          }
          const done = new Set(sent.map((s) => s.nonce));
          queue.write(queue.read().filter((s) => !done.has(s.nonce)));
          showError(message(), e);
        }
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

/** Takes one scan (camera, hand-held scanner or typed): queued at once, judged in order. */
function scan(code: string) {
  const clean = code.trim();
  if (!clean || !event) return Promise.resolve();
  queue.write([...queue.read(), { nonce: newNonce(), code: clean, eventId: event.id, at: new Date().toISOString(), dir }]);
  return flush();
}

// ----- rendering ----------------------------------------------------------------------------
function renderQueue() {
  const el = document.getElementById("queue");
  if (!el) return;
  const n = queue.read().length;
  el.textContent = n ? t("queued", { count: n }) : t("queue_empty");
  el.dataset.count = String(n);
}

function renderList() {
  const el = document.getElementById("offline-list");
  if (!el || !event) return;
  const list = loadList(event.id);
  el.textContent = list ? t("offline_list", { count: list.guests.length, time: formatTime(list.generated_at) }) : t("offline_list_none");
  el.dataset.count = String(list?.guests.length ?? 0);
}

function renderRecent() {
  const list = document.getElementById("recent");
  if (!list) return;
  list.replaceChildren(...recent.map((r) => h("li", { class: r.cls, "data-nonce": r.nonce, "data-verdict": r.verdict },
    r.text, r.note ? h("span", { class: "note" }, ` · ${r.note}`) : null)));
}

function renderDirection() {
  const box = document.getElementById("direction");
  if (!box || !event) return;
  const exits = loadList(event.id)?.exit_scans ?? false;
  if (!exits) dir = "in";
  box.hidden = !exits;
  (document.getElementById("dir-in") as HTMLInputElement).checked = dir === "in";
  (document.getElementById("dir-out") as HTMLInputElement).checked = dir === "out";
  const setting = document.getElementById("exit-scans") as HTMLInputElement | null;
  if (setting) setting.checked = exits;
}

function focusToken() { (document.getElementById("token") as HTMLInputElement | null)?.focus(); }

// ----- camera -------------------------------------------------------------------------------
type Detector = (source: HTMLVideoElement) => Promise<string | null>;
let stopCamera: (() => void) | null = null;

async function detector(): Promise<Detector> {
  const BD = (globalThis as unknown as { BarcodeDetector?: new (o: unknown) => { detect(s: unknown): Promise<{ rawValue: string }[]> } }).BarcodeDetector;
  if (BD) {
    const d = new BD({ formats: ["qr_code"] });
    return async (v) => (await d.detect(v))[0]?.rawValue ?? null;
  }
  const { default: jsQR } = await import("jsqr");
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  return (v) => {
    if (!v.videoWidth) return Promise.resolve(null);
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    ctx.drawImage(v, 0, 0);
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
    return Promise.resolve(jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" })?.data ?? null);
  };
}

/** The camera keeps reading while verdicts show; the same code again within 3 s is one scan. */
async function toggleCamera(button: HTMLButtonElement, video: HTMLVideoElement) {
  if (stopCamera) { stopCamera(); return; }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detect = await detector();
    let running = true;
    const seen = new Map<string, number>();
    stopCamera = () => { running = false; stream.getTracks().forEach((tr) => tr.stop()); video.hidden = true; stopCamera = null; button.textContent = t("scan_camera"); };
    button.textContent = t("stop_camera");
    const tick = async () => {
      if (!running) return;
      const token = await detect(video).catch(() => null);
      const now = Date.now();
      if (token && now - (seen.get(token) ?? 0) > 3000) void scan(token);
      if (token) seen.set(token, now);
      setTimeout(tick, 150);
    };
    void tick();
  } catch {
    message().textContent = t("camera_unavailable");
  }
}

// ----- announcements from the organisers (announcements.ts) --------------------------------
let announcements: { eventId: string; el: HTMLElement; stop: () => Promise<void> } | null = null;
/** The night's announcement box, the same element across redraws; following a new night leaves the old one's channel. */
function announcementsOf(eventId: string): HTMLElement {
  if (announcements?.eventId !== eventId) {
    void announcements?.stop();
    announcements = { eventId, ...followAnnouncements(supabase, client, eventId) };
  }
  return announcements.el;
}

// ----- screens ----------------------------------------------------------------------------
// ----- wake lock ----------------------------------------------------------------------------
type WakeLock = { request(type: "screen"): Promise<unknown> };
async function keepAwake() {
  try { await (navigator as unknown as { wakeLock?: WakeLock }).wakeLock?.request("screen"); } catch { /* not granted */ }
}
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible" && view === scanner) void keepAwake(); });

// ----- search -------------------------------------------------------------------------------
async function search(query: string, results: HTMLElement) {
  clearMessage(message());
  const row = (name: string, detail: string, checkedIn: boolean, onCheckIn: () => void, id: string, age: AgeNote | null) =>
    h("li", { "data-guest": id }, h("strong", {}, name), h("span", {}, ` ${detail}`),
      age ? h("span", { class: `age-tag ${age.level}`, "data-age": age.level }, age.text) : null,
      checkedIn ? h("span", { class: "note" }, ` · ${t("already_in")}`) : null,
      h("button", { type: "button", class: "secondary check", onclick: onCheckIn, "aria-label": t("check_in_guest", { name }) }, t("check_in")));
  if (!navigator.onLine) {
    const list = event && loadList(event.id);
    const code = normalizeCode(query);
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const found = (list?.guests ?? []).filter((g) => g[1] === code || (words.length && words.every((w) => g[2].toLowerCase().includes(w)))).slice(0, 20);
    results.replaceChildren(...(found.length ? found.map((g) => row(g[2], `${g[1]}${g[3] ? ` +${g[3]}` : ""}`, g[5], () => void scan(g[1]), g[1], ageNote(ageFromList(list!, g))))
      : [h("li", {}, t("no_results"))]));
    return;
  }
  try {
    const found: FoundGuest[] = await client.call("find_guests", { p_event_id: event!.id, p_query: query });
    results.replaceChildren(...(found.length ? found.map((g) => row(`${g.first_name} ${g.last_name}`.trim(),
      `${g.short_code}${g.plus_ones ? ` +${g.plus_ones}` : ""} · ${g.promoter}${g.status !== "registered" && g.status !== "checked_in" ? ` · ${g.status}` : ""}`,
      g.checked_in_at !== null, () => void checkInById(g), g.guest_id, ageNote(g.age))) : [h("li", {}, t("no_results"))]));
  } catch (e) {
    showError(message(), e);
  }
}

async function checkInById(g: FoundGuest) {
  const nonce = newNonce();
  try {
    const r = await client.call("check_in_guest_by_id", { p_event_id: event!.id, p_guest_id: g.guest_id, p_nonce: nonce });
    learn(r);
    showAnswer({ ...r, nonce });
  } catch (e) {
    if (e instanceof ApiError && e.status === 0) return void scan(g.short_code); // judged on the device
    showError(message(), e);
  }
}

// ----- screens ------------------------------------------------------------------------------
function toggle(id: string, label: string, checked: boolean, onChange: (on: boolean) => void) {
  const box = h("input", { type: "checkbox", id, ...(checked ? { checked: true } : {}) }) as HTMLInputElement;
  box.checked = checked;
  box.addEventListener("change", () => onChange(box.checked));
  return h("label", { class: "toggle", for: id }, box, ` ${label}`);
}

function scanner() {
  const input = h("input", { id: "token", name: "token", autocomplete: "off", autocapitalize: "off", spellcheck: "false", maxlength: 64 });
  const form = h("form", { novalidate: true, id: "scan-form" },
    h("label", { for: "token" }, t("token_label")), input, h("div", { style: "height:.75rem" }),
    h("button", { type: "submit", class: "primary", id: "check-in" }, t("check_in")));
  // A hand-held scanner types each code and Enter, scan after scan: every one is taken at once.
  form.addEventListener("submit", (e) => { e.preventDefault(); const v = input.value; input.value = ""; void scan(v); input.focus(); });

  const query = h("input", { id: "search", name: "search", autocomplete: "off", maxlength: 100 });
  const results = h("ul", { id: "results", class: "feed results" });
  const searchForm = h("form", { novalidate: true, id: "search-form" },
    h("label", { for: "search" }, t("search_label")), query, h("div", { style: "height:.75rem" }),
    h("button", { type: "submit", class: "secondary", id: "search-go" }, t("search")), results);
  searchForm.addEventListener("submit", (e) => { e.preventDefault(); void search(query.value, results); });

  const video = h("video", { playsinline: true, muted: true, hidden: true, "aria-hidden": "true" });
  const camera = h("button", { type: "button", class: "secondary", id: "camera" }, t("scan_camera"));
  camera.addEventListener("click", () => void toggleCamera(camera, video));
  const p = prefs();
  const setPref = (k: keyof Prefs) => (on: boolean) => localStorage.setItem(PREFS_KEY, JSON.stringify({ ...prefs(), [k]: on }));
  const direction = h("fieldset", { id: "direction", class: "row", hidden: true },
    h("legend", {}, t("direction")),
    h("label", { class: "toggle", for: "dir-in" }, h("input", { type: "radio", name: "dir", id: "dir-in", onchange: () => { dir = "in"; focusToken(); } }), ` ${t("entry")}`),
    h("label", { class: "toggle", for: "dir-out" }, h("input", { type: "radio", name: "dir", id: "dir-out", onchange: () => { dir = "out"; focusToken(); } }), ` ${t("exit")}`));
  const owner = event!.role === "owner" || event!.role === "admin";
  app.replaceChildren(
    h("section", { class: "card" },
      h("h1", {}, `${t("door_title")}: ${event!.name}`),
      announcementsOf(event!.id),
      h("p", { class: "queue", id: "queue", role: "status", "aria-live": "polite" }),
      h("p", { class: "help", id: "offline-list" }),
      h("p", { class: "message", id: "message", role: "alert", "aria-live": "assertive" }),
      h("div", { class: "row spread" }, camera,
        h("button", { type: "button", class: "link inline", onclick: () => { stopCamera?.(); localStorage.removeItem(EVENT_KEY); event = null; void route(); } }, t("change_event"))),
      h("div", { class: "row" }, toggle("sound", t("sound"), p.sound, setPref("sound")), toggle("vibration", t("vibration"), p.vibration, setPref("vibration"))),
      owner ? toggle("exit-scans", t("exit_scans"), false, (on) => void setExitScans(on)) : null,
      direction),
    video, form, searchForm,
    // The list scrolls when long: focusable and named, so a keyboard can scroll it too.
    h("section", { class: "card" }, h("h2", { id: "recent-title" }, t("recent_scans")),
      h("ul", { id: "recent", class: "feed", tabindex: "0", "aria-labelledby": "recent-title" })),
    h("button", { type: "button", class: "link", id: "sign-out", onclick: async () => { stopCamera?.(); await supabase.auth.signOut(); void route(); } }, t("sign_out")),
  );
  renderQueue();
  renderList();
  renderRecent();
  renderDirection();
  void keepAwake();
  input.focus();
}

async function setExitScans(on: boolean) {
  try {
    await client.call("set_door_settings", { p_event_id: event!.id, p_exit_scans: on });
    await refreshList();
    showInfo(message(), t("exit_scans"));
  } catch (e) {
    showError(message(), e);
    renderDirection();
  }
}

async function route() {
  const { data } = await supabase.auth.getSession();
  if (!data.session) { view = () => signInForm(app, supabase, () => void route()); return view(); }
  if (!event) {
    const saved = localStorage.getItem(EVENT_KEY);
    if (saved) {
      try { event = (await client.myEvents()).find((e) => e.id === saved) ?? null; } catch { /* picker shows the error */ }
    }
  }
  if (!event) {
    view = () => void pickEvent(app, client, EVENT_KEY, (e) => { event = e; void route(); });
    return view();
  }
  view = scanner;
  scanner();
  void refreshList();
  void flush();
}

window.addEventListener("online", () => { networkDownUntil = 0; void flush(); void refreshList(); });
setInterval(() => { if (queue.read().length && !offline()) void flush(); }, 5000);
setInterval(() => void refreshList(), 5 * 60_000);
mountLangSwitch(() => { view(); clearMessage(message()); });
void route();
