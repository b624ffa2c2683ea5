#!/usr/bin/env bash
# Builds the RemCode images: redis, postgres, edge (HAProxy), and the webapp, executor and controller
# from one shared build stage. Base images come from a registry when one answers; REMCODE_IMAGES=offline
# (or a failed pull in the default auto mode) builds the base from Debian packages with debootstrap
# instead.
# Usage: build.sh [image...]   (default: all). Prints each image's size at the end.
# `executor` builds one image per executor pool of the manifest (REMCODE_MANIFEST, default
# manifests/remcode.yaml), tagged as the pool's service names it, with only the Debian packages the
# catalogue lists for the pool's languages and the parts of GCC the pool keeps (`gcc_extras:`);
# `executor=NAME:ID,ID...[:EXTRA,EXTRA...]` builds one pool's image, remcode-executor-NAME:local,
# without a manifest (extras: static, sanitizers, lto).
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

# The executor pools to build, one `image<TAB>pool<TAB>ids<TAB>packages<TAB>extras` line each, checked
# against the catalogue before anything is built (an unknown language id or extra stops here, named).
pools_of() {
  local tsx="$repo/node_modules/.bin/tsx"
  [[ -x $tsx ]] || { echo "building executor images needs the project's node_modules (npm ci)" >&2; exit 1; }
  (cd "$repo" && "$tsx" controller/desired/pools-cli.ts "$@")
}
executor_pools=()
for image in "${images[@]}"; do
  lines=
  case $image in
    executor)
      lines=$(pools_of manifest "${REMCODE_MANIFEST:-$repo/manifests/remcode.yaml}")
      # A manifest without pools runs one executor service on remcode-executor:local with every language.
      [[ -n $lines ]] || lines=$'remcode-executor:local\tdefault\t-\t'"$(sed -n 's/^ARG LANGUAGE_PACKAGES="\(.*\)"$/\1/p' "$here/executor.Dockerfile")"$'\t-'
      ;;
    executor=*:*)
      IFS=: read -r pool_name pool_ids pool_extras <<<"${image#executor=}"
      lines=$(pools_of pool "$pool_name=$pool_ids" "${pool_extras:-}")
      ;;
  esac
  [[ -z $lines ]] || mapfile -t -O "${#executor_pools[@]}" executor_pools <<<"$lines"
done

needs_app=0
for image in "${images[@]}"; do [[ $image == webapp || $image == executor* || $image == controller ]] && needs_app=1; done
((needs_app)) && build remcode-build:local build.Dockerfile
built=()
for image in "${images[@]}"; do
  case $image in
    redis | postgres | prometheus | edge) build "remcode-$image:local" "$image.Dockerfile"; built+=("remcode-$image:local") ;;
    webapp | controller) build "remcode-$image:local" "$image.Dockerfile" --build-arg BUILD=remcode-build:local; built+=("remcode-$image:local") ;;
    executor | executor=*:*) ;;
    *) echo "unknown image $image" >&2; exit 64 ;;
  esac
done
for line in "${executor_pools[@]}"; do
  IFS=$'\t' read -r tag pool ids packages extras <<<"$line"
  [[ $ids != - ]] || ids=
  [[ $extras != - ]] || extras=
  echo "    pool $pool: $ids ($packages)${extras:+, GCC extras: $extras}"
  build "$tag" executor.Dockerfile --build-arg BUILD=remcode-build:local --build-arg "LANGUAGE_PACKAGES=$packages" \
    --build-arg "POOL=$pool" --build-arg "LANGUAGES=$ids" --build-arg "GCC_EXTRAS=$extras"
  built+=("$tag")
done
for tag in "${built[@]}"; do
  echo "    $tag $(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=si --suffix=B)"
done
