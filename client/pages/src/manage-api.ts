// Calls of the management, promoter and guest-data pages: the database functions of
// docs/manage.md over supabase-js, failures as ApiError with the stable code (as client/api.ts).
import type { SupabaseClient } from "@supabase/supabase-js";
import { ApiError, fromBody } from "../../errors.ts";

export type Json = Record<string, unknown>;

export async function call<T = Json>(supabase: SupabaseClient, fn: string, args: Json = {}): Promise<T> {
  const { data, error, status } = await supabase.rpc(fn, args);
  if (error) throw fromBody(status, error as unknown as Json);
  return data as T;
}

export async function invoke<T = Json>(supabase: SupabaseClient, fn: string, body: Json): Promise<T> {
  const { data, error } = await supabase.functions.invoke(fn, { body });
  if (error) {
    const ctx = (error as { context?: unknown }).context;
    if (ctx instanceof Response) {
      let parsed: Json | null = null;
      try { parsed = await ctx.clone().json(); } catch { /* not JSON */ }
      throw fromBody(ctx.status, parsed);
    }
    throw new ApiError("network", 0, String((error as Error).message));
  }
  return data as T;
}

export type Org = { id: string; name: string; role: string; promoter_id: string | null };
export type EventRow = {
  id: string; slug: string; name: string; venue: string | null; starts_at: string; ends_at: string;
  guest_list_closes_at: string; capacity: number | null; is_published: boolean; version: number; registered: number;
  links: { promoter_id: string; team_id: string | null; path: string }[];
};
export type Overview = {
  organization: { id: string; name: string }; my_role: string;
  members: { user_id: string; email: string; role: string; promoter_id: string | null }[];
  invitations: { id: string; email: string; role: string; expires_at: string }[];
  promoters: { id: string; slug: string; display_name: string; user_id: string | null }[];
  teams: { id: string; name: string; members: { promoter_id: string; is_leader: boolean }[] }[];
  events: EventRow[];
};

/** A value for <input type="datetime-local"> from an ISO time, in the device's time zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export const fromLocalInput = (v: string) => (v ? new Date(v).toISOString() : null);

/** A slug from a name: lower case, accents dropped, words joined by hyphens. */
export const slugify = (s: string) =>
  s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 100);
