// The shapes of the JSON the management, promoter and guest-data functions answer (docs/manage.md).
// The generated database types (client/database.types.ts) name every function and its arguments
// but type a jsonb answer only as `Json`; `Answers` gives `createApi(…).call` the shape for each.
import type { Json } from "./database.types.ts";
import type { CheckIn, DoorAge } from "./schemas.ts";

export type Org = { id: string; name: string; role: string; promoter_id: string | null };
export type EventRow = {
  id: string; slug: string; name: string; venue: string | null; starts_at: string; ends_at: string;
  guest_list_closes_at: string; capacity: number | null; is_published: boolean; version: number; registered: number;
  /** New guests per minute in force (the night's own limit, or the default). */
  registrations_per_minute: number;
  /** The list rules (set_event_list_rules) and the places taken, plus-ones included. */
  plus_ones_max: number; waiting_list: boolean; requires_approval: boolean; places: number;
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
/** An announcement to the night's team (send_announcement, latest_announcement). */
export type Announcement = { id: number; event_id: string; kind: string; message: string; sent_at: string };
export type PromoterLink = {
  event: { id: string; slug: string; name: string; venue: string | null; starts_at: string; ends_at: string };
  promoter: { id: string; slug: string; display_name: string }; team_id: string | null; path: string;
  /**
   * Opens of the link's card (record_link_open); passes holding a place (`registered`, not waiting
   * or pending) and their places with plus-ones; arrivals likewise; waiting and pending apart.
   */
  opens: number; registered: number; places: number; checked_in: number; checked_in_places: number; waiting: number; pending: number;
  announcement: Announcement | null;
};
export type PromoterOverview = { promoters: { id: string; display_name: string }[]; teams: { id: string; name: string }[]; links: PromoterLink[] };
export type PromoterFeed = {
  event: { id: string; name: string; starts_at: string };
  totals: { registered: number; places: number; checked_in: number; checked_in_places: number; waiting: number; pending: number };
  guests: { guest_id: string; first_name: string | null; last_initial: string | null; promoter: string; status: string; plus_ones: number;
    registered_at: string; checked_in_at: string | null }[];
};
export type GuestData = {
  account: {
    phone: string; first_name: string; last_name: string; email: string | null; created_at: string; last_login_at: string | null;
    birth_date: string | null; gender: string | null; city: string | null;
  };
  passes: { event: { name: string; starts_at: string }; organization: string; promoter: string; status: string; checked_in_at: string | null }[];
};
/** The night's list (event_list): rules, quotas, totals, and the passes that need a decision or were added by hand. */
export type ListGuest = {
  guest_id: string; name: string; status: string; plus_ones: number; source: string; promoter: string;
  registered_at: string; revoked_reason: string | null;
};
export type EventList = {
  event_id: string; capacity: number | null; plus_ones_max: number; waiting_list: boolean; requires_approval: boolean;
  totals: { registered: number; places: number; checked_in: number; waiting: number; pending: number; revoked: number };
  quotas: { promoter_id: string | null; team_id: string | null; name: string; places: number; taken: number }[];
  guests: ListGuest[];
};
/** The guest's own pass on the night (my_pass, set_my_plus_ones). */
export type MyPass = {
  guest_id: string; qr_token: string; status: string; plus_ones: number; plus_ones_max: number;
  checked_in_at: string | null; list_open: boolean;
};

/** What a night asks besides the names (client/schemas.ts `Questions`). */
export type Questions = { birth_date: boolean; min_age: number | null; gender: boolean; city: boolean };
/** A night's guests in aggregate (event_guest_stats): counts only, for the questions it asks. */
export type GuestStats = {
  questions: Questions; guests: number;
  gender: { female: number; male: number; other: number; unknown: number } | null;
  age_bands: { band: string; guests: number }[] | null;
};
/** A guest found at the door by name or short code (find_guests). */
export type FoundGuest = {
  guest_id: string; first_name: string; last_name: string; promoter: string; status: string;
  checked_in_at: string | null; plus_ones: number; short_code: string; source: string;
  /** Age on the night when the night asks the date of birth, else null. */
  age: DoorAge | null;
};
/**
 * What the door keeps to judge scans offline (door_list): per pass [sha256 of the QR secret in
 * hex, short code, first name and last initial, plus-ones, status, checked in, inside, age].
 */
export type DoorList = {
  event_id: string; ends_at: string; exit_scans: boolean; generated_at: string;
  /** Whether the night asks the date of birth, and its minimum age. */
  birth_date?: boolean; min_age?: number | null;
  guests: [hash: string, code: string, name: string, plusOnes: number, status: string, checkedIn: boolean, inside: boolean, age?: number | null][];
};

/** A banned number of the organisation (organization_bans): the whole number for owners, masked for admins. */
export type Ban = { id: string; phone: string; reason: string; created_at: string; banned_by: string | null };

/** The answer of each function whose shape a page reads; any other answers `Json`. */
export type Answers = {
  my_organizations: Org[];
  create_organization: Org;
  organization_overview: Overview;
  accept_invitation: { organization_id: string; role: string };
  export_guest_list: string;
  promoter_overview: PromoterOverview;
  promoter_event_feed: PromoterFeed;
  my_guest_data: GuestData;
  update_my_answers: { birth_date: string | null; gender: string | null; city: string | null };
  set_event_questions: Questions;
  event_guest_stats: GuestStats;
  latest_announcement: Announcement | null;
  send_announcement: Announcement & { topic: string };
  find_guests: FoundGuest[];
  check_in_guest_by_id: CheckIn;
  check_out_guest: CheckIn;
  door_list: DoorList;
  door_sync: CheckIn[];
  set_door_settings: { event_id: string; exit_scans: boolean };
  event_list: EventList;
  my_pass: MyPass;
  set_my_plus_ones: MyPass;
  organization_bans: Ban[];
  ban_phone: Ban & { revoked: number };
  unban_phone: { removed: boolean };
  add_guest_by_hand: { guest_id: string; qr_token: string; name: string; plus_ones: number; source: string; status: string };
};
export type Answer<F extends string> = F extends keyof Answers ? Answers[F] : Json;

/** What the edge functions the pages call answer. */
export type FunctionAnswers = {
  "invite-member": { id: string; email: string; role: string; expires_at: string; delivered: string };
  "guest-password-reset": Json;
  "guest-pass-email": { queued: true; to: string };
  "event-broadcast": Announcement & { sent: boolean; topic: string };
};
