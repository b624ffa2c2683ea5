#!/usr/bin/env bash
# Removes what swarm:up started: the controller first (so it does not recreate anything), then every
# service (Redis and Postgres last), network and secret the controller manages for the stack. Volumes
# (Postgres data) stay unless --volumes is given; the Swarm itself stays.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${REMCODE_STACK:-remcode}
remove_volumes=0
[[ ${1:-} == --volumes ]] && remove_volumes=1
managed=(--filter "label=io.remcode.managed-by=remcode-controller" --filter "label=io.remcode.stack=$stack")

docker service rm remcode-controller >/dev/null 2>&1 || true
# Its container keeps reconciling until it has stopped; removing services before that would race it.
for _ in $(seq 1 30); do
  # -a: a task's container can exist, created but not yet started, and would still start.
  [[ -z $(docker ps -aq --filter label=com.docker.swarm.service.name=remcode-controller) ]] && break
  sleep 1
done
# It held only the controller's status socket, which the controller removes as it stops.
docker volume rm remcode-controller-run >/dev/null 2>&1 || true
# The data stores go last: an executor or webapp that loses Redis while it drains waits out its whole
# stop grace period (a minute for the executor) instead of closing at once.
stores=("${stack}_redis" "${stack}_postgres")
mapfile -t services < <(docker service ls --format '{{.Name}}' "${managed[@]}")
first=()
for service in "${services[@]}"; do
  [[ " ${stores[*]} " == *" $service "* ]] || first+=("$service")
done
((${#first[@]})) && docker service rm "${first[@]}" >/dev/null
# A Docker 20.10 engine keeps the exited containers of a removed job service (the migrate job's) for
# good; Swarm removes every other task's container itself.
for service in "${first[@]}"; do
  mapfile -t exited < <(docker ps -aq --filter "label=com.docker.swarm.service.name=$service" --filter status=exited)
  ((${#exited[@]})) && docker rm "${exited[@]}" >/dev/null 2>&1 || true
done
for _ in $(seq 1 90); do
  left=0
  for service in "${first[@]}"; do
    [[ -n $(docker ps -aq --filter "label=com.docker.swarm.service.name=$service") ]] && left=1
  done
  ((left)) || break
  sleep 1
done
mapfile -t services < <(docker service ls -q "${managed[@]}")
((${#services[@]})) && docker service rm "${services[@]}" >/dev/null
# Networks and secrets stay in use until the tasks are gone.
for _ in $(seq 1 60); do
  [[ -z $(docker ps -aq --filter "label=com.docker.stack.namespace=$stack") ]] && break
  sleep 1
done
mapfile -t secrets < <(docker secret ls -q "${managed[@]}")
((${#secrets[@]})) && docker secret rm "${secrets[@]}" >/dev/null
mapfile -t networks < <(docker network ls -q "${managed[@]}")
((${#networks[@]})) && docker network rm "${networks[@]}" >/dev/null
if ((remove_volumes)); then
  mapfile -t volumes < <(docker volume ls -q "${managed[@]}")
  ((${#volumes[@]})) && docker volume rm "${volumes[@]}" >/dev/null
fi
echo "stack $stack removed$( ((remove_volumes)) && echo ' with its volumes')"
