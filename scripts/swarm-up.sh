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

stack=$(sed -n 's/^stack: *\([a-z0-9_-]*\).*/\1/p' "$manifest" | head -n1)
stack=${stack:-remcode}
network="${stack}_backend"
secret="${stack}_redis_password"
# The controller's own view of the stack: Redis for the queue it scales executors on and for retiring
# them, Prometheus for the other checks, both by their names on the backend network. The password is
# the stack's Docker secret, mounted where the webapp and the executor find theirs.
secret_mount="source=$secret,target=redis_password"
inside_env=(
  REDIS_URL=redis://redis:6379
  REDIS_PASSWORD_FILE=/run/secrets/redis_password
  PROMETHEUS_URL=http://prometheus:9090
)

echo "==> starting the controller"
# The controller lives outside the stack it manages (no ownership labels), so it never prunes itself.
# The Docker socket mount is root-equivalent on this host: the service is pinned to managers and
# publishes nothing. Its API is also a root-only Unix socket in the manager's local volume
# remcode-controller-run, where `npm run controller -- status` finds it (docs/controller.md); a volume,
# not a host folder, so the task starts on whichever manager Swarm picks.
docker service rm remcode-controller >/dev/null 2>&1 || true
joined=0
if docker network inspect "$network" >/dev/null 2>&1 && docker secret inspect "$secret" >/dev/null 2>&1; then
  attach=(--network "$network" --secret "$secret_mount")
  for variable in "${inside_env[@]}"; do attach+=(--env "$variable"); done
  joined=1
else
  # A first bring-up: the controller creates the network and the secret, so it can join them only once
  # they exist (below). Until then its queue checks fail, and a failed check never scales in.
  attach=(--env REMCODE_AUTOSCALE_REDIS=off)
fi
docker service create --quiet --detach --name remcode-controller \
  --constraint node.role==manager \
  --mount type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock \
  --mount "type=bind,source=$(dirname "$manifest"),target=/etc/remcode,readonly" \
  --mount type=volume,source=remcode-controller-run,target=/run/remcode \
  --env CONTROLLER_SOCKET=/run/remcode/controller.sock \
  --env LOG_LEVEL="${LOG_LEVEL:-info}" \
  "${attach[@]}" \
  --stop-grace-period 10s \
  remcode-controller:local run -f "/etc/remcode/$(basename "$manifest")" >/dev/null

port=$(sed -n 's/^ *- { target: 8080, published: \([0-9]*\).*/\1/p' "$manifest" | head -n1)
port=${port:-8080}
echo "==> waiting for RemCode through the edge on 127.0.0.1:$port"
for _ in $(seq 1 600); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
    if ((!joined)); then
      # One update joins the network and mounts the secret, which restarts the controller's task once;
      # it resumes from the file. Not detached: wait until the restarted controller runs, so that nothing
      # (swarm:down above all) meets the old task stopping and the new one starting.
      join=(--network-add "$network" --secret-add "$secret_mount" --env-rm REMCODE_AUTOSCALE_REDIS)
      for variable in "${inside_env[@]}"; do join+=(--env-add "$variable"); done
      docker service update --quiet "${join[@]}" remcode-controller >/dev/null
    fi
    echo "RemCode is up after $((SECONDS - start)) s: http://127.0.0.1:$port/"
    exit 0
  fi
  sleep 1
done
echo "RemCode did not become ready; see: docker service ps --no-trunc remcode_edge remcode_webapp; docker service logs remcode-controller" >&2
exit 1
