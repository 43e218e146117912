// The door scanner, /door: staff sign in, pick the event, scan passes with the camera
// (BarcodeDetector where the browser has it, jsQR on camera frames otherwise) or type the code.
// Every scan gets a fresh nonce and goes into a queue kept on the device first, then is sent
// through the door-checkin edge function in order; a scan made offline waits there until the
// network returns (a retried scan keeps its nonce, so it counts once).
import { newNonce } from "../../api.ts";
import { ApiError } from "../../errors.ts";
import type { CheckIn, MyEvent } from "../../schemas.ts";
import { api, clearMessage, h, mountLangSwitch, once, pickEvent, showError, signInForm, supabaseClient } from "./common.ts";
import { followAnnouncements } from "./announcements.ts";
import { formatTime, t } from "./i18n.ts";

type Scan = { nonce: string; token: string; eventId: string; at: string; live: boolean };
const QUEUE_KEY = "guestlist.door.queue";
const EVENT_KEY = "guestlist.door.event";

const app = document.getElementById("app")!;
const supabase = supabaseClient(true);
// A scan is retried twice at once on a network failure, then stays queued for the next flush.
const client = api(supabase, { retry: (f, attempt) => f.status !== 0 || attempt < 2 });

let event: MyEvent | null = null;
let view: () => void = () => {};
const recent: { text: string; cls: string }[] = [];

const queue = {
  read(): Scan[] { try { return JSON.parse(localStorage.getItem(QUEUE_KEY) ?? "[]"); } catch { return []; } },
  write(q: Scan[]) { localStorage.setItem(QUEUE_KEY, JSON.stringify(q)); renderQueue(); },
};

function renderQueue() {
  const el = document.getElementById("queue");
  if (!el) return;
  const n = queue.read().length;
  el.textContent = n ? t("queued", { count: n }) : t("queue_empty");
  el.dataset.count = String(n);
}

function verdictText(r: CheckIn): { big: string; cls: string } {
  switch (r.verdict) {
    case "checked_in": return { big: t("verdict_checked_in"), cls: "green" };
    case "already_checked_in": return { big: t("verdict_already_checked_in", { time: r.checked_in_at ? formatTime(r.checked_in_at) : "" }), cls: "amber" };
    case "unknown": return { big: t("verdict_unknown"), cls: "red" };
    case "wrong_event": return { big: t("verdict_wrong_event"), cls: "red" };
    case "list_closed": return { big: t("verdict_list_closed"), cls: "red" };
  }
}

/** The full-screen verdict, readable from a metre away; a tap, a key or 4 s dismisses it. */
function showVerdict(cls: string, big: string, name: string | null, verdict: string) {
  document.getElementById("verdict")?.remove();
  const close = () => { overlay.remove(); clearTimeout(timer); (document.getElementById("token") as HTMLInputElement | null)?.focus(); };
  const overlay = h("button", { type: "button", id: "verdict", class: `verdict ${cls}`, "data-verdict": verdict, onclick: close,
    "aria-live": "assertive" },
  h("span", { class: "big" }, big), name ? h("span", { class: "name" }, name) : null, h("span", {}, t("tap_to_continue")));
  document.body.append(overlay);
  overlay.focus();
  const timer = setTimeout(close, 4000);
}

let flushing: Promise<void> | null = null;
/** Sends the queued scans in order; stops at the first network failure (they stay queued). */
function flush(): Promise<void> {
  if (flushing) return flushing;
  flushing = (async () => {
    await Promise.resolve(); // `flushing` is set before the loop can finish and clear it
    try {
      for (;;) {
        const [scan] = queue.read();
        if (!scan) return;
        try {
          const r = await client.checkInAtDoor(scan.eventId, scan.token, scan.nonce);
          queue.write(queue.read().filter((s) => s.nonce !== scan.nonce));
          const v = verdictText(r);
          const name = r.guest ? `${r.guest.first_name} ${r.guest.last_name}` : null;
          recent.unshift({ text: `${formatTime(r.scanned_at)} ${v.big}${name ? ` — ${name}` : ""}`, cls: v.cls });
          recent.splice(8);
          renderRecent();
          if (scan.live) showVerdict(v.cls, v.big, name, r.verdict);
        } catch (e) {
          if (e instanceof ApiError && e.status === 0) {
            if (scan.live) {
              queue.write(queue.read().map((s) => (s.nonce === scan.nonce ? { ...s, live: false } : s)));
              showVerdict("grey", t("saved_offline"), t("saved_offline_body"), "queued");
            }
            return;
          }
          if (e instanceof ApiError && e.code === "not_authenticated") {
            showError(document.getElementById("message")!, e);
            return; // kept: sent after signing in again
          }
          queue.write(queue.read().filter((s) => s.nonce !== scan.nonce));
          showError(document.getElementById("message")!, e);
        }
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

function scan(token: string) {
  const clean = token.trim();
  if (!clean || !event) return Promise.resolve();
  queue.write([...queue.read(), { nonce: newNonce(), token: clean, eventId: event.id, at: new Date().toISOString(), live: true }]);
  return flush();
}

function renderRecent() {
  const list = document.getElementById("recent");
  if (!list) return;
  list.replaceChildren(...recent.map((r) => h("li", { class: r.cls }, r.text)));
}

// ----- camera -----------------------------------------------------------------------------
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

async function toggleCamera(button: HTMLButtonElement, video: HTMLVideoElement) {
  if (stopCamera) { stopCamera(); return; }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detect = await detector();
    let running = true;
    let last = { token: "", at: 0 };
    stopCamera = () => { running = false; stream.getTracks().forEach((tr) => tr.stop()); video.hidden = true; stopCamera = null; button.textContent = t("scan_camera"); };
    button.textContent = t("stop_camera");
    const tick = async () => {
      if (!running) return;
      if (!document.getElementById("verdict")) {
        const token = await detect(video).catch(() => null);
        if (token && !(token === last.token && Date.now() - last.at < 5000)) {
          last = { token, at: Date.now() };
          await scan(token);
        }
      }
      setTimeout(tick, 150);
    };
    void tick();
  } catch {
    showError(document.getElementById("message")!, new ApiError("unexpected", 0));
    document.getElementById("message")!.textContent = t("camera_unavailable");
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
function scanner() {
  const input = h("input", { id: "token", name: "token", autocomplete: "off", autocapitalize: "off", spellcheck: "false", maxlength: 64 });
  const submit = h("button", { type: "submit", class: "primary", id: "check-in" }, t("check_in"));
  const form = h("form", { novalidate: true },
    h("label", { for: "token" }, t("token_label")), input, h("div", { style: "height:.75rem" }), submit);
  const run = once(submit, async () => { const v = input.value; input.value = ""; await scan(v); });
  form.addEventListener("submit", (e) => { e.preventDefault(); void run(); });
  const video = h("video", { playsinline: true, muted: true, hidden: true, "aria-hidden": "true" });
  const camera = h("button", { type: "button", class: "secondary", id: "camera" }, t("scan_camera"));
  camera.addEventListener("click", () => void toggleCamera(camera, video));
  app.replaceChildren(
    h("section", { class: "card" },
      h("h1", {}, `${t("door_title")}: ${event!.name}`),
      announcementsOf(event!.id),
      h("p", { class: "queue", id: "queue", role: "status", "aria-live": "polite" }),
      h("p", { class: "message", id: "message", role: "alert", "aria-live": "assertive" }),
      h("div", { class: "row spread" }, camera,
        h("button", { type: "button", class: "link inline", onclick: () => { stopCamera?.(); localStorage.removeItem(EVENT_KEY); event = null; void route(); } }, t("change_event")))),
    video, form,
    h("section", { class: "card" }, h("h2", {}, t("recent_scans")), h("ul", { id: "recent", class: "feed" })),
    h("button", { type: "button", class: "link", id: "sign-out", onclick: async () => { stopCamera?.(); await supabase.auth.signOut(); void route(); } }, t("sign_out")),
  );
  renderQueue();
  renderRecent();
  input.focus();
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
  void flush();
}

window.addEventListener("online", () => void flush());
setInterval(() => { if (queue.read().length && navigator.onLine) void flush(); }, 5000);
mountLangSwitch(() => { view(); clearMessage(document.getElementById("message") ?? h("p")); });
void route();
