// The guest calls of the client library (client/api.ts) under their earlier names, for the
// scripts that use them (the benchmark). New code uses createApi directly.
import type { SupabaseClient } from "@supabase/supabase-js";
import { createApi, type Options } from "./api.ts";
import type { Link } from "./schemas.ts";

export { ApiError as GuestlistError } from "./errors.ts";
export type { Link, LinkCard, Pass } from "./schemas.ts";

export function guestlist(supabase: SupabaseClient, options: Options = {}) {
  const api = createApi(supabase, options);
  return {
    resolveLink: api.resolvePromoterLink,
    checkPhone: api.checkPhone,
    logIn: (phone: string, password: string, l: Link) => api.authenticate(phone, password, l),
    register: (g: { phone: string; firstName: string; lastName: string; email: string; password: string }, l: Link) => api.register(g, l),
    joinWithSession: api.joinWithSession,
  };
}
