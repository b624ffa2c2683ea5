#!/usr/bin/env bash
# npm start: install what is missing, build, prepare the database, then run the webapp and one executor in
# the foreground until Ctrl-C, which stops both cleanly. Configuration comes from the environment (README).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh start
npm run -s build
npm run -s --if-present build:ui

# The migrations run as the owner (DATABASE_URL, the local superuser by default); the programs then log in
# as the roles the migrations create, with only the privileges each uses (docs/operations.md). A
# DATABASE_URL set by the operator is used by all three, as given.
node dist/common/cli/prepare-database.js
webapp_db=()
executor_db=()
if [[ -z ${DATABASE_URL:-} ]]; then
  webapp_db=(env DATABASE_URL=postgres://remcode_webapp@127.0.0.1:5432/remcode)
  executor_db=(env DATABASE_URL=postgres://remcode_executor@127.0.0.1:5432/remcode)
fi

pids=()
stop() {
  trap - INT TERM
  echo
  echo "Stopping RemCode..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit 0
}
trap stop INT TERM

# Each program gets its own session: Ctrl-C reaches only this script, which then sends each program one
# SIGTERM, so they drain gracefully. A terminal's SIGINT to the whole group would count as a first
# signal, and the forwarded SIGTERM as the second one that forces an immediate exit.
setsid "${executor_db[@]}" node dist/executor/main.js &
pids+=($!)
setsid "${webapp_db[@]}" node dist/webapp/main.js &
pids+=($!)

host=${HOST:-127.0.0.1}
[[ $host == 0.0.0.0 ]] && host=127.0.0.1
url="http://$host:${PORT:-8080}/"
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "${url}readyz" 2>/dev/null; then break; fi
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "RemCode failed to start; see the messages above." >&2
      stop
    fi
  done
  sleep 0.2
done
echo
echo "RemCode is running at $url  (API: ${url}api/v1, Ctrl-C to stop)"
echo

# Either program ending on its own ends the whole service.
set +e
wait -n "${pids[@]}"
status=$?
if [[ $status -eq 0 ]]; then echo "RemCode stopped."; else echo "A RemCode process failed (status $status); stopping the other." >&2; fi
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
wait
exit "$status"
