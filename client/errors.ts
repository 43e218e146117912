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
  "promoter_not_found", "promoter_taken", "last_owner", "membership_changed", "invalid_slug", "invalid_times",
  "invalid_closing_time", "invalid_capacity", "slug_taken", "event_changed", "capacity_below_guests", "invalid_days",
  "name_taken", "team_not_found", "query_too_short", "invitation_not_found", "invitation_for_another_email",
  "invitation_used", "invitation_expired", "invitation_not_delivered", "invalid_reset_token", "outbox_unavailable",
  "email_not_configured",
  // The night's list (docs/manage.md, "The list").
  "invalid_plus_ones", "invalid_source", "invalid_quota", "invalid_reason", "promoter_not_on_event", "pass_not_found",
  "guest_not_found", "quota_full", "guest_list_full", "not_enough_places", "already_on_list", "already_checked_in",
  "not_pending", "quota_below_guests",
  // The client's own: the network failed, a password confirmation differs, an unexpected answer.
  "network", "password_mismatch", "unexpected",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

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
  return new ApiError(known, status, s(body?.details), s(body?.hint));
}
