// Prints the local stack's settings as KEY="value" lines, like `supabase status -o env`.
// The anon and service_role keys are HS256 JWTs signed with the local JWT secret, with the same
// claims `supabase start` gives, so they equal the well-known local development keys.
import { createHmac } from "node:crypto";

const b64url = (value) => Buffer.from(value).toString("base64url");

export function signJwt(claims, secret) {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

export function localKeys(secret) {
  const key = (role) => signJwt({ iss: "supabase-demo", role, exp: 1983812996 }, secret);
  return { ANON_KEY: key("anon"), SERVICE_ROLE_KEY: key("service_role") };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { API_URL, DB_URL, MAIL_URL, JWT_SECRET } = process.env;
  // MAILPIT_URL: the mail catcher, under the name `supabase status -o env` gives its Mailpit.
  const all = { API_URL, DB_URL, MAILPIT_URL: MAIL_URL, ...localKeys(JWT_SECRET), JWT_SECRET };
  for (const [k, v] of Object.entries(all)) console.log(`${k}="${v}"`);
}
