-- resolve_promoter_link: the card on /p/<promoter>/<event>, for anonymous visitors.
begin;
select plan(8);

create temporary table w as select tests.world() as v;
grant select on w to anon;
create or replace function pg_temp.v(k text) returns text language sql as $$ select v ->> k from w $$;
grant execute on function pg_temp.v(text) to anon;

select tests.act_as('anon');
create temporary table card as select public.resolve_promoter_link(pg_temp.v('promoter_slug'), pg_temp.v('open_slug')) as v;
select is((select v #>> '{event,id}' from card), pg_temp.v('open_event'), 'the link resolves to its event');
select is((select v -> 'promoter' from card),
  jsonb_build_object('id', pg_temp.v('promoter'), 'slug', pg_temp.v('promoter_slug'), 'display_name', 'Pat Promoter'), 'and its promoter');
select is((select v #>> '{team,id}' from card), pg_temp.v('team'), 'and the link''s team');
select is((select v #>> '{event,is_open}' from card), 'true', 'an open list says so');
select is(public.resolve_promoter_link(upper(pg_temp.v('promoter_slug')), pg_temp.v('open_slug')) #>> '{event,id}', pg_temp.v('open_event'),
  'slugs are case-insensitive');
select is(tests.error_of(format('select public.resolve_promoter_link(%L, %L)', pg_temp.v('promoter_slug'), pg_temp.v('draft_slug'))),
  'PT404 event_not_found', 'an unpublished event is a 404');
select is(tests.error_of(format('select public.resolve_promoter_link(%L, %L)', 'nobody', pg_temp.v('open_slug'))),
  'PT404 event_not_found', 'an unknown promoter is a 404');
select is(tests.error_of(format('select public.resolve_promoter_link(%L, %L)', repeat('a', 101), 'x')),
  'PT400 input_too_long', 'an absurd slug is a 400');
select tests.act_as_postgres();

select * from finish();
rollback;
