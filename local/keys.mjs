// Prints the local stack's settings as KEY="value" lines, like `supabase status -o env`.
// The anon and service_role keys are HS256 JWTs signed with the local JWT secret, with the same
// claims `supabase start` gives, so they equal the well-known local development keys. The new API
// keys (`sb_publishable_…`, `sb_secret_…`) are not JWTs: they are the CLI's well-known local values
// (supabase/cli pkg/config/apikeys.go), as `supabase status -o env` prints them.
import { SignJWT } from "jose";

export function signJwt(claims, secret) {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
}

/** The publishable key stands for the anon role, the secret key for service_role. */
export const NEW_API_KEYS = {
  PUBLISHABLE_KEY: "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH",
  SECRET_KEY: "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz",
};

export async function localKeys(secret) {
  const key = (role) => signJwt({ iss: "supabase-demo", role, exp: 1983812996 }, secret);
  return { ANON_KEY: await key("anon"), SERVICE_ROLE_KEY: await key("service_role"), ...NEW_API_KEYS };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { API_URL, DB_URL, MAIL_URL, JWT_SECRET } = process.env;
  // MAILPIT_URL: the mail catcher, under the name `supabase status -o env` gives its Mailpit.
  const all = { API_URL, DB_URL, MAILPIT_URL: MAIL_URL, ...(await localKeys(JWT_SECRET)), JWT_SECRET };
  for (const [k, v] of Object.entries(all)) console.log(`${k}="${v}"`);
}
