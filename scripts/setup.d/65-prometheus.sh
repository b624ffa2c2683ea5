#!/usr/bin/env bash
# Prometheus and promtool from Debian, for the observability tests: promtool checks the configuration
# and runs the alert unit tests, and the live-data test scrapes real processes with the binary. The
# package's service is not started (the tests run their own instance on a free port). Test-only.
set -euo pipefail
[[ ${REMCODE_SETUP_FOR:-start} == test ]] || exit 0
source "$(dirname "$0")/lib.bash"
command -v promtool >/dev/null && command -v prometheus >/dev/null && exit 0
apt_install_without_starting prometheus
