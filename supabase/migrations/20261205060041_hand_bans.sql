-- A number banned in an organisation (or of a suspended account) cannot be added to its list by
-- hand either: the bans migration refused it on every link, but door staff and organisers could
-- still give it a pass with add_guest_by_hand. They are told why (they are the organisation's own
-- staff); the guest's own refusal stays the neutral not_admitted.

/**
 * A guest added by hand (owner/admin/staff of the night's organisation): a name, an optional
 * phone (a guest with an account on that number gets the pass on it), the promoter it counts
 * for, plus-ones up to the night's most, and a source (`door`, `organiser`, `vip`). Takes places
 * like any pass, under the event's lock: 409 `guest_list_full` when the capacity or the
 * promoter's quota has no room. Errors: invalid_name (400), invalid_phone (400), invalid_source
 * (400), invalid_plus_ones (400), promoter_not_on_event (400), already_on_list (409); a number
 * banned in the organisation or of a suspended account: 409 `phone_banned` (the staff are told;
 * the guest never is, see private.not_admitted). Returns
 * the pass (id, qr_token) for the door.
 */
create or replace function public.add_guest_by_hand(p_event_id uuid, p_name text, p_phone text, p_promoter_id uuid,
  p_source text, p_plus_ones integer default 0)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event public.events := private.require_event(p_event_id, array['owner', 'admin', 'staff']);
  v_name text := private.clean_text('name', p_name, 200);
  v_phone text := case when nullif(btrim(coalesce(p_phone, '')), '') is null then null else private.normalize_phone(p_phone) end;
  v_team uuid;
  v_user uuid;
  v_guest public.guests;
begin
  if p_source is null or p_source not in ('door', 'organiser', 'vip') then
    perform private.fail(400, 'invalid_source', 'Say whether the guest came to the door, is the organisers'' or a VIP.',
      'Choose door, organiser or vip.');
  end if;
  if p_plus_ones is null or p_plus_ones < 0 or p_plus_ones > v_event.plus_ones_max then
    perform private.fail(400, 'invalid_plus_ones',
      format('This night takes up to %s people with each guest.', v_event.plus_ones_max), 'Choose a smaller number.');
  end if;
  select ep.team_id into v_team from public.event_promoters ep where ep.event_id = p_event_id and ep.promoter_id = p_promoter_id;
  if not found then
    perform private.fail(400, 'promoter_not_on_event', 'That promoter has no link for this night.', 'Choose one of the night''s promoters.');
  end if;
  -- Under the number's admission lock (private.not_admitted), so a ban racing this either comes
  -- first and refuses it, or waits and revokes the pass it made.
  if v_phone is not null and private.not_admitted(v_event.organization_id, v_phone) then
    perform private.fail(409, 'phone_banned', 'This number is banned in this organisation, or its account is suspended.',
      'Add the guest without the number, or lift the ban on /manage first.');
  end if;
  select u.id into v_user from private.client_users u where u.phone = v_phone;
  perform private.lock_event(p_event_id);
  if not private.has_room(p_event_id, p_promoter_id, v_team, 1 + p_plus_ones) then
    perform private.fail(409, 'guest_list_full', 'There is no place left for this guest.',
      'Raise the capacity or the quota on /manage first.');
  end if;
  insert into public.guests (event_id, client_user_id, promoter_id, team_id, status, plus_ones, source,
                             added_name, added_phone, added_by)
  values (p_event_id, v_user, p_promoter_id, v_team, 'registered', p_plus_ones, p_source, v_name,
          case when v_user is null then v_phone end, (select auth.uid()))
  on conflict (event_id, client_user_id) do nothing
  returning * into v_guest;
  if v_guest.id is null then
    perform private.fail(409, 'already_on_list', 'This guest already has a pass for the night.', 'Find them by name at the door.');
  end if;
  return jsonb_build_object('guest_id', v_guest.id, 'qr_token', v_guest.qr_token, 'name', v_name,
    'plus_ones', v_guest.plus_ones, 'source', v_guest.source, 'status', v_guest.status);
end
$$;
