#!/usr/bin/env bash
# The node image of the one-machine test cluster (manifests/images/node.sh: about 2 min to build),
# made here so the cluster test in `npm test` spends its time on the cluster. Tests only; a machine or
# CI cache that has the image skips the build.
set -euo pipefail
[[ ${REMCODE_SETUP_FOR:-} == test ]] || exit 0
ref=$(bash "$(dirname "$0")/../../manifests/images/node.sh")
echo "    $ref"
