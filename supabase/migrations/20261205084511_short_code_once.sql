-- A new pass's short code is computed once per try, not once per pass already on the night.
--
-- guests_free_short_code compared each pass's stored code with private.pass_code(new.qr_token)
-- inside its `exists`. When the planner read the night's passes sequentially (a table whose
-- statistics were taken while it was small, as on a night that fills in minutes), it called
-- pass_code (a sha256) once per pass already there: the bench's ceiling counted 312 calls and
-- 1,870 digests per new guest at about 600 guests, a cost that grows with the night. The code is
-- now a plain value in the query, found through guests_event_id_short_code_key.

/** Re-rolls a new pass's secret until its short code is free on that night (one sha256 a try). */
create or replace function private.guests_free_short_code()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_code text := private.pass_code(new.qr_token);
begin
  while exists (select 1 from public.guests g where g.event_id = new.event_id and g.short_code = v_code) loop
    new.qr_token := private.random_token(18);
    v_code := private.pass_code(new.qr_token);
  end loop;
  return new;
end
$$;

revoke execute on function private.guests_free_short_code() from public, anon, authenticated;
