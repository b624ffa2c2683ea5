#!/usr/bin/env bash
# Installs whatever this machine is missing for RemCode, idempotently: each step in setup.d/ checks
# before it installs, so a second run takes seconds. Usage: setup.sh start|test
set -euo pipefail
purpose=${1:-start}
case $purpose in start | test) ;; *) echo "usage: $0 start|test" >&2; exit 64 ;; esac
export REMCODE_SETUP_FOR=$purpose
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "RemCode setup needs root: it installs Debian packages and runs the sandbox, which uses namespaces and cgroups." >&2
  exit 1
fi
for step in "$here"/setup.d/*.sh; do
  name=$(basename "$step" .sh)
  start=$(date +%s)
  echo "==> setup: $name"
  bash "$step"
  echo "    ($(($(date +%s) - start)) s)"
done
