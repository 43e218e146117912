// event-broadcast: an organiser's announcement to the door team ("list closing soon",
// "capacity reached"). authorize_event_broadcast decides (owners and admins of the event's
// organization, rate-limited per event); the message then goes to the event's private topic
// through Realtime's broadcast API with the service role.
import { z } from "zod";
import { apiError, guard, json, parseBody } from "../_shared/http.ts";
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

  const allowed = await rpc(req, "authorize_event_broadcast", { p_event_id: input.event_id });
  if (!allowed.ok) return forward(allowed);
  const { topic } = allowed.body as { topic: string };

  const serviceKey = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? "";
  const sent = await fetch(`${Deno.env.get("SUPABASE_URL")}/realtime/v1/api/broadcast`, {
    method: "POST",
    headers: { apikey: serviceKey, authorization: `Bearer ${serviceKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      messages: [{
        topic,
        event: "announcement",
        private: true,
        payload: { event_id: input.event_id, kind: input.kind, message: input.message, sent_at: new Date().toISOString() },
      }],
    }),
  });
  await sent.body?.cancel();
  if (sent.status !== 202) {
    return apiError(502, "broadcast_failed", "The announcement could not be delivered.", "Try again in a moment.");
  }
  return json(202, { sent: true, topic, event: "announcement" });
}
