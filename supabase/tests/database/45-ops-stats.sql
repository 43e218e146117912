-- ops_stats: who sees the night's operations, and what they see. The link card is cacheable.
begin;
select plan(17);

create temporary table w as select tests.world() as v;
grant select on w to authenticated, anon, service_role;
create or replace function pg_temp.id(k text) returns uuid language sql as $$ select (v ->> k)::uuid from w $$;
grant execute on function pg_temp.id(text) to authenticated, anon, service_role;

-- An admin of organization A, and one pass on each organization's night (inserted directly).
create temporary table admin_a as select tests.create_user('admin-' || gen_random_uuid() || '@a.test') as id;
grant select on admin_a to authenticated;
insert into public.organization_members select pg_temp.id('org_a'), id, 'admin' from admin_a;
with u as (
  insert into private.client_users (phone, first_name, last_name, email, password_salt, password_digest)
  values ('+351912' || lpad((random() * 999999)::int::text, 6, '0'), 'Ops', 'Test', 'ops@example.com',
          tests.salt(), private.sha256('x'))
  returning id)
insert into public.guests (event_id, client_user_id, promoter_id)
select e, u.id, p from u, (values (pg_temp.id('open_event'), pg_temp.id('promoter')),
                                  (pg_temp.id('event_b'), pg_temp.id('promoter_b'))) v(e, p);

create or replace function pg_temp.passes(s jsonb) returns bigint language sql as $$
  select coalesce(sum((m ->> 'passes')::bigint), 0) from jsonb_array_elements(s -> 'per_minute') m $$;
grant execute on function pg_temp.passes(jsonb) to authenticated, service_role;

-- anon (a guest, with or without a session token: the database sees the same role)
select tests.act_as('anon');
select is(tests.error_of('select public.ops_stats()'), '42501 permission denied for function ops_stats',
  'anonymous callers and guests cannot read operations');
select tests.act_as_postgres();

-- staff of this organization, and of another
select tests.authenticate_as(pg_temp.id('staff_a'));
select is(tests.error_of('select public.ops_stats()'), 'PT403 forbidden', 'door staff see no operations');
select is(tests.error_of(format('select public.ops_stats(%L)', pg_temp.id('open_event'))), 'PT403 forbidden',
  'not even for their own night');
select tests.act_as_postgres();
select tests.authenticate_as(pg_temp.id('staff_b'));
select is(tests.error_of(format('select public.ops_stats(%L)', pg_temp.id('open_event'))), 'PT404 event_not_found',
  'staff of another organization see nothing of it');
select tests.act_as_postgres();

-- owner
select tests.authenticate_as(pg_temp.id('owner_a'));
select is(tests.result_of('public.ops_stats()') ->> 'scope', 'organization', 'an owner sees their organization');
select is(pg_temp.passes(public.ops_stats()), 1::bigint, 'with its passes of the last minutes, not another organization''s');
select is(pg_temp.passes(public.ops_stats(pg_temp.id('open_event'))), 1::bigint, 'or one of its nights');
select is(tests.error_of(format('select public.ops_stats(%L)', pg_temp.id('event_b'))), 'PT404 event_not_found',
  'but not another organization''s night');
select ok(not (public.ops_stats() ? 'rejections') and not (public.ops_stats() ? 'cron'),
  'platform-wide figures (rejections, phone cache, cron) are not an organization''s to see');
select ok(not (public.ops_stats() ? 'line'), 'there is no password line to show any more (the hash runs on the phone)');
select tests.act_as_postgres();

-- admin
select tests.authenticate_as((select id from admin_a));
select is(pg_temp.passes(public.ops_stats()), 1::bigint, 'an admin sees the same as the owner');
select tests.act_as_postgres();
insert into public.organization_members select pg_temp.id('org_b'), id, 'staff' from admin_a;
select tests.authenticate_as((select id from admin_a));
select is(pg_temp.passes(public.ops_stats()), 1::bigint, '... and staff rights in another organization add none of its nights');
select tests.act_as_postgres();

-- service_role: everything, and the counters move
select tests.act_as('service_role');
create temporary table before as select public.ops_stats() as v;
select tests.act_as_postgres();
select public.check_phone_with_cache('+351 912 000 111'), public.check_phone_with_cache('+351 912 000 111');
select private.committed_error(401, 'invalid_credentials', 'x', 'y');
select tests.act_as('service_role');
select ok(pg_temp.passes(public.ops_stats()) >= 2, 'service_role sees every organization''s passes');
select is(
  array[(public.ops_stats() #>> '{phone_cache,hits}')::int - (select (v #>> '{phone_cache,hits}')::int from before),
        (public.ops_stats() #>> '{phone_cache,misses}')::int - (select (v #>> '{phone_cache,misses}')::int from before)],
  array[1, 1], 'a phone looked up twice is one cache miss, then one hit');
select is(coalesce((public.ops_stats() #>> '{rejections,invalid_credentials}')::int, 0)
          - coalesce((select (v #>> '{rejections,invalid_credentials}')::int from before), 0),
  1, 'a committed rejection is counted by its code');
select ok((select bool_and(j ? 'last_status') from jsonb_array_elements(public.ops_stats() -> 'cron') j)
          and jsonb_array_length(public.ops_stats() -> 'cron') >= 3, 'pg_cron''s jobs and their last runs are listed');
select tests.act_as_postgres();

-- The link card may be cached briefly by a CDN (PostgREST's response.headers).
select public.resolve_promoter_link((select slug from public.promoters where id = pg_temp.id('promoter')),
                                    (select slug from public.events where id = pg_temp.id('open_event')));
select is(current_setting('response.headers', true), '[{"Cache-Control": "public, max-age=30"}]',
  'the link card says it may be cached for 30 seconds');

select * from finish();
rollback;
