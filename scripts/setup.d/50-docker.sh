#!/usr/bin/env bash
# Docker engine in single-node Swarm mode, for the controller's integration tests only: `npm start`
# never needs Docker, so this step returns at once unless the setup runs for tests.
set -euo pipefail
[[ ${REMCODE_SETUP_FOR:-} == test ]] || exit 0
source "$(dirname "$0")/lib.bash"
command -v dockerd >/dev/null || apt_install docker.io
# The offline base image (manifests/images/base.sh) is built from Debian packages.
command -v debootstrap >/dev/null || apt_install debootstrap
# A client newer than the engine refuses to talk unless told which API version to speak.
docker_ok() { docker info >/dev/null 2>&1; }
if ! docker_ok; then
  mkdir -p /var/log/remcode
  # A stale pid file from a killed engine stops the next one from starting.
  if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  if ! pgrep -x dockerd >/dev/null; then
    nohup dockerd >/var/log/remcode/dockerd.log 2>&1 &
    disown
  fi
  for _ in $(seq 1 120); do
    docker_ok && break
    sleep 0.5
  done
  docker_ok || { echo "dockerd did not start; see /var/log/remcode/dockerd.log" >&2; exit 1; }
fi
if [[ $(docker info --format '{{.Swarm.LocalNodeState}}') != active ]]; then
  # The loopback address is enough for one node; a multi-node swarm needs a reachable address.
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi
echo "    docker $(docker info --format '{{.ServerVersion}}'), swarm $(docker info --format '{{.Swarm.LocalNodeState}}')"
