#!/bin/sh
# Sleeps far past any wall limit while using no CPU.
echo sleeping
sleep 1000
