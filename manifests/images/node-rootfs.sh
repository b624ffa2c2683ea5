#!/bin/sh
# Collects Node.js and exactly the shared libraries it loads into /rootfs, for runtime images built
# FROM scratch: no shell, no package manager, no coreutils, nothing an intruder could use or patch.
set -eu
sh "$(dirname "$0")/rootfs.sh" /rootfs "$(command -v node)"
# Debian builds Node.js with some builtins (undici for fetch, acorn, the CJS lexer) kept outside the
# binary. What only a developer reads goes: corepack (a package-manager launcher), type declarations,
# docs and source maps.
if [ -d /usr/share/nodejs ]; then
  cp --parents -a /usr/share/nodejs /rootfs/
  rm -rf /rootfs/usr/share/nodejs/corepack /rootfs/usr/share/nodejs/@types /rootfs/usr/share/nodejs/undici-types
  find /rootfs/usr/share/nodejs \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
    -o -iname '*.md' \) -type f -delete
fi
printf 'root:x:0:0::/:/nonexistent\nremcode:x:10001:10001::/app:/nonexistent\n' >/rootfs/etc/passwd
printf 'root:x:0:\nremcode:x:10001:\n' >/rootfs/etc/group
# Name resolution for service names on the stack network.
cp /etc/nsswitch.conf /rootfs/etc/ 2>/dev/null || true
