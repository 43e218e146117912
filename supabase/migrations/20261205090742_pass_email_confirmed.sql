-- A pass by e-mail only once it is on the list. A waiting or pending pass showed no QR on the
-- guest page, but its e-mail carried one: a code the door refuses, in the guest's inbox as if it
-- were a pass. Such a pass is now refused with 409 `pass_not_confirmed`, and the page hides the
-- button until the pass is confirmed.

/**
 * A guest asks for one of their passes by e-mail (the pass screen's button, through the edge
 * function guest-pass-email, which passes the guest's address). The e-mail goes to the address of
 * the account only, never to one typed at that moment, so that nobody can send a pass (or mail)
 * to a stranger. It carries the QR, the short code when the pass has one, the night, the venue and
 * the time. Returns `{queued: true, to}` with the address masked (`a***@example.com`).
 * Errors: invalid_session (401), pass_not_found (404: not this account's pass), no_email (409:
 * the account has no e-mail address), pass_revoked (409), pass_not_confirmed (409: waiting for a
 * place or for the organisers' approval), rate_limited (429: `pass_email_addresses` per client
 * address, then `pass_emails` per pass).
 */
create or replace function public.request_pass_email(p_session_token text, p_guest_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := private.session_user_id(p_session_token);
  v_guest jsonb;
  v_event public.events;
  v_account private.client_users;
begin
  perform private.rate_limit('pass_email_addresses', private.client_ip());
  select to_jsonb(g) into v_guest from public.guests g where g.id = p_guest_id and g.client_user_id = v_user;
  if v_guest is null then
    perform private.fail(404, 'pass_not_found', 'This pass is not yours or no longer exists.', 'Open the pass from its link again.');
  end if;
  if v_guest ->> 'status' = 'revoked' then
    perform private.fail(409, 'pass_revoked', 'This pass was cancelled by the organiser.', null);
  end if;
  if v_guest ->> 'status' in ('waiting', 'pending') then
    perform private.fail(409, 'pass_not_confirmed', 'This pass is not confirmed yet: it waits for a place or for the organisers'' approval.',
      'It can be sent once it is confirmed.');
  end if;
  select * into v_account from private.client_users u where u.id = v_user;
  if v_account.email is null then
    perform private.fail(409, 'no_email', 'Your account has no e-mail address.', 'Save the pass as an image instead.');
  end if;
  perform private.rate_limit('pass_emails', p_guest_id::text);
  select * into v_event from public.events e where e.id = (v_guest ->> 'event_id')::uuid;
  insert into private.outbox (kind, to_email, payload)
  values ('guest_pass', v_account.email, jsonb_build_object(
    'first_name', v_account.first_name, 'event_name', v_event.name, 'venue', v_event.venue,
    'starts_at', v_event.starts_at, 'qr_token', v_guest ->> 'qr_token', 'short_code', v_guest ->> 'short_code'));
  return jsonb_build_object('queued', true,
    'to', left(v_account.email, 1) || '***' || substr(v_account.email, strpos(v_account.email, '@')));
end
$$;

grant execute on function public.request_pass_email(text, uuid) to anon, service_role;
