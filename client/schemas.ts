// zod schemas for every input and output of the public API, with the same rules as the SQL
// (supabase/migrations: normalize_phone, clean_name, clean_email, check_length), so most
// mistakes never leave the device, and every message is the server's machine code. The server
// stays the authority for those. Password rules are the exception: the server receives only the
// phone's bcrypt of the password (client/bcrypt.ts), so `NewPassword` here is the one place they
// are checked.
import { z } from "zod";

/** Country calling code for numbers typed without + or 00 (the database's default setting). */
export const DEFAULT_COUNTRY_CODE = "351";

/** The phone number in E.164, as private.normalize_phone computes it, or null when invalid. */
export function normalizePhone(input: string, cc = DEFAULT_COUNTRY_CODE): string | null {
  if (input.length > 32) return null;
  const raw = input.replace(/[\s.()-]/g, "");
  if (!/^\+?[0-9]+$/.test(raw)) return null;
  const digits = raw.replace(/^\++/, "");
  const e164 = raw.startsWith("+") ? `+${digits}`
    : digits.startsWith("00") ? `+${digits.slice(2)}`
    : cc === "351" ? `+351${digits}`
    : `+${cc}${digits.replace(/^0/, "")}`;
  if (!/^\+[1-9][0-9]{7,14}$/.test(e164)) return null;
  if (e164.startsWith("+351") && !/^\+351[239][0-9]{8}$/.test(e164)) return null;
  return e164;
}

/** A name tidied as private.clean_name does (trimmed, inner spaces collapsed). */
export const tidyName = (s: string) => s.trim().replace(/\s+/g, " ");
const NAME = /^\p{L}+([ '’-]\p{L}+)*$/u;
const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

export const Phone = z.string().refine((s) => normalizePhone(s) !== null, { error: "invalid_phone" })
  .transform((s) => normalizePhone(s)!);
const name = (code: string) => z.string().transform(tidyName)
  .refine((s) => s.length >= 2 && s.length <= 50 && NAME.test(s), { error: code });
export const FirstName = name("invalid_first_name");
export const LastName = name("invalid_last_name");
export const Email = z.string().transform((s) => s.trim().toLowerCase())
  .refine((s) => s.length <= 254 && EMAIL.test(s), { error: "invalid_email" });
/**
 * A new password: 8+ characters, upper, lower, digit; at most 72 bytes (bcrypt reads no more).
 * The only place these rules live: the server never sees the password, only its bcrypt.
 */
export const NewPassword = z.string()
  .refine((s) => utf8Length(s) <= 72, { error: "password_too_long", abort: true })
  .refine((s) => s.length >= 8 && /\p{Lu}/u.test(s) && /\p{Ll}/u.test(s) && /[0-9]/.test(s), { error: "weak_password" });
/** A password typed to log in: anything up to 72 characters (the server checks its bcrypt). */
export const Password = z.string().min(1, { error: "invalid_credentials" }).max(72, { error: "input_too_long" });
export const Slug = z.string().min(1, { error: "event_not_found" }).max(100, { error: "input_too_long" });
export const SessionToken = z.string().min(1, { error: "invalid_session" }).max(100, { error: "input_too_long" });
export const QrToken = z.string().trim().min(1, { error: "unexpected" }).max(64, { error: "input_too_long" });
export const Nonce = z.string().min(8, { error: "invalid_nonce" }).max(100, { error: "invalid_nonce" });
export const Uuid = z.uuid({ error: "unexpected" });

/** The link a guest joins through. */
export const Link = z.object({ eventId: Uuid, promoterId: Uuid, teamId: Uuid.nullable() });
export const Registration = z.object({
  phone: Phone, firstName: FirstName, lastName: LastName, email: Email, password: NewPassword,
});

// ----- outputs ------------------------------------------------------------------------------

const ts = z.string(); // timestamptz as ISO text
export const LinkCard = z.object({
  event: z.object({
    id: z.uuid(), slug: z.string(), name: z.string(), venue: z.string().nullable(),
    starts_at: ts, ends_at: ts, guest_list_closes_at: ts, is_open: z.boolean(),
    // The night's list (docs/manage.md, "The list"): told before the form.
    is_full: z.boolean().default(false), waiting_list: z.boolean().default(false),
    requires_approval: z.boolean().default(false), plus_ones_max: z.number().default(0),
  }),
  promoter: z.object({ id: z.uuid(), slug: z.string(), display_name: z.string() }),
  team: z.object({ id: z.uuid(), name: z.string() }).nullable(),
});
/** `salt`: the account's bcrypt salt (29 characters, `$2a$`/`$2b$`) when it exists, else null. */
export const PhoneCheck = z.object({
  exists: z.boolean(), phone: z.string(),
  salt: z.string().regex(/^\$2[ab]\$[0-9]{2}\$[./A-Za-z0-9]{22}$/).nullable(),
});
export const Pass = z.object({
  guest_id: z.uuid(), qr_token: z.string(), client_user_id: z.uuid(), first_name: z.string(),
  already_registered: z.boolean(), session_token: z.string(), session_expires_at: ts,
  /** On the list (`registered`, `checked_in`), `waiting`, `pending` or `revoked`; plus-ones chosen. */
  status: z.string().default("registered"), plus_ones: z.number().default(0),
});
export const Verdict = z.enum(["checked_in", "already_checked_in", "unknown", "wrong_event", "list_closed"]);
export const CheckIn = z.object({
  verdict: Verdict, event_id: z.uuid(), scanned_at: ts, checked_in_at: ts.nullable(),
  guest: z.object({ id: z.uuid(), first_name: z.string(), last_name: z.string(), promoter: z.string() }).nullable(),
});
const Count = z.object({ registered: z.number(), checked_in: z.number() });
export const Dashboard = z.object({
  event: z.object({
    id: z.uuid(), name: z.string(), starts_at: ts, ends_at: ts, guest_list_closes_at: ts,
    capacity: z.number().nullable(),
  }),
  totals: Count,
  by_promoter: z.array(Count.extend({ promoter_id: z.uuid(), display_name: z.string() })),
  by_team: z.array(Count.extend({ team_id: z.uuid(), name: z.string() })),
  arrivals_per_15_min: z.array(z.object({ slot: ts, arrivals: z.number() })),
  registrations_per_15_min: z.array(z.object({ slot: ts, registrations: z.number() })).default([]),
  latest_arrivals: z.array(z.object({
    guest_id: z.uuid(), first_name: z.string(), last_initial: z.string().nullable(), promoter: z.string(),
    checked_in_at: ts,
  })),
});
export const MyEvent = z.object({
  id: z.uuid(), name: z.string(), slug: z.string(), venue: z.string().nullable(), starts_at: ts, ends_at: ts,
  organization_name: z.string(), role: z.enum(["owner", "admin", "staff"]),
});
export const MyEvents = z.array(MyEvent);
/** A Realtime message about one guest (guest_registered, guest_checked_in). */
export const GuestMessage = z.object({
  event_id: z.uuid(), guest_id: z.uuid(), first_name: z.string(), last_initial: z.string().nullable(),
  promoter: z.object({ id: z.uuid(), display_name: z.string() }),
  team: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  registered_at: ts, checked_in_at: ts.nullable(), totals: Count,
});
export const Announcement = z.object({
  event_id: z.uuid(), kind: z.enum(["closing_soon", "capacity_reached", "message"]), message: z.string(), sent_at: ts,
});

export type LinkCard = z.infer<typeof LinkCard>;
export type PhoneCheck = z.infer<typeof PhoneCheck>;
export type Link = z.infer<typeof Link>;
export type Pass = z.infer<typeof Pass>;
export type CheckIn = z.infer<typeof CheckIn>;
export type Dashboard = z.infer<typeof Dashboard>;
export type MyEvent = z.infer<typeof MyEvent>;
export type GuestMessage = z.infer<typeof GuestMessage>;
export type Announcement = z.infer<typeof Announcement>;
export type RegistrationInput = z.input<typeof Registration>;
