// Announcements on the staff pages: the night's latest one when the page opens
// (latest_announcement), then each new one as it arrives on the event's private Realtime topic
// (send_announcement broadcasts it on commit), in a polite live region so a screen reader reads it.
import type { Announcement } from "../../answers.ts";
import type { Api, Client } from "../../api.ts";
import { h } from "./common.ts";
import { formatTime, t } from "./i18n.ts";

/** The announcement as shown: its time and message. */
export function announcementView(a: Announcement | null, id = "announcement"): HTMLElement {
  const box = h("p", { class: "announcement", id, role: "status", "aria-live": "polite" });
  fillAnnouncement(box, a);
  return box;
}

function fillAnnouncement(box: HTMLElement, a: Announcement | null) {
  box.hidden = !a;
  box.replaceChildren(...(a ? [h("strong", {}, `${t("announcement")} · ${formatTime(a.sent_at)}: `), a.message] : []));
  if (a) box.dataset.id = String(a.id);
}

/**
 * A live announcement box for the event: the latest on load, then every new one. The returned
 * element stays the same across the page's redraws; `stop` leaves the channel.
 */
export function followAnnouncements(supabase: Client, client: Api, eventId: string): { el: HTMLElement; stop: () => Promise<void> } {
  const el = announcementView(null);
  let latest: Announcement | null = null;
  const show = (a: Announcement | null) => {
    if (!a || (latest && Date.parse(latest.sent_at) > Date.parse(a.sent_at))) return;
    latest = a;
    fillAnnouncement(el, a);
  };
  const channel = supabase.channel(`event:${eventId}`, { config: { private: true } })
    .on("broadcast", { event: "announcement" }, (m) => show(m.payload as Announcement));
  void supabase.realtime.setAuth().then(() => channel.subscribe((status) => {
    // (Re)joined: catch up on anything sent while away.
    el.dataset.live = String(status === "SUBSCRIBED");
    if (status === "SUBSCRIBED") void client.call("latest_announcement", { p_event_id: eventId }).then(show, () => {});
  }));
  return { el, stop: async () => { await supabase.removeChannel(channel); } };
}
