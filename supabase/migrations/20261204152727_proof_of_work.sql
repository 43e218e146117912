-- Registration proof of work, issued and checked by the database (no third party): an
-- anonymous caller asks for a challenge, finds a nonce such that sha256("<challenge>:<nonce>")
-- starts with `difficulty` zero bits (about a second of WebCrypto on a phone: client/pow.ts),
-- and passes "<challenge>:<nonce>" to register_and_create_guest_v2. A challenge is single use:
-- it belongs to the first phone it registers (a retry of the same registration may present it
-- again), and it expires.

insert into private.settings (key, value, description) values
  ('pow_difficulty', '16', 'Leading zero bits of sha256 a registration proof needs (16: about 65,000 hashes, a second on a phone).'),
  ('pow_challenge_seconds', '600', 'How long a registration challenge can be used.')
on conflict (key) do nothing;

-- =============================================================================================
-- Tables
-- =============================================================================================

/** Issued challenges; `phone_hash` is the sha256 of the phone that used it (single use). */
create table private.registration_challenges (
  challenge text primary key,
  difficulty integer not null check (difficulty between 0 and 64),
  expires_at timestamptz not null,
  phone_hash bytea
);
create index registration_challenges_expires_at_idx on private.registration_challenges (expires_at);
alter table private.registration_challenges enable row level security;
create policy "Registration challenges are never read through the API" on private.registration_challenges
  as restrictive for all to anon, authenticated using (false) with check (false);

-- =============================================================================================
-- Functions
-- =============================================================================================

/** How many leading zero bits a digest has. */
create or replace function private.leading_zero_bits(p_digest bytea)
returns integer
language sql
immutable
set search_path = ''
as $$
  select coalesce(nullif(position('1' in right(('x' || encode(p_digest, 'hex'))::bit(256)::text, 256)), 0) - 1, 256)
$$;

/**
 * Checks a registration proof "<challenge>:<nonce>" for `p_phone` and binds the challenge to
 * it. Raises 400 `proof_required` (none given), `proof_invalid` (unknown or expired challenge,
 * or not enough work), `proof_reused` (the challenge already registered another phone).
 */
create or replace function private.check_proof(p_proof text, p_phone text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_challenge text := split_part(coalesce(p_proof, ''), ':', 1);
  v_nonce text := split_part(coalesce(p_proof, ''), ':', 2);
  v_row private.registration_challenges;
begin
  if p_proof is null or p_proof = '' then
    perform private.fail(400, 'proof_required', 'Registering needs a proof of work from this page.',
      'Reload the page and try again.');
  end if;
  if length(p_proof) > 100 or v_nonce !~ '^[0-9]{1,20}$' then
    perform private.fail(400, 'proof_invalid', 'The proof of work is not valid.', 'Reload the page and try again.');
  end if;
  begin
    -- Only a caller holding this challenge can hold its row: a retry of the same registration.
    select * into v_row from private.registration_challenges c
    where c.challenge = v_challenge and c.expires_at > now()
    for update nowait;
  exception when lock_not_available then
    perform private.fail_retry(429, 'busy', 'Your previous attempt is still being checked.',
      'Wait a moment; the page tries again by itself.', 1);
  end;
  if not found or private.leading_zero_bits(extensions.digest(v_challenge || ':' || v_nonce, 'sha256')) < v_row.difficulty then
    perform private.fail(400, 'proof_invalid', 'The proof of work is not valid or has expired.', 'Reload the page and try again.');
  end if;
  if v_row.phone_hash is not null and v_row.phone_hash <> private.sha256(p_phone) then
    perform private.fail(400, 'proof_reused', 'This proof of work was already used.', 'Reload the page and try again.');
  end if;
  update private.registration_challenges c set phone_hash = private.sha256(p_phone) where c.challenge = v_challenge;
end
$$;

/**
 * A single-use registration challenge for the guest page: {challenge, difficulty, algorithm,
 * expires_at}. Solve it with client/pow.ts (solveChallenge) and pass the proof to
 * register_and_create_guest_v2 as p_proof. Anonymous; counted against the caller's address by
 * the request hook like every call.
 */
create or replace function public.registration_challenge()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row private.registration_challenges;
begin
  insert into private.registration_challenges (challenge, difficulty, expires_at)
  values (private.random_token(18), (private.setting('pow_difficulty'))::integer,
          now() + make_interval(secs => (private.setting('pow_challenge_seconds'))::integer))
  returning * into v_row;
  return jsonb_build_object('challenge', v_row.challenge, 'difficulty', v_row.difficulty,
    'algorithm', 'SHA-256', 'expires_at', v_row.expires_at);
end
$$;

/** Deletes expired challenges (pg_cron, every minute). */
create or replace function private.purge_registration_challenges()
returns void
language sql
security definer
set search_path = ''
as $$
  delete from private.registration_challenges where expires_at <= now();
$$;

-- =============================================================================================
-- Grants
-- =============================================================================================

revoke execute on function private.leading_zero_bits(bytea), private.check_proof(text, text),
  private.purge_registration_challenges() from public, anon, authenticated;
revoke execute on function public.registration_challenge() from public, anon, authenticated;
grant execute on function public.registration_challenge() to anon;

-- =============================================================================================
-- Jobs
-- =============================================================================================

select cron.schedule('purge-registration-challenges', '* * * * *', 'select private.purge_registration_challenges()');
