#!/bin/sh
# Copies programs and exactly the shared libraries they load into a root folder, for runtime images
# built FROM scratch: what a program needs to run and nothing an intruder could use or patch.
# Usage: rootfs.sh ROOT FILE...   FILE: a program or a shared object (a plugin the program dlopens);
# each keeps its path under ROOT, symlinks are followed, so ROOT holds plain files.
set -eu
root=$1
shift
mkdir -p "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
for file in "$@"; do
  cp --parents -L "$file" "$root/"
  # ldd lists every library of the whole dependency tree, the dynamic loader included; a static
  # program or a script has none.
  for lib in $(ldd "$file" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'); do
    [ -e "$root$lib" ] || cp --parents -L "$lib" "$root/"
  done
done
cp /etc/ld.so.cache "$root/etc/"
