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
  new_password: "Palavra-passe", new_password_help: "8 ou mais caracteres. Uma frase que te lembres é ótima.",
  show_password: "Mostrar", hide_password: "Ocultar", show_password_label: "Mostrar a palavra-passe",
  forgot_password: "Esqueci-me da palavra-passe",
  forgot_sent: "Se este número tem conta com email, enviámos-te um link para mudares a palavra-passe. Abre-o neste telemóvel.",
  closed_login: "Já estás na lista? Entra para ver o teu passe.",
  name_count: "{count} de {max} caracteres",
  wait_minutes: "{n} minutos", wait_minute: "1 minuto", wait_seconds: "{n} segundos", wait_unknown: "alguns minutos",
  birth_date: "Data de nascimento", birth_date_help: "Esta noite é para maiores de {age} anos.", gender: "Género",
  gender_female: "Feminino", gender_male: "Masculino", gender_other: "Outro", choose: "Escolhe…", city: "Cidade",
  stats_title: "Quem vem", stats_gender: "Género", stats_age: "Idades", stats_unknown: "não indicado", stats_under_18: "menos de 18",
  register: "Criar conta e entrar na lista",
  other_phone: "Usar outro número",
  join_as: "Entrar na lista como {name}", not_you: "Não és {name}? Usar outro número",
  pass_title: "O teu passe", pass_for: "{name}, estás na lista.",
  pass_help: "Mostra este código à porta.", save_image: "Guardar imagem",
  email_pass: "Enviar por email", email_pass_sent: "Enviado para {to}. Vê a tua caixa de correio.",
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
  verdict_re_entered: "Voltou a entrar", verdict_not_admitted: "Não entra", verdict_checked_out: "Saída",
  verdict_not_inside: "Não estava dentro", verdict_conflict: "Conflito: já tinha entrado noutro aparelho",
  reason_revoked: "passe anulado", reason_waiting: "em lista de espera", reason_pending: "à espera de aprovação",
  plus_ones: "+{count} com este convidado", offline_judged: "sem rede, decidido no aparelho",
  search_label: "Procurar por nome ou código", search: "Procurar", no_results: "Ninguém encontrado.",
  check_in_guest: "Dar entrada a {name}", already_in: "já entrou", sound: "Som", vibration: "Vibração",
  entry: "Entrada", exit: "Saída", direction: "Leitura de", exit_scans: "Leituras de saída e reentrada nesta noite",
  offline_list: "Lista no aparelho: {count} passes ({time})", offline_list_none: "Lista no aparelho: ainda não descarregada",
  reconciled: "Enviado: {verdict}",
  pass_code: "Código do passe (para escrever à porta)",
  live_title: "Ao vivo", state_live: "Ao vivo", state_connecting: "A ligar…", state_offline: "Sem ligação — a tentar de novo",
  registered: "Inscritos", arrived: "Chegaram", capacity: "Lotação", no_capacity: "sem limite",
  by_promoter: "Por promotor", by_team: "Por equipa", promoter: "Promotor", team_col: "Equipa",
  arrivals_feed: "Chegadas", no_arrivals: "Ainda ninguém chegou.",
  chart_title: "Inscrições e chegadas por 15 minutos", chart_registrations: "Inscrições", chart_arrivals: "Chegadas",
  chart_empty: "Ainda sem dados.", my_data: "Os meus dados", announcement: "Aviso",
  announce_title: "Avisar a equipa (porta e promotores)", announce_kind: "Tipo", announce_message: "Aviso",
  kind_message: "Mensagem", kind_closing_soon: "A lista fecha em breve", kind_capacity_reached: "Lotação atingida",
  announce_send: "Enviar aviso", announce_sent: "Aviso enviado às {time}.",
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
  new_password: "Password", new_password_help: "8 or more characters. A phrase you will remember is great.",
  show_password: "Show", hide_password: "Hide", show_password_label: "Show the password",
  forgot_password: "I forgot my password",
  forgot_sent: "If this number has an account with an email, we sent a link to change the password. Open it on this phone.",
  closed_login: "Already on the list? Log in to see your pass.",
  name_count: "{count} of {max} characters",
  wait_minutes: "{n} minutes", wait_minute: "1 minute", wait_seconds: "{n} seconds", wait_unknown: "a few minutes",
  birth_date: "Date of birth", birth_date_help: "This night is for people aged {age} and over.", gender: "Gender",
  gender_female: "Female", gender_male: "Male", gender_other: "Other", choose: "Choose…", city: "City",
  stats_title: "Who is coming", stats_gender: "Gender", stats_age: "Ages", stats_unknown: "not given", stats_under_18: "under 18",
  register: "Create account and get on the list",
  other_phone: "Use another number",
  join_as: "Get on the list as {name}", not_you: "Not {name}? Use another number",
  pass_title: "Your pass", pass_for: "{name}, you are on the list.",
  pass_help: "Show this code at the door.", save_image: "Save image",
  email_pass: "Send by email", email_pass_sent: "Sent to {to}. Check your inbox.",
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
  verdict_re_entered: "Back in", verdict_not_admitted: "Not admitted", verdict_checked_out: "Out",
  verdict_not_inside: "Was not inside", verdict_conflict: "Conflict: already admitted on another device",
  reason_revoked: "pass revoked", reason_waiting: "on the waiting list", reason_pending: "awaiting approval",
  plus_ones: "+{count} with this guest", offline_judged: "no network, judged on this device",
  search_label: "Search by name or code", search: "Search", no_results: "Nobody found.",
  check_in_guest: "Check in {name}", already_in: "already in", sound: "Sound", vibration: "Vibration",
  entry: "Entry", exit: "Exit", direction: "Scanning", exit_scans: "Exit and re-entry scans on this night",
  offline_list: "List on this device: {count} passes ({time})", offline_list_none: "List on this device: not downloaded yet",
  reconciled: "Sent: {verdict}",
  pass_code: "Pass code (to type at the door)",
  live_title: "Live", state_live: "Live", state_connecting: "Connecting…", state_offline: "Disconnected — trying again",
  registered: "Registered", arrived: "Arrived", capacity: "Capacity", no_capacity: "no limit",
  by_promoter: "By promoter", by_team: "By team", promoter: "Promoter", team_col: "Team",
  arrivals_feed: "Arrivals", no_arrivals: "Nobody has arrived yet.",
  chart_title: "Registrations and arrivals per 15 minutes", chart_registrations: "Registrations", chart_arrivals: "Arrivals",
  chart_empty: "No data yet.", my_data: "My data", announcement: "Announcement",
  announce_title: "Tell the team (door and promoters)", announce_kind: "Kind", announce_message: "Announcement",
  kind_message: "Message", kind_closing_soon: "The list closes soon", kind_capacity_reached: "Capacity reached",
  announce_send: "Send announcement", announce_sent: "Announcement sent at {time}.",
};

export const errorsPt: Record<ErrorCode, string> = {
  invalid_phone: "Este número de telemóvel não parece válido. Ex.: 912 345 678.",
  weak_password: "A palavra-passe não chegou preparada por esta página. Recarrega a página e tenta de novo.",
  password_too_long: "A palavra-passe é demasiado longa (máximo 72 bytes).",
  invalid_first_name: "O nome deve ter 1 a 50 letras, de qualquer alfabeto (espaços, hífenes, apóstrofos e iniciais como \"J.\" são aceites).",
  invalid_last_name: "O apelido deve ter 1 a 50 letras, de qualquer alfabeto (espaços, hífenes, apóstrofos e iniciais como \"J.\" são aceites).",
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
  rate_limited: "Demasiadas tentativas. Tenta de novo daqui a {wait}.",
  account_locked: "Demasiadas palavras-passe erradas a partir daqui: tenta de novo daqui a {wait}, ou pede um link para mudar a palavra-passe.",
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
  promoter_required: "Escolhe o promotor com que esta pessoa entra.", invalid_kind: "Escolhe o tipo de aviso.",
  invalid_message: "Escreve o aviso (até 280 caracteres).", invalid_language: "Língua não suportada.",
  invalid_time_zone: "O fuso horário deste aparelho não é conhecido.",
  last_owner: "A organização precisa de pelo menos um dono.", membership_changed: "O teu papel mudou entretanto. Recarrega.",
  invalid_slug: "O nome no link usa letras minúsculas, algarismos e hífenes.", invalid_times: "A noite tem de acabar depois de começar.",
  invalid_closing_time: "A lista tem de fechar antes do fim da noite.", invalid_capacity: "A lotação tem de ser positiva.",
  slug_taken: "Esse nome no link já está a ser usado.", event_changed: "Alguém guardou esta noite entretanto. Recarrega e volta a editar.",
  capacity_below_guests: "Já há mais inscritos do que essa lotação.", invalid_days: "Número de dias inválido.",
  name_taken: "Já existe uma equipa com esse nome.", team_not_found: "O promotor não está nessa equipa.",
  exit_scans_off: "Esta noite não tem leituras de saída.", invalid_scans: "As leituras guardadas não são válidas.",
  invalid_direction: "Escolhe entrada ou saída.", invalid_settings: "Essa opção não é válida.",
  query_too_short: "Escreve pelo menos duas letras.", invitation_not_found: "Este convite não existe ou foi retirado.",
  invitation_for_another_email: "Este convite foi enviado para outro email.", invitation_used: "Este convite já foi usado.",
  invitation_expired: "Este convite expirou. Pede outro.", invitation_not_delivered: "O convite ficou guardado mas o email falhou. Tenta de novo.",
  invalid_reset_token: "Este link já não é válido. Pede outro.", outbox_unavailable: "Não foi possível enviar agora. Tenta mais tarde.",
  email_not_configured: "Este serviço ainda não envia emails. Fala com a organização.",
  pass_not_found: "Este passe já não existe. Abre o link da noite de novo.", no_email: "A tua conta não tem email. Guarda a imagem do passe.",
  pass_revoked: "Este passe foi cancelado pela organização.",
  network: "Sem ligação à internet. Verifica a rede e tenta de novo.",
  password_too_short: "A palavra-passe precisa de 8 ou mais caracteres.",
  common_password: "Essa palavra-passe é das mais usadas e fácil de adivinhar. Escolhe outra.",
  invalid_fields: "Corrige os campos assinalados.",
  invalid_birth_date: "Indica a data de nascimento (dia, mês e ano), entre 1900 e hoje.",
  invalid_gender: "Escolhe uma das opções.",
  invalid_city: "Indica a cidade (até 80 caracteres).",
  invalid_min_age: "A idade mínima vai de 1 a 99 anos e precisa que a data de nascimento seja pedida.",
  too_young: "Esta noite tem idade mínima e, pela data de nascimento, ainda não a tens.",
  unexpected: "Algo correu mal. Tenta de novo daqui a pouco.",
};

export const errorsEn: Record<ErrorCode, string> = {
  invalid_phone: "This mobile number does not look right. E.g. 912 345 678.",
  weak_password: "The password did not arrive prepared by this page. Reload the page and try again.",
  password_too_long: "The password is too long (at most 72 bytes).",
  invalid_first_name: "The first name must be 1 to 50 letters of any script (spaces, hyphens, apostrophes and initials like \"J.\" are fine).",
  invalid_last_name: "The last name must be 1 to 50 letters of any script (spaces, hyphens, apostrophes and initials like \"J.\" are fine).",
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
  rate_limited: "Too many attempts. Try again in {wait}.",
  account_locked: "Too many wrong passwords from here: try again in {wait}, or ask for a link to change the password.",
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
  promoter_required: "Choose the promoter this person signs in as.", invalid_kind: "Choose the kind of announcement.",
  invalid_message: "Type the announcement (up to 280 characters).", invalid_language: "Language not supported.",
  invalid_time_zone: "This device's time zone is not known.",
  last_owner: "The organisation needs at least one owner.", membership_changed: "Your role changed meanwhile. Reload.",
  invalid_slug: "The link name uses lower-case letters, digits and hyphens.", invalid_times: "The night must end after it starts.",
  invalid_closing_time: "The list must close before the night ends.", invalid_capacity: "The capacity must be positive.",
  slug_taken: "That link name is already in use.", event_changed: "Someone saved this night meanwhile. Reload and edit again.",
  capacity_below_guests: "More guests are registered than that capacity.", invalid_days: "Invalid number of days.",
  name_taken: "There is already a team with that name.", team_not_found: "The promoter is not in that team.",
  exit_scans_off: "This night takes no exit scans.", invalid_scans: "The saved scans are not valid.",
  invalid_direction: "Choose entry or exit.", invalid_settings: "That option is not valid.",
  query_too_short: "Type at least two letters.", invitation_not_found: "This invitation does not exist or was withdrawn.",
  invitation_for_another_email: "This invitation was sent to another email.", invitation_used: "This invitation was already used.",
  invitation_expired: "This invitation has expired. Ask for another.", invitation_not_delivered: "The invitation was saved but the email failed. Try again.",
  invalid_reset_token: "This link is no longer valid. Ask for another.", outbox_unavailable: "Could not send now. Try again later.",
  email_not_configured: "This service cannot send emails yet. Ask the organisers.",
  pass_not_found: "This pass no longer exists. Open the night's link again.", no_email: "Your account has no email. Save the pass as an image.",
  pass_revoked: "This pass was cancelled by the organisers.",
  network: "No internet connection. Check the network and try again.",
  password_too_short: "The password needs 8 or more characters.",
  common_password: "That password is one of the most used and easy to guess. Choose another.",
  invalid_fields: "Correct the marked fields.",
  invalid_birth_date: "Give the date of birth (day, month and year), between 1900 and today.",
  invalid_gender: "Pick one of the choices.",
  invalid_city: "Give the city (up to 80 characters).",
  invalid_min_age: "The minimum age is 1 to 99 years and needs the date of birth asked.",
  too_young: "This night has a minimum age and, by the date of birth, you are under it.",
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

/** A wait in words, as the server counted it: "15 minutos", "40 seconds" (null: "a few minutes"). */
export function waitText(seconds: number | null): string {
  if (seconds === null) return t("wait_unknown");
  if (seconds < 90) return t("wait_seconds", { n: Math.max(1, Math.ceil(seconds)) });
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? t("wait_minute") : t("wait_minutes", { n: minutes });
}

/**
 * The sentence for an error code in the current language (unknown codes: `unexpected`), with the
 * true wait where the answer gave one (`retryAfter`, seconds).
 */
export function errorText(code: string, retryAfter: number | null = null): string {
  const table = errs[current];
  return ((table as Record<string, string>)[code] ?? table.unexpected).replace("{wait}", waitText(retryAfter));
}

export function formatWhen(iso: string): string {
  return new Intl.DateTimeFormat(current === "pt" ? "pt-PT" : "en-GB", {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
}
export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(current === "pt" ? "pt-PT" : "en-GB", { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}
