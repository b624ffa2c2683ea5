#!/usr/bin/env bash
# A multi-node Docker Swarm on this one machine, for tests and demos: a manager and N workers, each a
# container running its own Docker engine (the node image, manifests/images/node.sh). Idempotent:
# running it again starts stopped nodes and rejoins them. Prints the DOCKER_HOST of the manager.
#
# Why every node is a container, the manager included: the host's own Swarm advertises 127.0.0.1 and a
# manager's Raft address cannot be changed without leaving the swarm (`swarm init --force-new-cluster
# --advertise-addr` changes only the data-path address), which would delete every other stack on it;
# and workers joined to the host's Swarm would receive tasks of every other stack. Here nothing of the
# host's Swarm changes.
#
# Environment: REMCODE_CLUSTER (name, default remcode-cluster), REMCODE_CLUSTER_WORKERS (2),
# REMCODE_CLUSTER_IMAGES (host images to copy onto every node; default the debootstrap base image),
# REMCODE_CLUSTER_PUBLISH (ports of the manager to publish on the host's 127.0.0.1, set when the
# manager is created; e.g. "8080"), REMCODE_CLUSTER_DIR (/var/lib/remcode-cluster).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
source "$here/cluster/lib.bash"
workers=${REMCODE_CLUSTER_WORKERS:-2}
start=$SECONDS

docker info >/dev/null 2>&1 || {
  echo "No Docker engine answers; run: bash scripts/setup.sh test" >&2
  exit 1
}
echo "==> node image"
image=$(bash "$repo/manifests/images/node.sh")
echo "    $image ($((SECONDS - start)) s)"
base=$(bash "$repo/manifests/images/base.sh" trixie)
read -r -a images <<<"${REMCODE_CLUSTER_IMAGES:-$base}"

# A network of its own with addresses the nodes keep across restarts: a manager's Raft address must
# not change, and fixed addresses need a subnet we name. Try /24s in 172.30.0.0/16 from one derived
# from the cluster name until one is free.
if ! docker network inspect "$network" >/dev/null 2>&1; then
  first=$(($(cksum <<<"$cluster" | cut -d' ' -f1) % 256))
  for i in $(seq 0 63); do
    docker network create --label "$label" --subnet "172.30.$(((first + i) % 256)).0/24" "$network" \
      >/dev/null 2>&1 && break
  done
  docker network inspect "$network" >/dev/null 2>&1 || {
    echo "no free /24 in 172.30.0.0/16 for the cluster network" >&2
    exit 1
  }
fi
subnet=$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$network")
prefix=${subnet%.*}
address() { # manager .10, worker N .(10+N)
  if [[ $1 == manager ]]; then echo "$prefix.10"; else echo "$prefix.$((10 + ${1#worker}))"; fi
}

run_node() {
  local node=$1 name port publish=()
  name=$(container "$node")
  # The manager's ports, on the host's loopback only, for reaching a stack published there.
  if [[ $node == manager ]]; then
    for port in ${REMCODE_CLUSTER_PUBLISH:-}; do publish+=(-p "127.0.0.1:$port:$port"); done
  fi
  mkdir -p "$cluster_dir/$node/docker" "$cluster_dir/$node/run"
  if docker container inspect "$name" >/dev/null 2>&1; then
    [[ $(docker container inspect -f '{{.State.Running}}' "$name") == true ]] || docker start "$name" >/dev/null
    return
  fi
  # No --privileged (it needs CAP_SYS_RESOURCE, which this kind of host lacks): every other capability,
  # no seccomp filter, and a writable cgroup tree let the node's engine start containers. Its
  # /var/lib/docker on a host folder gives it overlay2 instead of vfs.
  docker run -d --name "$name" --hostname "$node" \
    --label "$label" --label "io.remcode.cluster.node=$node" \
    --network "$network" --ip "$(address "$node")" "${publish[@]}" \
    --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    -v "$cluster_dir/$node/docker:/var/lib/docker" \
    -v "$cluster_dir/$node/run:/run/remcode-node" \
    "$image" >/dev/null
}

nodes=(manager)
for i in $(seq 1 "$workers"); do nodes+=("worker$i"); done
echo "==> starting ${#nodes[@]} nodes on $network ($subnet)"
for node in "${nodes[@]}"; do run_node "$node"; done
for node in "${nodes[@]}"; do wait_engine "$node"; done

echo "==> forming the swarm"
manager_addr=$(address manager)
if [[ $(node_docker manager info -f '{{.Swarm.LocalNodeState}}') != active ]]; then
  node_docker manager swarm init --advertise-addr "$manager_addr" >/dev/null
fi
token=$(node_docker manager swarm join-token -q worker)
for node in "${nodes[@]:1}"; do
  if [[ $(node_docker "$node" info -f '{{.Swarm.LocalNodeState}}') != active ]]; then
    node_docker "$node" swarm join --token "$token" --advertise-addr "$(address "$node")" "$manager_addr:2377" >/dev/null
  fi
done
for _ in $(seq 1 120); do
  ready=$(node_docker manager node ls --filter role=worker --format '{{.Status}}' | grep -c '^Ready$' || true)
  ((ready >= workers)) && break
  sleep 0.5
done
((ready >= workers)) || {
  echo "only $ready of $workers workers are ready" >&2
  exit 1
}

echo "==> images on every node: ${images[*]}"
pids=()
for node in "${nodes[@]}"; do
  load_images "$node" "${images[@]}" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

node_docker manager node ls
echo "cluster $cluster is up after $((SECONDS - start)) s; use it with:"
echo "export DOCKER_HOST=unix://$(node_socket manager)"
