#!/bin/bash
# Healthy when the edge answers its own /healthz on the metrics port (HAProxy's monitor-uri).
set -eu
exec 3<>"/dev/tcp/127.0.0.1/${EDGE_METRICS_PORT:-8405}"
printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3
head -n1 <&3 | grep -q ' 200 '
