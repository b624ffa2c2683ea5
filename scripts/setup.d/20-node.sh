#!/usr/bin/env bash
# npm dependencies, reinstalled only when the lock file changed since the last install.
set -euo pipefail
stamp=node_modules/.remcode-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
