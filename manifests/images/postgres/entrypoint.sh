#!/bin/sh
# First start: initdb with the secret's password and scram logins, then create the database.
# Every start: run postgres as the postgres user on the stack network.
set -eu
: "${POSTGRES_PASSWORD_FILE:?POSTGRES_PASSWORD_FILE must name the Docker secret holding the password}"
db=${POSTGRES_DB:-remcode}
# The full path: BusyBox's sh (the runtime image's shell) would run its own setpriv, which cannot
# change users.
as_postgres() { /usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  cat "$POSTGRES_PASSWORD_FILE" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 --pwfile="$pwfile" >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  as_postgres createdb -U postgres "$db"
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec /usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*'
