#!/usr/bin/env bash
# Removes the one-machine cluster of scripts/cluster-up.sh: its node containers (and with them every
# service, task and image inside), its network and its folders. The host's own Swarm is not touched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cluster/lib.bash"
mapfile -t containers < <(docker ps -aq --filter "label=$label")
((${#containers[@]} == 0)) || docker rm -f -v "${containers[@]}" >/dev/null
docker network rm "$network" >/dev/null 2>&1 || true
rm -rf "$cluster_dir"
left=$(docker ps -aq --filter "label=$label")
[[ -z $left ]] || {
  echo "cluster $cluster: containers left: $left" >&2
  exit 1
}
echo "cluster $cluster is down"
