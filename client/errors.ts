// Errors as typed values: every failed call becomes an ApiError carrying the server's stable
// machine code (`code`), the HTTP status, and the server's sentences for people. Pages branch
// on `code` and show their own sentence for it (client/pages/i18n.ts), never the raw text.

/** Every machine code the API answers with (README "Errors"), plus the client's own. */
export const ERROR_CODES = [
  "invalid_phone", "weak_password", "password_too_long", "invalid_first_name", "invalid_last_name",
  "invalid_email", "input_too_long", "invalid_nonce", "invalid_credentials", "invalid_session",
  "not_authenticated", "forbidden", "event_not_found", "promoter_not_linked", "phone_already_registered",
  "guest_list_closed", "nonce_reused", "rate_limited", "account_locked", "busy",
  "proof_required", "proof_invalid", "proof_reused", "invalid_limit", "invalid_body", "invalid_json", "method_not_allowed", "use_post", "broadcast_failed",
  // Management (docs/manage.md).
  "organization_not_found", "invalid_name", "invalid_display_name", "invalid_role", "member_not_found",
  "promoter_not_found", "promoter_taken", "promoter_required", "invalid_kind", "invalid_message", "invalid_language", "invalid_time_zone", "last_owner", "membership_changed", "invalid_slug", "invalid_times",
  "invalid_closing_time", "invalid_capacity", "slug_taken", "event_changed", "capacity_below_guests", "invalid_days",
  "name_taken", "team_not_found", "query_too_short", "invitation_not_found", "invitation_for_another_email",
  "invitation_used", "invitation_expired", "invitation_not_delivered", "invalid_reset_token", "outbox_unavailable",
  "email_not_configured", "pass_not_found", "no_email", "pass_revoked", "pass_not_confirmed",
  // The door (docs/pages.md).
  "exit_scans_off", "invalid_scans", "invalid_direction", "invalid_settings",
  // The night's list (docs/manage.md, "The list").
  "invalid_plus_ones", "invalid_source", "invalid_quota", "invalid_reason", "promoter_not_on_event",
  "guest_not_found", "quota_full", "guest_list_full", "not_enough_places", "already_on_list", "already_checked_in",
  "not_pending", "quota_below_guests",
  // The night's questions (set_event_questions, register_and_create_guest_v2, update_my_answers).
  "invalid_birth_date", "invalid_gender", "invalid_city", "invalid_min_age", "too_young",
  "birth_date_needed",
  // Bans and suspension (docs/manage.md): one neutral refusal for both; the operator's own.
  "not_admitted", "account_not_found", "phone_banned",
  // The client's own: the network failed, a new password too short or among the most common, a
  // form with several wrong fields, an unexpected answer.
  "network", "password_too_short", "common_password", "invalid_fields", "unexpected",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One wrong field of a form checked on the device: its input path (e.g. `firstName`) and code. */
export type FieldIssue = { field: string | null; code: string };

export class ApiError extends Error {
  constructor(
    /** The stable machine code (the body's `message`), e.g. `invalid_phone`. */
    readonly code: string,
    /** HTTP status; 0 when the network failed before an answer arrived. */
    readonly status: number,
    readonly details: string | null = null,
    readonly hint: string | null = null,
    /** The offending input field for a client-side check, if any. */
    readonly field: string | null = null,
    /** Every wrong field of a client-side check (all at once), the first one being `field`. */
    readonly issues: FieldIssue[] = [],
    /** Seconds to wait before trying again (429: the server's `retry_after`), or null. */
    readonly retryAfter: number | null = null,
  ) {
    super(details ?? code);
    this.name = "ApiError";
  }
}

/** An ApiError from an error body as PostgREST and the edge functions send it. */
export function fromBody(status: number, body: Record<string, unknown> | null | undefined): ApiError {
  const s = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  if (status === 0) return new ApiError("network", 0, s(body?.message));
  const code = s(body?.message);
  // A PostgREST/platform error (PGRST…, SQLSTATE) has no stable product code in `message`.
  const known = code && /^[a-z_]+$/.test(code) ? code : status === 503 || status === 504 ? "busy" : "unexpected";
  const retry = Number(body?.retry_after);
  return new ApiError(known, status, s(body?.details), s(body?.hint), null, [], Number.isFinite(retry) && retry > 0 ? retry : null);
}
