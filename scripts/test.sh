#!/usr/bin/env bash
# The whole suite: installs what the tests need, then build, lint, typecheck and every vitest project.
# Ends with one summary line, "N passed, N failed, N skipped", read by people and by CI alike.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
npm run -s build
npm run -s lint
npm run -s typecheck
mkdir -p test-output
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-output/vitest.json "$@" || status=$?
npx tsx scripts/test-summary.ts test-output/vitest.json || status=1
exit "$status"
