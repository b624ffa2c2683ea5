#!/usr/bin/env bash
# The C toolchain that builds the sandbox helper (remcode-sandboxd) at install time.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
apt_install gcc make libc6-dev
