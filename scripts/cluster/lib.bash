# Sourced by the cluster scripts: names and paths of one test cluster, and small helpers.
# REMCODE_CLUSTER (default remcode-cluster) names the cluster, so several can exist side by side.
cluster=${REMCODE_CLUSTER:-remcode-cluster}
[[ $cluster =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || {
  echo "REMCODE_CLUSTER must be lower-case letters, digits and -" >&2
  exit 64
}
cluster_dir=${REMCODE_CLUSTER_DIR:-/var/lib/remcode-cluster}/$cluster
network=$cluster
label=io.remcode.cluster=$cluster

# The nodes are containers of the host's engine; a DOCKER_HOST pointing at the cluster's manager (as
# printed by cluster-up.sh) must not redirect these scripts there.
host_engine=${REMCODE_CLUSTER_ENGINE:-unix:///var/run/docker.sock}
export DOCKER_HOST=$host_engine

container() { echo "$cluster-$1"; }

# The host-side socket of a node's engine (the node's /run/remcode-node is a host folder).
node_socket() { echo "$cluster_dir/$1/run/docker.sock"; }

node_docker() {
  local node=$1
  shift
  DOCKER_HOST="unix://$(node_socket "$node")" docker "$@"
}

wait_engine() {
  local node=$1
  for _ in $(seq 1 240); do
    node_docker "$node" info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "the engine of node $node did not answer; see: docker logs $(container "$node")" >&2
  return 1
}

# Nodes of the cluster, manager first, from the containers that exist.
cluster_nodes() {
  docker ps -a --filter "label=$label" --format '{{.Label "io.remcode.cluster.node"}}' | sort |
    awk '$0 == "manager" { print; next } { rest = rest $0 "\n" } END { printf "%s", rest }'
}

# Copies images the node lacks from the host engine (docker save | docker load); a registry would need
# TLS or an insecure-registry setting on every node, this needs nothing.
load_images() {
  local node=$1
  shift
  local image id
  for image in "$@"; do
    id=$(docker image inspect -f '{{.Id}}' "$image")
    [[ $(node_docker "$node" image inspect -f '{{.Id}}' "$image" 2>/dev/null) == "$id" ]] && continue
    docker save "$image" | node_docker "$node" load -q >/dev/null
  done
}
