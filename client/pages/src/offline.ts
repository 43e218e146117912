// The pass without a network. The service worker (client/pages/sw.js, finished by
// scripts/build-pages.mjs with the build's file list and version) keeps the guest page's own
// files; this module keeps, in localStorage beside the pass, what the pass screen needs besides
// the pass (the night's card, by link, and the pass's last known status), registers the worker
// once a pass has been shown, refreshes the status through the guest's session when the network
// is there, and forgets all of it ("Another person", a deleted account). docs/pages.md.
import type { Api } from "../../api.ts";
import type { LinkCard } from "../../schemas.ts";
import { lang } from "./i18n.ts";

/** The pass's state on the server as last seen: `active`, `revoked`, …, and when it was checked in. */
export type PassStatus = { status: string; checked_in_at: string | null };
type Saved = { card: LinkCard; status: PassStatus | null };

const CARD_PREFIX = "guestlist.card.";
/** Every key of the device's guest data: the session, each night's pass and its card. */
const GUEST_KEYS = /^guestlist\.(session$|pass\.|card\.)/;

/** The canonical path of a guest link (`/p/<promoter>/<event>`), the key a night's card is kept under. */
export const linkPath = (promoterSlug: string, eventSlug: string) =>
  `/p/${encodeURIComponent(promoterSlug)}/${encodeURIComponent(eventSlug)}`;

function read(path: string): Saved | null {
  try { return JSON.parse(localStorage.getItem(CARD_PREFIX + path) ?? "null") as Saved | null; } catch { return null; }
}

export const offline = {
  /** The card (and last known status) kept for this link, if a pass was shown through it. */
  saved: read,
  saveCard(path: string, card: LinkCard) {
    localStorage.setItem(CARD_PREFIX + path, JSON.stringify({ card, status: read(path)?.status ?? null } satisfies Saved));
  },
  saveStatus(path: string, status: PassStatus) {
    const s = read(path);
    if (s) localStorage.setItem(CARD_PREFIX + path, JSON.stringify({ ...s, status } satisfies Saved));
  },
  /**
   * The link of the pass to open from the home screen (the manifest starts at /guest.html): the
   * next night not yet over, else the latest.
   */
  homeLink(): string | null {
    const links: [string, LinkCard][] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i)!;
      const s = k.startsWith(CARD_PREFIX) ? read(k.slice(CARD_PREFIX.length)) : null;
      if (s && localStorage.getItem(`guestlist.pass.${s.card.event.id}`)) links.push([k.slice(CARD_PREFIX.length), s.card]);
    }
    const now = Date.now();
    const ends = (c: LinkCard) => Date.parse(c.event.ends_at);
    const next = links.filter(([, c]) => ends(c) > now).sort(([, a], [, b]) => ends(a) - ends(b))[0];
    return (next ?? links.sort(([, a], [, b]) => ends(b) - ends(a))[0])?.[0] ?? null;
  },
};

/**
 * The pass's status now, read through the guest's session (`my_guest_data`, the passes of the
 * account): the pass of this night (same name and start as the card just resolved), or null when
 * the session no longer shows one. One try: no waiting line for a refresh.
 */
export async function passStatus(client: Api, sessionToken: string, card: LinkCard): Promise<PassStatus | null> {
  const data = await client.call("my_guest_data", { p_session_token: sessionToken });
  const e = card.event;
  const p = data.passes.find((x) => x.event.name === e.name && Date.parse(x.event.starts_at) === Date.parse(e.starts_at));
  return p ? { status: p.status, checked_in_at: p.checked_in_at } : null;
}

/** Registers the service worker (once a pass is shown) and has it check its copy of the page is whole. */
export function keepOffline() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" })
    .then(() => navigator.serviceWorker.ready)
    .then((r) => r.active?.postMessage("cache"))
    .catch((e) => console.warn("service worker not registered", e));
}

/**
 * Forgets this device's guest: the session and every pass and card kept in localStorage. With
 * `everything` (the account was deleted) the service worker's caches go too, so nothing of the
 * guest's use stays on the phone.
 */
export async function forgetGuest(everything = false) {
  const keys: string[] = [];
  for (let i = 0; i < localStorage.length; i++) if (GUEST_KEYS.test(localStorage.key(i)!)) keys.push(localStorage.key(i)!);
  for (const k of keys) localStorage.removeItem(k);
  if (everything && "caches" in window) {
    for (const name of await caches.keys()) if (name.startsWith("guestlist-")) await caches.delete(name);
  }
}

const pt = {
  offline_saved: "Sem rede: este é o passe guardado neste telemóvel. Funciona à porta.",
  offline_saved_state: "Sem rede: este é o estado do passe guardado neste telemóvel; muda quando houver rede.",
  status_checked_in: "Entrada registada às {time}.",
  status_revoked: "Este passe foi cancelado pela organização.",
  another_person: "Outra pessoa",
  another_person_help: "Outra pessoa quer usar este telemóvel? O teu passe continua válido; volta a entrar com o teu número para o ver.",
  no_saved_pass: "Não há nenhum passe guardado neste telemóvel. Abre o link que o teu promotor partilhou.",
};
const en: typeof pt = {
  offline_saved: "No network: this is the pass saved on this phone. It works at the door.",
  offline_saved_state: "No network: this is the pass's state saved on this phone; it changes when there is a network.",
  status_checked_in: "Checked in at {time}.",
  status_revoked: "This pass was cancelled by the organisers.",
  another_person: "Another person",
  another_person_help: "Someone else wants to use this phone? Your pass stays valid; log in again with your number to see it.",
  no_saved_pass: "There is no pass saved on this phone. Open the link your promoter shared.",
};
export type OKey = keyof typeof pt;
/** A sentence of the offline pass in the current language, with {placeholders} filled. */
export function o(key: OKey, vars: Record<string, string | number> = {}): string {
  return (lang() === "pt" ? pt : en)[key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}
