// Every sentence the pages show, in Portuguese (the product's market, the default) and English.
// Each error code of the API has a sentence in both (the type makes a missing one a compile error).
import type { ErrorCode } from "../../errors.ts";

export type Lang = "pt" | "en";

const pt = {
  lang_switch: "English", lang_switch_label: "Switch to English", lang_name: "pt",
  loading: "A carregar…",
  promoter_by: "Lista de {name}", team: "Equipa {name}",
  closes_at: "A lista fecha {when}",
  phone_label: "Número de telemóvel", phone_help: "Ex.: 912 345 678, ou +44 … para outro país.",
  continue: "Continuar",
  password_label: "Palavra-passe", welcome_back: "Bem-vindo de volta. Escreve a tua palavra-passe.",
  log_in: "Entrar na lista",
  new_here: "Primeira vez? Cria a tua conta para entrar na lista.",
  first_name: "Nome", last_name: "Apelido", email: "Email",
  new_password: "Palavra-passe", new_password_help: "8 ou mais caracteres, com maiúscula, minúscula e algarismo.",
  confirm_password: "Repete a palavra-passe",
  register: "Criar conta e entrar na lista",
  other_phone: "Usar outro número",
  join_as: "Entrar na lista como {name}", not_you: "Não és {name}? Usar outro número",
  pass_title: "O teu passe", pass_for: "{name}, estás na lista.",
  pass_help: "Mostra este código à porta.", save_image: "Guardar imagem",
  qr_alt: "Código QR do passe de {name}",
  waiting: "Há muita gente a entrar agora. Estás na fila — não feches a página.",
  waiting_position: "Estás na fila: posição {position}, cerca de {seconds} s.",
  waiting_retry: "A ligar de novo…",
  working: "Um momento…",
  preparing: "A preparar…",
  closed_title: "A lista está fechada", closed_body: "Já não é possível entrar na lista para esta noite.",
  unknown_title: "Link não encontrado", unknown_body: "Este link não leva a uma noite aberta. Pede um novo link ao teu promotor.",
  // staff pages
  sign_in_title: "Entrar", sign_in: "Entrar", sign_out: "Sair", staff_email: "Email", staff_password: "Palavra-passe",
  pick_event: "Escolhe o evento", no_events: "Não há eventos na tua organização.", change_event: "Mudar de evento",
  door_title: "Porta", scan_camera: "Ler com a câmara", stop_camera: "Parar câmara", camera_unavailable: "A câmara não está disponível. Escreve o código.",
  token_label: "Código do passe", check_in: "Dar entrada",
  queued: "{count} leitura(s) à espera de envio", queue_empty: "Tudo enviado",
  saved_offline: "Sem rede: leitura guardada", saved_offline_body: "Será enviada quando a rede voltar.",
  verdict_checked_in: "Entrada", verdict_already_checked_in: "Já entrou às {time}", verdict_unknown: "Código desconhecido",
  verdict_wrong_event: "Passe de outro evento", verdict_list_closed: "Lista fechada",
  tap_to_continue: "Toca para continuar", recent_scans: "Leituras recentes",
  live_title: "Ao vivo", state_live: "Ao vivo", state_connecting: "A ligar…", state_offline: "Sem ligação — a tentar de novo",
  registered: "Inscritos", arrived: "Chegaram", capacity: "Lotação", no_capacity: "sem limite",
  by_promoter: "Por promotor", by_team: "Por equipa", promoter: "Promotor", team_col: "Equipa",
  arrivals_feed: "Chegadas", no_arrivals: "Ainda ninguém chegou.",
  chart_title: "Inscrições e chegadas por 15 minutos", chart_registrations: "Inscrições", chart_arrivals: "Chegadas",
  chart_empty: "Ainda sem dados.", my_data: "Os meus dados", announcement: "Aviso",
  // the night's list (guest page and /live)
  list_full: "Esta noite está esgotada.", list_full_waiting: "Esgotado — entra na lista de espera e recebes o passe se abrir um lugar.",
  list_approval: "A organização aprova cada convidado.",
  pass_waiting: "Estás na lista de espera. O passe aparece aqui se abrir um lugar.",
  pass_pending: "À espera da aprovação da organização.", pass_revoked: "Este passe foi cancelado.",
  plus_ones_label: "Quantas pessoas vêm contigo?", plus_ones_save: "Guardar", plus_ones_saved: "Vens com +{n}.",
  list_title: "A lista", add_guest: "Adicionar convidado", guest_name: "Nome", guest_phone: "Telemóvel (opcional)",
  source: "Origem", source_door: "Porta", source_organiser: "Organização", source_vip: "VIP", plus_ones_col: "Acompanhantes",
  guest_added: "{name} está na lista.", places: "Lugares", waiting_col: "Em espera", pending_col: "Por aprovar",
  approve: "Aprovar", refuse: "Recusar", revoke: "Cancelar passe", revoke_reason: "Motivo",
  revoke_confirm: "Cancelar o passe de {name}? O lugar passa à lista de espera.", revoked: "Cancelado",
  find_guest: "Procurar convidado para cancelar", search: "Procurar", status_col: "Estado",
};

const en: typeof pt = {
  lang_switch: "Português", lang_switch_label: "Mudar para português", lang_name: "en",
  loading: "Loading…",
  promoter_by: "{name}'s list", team: "Team {name}",
  closes_at: "The list closes {when}",
  phone_label: "Mobile number", phone_help: "E.g. 912 345 678, or +44 … for another country.",
  continue: "Continue",
  password_label: "Password", welcome_back: "Welcome back. Type your password.",
  log_in: "Get on the list",
  new_here: "First time? Create your account to get on the list.",
  first_name: "First name", last_name: "Last name", email: "Email",
  new_password: "Password", new_password_help: "8 or more characters, with an upper-case letter, a lower-case letter and a digit.",
  confirm_password: "Repeat the password",
  register: "Create account and get on the list",
  other_phone: "Use another number",
  join_as: "Get on the list as {name}", not_you: "Not {name}? Use another number",
  pass_title: "Your pass", pass_for: "{name}, you are on the list.",
  pass_help: "Show this code at the door.", save_image: "Save image",
  qr_alt: "QR code of {name}'s pass",
  waiting: "Lots of people are joining right now. You are in the queue — keep this page open.",
  waiting_position: "You are in the queue: position {position}, about {seconds} s.",
  waiting_retry: "Connecting again…",
  working: "One moment…",
  preparing: "Preparing…",
  closed_title: "The list is closed", closed_body: "It is no longer possible to get on the list for this night.",
  unknown_title: "Link not found", unknown_body: "This link does not lead to an open night. Ask your promoter for a new link.",
  sign_in_title: "Sign in", sign_in: "Sign in", sign_out: "Sign out", staff_email: "Email", staff_password: "Password",
  pick_event: "Pick the event", no_events: "Your organization has no events.", change_event: "Change event",
  door_title: "Door", scan_camera: "Scan with the camera", stop_camera: "Stop camera", camera_unavailable: "The camera is not available. Type the code.",
  token_label: "Pass code", check_in: "Check in",
  queued: "{count} scan(s) waiting to be sent", queue_empty: "All sent",
  saved_offline: "No network: scan saved", saved_offline_body: "It will be sent when the network is back.",
  verdict_checked_in: "Checked in", verdict_already_checked_in: "Already checked in at {time}", verdict_unknown: "Unknown code",
  verdict_wrong_event: "Pass for another event", verdict_list_closed: "List closed",
  tap_to_continue: "Tap to continue", recent_scans: "Recent scans",
  live_title: "Live", state_live: "Live", state_connecting: "Connecting…", state_offline: "Disconnected — trying again",
  registered: "Registered", arrived: "Arrived", capacity: "Capacity", no_capacity: "no limit",
  by_promoter: "By promoter", by_team: "By team", promoter: "Promoter", team_col: "Team",
  arrivals_feed: "Arrivals", no_arrivals: "Nobody has arrived yet.",
  chart_title: "Registrations and arrivals per 15 minutes", chart_registrations: "Registrations", chart_arrivals: "Arrivals",
  chart_empty: "No data yet.", my_data: "My data", announcement: "Announcement",
  // the night's list (guest page and /live)
  list_full: "This night is full.", list_full_waiting: "Full — join the waiting list and you get the pass if a place frees.",
  list_approval: "The organisers approve each guest.",
  pass_waiting: "You are on the waiting list. The pass appears here if a place frees.",
  pass_pending: "Waiting for the organisers' approval.", pass_revoked: "This pass was cancelled.",
  plus_ones_label: "How many people come with you?", plus_ones_save: "Save", plus_ones_saved: "You come with +{n}.",
  list_title: "The list", add_guest: "Add guest", guest_name: "Name", guest_phone: "Phone (optional)",
  source: "Source", source_door: "Door", source_organiser: "Organisers", source_vip: "VIP", plus_ones_col: "Plus-ones",
  guest_added: "{name} is on the list.", places: "Places", waiting_col: "Waiting", pending_col: "To approve",
  approve: "Approve", refuse: "Refuse", revoke: "Cancel pass", revoke_reason: "Reason",
  revoke_confirm: "Cancel {name}'s pass? The place goes to the waiting list.", revoked: "Cancelled",
  find_guest: "Find a guest to cancel", search: "Search", status_col: "Status",
};

export const errorsPt: Record<ErrorCode, string> = {
  invalid_phone: "Este número de telemóvel não parece válido. Ex.: 912 345 678.",
  weak_password: "A palavra-passe precisa de 8 ou mais caracteres, com maiúscula, minúscula e algarismo.",
  password_too_long: "A palavra-passe é demasiado longa (máximo 72 bytes).",
  invalid_first_name: "O nome deve ter 2 a 50 letras (espaços, hífenes e apóstrofos são aceites).",
  invalid_last_name: "O apelido deve ter 2 a 50 letras (espaços, hífenes e apóstrofos são aceites).",
  invalid_email: "Este email não parece válido.",
  input_too_long: "Um dos campos é demasiado longo.",
  invalid_nonce: "Leitura inválida. Tenta de novo.",
  invalid_credentials: "Número ou palavra-passe errados. Confirma e tenta de novo.",
  invalid_session: "A tua sessão expirou. Entra com o teu número e palavra-passe.",
  not_authenticated: "Precisas de entrar primeiro.",
  forbidden: "Não fazes parte da equipa deste evento.",
  event_not_found: "Este evento não existe ou não está aberto.",
  promoter_not_linked: "Este link de promotor não é válido para este evento. Pede um novo link.",
  phone_already_registered: "Este número já tem conta. Entra com a tua palavra-passe.",
  guest_list_closed: "A lista está fechada para esta noite.",
  nonce_reused: "Esta leitura já foi usada. Lê o código de novo.",
  rate_limited: "Demasiadas tentativas. Espera um minuto e tenta de novo.",
  account_locked: "Demasiadas tentativas erradas. A conta está bloqueada durante alguns minutos.",
  busy: "Há muita gente a entrar agora. Estás na fila — não feches a página.",
  proof_required: "Falta a verificação deste dispositivo. Recarrega a página e tenta de novo.",
  proof_invalid: "A verificação deste dispositivo falhou ou expirou. Recarrega a página e tenta de novo.",
  proof_reused: "Esta verificação já foi usada. Recarrega a página e tenta de novo.",
  invalid_limit: "Esse limite não é válido.",
  invalid_body: "O pedido não é válido. Tenta de novo.",
  invalid_json: "O pedido não é válido. Tenta de novo.",
  method_not_allowed: "O pedido não é válido. Tenta de novo.",
  use_post: "O pedido não é válido. Atualiza a página e tenta de novo.",
  broadcast_failed: "O aviso não foi entregue. Tenta de novo daqui a pouco.",
  organization_not_found: "Esta organização não existe ou não fazes parte dela.",
  invalid_name: "Escreve um nome.", invalid_display_name: "Escreve o nome a mostrar.",
  invalid_role: "Escolhe um papel válido.", member_not_found: "Esta pessoa já não é membro.",
  promoter_not_found: "Promotor não encontrado.", promoter_taken: "Outra conta já entra como este promotor.",
  last_owner: "A organização precisa de pelo menos um dono.", membership_changed: "O teu papel mudou entretanto. Recarrega.",
  invalid_slug: "O nome no link usa letras minúsculas, algarismos e hífenes.", invalid_times: "A noite tem de acabar depois de começar.",
  invalid_closing_time: "A lista tem de fechar antes do fim da noite.", invalid_capacity: "A lotação tem de ser positiva.",
  slug_taken: "Esse nome no link já está a ser usado.", event_changed: "Alguém guardou esta noite entretanto. Recarrega e volta a editar.",
  capacity_below_guests: "Já há mais inscritos do que essa lotação.", invalid_days: "Número de dias inválido.",
  name_taken: "Já existe uma equipa com esse nome.", team_not_found: "O promotor não está nessa equipa.",
  query_too_short: "Escreve pelo menos duas letras.", invitation_not_found: "Este convite não existe ou foi retirado.",
  invitation_for_another_email: "Este convite foi enviado para outro email.", invitation_used: "Este convite já foi usado.",
  invitation_expired: "Este convite expirou. Pede outro.", invitation_not_delivered: "O convite ficou guardado mas o email falhou. Tenta de novo.",
  invalid_reset_token: "Este link já não é válido. Pede outro.", outbox_unavailable: "Não foi possível enviar agora. Tenta mais tarde.",
  email_not_configured: "Este serviço ainda não envia emails. Fala com a organização.",
  invalid_plus_ones: "Esse número de acompanhantes não é permitido nesta noite.",
  invalid_source: "Escolhe porta, organização ou VIP.", invalid_quota: "A quota é um número de lugares acima de zero.",
  invalid_reason: "Escreve o motivo.", promoter_not_on_event: "Esse promotor não tem link para esta noite.",
  pass_not_found: "Não tens passe para esta noite.", guest_not_found: "Este passe já não está na lista. Recarrega.",
  quota_full: "Os lugares deste link esgotaram. Fala com o teu promotor.", guest_list_full: "Não há lugar para este convidado.",
  not_enough_places: "Já não há tantos lugares. Escolhe um número menor.", already_on_list: "Este convidado já tem passe.",
  already_checked_in: "Este convidado já entrou.", not_pending: "Este convidado já não espera aprovação. Recarrega.",
  quota_below_guests: "Já há mais lugares ocupados do que essa quota.",
  network: "Sem ligação à internet. Verifica a rede e tenta de novo.",
  password_mismatch: "As palavras-passe não coincidem.",
  unexpected: "Algo correu mal. Tenta de novo daqui a pouco.",
};

export const errorsEn: Record<ErrorCode, string> = {
  invalid_phone: "This mobile number does not look right. E.g. 912 345 678.",
  weak_password: "The password needs 8 or more characters, with an upper-case letter, a lower-case letter and a digit.",
  password_too_long: "The password is too long (at most 72 bytes).",
  invalid_first_name: "The first name must be 2 to 50 letters (spaces, hyphens and apostrophes are fine).",
  invalid_last_name: "The last name must be 2 to 50 letters (spaces, hyphens and apostrophes are fine).",
  invalid_email: "This email address does not look right.",
  input_too_long: "One of the fields is too long.",
  invalid_nonce: "Invalid scan. Try again.",
  invalid_credentials: "Wrong number or password. Check both and try again.",
  invalid_session: "Your session has expired. Log in with your number and password.",
  not_authenticated: "You need to sign in first.",
  forbidden: "You are not on the team of this event.",
  event_not_found: "This event does not exist or is not open.",
  promoter_not_linked: "This promoter link is not valid for this event. Ask for a new link.",
  phone_already_registered: "This number already has an account. Log in with your password.",
  guest_list_closed: "The list is closed for this night.",
  nonce_reused: "This scan was already used. Scan the code again.",
  rate_limited: "Too many attempts. Wait a minute and try again.",
  account_locked: "Too many wrong attempts. The account is locked for a few minutes.",
  busy: "Lots of people are joining right now. You are in the queue — keep this page open.",
  proof_required: "This device's check is missing. Reload the page and try again.",
  proof_invalid: "This device's check failed or expired. Reload the page and try again.",
  proof_reused: "This device check was already used. Reload the page and try again.",
  invalid_limit: "That limit is not valid.",
  invalid_body: "The request is not valid. Try again.",
  invalid_json: "The request is not valid. Try again.",
  method_not_allowed: "The request is not valid. Try again.",
  use_post: "The request is not valid. Reload the page and try again.",
  broadcast_failed: "The announcement was not delivered. Try again in a moment.",
  organization_not_found: "This organisation does not exist or you are not in it.",
  invalid_name: "Type a name.", invalid_display_name: "Type the display name.",
  invalid_role: "Choose a valid role.", member_not_found: "This person is no longer a member.",
  promoter_not_found: "Promoter not found.", promoter_taken: "Another account already signs in as this promoter.",
  last_owner: "The organisation needs at least one owner.", membership_changed: "Your role changed meanwhile. Reload.",
  invalid_slug: "The link name uses lower-case letters, digits and hyphens.", invalid_times: "The night must end after it starts.",
  invalid_closing_time: "The list must close before the night ends.", invalid_capacity: "The capacity must be positive.",
  slug_taken: "That link name is already in use.", event_changed: "Someone saved this night meanwhile. Reload and edit again.",
  capacity_below_guests: "More guests are registered than that capacity.", invalid_days: "Invalid number of days.",
  name_taken: "There is already a team with that name.", team_not_found: "The promoter is not in that team.",
  query_too_short: "Type at least two letters.", invitation_not_found: "This invitation does not exist or was withdrawn.",
  invitation_for_another_email: "This invitation was sent to another email.", invitation_used: "This invitation was already used.",
  invitation_expired: "This invitation has expired. Ask for another.", invitation_not_delivered: "The invitation was saved but the email failed. Try again.",
  invalid_reset_token: "This link is no longer valid. Ask for another.", outbox_unavailable: "Could not send now. Try again later.",
  email_not_configured: "This service cannot send emails yet. Ask the organisers.",
  invalid_plus_ones: "That many plus-ones are not allowed on this night.",
  invalid_source: "Choose door, organisers or VIP.", invalid_quota: "A quota is a number of places above zero.",
  invalid_reason: "Type the reason.", promoter_not_on_event: "That promoter has no link for this night.",
  pass_not_found: "You have no pass for this night.", guest_not_found: "This pass is no longer on the list. Reload.",
  quota_full: "This link's places are all taken. Ask your promoter.", guest_list_full: "There is no place for this guest.",
  not_enough_places: "There are not that many places left. Choose a smaller number.", already_on_list: "This guest already has a pass.",
  already_checked_in: "This guest is already in.", not_pending: "This guest is no longer waiting for approval. Reload.",
  quota_below_guests: "More places are already taken than that quota.",
  network: "No internet connection. Check the network and try again.",
  password_mismatch: "The passwords do not match.",
  unexpected: "Something went wrong. Try again in a moment.",
};

export type Key = keyof typeof pt;
const dicts: Record<Lang, typeof pt> = { pt, en };
const errs: Record<Lang, Record<ErrorCode, string>> = { pt: errorsPt, en: errorsEn };

const LANG_KEY = "guestlist.lang";
let current: Lang = "pt";
try {
  const stored = globalThis.localStorage?.getItem(LANG_KEY);
  if (stored === "en" || stored === "pt") current = stored;
} catch { /* storage unavailable */ }

export const lang = () => current;
export function setLang(l: Lang) {
  current = l;
  try { localStorage.setItem(LANG_KEY, l); } catch { /* ignore */ }
  document.documentElement.lang = l === "pt" ? "pt-PT" : "en";
}

/** The sentence for `key` in the current language, with {placeholders} filled. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return dicts[current][key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

/** The sentence for an error code in the current language (unknown codes: `unexpected`). */
export function errorText(code: string): string {
  const table = errs[current];
  return (table as Record<string, string>)[code] ?? table.unexpected;
}

export function formatWhen(iso: string): string {
  return new Intl.DateTimeFormat(current === "pt" ? "pt-PT" : "en-GB", {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}
export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(current === "pt" ? "pt-PT" : "en-GB", { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}
