#!/bin/sh
# Puts BusyBox's static build (Debian's busybox-static) into a runtime root as /bin/busybox, with sh
# and the named applets linked to it: the few commands an entrypoint or a healthcheck script runs, in
# an image that has no other shell or tools.
# Usage: shell-rootfs.sh ROOT APPLET...
set -eu
root=$1
shift
mkdir -p "$root/bin"
cp /bin/busybox "$root/bin/busybox"
for applet in sh "$@"; do
  ln -sf busybox "$root/bin/$applet"
done
