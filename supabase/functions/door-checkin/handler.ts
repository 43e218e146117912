// door-checkin: the staff scanner's endpoint. POST {event_id, qr_token, nonce} with the staff
// member's JWT; the verdict comes from check_in_guest, which checks membership, counts scans
// per staff member and makes a retried scan (same nonce) one scan.
import { z } from "zod";
import { guard, parseBody } from "../_shared/http.ts";
import { forward, rpc } from "../_shared/rpc.ts";

export const Scan = z.object({
  event_id: z.uuid(),
  qr_token: z.string().min(1).max(64),
  nonce: z.string().min(8).max(100),
});

export async function handler(req: Request): Promise<Response> {
  const refused = guard(req, ["POST"]);
  if (refused) return refused;
  const scan = await parseBody(req, Scan);
  if (scan instanceof Response) return scan;
  return forward(await rpc(req, "check_in_guest", {
    p_event_id: scan.event_id,
    p_qr_token: scan.qr_token,
    p_nonce: scan.nonce,
  }));
}
