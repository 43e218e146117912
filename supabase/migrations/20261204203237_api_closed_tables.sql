-- The announcements kept for pages that open later and the promoters' link-open counters are
-- read only through their functions (latest_announcement, promoter_overview): like every private
-- table, each says so with a policy, so no grant added by mistake could expose them.
create policy "Announcements are never read through the API" on private.announcements
  as restrictive for all to anon, authenticated using (false) with check (false);
create policy "Link-open counters are never read through the API" on private.link_opens
  as restrictive for all to anon, authenticated using (false) with check (false);
