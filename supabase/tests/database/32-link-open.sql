-- The link card's `is_open`: a guest is told before typing anything that a list is closed
-- (past its closing time) or full (at capacity), and a list with room says it is open.
begin;
select plan(4);

create temporary table w as select tests.world() as v;
grant select on w to anon;
create or replace function pg_temp.v(k text) returns text language sql as $$ select v ->> k from w $$;
grant execute on function pg_temp.v(text) to anon;
create or replace function pg_temp.slug(k text) returns text language sql as $$
  select e.slug from public.events e where e.id = (select (v ->> k)::uuid from w) $$;
create temporary table slugs as select pg_temp.slug('closed_event') closed, pg_temp.slug('small_event') small;
grant select on slugs to anon;

select tests.act_as('anon');
select is(public.resolve_promoter_link(pg_temp.v('promoter_slug'), (select closed from slugs)) #>> '{event,is_open}', 'false',
  'a list past its closing time is not open');
select is(public.resolve_promoter_link(pg_temp.v('promoter_slug'), (select small from slugs)) #>> '{event,is_open}', 'true',
  'a list below its capacity is open');
select tests.act_as_postgres();
-- Its one seat taken (written directly: the joining functions have their own tests).
insert into private.client_users (id, phone, first_name, last_name, password_salt, password_digest)
values ('00000000-0000-4000-8000-0000000000c2', '+351939100001', 'Vera', 'Lopes', tests.salt(), private.sha256(tests.bcrypt('x')));
insert into public.guests (event_id, client_user_id, promoter_id, team_id)
values (pg_temp.v('small_event')::uuid, '00000000-0000-4000-8000-0000000000c2', pg_temp.v('promoter')::uuid, pg_temp.v('team')::uuid);
select tests.act_as('anon');
select is(public.resolve_promoter_link(pg_temp.v('promoter_slug'), (select small from slugs)) #>> '{event,is_open}', 'false',
  'a list at its capacity is not open');
select is(public.resolve_promoter_link(pg_temp.v('promoter_slug'), pg_temp.v('open_slug')) #>> '{event,is_open}', 'true',
  'an open list with room is open');
select tests.act_as_postgres();

select * from finish();
rollback;
