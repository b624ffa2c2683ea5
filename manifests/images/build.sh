#!/usr/bin/env bash
# Builds the RemCode images: redis, postgres, edge (HAProxy), and the webapp, executor and controller
# from one shared build stage. Base images come from a registry when one answers; REMCODE_IMAGES=offline
# (or a failed pull in the default auto mode) builds the base from Debian packages with debootstrap
# instead.
# Usage: build.sh [image...]   (default: all). Prints each image's size at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=${REMCODE_IMAGES:-auto}
registry_base=${REMCODE_REGISTRY_BASE:-debian:trixie-slim}
images=("$@")
((${#images[@]})) || images=(redis postgres prometheus edge webapp executor controller)

if [[ $mode == auto ]]; then
  if docker image inspect "$registry_base" >/dev/null 2>&1 || timeout 60 docker pull -q "$registry_base" >/dev/null 2>&1; then
    mode=registry
  else
    mode=offline
  fi
fi
case $mode in
  registry) base=$registry_base ;;
  offline) base=$(bash "$here/base.sh" trixie) ;;
  *) echo "REMCODE_IMAGES must be auto, registry or offline" >&2; exit 64 ;;
esac
echo "==> base image: $base ($mode)"

# The build context is the repository's own files (tracked or not ignored), never node_modules or dist,
# plus the CA bundle npm trusts on this host (REMCODE_BUILD_CA, default npm's `cafile`), so that the
# build stage's `npm ci` works behind a TLS-inspecting proxy. Only the build stage sees it.
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c) | tar -x -C "$staging"
ca=${REMCODE_BUILD_CA:-$(npm config get cafile 2>/dev/null || true)}
if [[ -n $ca && $ca != null && $ca != undefined && -f $ca ]]; then cp "$ca" "$staging/.build-ca.pem"; else : >"$staging/.build-ca.pem"; fi
context() { tar -C "$staging" -c .; }
# The legacy builder runs everywhere docker.io does; the host network lets apt and npm reach their
# mirrors on machines where the bridge network has no route out.
build() {
  local name=$1 dockerfile=$2
  shift 2
  local start=$SECONDS log
  log=$(mktemp)
  if ! context | DOCKER_BUILDKIT=0 docker build --network host -f "manifests/images/$dockerfile" \
    --build-arg "BASE=$base" "$@" -t "$name" - >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    echo "building $name failed" >&2
    exit 1
  fi
  rm -f "$log"
  echo "    $name ($((SECONDS - start)) s)"
}

needs_app=0
for image in "${images[@]}"; do [[ $image == webapp || $image == executor || $image == controller ]] && needs_app=1; done
((needs_app)) && build remcode-build:local build.Dockerfile
for image in "${images[@]}"; do
  case $image in
    redis | postgres | prometheus | edge) build "remcode-$image:local" "$image.Dockerfile" ;;
    webapp | executor | controller) build "remcode-$image:local" "$image.Dockerfile" --build-arg BUILD=remcode-build:local ;;
    *) echo "unknown image $image" >&2; exit 64 ;;
  esac
done
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E '^remcode-(redis|postgres|prometheus|edge|webapp|executor|controller):local' | sed 's/^/    /'
