#!/bin/sh
# Runs after a daemon's run: the heartbeat it left must no longer move.
a=$(cat /box/heartbeat)
sleep 0.3
b=$(cat /box/heartbeat)
if [ "$a" = "$b" ]; then echo "heartbeat stopped"; else echo "heartbeat still moving"; fi
