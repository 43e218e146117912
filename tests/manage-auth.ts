// Sign-in for the management tests: each file from a loopback address of its own (Auth limits
// /token per client address, as GoTrue does), once per user, handed to a real supabase-js client.
import type { SupabaseClient } from "@supabase/supabase-js";
import { connect } from "./db";
import { signInFrom } from "./env";

export { signInFrom };

/** Signs in users of tests.world() (password Password-1) from `localAddress`, once per user. */
export function signer(localAddress: string) {
  const cache = new Map<string, Promise<SupabaseClient>>();
  return (userId: string): Promise<SupabaseClient> => {
    if (!cache.has(userId)) {
      cache.set(userId, (async () => {
        const sql = connect(1);
        const [{ email }] = await sql`select email from auth.users where id = ${userId}`;
        await sql.end();
        return signInFrom(localAddress, email, "Password-1");
      })());
    }
    return cache.get(userId)!;
  };
}
