#!/usr/bin/env bash
# The whole suite: installs what the tests need, then lint, typecheck, build and every vitest project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
npm run -s build
npm run -s lint
npm run -s typecheck
npx vitest run "$@"
