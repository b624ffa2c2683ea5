#!/usr/bin/env bash
# The images the platform needs on the one-machine cluster (scripts/cluster-up.sh), small enough to
# copy onto every node: redis, postgres, the webapp and the edge as manifests/images/build.sh makes
# them, and an executor with Python only (the full executor image is about 1.8 GB; loading it into a
# node takes minutes). Prints the five references, space-separated, on the last line.
# Usage: cluster-images.sh        REMCODE_CLUSTER_EXECUTOR_TAG (default remcode-executor:python)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tag=${REMCODE_CLUSTER_EXECUTOR_TAG:-remcode-executor:python}

bash "$repo/manifests/images/build.sh" redis postgres webapp edge >&2
base=$(bash "$repo/manifests/images/base.sh" trixie)

# Same context as build.sh: the repository's own files, never node_modules or dist. The executor's
# build stage is the remcode-build:local that build.sh just made, so nothing is compiled twice.
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c) | tar -x -C "$staging"
: >"$staging/.build-ca.pem"
start=$SECONDS
log=$(mktemp)
if ! tar -C "$staging" -c . | DOCKER_BUILDKIT=0 docker build --network host \
  -f manifests/images/executor.Dockerfile --build-arg "BASE=$base" --build-arg BUILD=remcode-build:local \
  --build-arg LANGUAGE_PACKAGES=python3 --build-arg LANGUAGES=python -t "$tag" - >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  rm -f "$log"
  echo "building $tag failed" >&2
  exit 1
fi
rm -f "$log"
echo "    $tag ($((SECONDS - start)) s, $(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=iec))" >&2
echo "remcode-redis:local remcode-postgres:local remcode-webapp:local remcode-edge:local $tag"
