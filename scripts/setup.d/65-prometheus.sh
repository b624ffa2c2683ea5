#!/usr/bin/env bash
# Prometheus and promtool from Debian, for the observability tests: promtool checks the configuration
# and runs the alert unit tests, and the live-data test scrapes real processes with the binary. The
# package's service is not started (the tests run their own instance on a free port). Test-only.
set -euo pipefail
[[ ${REMCODE_SETUP_FOR:-start} == test ]] || exit 0
source "$(dirname "$0")/lib.bash"
command -v promtool >/dev/null && command -v prometheus >/dev/null && exit 0
# The package's post-install script would start its daemon on :9090 where an init system runs; keep it
# from doing so for the length of the install only.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt_install prometheus
