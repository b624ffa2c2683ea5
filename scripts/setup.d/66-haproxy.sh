#!/usr/bin/env bash
# HAProxy from Debian, for the observability live-data test: it runs the edge's own configuration
# (manifests/images/edge/haproxy.cfg) in front of a local webapp and is scraped as the `edge` job. The
# package's service is not started (the test runs its own instance on free ports). Test-only; the
# edge image installs its own copy.
set -euo pipefail
[[ ${REMCODE_SETUP_FOR:-start} == test ]] || exit 0
source "$(dirname "$0")/lib.bash"
command -v haproxy >/dev/null && exit 0
apt_install_without_starting haproxy
