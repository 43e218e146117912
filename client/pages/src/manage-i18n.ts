// The sentences of the management, promoter and "my data" pages, in Portuguese (default) and
// English; the language is the one the header's switch sets for every page (i18n.ts).
import { lang } from "./i18n.ts";

const pt = {
  manage_title: "Gestão", promoter_title: "Os meus links", me_title: "Os meus dados",
  my_orgs: "As tuas organizações", create_org: "Criar organização", org_name: "Nome da organização",
  no_manage_role: "Não és dono nem administrador de nenhuma organização.", go_promoter: "Ver os meus links de promotor",
  invited_title: "Foste convidado", invited_body: "Escolhe uma palavra-passe para entrares da próxima vez e aceita o convite.",
  accept_invitation: "Aceitar convite", choose_password: "Nova palavra-passe (opcional se já tens uma)",
  events: "Noites", new_event: "Nova noite", edit_event: "Editar noite", save: "Guardar", cancel: "Cancelar",
  event_name: "Nome", event_slug: "Nome no link", event_slug_help: "Letras minúsculas, algarismos e hífenes, ex.: sexta-lux.",
  venue: "Local", starts_at: "Começa", ends_at: "Acaba", closes_at_label: "A lista fecha", capacity_label: "Lotação (vazio: sem limite)",
  published: "Publicada (os links abrem)", draft: "Rascunho", is_published: "Publicada",
  duplicate: "Duplicar para a semana seguinte", export_csv: "Exportar lista (CSV)",
  pace: "Novos convidados por minuto", pace_help: "Para uma noite viral: quem passar deste ritmo espera uns segundos, não é recusado.", save_pace: "Guardar ritmo",
  links: "Links dos promotores", no_links: "Nenhum promotor ligado a esta noite.", link_promoter: "Ligar promotor",
  no_team: "Sem equipa", unlink: "Desligar", copy: "Copiar link", copied: "Link copiado.",
  promoters: "Promotores", new_promoter: "Novo promotor", display_name: "Nome a mostrar", promoter_slug: "Nome no link",
  has_account: "com conta", no_account: "sem conta",
  teams: "Equipas", new_team: "Nova equipa", team_name: "Nome da equipa", add_to_team: "Pôr na equipa", leader: "Líder",
  team_members_none: "Sem promotores.",
  members: "Membros", role: "Papel", remove: "Remover", invite: "Convidar", invite_email: "Email da pessoa",
  invite_promoter: "Promotor (para o papel promotor)", invite_sent: "Convite enviado por email para {email}. O link é só para essa pessoa.",
  role_owner: "Dono", role_admin: "Administrador", role_staff: "Porta", role_promoter: "Promotor",
  saved: "Guardado.", registered_of: "{registered} inscritos", capacity_of: "{registered} / {capacity} inscritos",
  your_links: "Os teus links", team_links: "Links da tua equipa", no_promoter_links: "Ainda não tens links.",
  guests_of_night: "Os teus convidados", no_guests: "Ainda ninguém se inscreveu.", arrived_at: "chegou às {time}",
  registered_at: "inscrito às {time}", pick_link: "Ver convidados",
  me_intro: "O que guardamos sobre ti, com a sessão deste telemóvel.", me_no_session: "Não há sessão neste telemóvel. Entra na lista por um link de promotor e volta aqui.",
  account: "Conta", phone: "Telemóvel", passes: "Passes", delete_account: "Apagar a minha conta",
  delete_confirm: "Apagar a conta? Os passes das próximas noites desaparecem; os das noites passadas ficam sem nome.",
  deleted: "A tua conta foi apagada.", forgot_title: "Esqueceste a palavra-passe?", send_link: "Enviar link por email",
  forgot_sent: "Se este número tem conta com email, o link está a caminho.",
  reset_title: "Nova palavra-passe", reset_done: "Palavra-passe mudada. Entra com ela no link do teu promotor.",
  my_data_link: "Os meus dados",
};
const en: typeof pt = {
  manage_title: "Management", promoter_title: "My links", me_title: "My data",
  my_orgs: "Your organisations", create_org: "Create organisation", org_name: "Organisation name",
  no_manage_role: "You are not an owner or admin of any organisation.", go_promoter: "See my promoter links",
  invited_title: "You are invited", invited_body: "Choose a password to sign in next time, and accept the invitation.",
  accept_invitation: "Accept invitation", choose_password: "New password (optional if you have one)",
  events: "Nights", new_event: "New night", edit_event: "Edit night", save: "Save", cancel: "Cancel",
  event_name: "Name", event_slug: "Name in the link", event_slug_help: "Lower-case letters, digits and hyphens, e.g. friday-lux.",
  venue: "Venue", starts_at: "Starts", ends_at: "Ends", closes_at_label: "The list closes", capacity_label: "Capacity (empty: no limit)",
  published: "Published (links open)", draft: "Draft", is_published: "Published",
  duplicate: "Duplicate to the next week", export_csv: "Export list (CSV)",
  pace: "New guests per minute", pace_help: "For a viral night: guests past this pace wait a few seconds, nobody is refused.", save_pace: "Save pace",
  links: "Promoter links", no_links: "No promoter linked to this night.", link_promoter: "Link promoter",
  no_team: "No team", unlink: "Unlink", copy: "Copy link", copied: "Link copied.",
  promoters: "Promoters", new_promoter: "New promoter", display_name: "Display name", promoter_slug: "Name in the link",
  has_account: "has an account", no_account: "no account",
  teams: "Teams", new_team: "New team", team_name: "Team name", add_to_team: "Put in team", leader: "Leader",
  team_members_none: "No promoters.",
  members: "Members", role: "Role", remove: "Remove", invite: "Invite", invite_email: "Their email",
  invite_promoter: "Promoter (for the promoter role)", invite_sent: "Invitation emailed to {email}. The link is for them alone.",
  role_owner: "Owner", role_admin: "Admin", role_staff: "Door staff", role_promoter: "Promoter",
  saved: "Saved.", registered_of: "{registered} registered", capacity_of: "{registered} / {capacity} registered",
  your_links: "Your links", team_links: "Your team's links", no_promoter_links: "You have no links yet.",
  guests_of_night: "Your guests", no_guests: "Nobody has registered yet.", arrived_at: "arrived at {time}",
  registered_at: "registered at {time}", pick_link: "See guests",
  me_intro: "What we keep about you, with this phone's session.", me_no_session: "There is no session on this phone. Join a list through a promoter's link and come back.",
  account: "Account", phone: "Phone", passes: "Passes", delete_account: "Delete my account",
  delete_confirm: "Delete the account? Passes for nights to come go; those of past nights stay without a name.",
  deleted: "Your account was deleted.", forgot_title: "Forgot your password?", send_link: "Email me a link",
  forgot_sent: "If this number has an account with an email, the link is on its way.",
  reset_title: "New password", reset_done: "Password changed. Use it on your promoter's link.",
  my_data_link: "My data",
};

export type MKey = keyof typeof pt;
/** A sentence of these pages in the current language, with {placeholders} filled. */
export function m(key: MKey, vars: Record<string, string | number> = {}): string {
  return (lang() === "pt" ? pt : en)[key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

