-- A night's counts kept by a trigger (private.event_guest_counts): after every kind of change to
-- a pass (issued, waiting, pending, promoted, revoked, plus-ones, arrival, moved to another night,
-- deleted, rolled back) private.list_totals and private.places_taken equal a count of the passes
-- themselves, and the fold into one row changes nothing. Kept by the database alone: nothing to
-- test per actor (the table is never read through the API: 31-read-policies.sql).
begin;
select plan(20);

create temporary table w as select tests.manage_world() as v;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;

-- What the counts must be: the passes, counted as list_totals always counted them.
create or replace function pg_temp.counted(p_event uuid) returns jsonb language sql as $$
  select jsonb_build_object(
    'registered', count(*) filter (where g.status not in ('waiting', 'pending', 'revoked')),
    'places', coalesce(sum(1 + g.plus_ones) filter (where g.status not in ('waiting', 'pending', 'revoked')), 0),
    'checked_in', count(g.checked_in_at) filter (where g.status not in ('waiting', 'pending', 'revoked')),
    'checked_in_places', coalesce(sum(1 + g.plus_ones) filter (where g.checked_in_at is not null
                                                               and g.status not in ('waiting', 'pending', 'revoked')), 0),
    'waiting', count(*) filter (where g.status = 'waiting'),
    'pending', count(*) filter (where g.status = 'pending'),
    'revoked', count(*) filter (where g.status = 'revoked'))
  from public.guests g where g.event_id = p_event $$;
create or replace function pg_temp.same(p_event uuid) returns boolean language sql as $$
  select private.list_totals(p_event) = pg_temp.counted(p_event)
     and private.places_taken(p_event) = (pg_temp.counted(p_event) ->> 'places')::bigint $$;

create temporary table acc as
select i, tests.create_guest_account('9374000' || lpad(i::text, 2, '0'), 'C' || i, 'Count' || i) as uid
from generate_series(1, 8) i;
create or replace function pg_temp.pass(i int, p_status text default 'registered', p_plus int default 0,
  k text default 'small_event') returns uuid language sql as $$
  insert into public.guests (event_id, client_user_id, promoter_id, status, plus_ones)
  select pg_temp.id(k), a.uid, pg_temp.id('promoter'), p_status, p_plus from acc a where a.i = $1
  returning id $$;

select ok(pg_temp.same(pg_temp.id('small_event')), 'a night with no passes counts nothing');
select pg_temp.pass(1, 'registered', 2), pg_temp.pass(2), pg_temp.pass(3, 'waiting', 1), pg_temp.pass(4, 'pending');
insert into public.guests (event_id, promoter_id, status, plus_ones, source, added_name)
values (pg_temp.id('small_event'), pg_temp.id('promoter'), 'registered', 1, 'vip', 'Hand Added');
select is(private.list_totals(pg_temp.id('small_event')),
  '{"registered": 3, "places": 6, "checked_in": 0, "checked_in_places": 0, "waiting": 1, "pending": 1, "revoked": 0}'::jsonb,
  'issued, waiting, pending and hand-added passes each counted where they belong, places with plus-ones');
select ok(pg_temp.same(pg_temp.id('small_event')), 'equal to a count of the passes after inserts');

update public.guests set status = 'registered' where client_user_id = (select uid from acc where i = 3);
select ok(pg_temp.same(pg_temp.id('small_event')), 'a promotion from the waiting list moves its places onto the list');
update public.guests set plus_ones = 0 where client_user_id = (select uid from acc where i = 1);
select ok(pg_temp.same(pg_temp.id('small_event')), 'fewer plus-ones free places');
update public.guests set status = 'checked_in', checked_in_at = now() where client_user_id = (select uid from acc where i = 2);
select is((private.list_totals(pg_temp.id('small_event')) ->> 'checked_in')::int, 1, 'an arrival is counted');
select ok(pg_temp.same(pg_temp.id('small_event')), 'equal after an arrival');
update public.guests set status = 'revoked' where client_user_id = (select uid from acc where i = 2);
select ok(pg_temp.same(pg_temp.id('small_event')), 'a revoked pass (even one that arrived) leaves the list and its arrivals');
update public.guests set status = 'registered' where client_user_id = (select uid from acc where i = 4);
select ok(pg_temp.same(pg_temp.id('small_event')), 'an approval moves a pending pass onto the list');
update public.guests set added_name = 'Renamed' where source = 'vip' and event_id = pg_temp.id('small_event');
select ok(pg_temp.same(pg_temp.id('small_event')), 'a change to nothing counted leaves the counts');

update public.guests set event_id = pg_temp.id('open_event') where client_user_id = (select uid from acc where i = 1);
select ok(pg_temp.same(pg_temp.id('small_event')) and pg_temp.same(pg_temp.id('open_event')),
  'a pass moved to another night leaves one night''s counts and enters the other''s');
delete from public.guests where client_user_id = (select uid from acc where i = 3);
select ok(pg_temp.same(pg_temp.id('small_event')), 'a deleted pass leaves the counts');

savepoint before_rollback;
select pg_temp.pass(5, 'registered', 3), pg_temp.pass(6, 'waiting');
rollback to savepoint before_rollback;
select ok(pg_temp.same(pg_temp.id('small_event')), 'a registration rolled back takes its count with it');

select pg_temp.pass(7, 'registered', 1), pg_temp.pass(8, 'pending');
create temporary table before_fold as select private.list_totals(pg_temp.id('small_event')) as t;
select private.fold_guest_counts();
select is(private.list_totals(pg_temp.id('small_event')), (select t from before_fold), 'folding the connections'' rows changes no count');
select is((select count(*)::int from private.event_guest_counts c where c.event_id = pg_temp.id('small_event') and c.shard <> 0), 0,
  'and leaves one row for the night');
select pg_temp.pass(6, 'registered', 2);
select ok(pg_temp.same(pg_temp.id('small_event')), 'counting goes on after a fold');
select private.fold_guest_counts();
select ok(pg_temp.same(pg_temp.id('small_event')), 'a second fold adds to what the first folded');
select is(private.places_taken(pg_temp.id('small_event'), pg_temp.id('promoter')),
  (pg_temp.counted(pg_temp.id('small_event')) ->> 'places')::bigint,
  'a promoter''s places (for quotas) count plus-ones, and only passes on the list (the night''s passes are all theirs)');

-- A night with passes deleted (as its organisation's or its owner's deletion cascades to it).
select lives_ok($$delete from public.events where id = pg_temp.id('small_event')$$,
  'a night with passes can be deleted');
select is((select count(*)::int from private.event_guest_counts c where c.event_id = pg_temp.id('small_event')), 0,
  'and its counts go with it');

select * from finish();
rollback;
