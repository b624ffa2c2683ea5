#!/usr/bin/env bash
# Chromium for the browser end-to-end tests (test/browser), driven by playwright-core. Only the test
# suite needs it, so `setup.sh start` skips it.
set -euo pipefail
[[ ${REMCODE_SETUP_FOR:-start} == test ]] || exit 0
source "$(dirname "$0")/lib.bash"
command -v chromium >/dev/null || apt_install chromium fonts-dejavu-core
