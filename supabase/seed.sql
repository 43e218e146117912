-- Demo data for the local stack (filled in with the schema).
select 1;
