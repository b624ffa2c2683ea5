#!/bin/sh
# Starts the node's Docker engine in the foreground. A node that was stopped or killed keeps /var/run on
# the container's layer, and the pid files left there stop the next engine (and its containerd) from
# starting. They are always stale here: this script is the first process of a fresh pid namespace, and
# the old engine, which ran as pid 1 too, would otherwise look alive. The engine also listens on
# /run/remcode-node/docker.sock when that folder is mounted, so the host can drive the node directly.
set -eu
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
set -- --host unix:///var/run/docker.sock "$@"
if [ -d /run/remcode-node ]; then
  rm -f /run/remcode-node/docker.sock
  set -- --host unix:///run/remcode-node/docker.sock "$@"
fi
exec dockerd "$@"
