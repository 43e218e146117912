#!/usr/bin/env bash
# The project's Postgres: install the Debian packages, create the cluster, start/stop it,
# bootstrap the Supabase platform objects, apply migrations with the Supabase CLI, seed.
#   local/db.sh install|up|down|status|bootstrap|migrate|seed|reset|empty|extension <name>…
source "$(dirname "$0")/lib.sh"

install() {
  local missing=() p
  for p in "${PG_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_root; then
    die "missing Debian packages: ${missing[*]}
       install them as root:  sudo apt-get install -y ${missing[*]}"
  fi
  say "installing ${missing[*]}"
  mkdir -p "$ROOT/.stack"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's postgresql package would create and start its own cluster on 5432; we do not need it.
  mkdir -p /etc/postgresql-common
  [ -e /etc/postgresql-common/createcluster.conf ] || echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
  if ! apt-get install -y -q -o Dpkg::Options::=--force-confold "${missing[@]}" >"$ROOT/.stack/apt.log" 2>&1; then
    apt-get update -q >>"$ROOT/.stack/apt.log" 2>&1 || true
    apt-get install -y -q -o Dpkg::Options::=--force-confold "${missing[@]}" >>"$ROOT/.stack/apt.log" 2>&1 \
      || die "apt-get install ${missing[*]} failed; see .stack/apt.log"
  fi
}

running() { [ -f "$PGDATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

# Bumped when a cluster made by an older version of these scripts can no longer be upgraded in
# place (2: supabase_admin owns the cluster and postgres is not a superuser).
LAYOUT=2

init() {
  if [ -f "$PGDATA/PG_VERSION" ] && [ "$(cat "$CLUSTER_DIR/.layout" 2>/dev/null)" != "$LAYOUT" ]; then
    say "the cluster in $CLUSTER_DIR predates the current platform layout: recreating it (local data only)"
    running && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    rm -rf "$PGDATA"
  fi
  [ -f "$PGDATA/PG_VERSION" ] && return 0
  say "creating cluster in $CLUSTER_DIR"
  mkdir -p "$CLUSTER_DIR"
  chmod 755 "/var/tmp/guestlist-$KEY"
  is_root && chown postgres:postgres "$CLUSTER_DIR"
  local pwfile="$CLUSTER_DIR/.pw"
  echo "$DB_PASSWORD" > "$pwfile"; is_root && chown postgres "$pwfile"
  # The bootstrap superuser is supabase_admin, as on Supabase; `postgres` is created by the
  # bootstrap with the attributes a hosted project gives it.
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$ADMIN_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$STATE_DIR/initdb.log" 2>&1 \
    || die "initdb failed; see $STATE_DIR/initdb.log"
  rm -f "$pwfile"
  echo "$LAYOUT" > "$CLUSTER_DIR/.layout"
  local durability=""
  # The test cluster is thrown away after every run: durability buys nothing there.
  [ "$STACK" = test ] && durability=$'fsync = off\nsynchronous_commit = off\nfull_page_writes = off'
  as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<CONF

# --- guestlist local stack ---
listen_addresses = '127.0.0.1'
port = $DB_PORT
unix_socket_directories = '$CLUSTER_DIR'
max_connections = 300
# As Supabase sizes it to the compute: one parallel worker per core (the fair line reads it).
max_parallel_workers = $(nproc)
shared_buffers = 256MB
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
$CRON_HOST
log_min_messages = warning
log_min_error_statement = panic
$durability
CONF
}

up() {
  mkdir -p "$STATE_DIR"
  ln -sfn "$CLUSTER_DIR" "$STATE_DIR/cluster"
  install
  init
  # pg_cron runs each job over a connection as the job's owner (postgres): through the socket
  # folder, where local connections are trusted, since it has no password to give over TCP.
  grep -q '^cron.host' "$PGDATA/postgresql.conf" || echo "$CRON_HOST" | as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null
  if running; then ensure_roles; return 0; fi
  if port_open "$DB_PORT"; then
    die "port $DB_PORT is in use by another program ($(port_owner "$DB_PORT" || echo unknown)); stop it or set ${STACK^^}_DB_PORT"
  fi
  say "starting Postgres on 127.0.0.1:$DB_PORT"
  # The port given now wins over the one the cluster was made with (a restart keeps it).
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$CLUSTER_DIR/postgres.log" -o "-p $DB_PORT" -w -t 60 start >/dev/null; then
    tail -20 "$CLUSTER_DIR/postgres.log" >&2
    die "Postgres did not start; see $CLUSTER_DIR/postgres.log"
  fi
  ln -sfn "$CLUSTER_DIR/postgres.log" "$PG_LOG"
  ensure_roles
}

# The two login roles every cluster needs before a database exists: supabase_admin (initdb's
# user; added once to a cluster created before it existed, while postgres was still a superuser)
# and postgres (its attributes are set by the bootstrap).
ensure_roles() {
  if ! PGPASSWORD=$DB_PASSWORD "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$DB_PORT" -U "$ADMIN_USER" -d template1 -c 'select 1' >/dev/null 2>&1; then
    say "adding the platform superuser $ADMIN_USER to an older cluster"
    psql_db -d template1 -c "create role $ADMIN_USER superuser createdb createrole replication bypassrls login password '$DB_PASSWORD'" \
      || die "could not create $ADMIN_USER; recreate the cluster: rm -rf $CLUSTER_DIR"
  fi
  psql_admin -d template1 -c "do \$\$ begin
      if not exists (select from pg_roles where rolname = 'postgres') then
        create role postgres login password '$DB_PASSWORD';
      end if;
    end \$\$"
}

down() {
  running || return 0
  say "stopping Postgres"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
}

# The platform a Supabase project starts with, created by supabase_admin (never a migration).
bootstrap() {
  local f
  for f in "$ROOT"/local/bootstrap/*.sql; do
    psql_admin -d postgres -f "$f" || die "bootstrap failed in ${f#"$ROOT"/}"
  done
}

migrate() {
  local out
  if ! out=$(supabase_cli db push --db-url "$CLI_DB_URL" --yes 2>&1); then
    printf '%s\n' "$out" >&2
    die "a migration failed (above: the Supabase CLI's message)"
  fi
  [ -n "${VERBOSE:-}" ] && printf '%s\n' "$out" >&2
  return 0
}

# `create extension` of an extension in supautils' privileged list (pgtap for the tests), as
# supautils does it for postgres on Supabase: run by the platform's superuser.
extension() {
  local name
  for name in "$@"; do
    psql_admin -d postgres -c "create extension if not exists \"$name\" with schema extensions" || die "could not create extension $name"
  done
}

seed() {
  psql_db -d postgres -f "$ROOT/supabase/seed.sql" || die "seed failed"
}

# A fresh, empty database with the platform bootstrapped and no migration (what a new project
# is before `db push`, or before a restore).
empty() {
  up
  say "recreating database postgres"
  # On Supabase the database belongs to postgres (and so does its public schema).
  psql_admin -d template1 -c 'drop database if exists postgres with (force)' -c 'create database postgres owner postgres'
  # Role settings outlive a database; a new project has none of the product's (the migrations set them).
  # (A new cluster has no authenticator yet: the bootstrap creates it.)
  psql_admin -d template1 -c "do \$\$ begin if exists (select from pg_roles where rolname = 'authenticator') then alter role authenticator reset all; end if; end \$\$"
  # pg_cron's scheduler lives in the dropped database and does not come back by itself.
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$CLUSTER_DIR/postgres.log" -m fast -w -t 60 restart >/dev/null
  bootstrap
}

reset() {
  empty
  migrate
  seed
}

status() { if running; then echo "running on $DB_URL"; else echo stopped; return 3; fi; }

case "${1:-}" in
  install|up|down|status|bootstrap|migrate|seed|reset|empty) "$1" ;;
  extension) shift; extension "$@" ;;
  *) die "usage: local/db.sh install|up|down|status|bootstrap|migrate|seed|reset|empty|extension <name>…" ;;
esac
