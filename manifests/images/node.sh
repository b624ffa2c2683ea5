#!/usr/bin/env bash
# The Swarm node image of the one-machine test cluster (node.Dockerfile): Debian's Docker engine on
# the offline debootstrap base. Like base.sh, the tag carries a hash of its inputs, so a machine (or a
# CI cache) that has it skips the build (about 1 min; 3 min on a busy machine).
# Prints the image reference.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=$(bash "$here/base.sh" trixie)
key=$( (echo "$base"; cat "$0" "$here/node.Dockerfile" "$here/node/entrypoint.sh") | sha256sum | cut -c1-12)
ref="remcode-node:$key"
cache_dir=${REMCODE_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remcode}
cached="$cache_dir/remcode-node-$key.tar"
if docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
if [[ -f $cached ]] && docker load -q -i "$cached" >/dev/null 2>&1 && docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
echo "building $ref" >&2
log=$(mktemp)
# The context holds only the node's own files; the host network lets apt reach the Debian mirror.
if ! tar -C "$here/../.." -c manifests/images/node.Dockerfile manifests/images/node |
  DOCKER_BUILDKIT=0 docker build --network host -f manifests/images/node.Dockerfile \
    --build-arg "BASE=$base" -t "$ref" - >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
mkdir -p "$cache_dir"
rm -f "$cache_dir"/remcode-node-*.tar
docker save -o "$cached.partial" "$ref" && mv "$cached.partial" "$cached"
echo "$ref"
