// zod schemas for every input and output of the public API, with the same rules as the SQL
// (supabase/migrations: normalize_phone, clean_name, clean_email, check_length), so most
// mistakes never leave the device, and every message is the server's machine code. The server
// stays the authority for those. Password rules are the exception: the server receives only the
// phone's bcrypt of the password (client/bcrypt.ts), so `NewPassword` here is the one place they
// are checked.
import { z } from "zod";

/** Country calling code for numbers typed without + or 00 (the database's default setting). */
export const DEFAULT_COUNTRY_CODE = "351";

/**
 * Invisible characters removed from names and numbers (private.strip_invisible): the soft hyphen,
 * zero-width characters, direction marks and isolates, the byte-order mark. iOS wraps a number
 * copied from a contact in direction marks.
 */
export const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/g;
/** Every kind of space (private.space_class). */
export const SPACES = /[\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/g;

/** The phone number in E.164, as private.normalize_phone computes it, or null when invalid. */
export function normalizePhone(input: string, cc = DEFAULT_COUNTRY_CODE): string | null {
  if ([...input].length > 32) return null;
  const raw = input.replace(INVISIBLE, "").replace(SPACES, "").replace(/[.()-]/g, "");
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

/** The longest name, in characters (code points, as SQL's length() counts them). */
export const NAME_MAX = 50;
/**
 * A name tidied as private.clean_name does: invisible characters removed, every run of spaces one
 * space, trimmed, NFC-normalised (an accent typed as a combining mark becomes one letter).
 */
export const tidyName = (s: string) =>
  s.replace(INVISIBLE, "").replace(new RegExp(`${SPACES.source}+`, "g"), " ").replace(/^ | $/g, "").normalize("NFC");
/** Letters and marks of any script; words joined by one space, hyphen or apostrophe; initials with a dot. */
const NAME = /^[\p{L}\p{M}]+(?:\.?[ '’-][\p{L}\p{M}]+|\.[\p{L}\p{M}]+)*\.?$/u;
/** A name's length as SQL counts it (code points, not UTF-16 units). */
export const nameLength = (s: string) => [...s].length;
const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

export const Phone = z.string().refine((s) => normalizePhone(s) !== null, { error: "invalid_phone" })
  .transform((s) => normalizePhone(s)!);
const name = (code: string) => z.string().transform(tidyName)
  .refine((s) => nameLength(s) >= 1 && nameLength(s) <= NAME_MAX && NAME.test(s), { error: code });
export const FirstName = name("invalid_first_name");
export const LastName = name("invalid_last_name");
export const Email = z.string().transform((s) => s.trim().toLowerCase())
  .refine((s) => s.length <= 254 && EMAIL.test(s), { error: "invalid_email" });
/** The most common passwords (client/common-passwords.ts), loaded once, when first needed. */
let common: Promise<Set<string>> | null = null;
export const commonPasswords = (): Promise<Set<string>> =>
  common ??= import("./common-passwords.ts").then((m) => new Set(m.default.split("\n")));
/**
 * A new password, by NIST SP 800-63B: at least 8 characters, no rules of composition, not one of
 * the 10,000 most common (compared in lower case); at most 72 bytes (bcrypt reads no more). The
 * only place these rules live: the server never sees the password, only its bcrypt
 * (docs/security.md). The common list is a lazily loaded chunk, so the check is asynchronous:
 * parse with `checkAsync`.
 */
export const NewPassword = z.string()
  .refine((s) => utf8Length(s) <= 72, { error: "password_too_long", abort: true })
  .refine((s) => [...s].length >= 8, { error: "password_too_short", abort: true })
  .refine(async (s) => !(await commonPasswords()).has(s.toLowerCase()), { error: "common_password" });
/** A password typed to log in: anything up to 72 characters (the server checks its bcrypt). */
export const Password = z.string().min(1, { error: "invalid_credentials" }).max(72, { error: "input_too_long" });
export const Slug = z.string().min(1, { error: "event_not_found" }).max(100, { error: "input_too_long" });
export const SessionToken = z.string().min(1, { error: "invalid_session" }).max(100, { error: "input_too_long" });
export const QrToken = z.string().trim().min(1, { error: "unexpected" }).max(64, { error: "input_too_long" });
export const Nonce = z.string().min(8, { error: "invalid_nonce" }).max(100, { error: "invalid_nonce" });
export const Uuid = z.uuid({ error: "unexpected" });

/** The link a guest joins through. */
export const Link = z.object({ eventId: Uuid, promoterId: Uuid, teamId: Uuid.nullable() });
/** What a night asks besides the names (link_questions, set_event_questions). */
export const Questions = z.object({ birth_date: z.boolean(), min_age: z.number().nullable(), gender: z.boolean(), city: z.boolean() });
export type Questions = z.infer<typeof Questions>;
export const GENDERS = ["female", "male", "other"] as const;
const optionalText = z.string().optional().transform((s) => (s ?? "").trim() || undefined);
/** The answers as private.clean_birth_date / clean_gender / clean_city check them (empty: none). */
const answers = {
  birthDate: optionalText.refine((s) => s === undefined || (/^\d{4}-\d{2}-\d{2}$/.test(s) && validDate(s)), { error: "invalid_birth_date" }),
  gender: optionalText.refine((s) => s === undefined || (GENDERS as readonly string[]).includes(s), { error: "invalid_gender" }),
  city: optionalText.transform((s) => (s === undefined ? undefined : tidyName(s) || undefined))
    .refine((s) => s === undefined || (nameLength(s) <= 80 && !/[\p{Cc}<>{}[\]\\/@#$%^&*=+|~`"_;:!?]/u.test(s)), { error: "invalid_city" }),
};
/** A date YYYY-MM-DD that exists, from 1900 to today. */
function validDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s && s >= "1900-01-01" && d.getTime() <= Date.now();
}
/** Whole years from a date of birth to a night's date (both YYYY-MM-DD). */
export function ageOn(birthDate: string, night: string): number {
  const [by, bm, bd] = birthDate.split("-").map(Number);
  const [ny, nm, nd] = night.split("-").map(Number);
  return ny - by - (nm < bm || (nm === bm && nd < bd) ? 1 : 0);
}
export const Registration = z.object({
  phone: Phone, firstName: FirstName, lastName: LastName, email: Email, password: NewPassword, ...answers,
});
/**
 * The registration for a night that asks `q`: each asked answer required, and the date of birth
 * at least the minimum age on the night (`night`, YYYY-MM-DD), as the database checks them.
 */
export function registrationFor(q: Questions, night: string) {
  return Registration.superRefine((v, ctx) => {
    if (q.birth_date && !v.birthDate) ctx.addIssue({ code: "custom", path: ["birthDate"], message: "invalid_birth_date" });
    else if (q.min_age !== null && v.birthDate && ageOn(v.birthDate, night) < q.min_age) {
      ctx.addIssue({ code: "custom", path: ["birthDate"], message: "too_young" });
    }
    if (q.gender && !v.gender) ctx.addIssue({ code: "custom", path: ["gender"], message: "invalid_gender" });
    if (q.city && !v.city) ctx.addIssue({ code: "custom", path: ["city"], message: "invalid_city" });
  });
}
/** The answers a guest edits on /me (update_my_answers). */
export const Answers = z.object(answers);

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
export const Verdict = z.enum(["checked_in", "re_entered", "already_checked_in", "unknown", "wrong_event", "list_closed",
  "not_admitted", "checked_out", "not_inside", "conflict"]);
/** The door's view of a guest's age against the night's minimum (private.door_age_json). */
export const DoorAge = z.object({ age: z.number().nullable(), min_age: z.number().nullable(), old_enough: z.boolean().nullable() });
export type DoorAge = z.infer<typeof DoorAge>;
export const CheckIn = z.object({
  verdict: Verdict, event_id: z.uuid(), scanned_at: ts, checked_in_at: ts.nullable(),
  nonce: z.string().optional(), direction: z.enum(["in", "out"]).optional(), plus_ones: z.number().nullish(),
  reason: z.string().nullish(), offline_verdict: z.string().nullish(),
  /** The guest's age on the night when the night asks the date of birth (null age: not given). */
  age: DoorAge.nullish(),
  guest: z.object({ id: z.uuid(), first_name: z.string(), last_name: z.string(), promoter: z.string(),
    short_code: z.string().optional(), source: z.string().optional() }).nullable(),
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
  /** The pass's status: a waiting or pending pass holds no place and counts nowhere. */
  status: z.string().optional(), plus_ones: z.number().optional(),
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
