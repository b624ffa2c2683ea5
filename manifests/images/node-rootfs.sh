#!/bin/sh
# Collects Node.js and exactly the shared libraries it loads into /rootfs, for runtime images built
# FROM scratch: no shell, no package manager, no coreutils, nothing an intruder could use or patch.
set -eu
mkdir -p /rootfs/etc /rootfs/tmp /rootfs/usr/bin
chmod 1777 /rootfs/tmp
cp -L "$(command -v node)" /rootfs/usr/bin/node
for lib in $(ldd /usr/bin/node | awk '/=>/ { print $3 } /^\t\/.*ld-linux/ { print $1 }'); do
  cp --parents -L "$lib" /rootfs/
done
cp /etc/ld.so.cache /rootfs/etc/
# Debian builds Node.js with some builtins (undici, acorn, the CJS lexer) kept outside the binary.
[ -d /usr/share/nodejs ] && cp --parents -a /usr/share/nodejs /rootfs/
printf 'root:x:0:0::/:/nonexistent\nremcode:x:10001:10001::/app:/nonexistent\n' >/rootfs/etc/passwd
printf 'root:x:0:\nremcode:x:10001:\n' >/rootfs/etc/group
# Name resolution for service names on the stack network.
cp /etc/nsswitch.conf /rootfs/etc/ 2>/dev/null || true
