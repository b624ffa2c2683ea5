#!/bin/sh
# Healthy when Redis answers PING with the stack's password (passed through the environment, not argv).
set -eu
REDISCLI_AUTH=$(cat "$REDIS_PASSWORD_FILE") redis-cli -h 127.0.0.1 ping | grep -q PONG
