#!/usr/bin/env bash
# Failure helpers for the one-machine cluster (scripts/cluster-up.sh):
#   cluster-node.sh stop NODE       the node's engine stops; its tasks die with it (Swarm sees it down)
#   cluster-node.sh start NODE      starts it again and waits for its engine; it rejoins by itself
#   cluster-node.sh pause NODE      freezes every process of the node (a hung machine)
#   cluster-node.sh unpause NODE
#   cluster-node.sh partition NODE  cuts the node off the cluster network; its tasks keep running
#   cluster-node.sh heal NODE       reconnects it with its old address
#   cluster-node.sh load NODE IMAGE...   copies images from the host engine onto the node
#   cluster-node.sh docker NODE ARGS...  runs the docker CLI against the node's engine
# NODE is manager, worker1, worker2, ...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cluster/lib.bash"
usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 64
}
(($# >= 2)) || usage
action=$1
node=$2
shift 2
name=$(container "$node")
docker container inspect "$name" >/dev/null 2>&1 || {
  echo "no node $node in cluster $cluster" >&2
  exit 1
}
case $action in
  stop) docker stop -t 10 "$name" >/dev/null ;;
  start)
    docker start "$name" >/dev/null
    wait_engine "$node"
    ;;
  pause) docker pause "$name" >/dev/null ;;
  unpause) docker unpause "$name" >/dev/null ;;
  partition)
    # Remember the address: the node must come back with it (a manager's Raft address is fixed).
    docker container inspect -f "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}" "$name" \
      >"$cluster_dir/$node/address"
    docker network disconnect "$network" "$name"
    ;;
  heal)
    address=$(cat "$cluster_dir/$node/address")
    docker network connect --ip "$address" "$network" "$name"
    ;;
  load) load_images "$node" "$@" ;;
  docker) node_docker "$node" "$@" ;;
  *) usage ;;
esac
