#!/usr/bin/env bash
# Brings the whole platform up on Docker Swarm from manifests/remcode.yaml: initialises a single-node
# Swarm when none exists, builds the images, and starts the controller as a Swarm service on a manager;
# the controller then creates the networks, secrets (passwords generated here, never defaults) and
# services in dependency order. Waits until the webapp answers through the edge on 127.0.0.1 and
# prints the URL.
# Environment: REMCODE_IMAGES=auto|registry|offline (see manifests/images/build.sh),
# REMCODE_MANIFEST (default manifests/remcode.yaml), REMCODE_SKIP_BUILD=1 to reuse built images.
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=$(realpath "${REMCODE_MANIFEST:-manifests/remcode.yaml}")
start=$SECONDS

if ! docker info >/dev/null 2>&1; then
  echo "No Docker engine answers. Install and start one (on Debian: apt-get install docker.io; dockerd &)." >&2
  exit 1
fi
if [[ $(docker info --format '{{.Swarm.LocalNodeState}}') != active ]]; then
  echo "==> initialising a single-node Swarm"
  docker swarm init --advertise-addr "${REMCODE_ADVERTISE_ADDR:-127.0.0.1}" >/dev/null
fi
if [[ $(docker info --format '{{.Swarm.ControlAvailable}}') != true ]]; then
  echo "This node is not a Swarm manager; run swarm:up on a manager." >&2
  exit 1
fi

if [[ ${REMCODE_SKIP_BUILD:-0} != 1 ]]; then
  echo "==> building images"
  bash manifests/images/build.sh
fi

# Grafana's provisioning is bind-mounted from this manager (the service is pinned to managers); on a
# cluster with several managers, copy it to each (docs/observability.md).
echo "==> Grafana provisioning in /opt/remcode/grafana"
install -d /opt/remcode/grafana
rm -rf /opt/remcode/grafana/provisioning /opt/remcode/grafana/dashboards
cp -r grafana/provisioning grafana/dashboards /opt/remcode/grafana/

echo "==> starting the controller"
# The controller lives outside the stack it manages (no ownership labels), so it never prunes itself.
# The socket mount is root-equivalent on this host: the service is pinned to managers and publishes
# nothing; read its status with `docker exec` or attach a network (docs/controller.md).
docker service rm remcode-controller >/dev/null 2>&1 || true
docker service create --quiet --detach --name remcode-controller \
  --constraint node.role==manager \
  --mount type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock \
  --mount "type=bind,source=$(dirname "$manifest"),target=/etc/remcode,readonly" \
  --env LOG_LEVEL="${LOG_LEVEL:-info}" \
  --stop-grace-period 10s \
  remcode-controller:local run -f "/etc/remcode/$(basename "$manifest")" >/dev/null

port=$(sed -n 's/^ *- { target: 8080, published: \([0-9]*\).*/\1/p' "$manifest" | head -n1)
port=${port:-8080}
echo "==> waiting for RemCode through the edge on 127.0.0.1:$port"
for _ in $(seq 1 600); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
    # The controller creates the stack's network, so it can join it only now; Prometheus finds its
    # targets there. Joining restarts the controller's task once; it resumes from the file.
    stack=$(sed -n 's/^stack: *\([a-z0-9_-]*\).*/\1/p' "$manifest" | head -n1)
    network="${stack:-remcode}_backend"
    if ! docker service inspect remcode-controller --format '{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}' |
      grep -qw "$(docker network inspect "$network" --format '{{.Id}}')"; then
      # Not detached: wait until the restarted controller runs, so that nothing (swarm:down above all)
      # meets the old task stopping and the new one starting.
      docker service update --quiet --network-add "$network" remcode-controller >/dev/null
    fi
    echo "RemCode is up after $((SECONDS - start)) s: http://127.0.0.1:$port/"
    exit 0
  fi
  sleep 1
done
echo "RemCode did not become ready; see: docker service ps --no-trunc remcode_edge remcode_webapp; docker service logs remcode-controller" >&2
exit 1
