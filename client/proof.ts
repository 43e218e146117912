// The registration's proof of work, as one step the client library takes before
// register_and_create_guest_v2: the database issues a single-use challenge
// (registration_challenge) and client/pow.ts solves it; the proof goes in as p_proof. Nothing of
// the scheme is reimplemented here.
import { type Challenge, solveChallenge } from "./pow.ts";

/** The extra argument(s) for register_and_create_guest_v2; `challenge` fetches a fresh challenge. */
export async function registrationProof(challenge: () => Promise<unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const c = (await challenge()) as Challenge;
  return { p_proof: await solveChallenge(c, { signal }) };
}
