-- Demo data for the local stack (`npm start`, `npm run db:reset`). Development passwords only:
--   organiser (owner):  organiser@demo.test / Organiser-2026
--   door staff:         staff@demo.test     / Staff-2026
--   returning guests:   +351 912 000 001, +351 912 000 002, +351 912 000 003 / Guest-2026
-- Guest page: /p/ana/friday-lux (open list), /p/ana/closed-night (closed list).

-- Users are written the way Supabase Auth (GoTrue) writes them, so that `supabase db reset` on a
-- real stack gives working demo logins: the nil instance id, aud and role `authenticated`, the
-- token columns '' (GoTrue fails on NULL there), a confirmed email, and an `email` identity.
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
  phone_change, phone_change_token, reauthentication_token,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at) values
  ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated',
   'organiser@demo.test', extensions.crypt('Organiser-2026', extensions.gen_salt('bf', 10)), now(),
   '', '', '', '', '', '', '', '', '{"provider": "email", "providers": ["email"]}', '{"name": "Olivia Organiser"}', now(), now()),
  ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000002', 'authenticated', 'authenticated',
   'staff@demo.test', extensions.crypt('Staff-2026', extensions.gen_salt('bf', 10)), now(),
   '', '', '', '', '', '', '', '', '{"provider": "email", "providers": ["email"]}', '{"name": "Sam Staff"}', now(), now());

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
       'email', now(), now(), now()
from auth.users u
where u.id in ('a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002');

insert into public.organizations (id, name) values
  ('b0000000-0000-4000-8000-000000000001', 'Lux Nights');

insert into public.organization_members (organization_id, user_id, role) values
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'owner'),
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'staff');

insert into public.events (id, organization_id, slug, name, venue, starts_at, ends_at, guest_list_closes_at, capacity, is_published) values
  ('c0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'friday-lux', 'Friday at Lux', 'Lux Frágil, Lisboa',
   date_trunc('day', now()) + interval '2 days 23 hours', date_trunc('day', now()) + interval '3 days 6 hours',
   date_trunc('day', now()) + interval '3 days 1 hour', 500, true),
  ('c0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001', 'closed-night', 'Closed Night', 'Lux Frágil, Lisboa',
   date_trunc('day', now()) + interval '1 day 23 hours', date_trunc('day', now()) + interval '2 days 6 hours',
   now() - interval '1 hour', null, true);

insert into public.promoters (id, organization_id, slug, display_name) values
  ('d0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'ana', 'Ana Costa'),
  ('d0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001', 'bruno', 'Bruno Reis'),
  ('d0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001', 'carla', 'Carla Dias');

insert into public.teams (id, organization_id, name) values
  ('e0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001', 'Team Norte'),
  ('e0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001', 'Team Sul');

insert into public.team_members (team_id, promoter_id) values
  ('e0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001'),
  ('e0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000002'),
  ('e0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000003');

insert into public.event_promoters (event_id, promoter_id, team_id)
select e.id, tm.promoter_id, tm.team_id
from public.events e cross join public.team_members tm
where e.organization_id = 'b0000000-0000-4000-8000-000000000001';

-- Made the way accounts were made when the server ran bcrypt (`crypt(p_password, gen_salt('bf',
-- 10))`), then stored as the database keeps them now (private.stored_password: the salt and
-- sha256 of the bcrypt string, which the phone computes again from the password and the salt).
insert into private.client_users (id, phone, first_name, last_name, email, password_salt, password_digest)
select u.id::uuid, u.phone, u.first_name, u.last_name, u.email, s.salt, s.digest
from (values
  ('f0000000-0000-4000-8000-000000000001', '+351912000001', 'Maria', 'Silva', 'maria@example.com',
   extensions.crypt('Guest-2026', extensions.gen_salt('bf', 10))),
  ('f0000000-0000-4000-8000-000000000002', '+351912000002', 'João', 'Conceição', 'joao@example.com',
   extensions.crypt('Guest-2026', extensions.gen_salt('bf', 10))),
  ('f0000000-0000-4000-8000-000000000003', '+351912000003', 'Inês', 'Ferreira-Luz', null,
   extensions.crypt('Guest-2026', extensions.gen_salt('bf', 10)))
) as u(id, phone, first_name, last_name, email, bcrypt)
cross join lateral private.stored_password(u.bcrypt) s;

insert into public.guests (event_id, client_user_id, promoter_id, team_id)
values ('c0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000001',
        'd0000000-0000-4000-8000-000000000001', 'e0000000-0000-4000-8000-000000000001');
