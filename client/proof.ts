// The registration's proof of work, as one step the client library takes before
// register_and_create_guest_v2. The database issues and checks the challenge; solving it is
// client/pow.ts's job, never reimplemented here. Returns the extra argument(s) for the call,
// or none while the database asks for no proof.
import type { SupabaseClient } from "@supabase/supabase-js";

export async function registrationProof(_supabase: SupabaseClient, _signal?: AbortSignal): Promise<Record<string, unknown>> {
  return {};
}
