// event-broadcast: an organiser's announcement to the night's team ("list closing soon",
// "capacity reached"). send_announcement decides (owners and admins of the event's organization,
// rate-limited per event), keeps it for pages opened later, and broadcasts it on commit to the
// event's private topic and its promoters' topics.
import { z } from "zod";
import { guard, json, parseBody } from "../_shared/http.ts";
import { forward, rpc } from "../_shared/rpc.ts";

export const Announcement = z.object({
  event_id: z.uuid(),
  kind: z.enum(["closing_soon", "capacity_reached", "message"]),
  message: z.string().trim().min(1).max(280),
});

export async function handler(req: Request): Promise<Response> {
  const refused = guard(req, ["POST"]);
  if (refused) return refused;
  const input = await parseBody(req, Announcement);
  if (input instanceof Response) return input;

  const sent = await rpc(req, "send_announcement", { p_event_id: input.event_id, p_kind: input.kind, p_message: input.message });
  if (!sent.ok) return forward(sent);
  const announcement = sent.body as { topic: string };
  return json(202, { sent: true, event: "announcement", ...announcement });
}
