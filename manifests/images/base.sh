#!/usr/bin/env bash
# Offline base image: a minimal Debian root built with debootstrap from the Debian mirror and imported
# into Docker, for machines that reach a Debian mirror but no image registry. The tag carries a hash of
# this script and its inputs, so a machine (or CI cache) that already has it skips the ~25 s build.
# Prints the image reference. Usage: base.sh [suite]
set -euo pipefail
suite=${1:-trixie}
mirror=${REMCODE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
key=$( (cat "$0"; echo "$suite $mirror") | sha256sum | cut -c1-12)
ref="remcode-base:$suite-$key"
# A saved copy survives an engine reset (CI caches this folder); loading it takes about 2 s.
cache_dir=${REMCODE_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remcode}
cached="$cache_dir/remcode-base-$suite-$key.tar"
if docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
if [[ -f $cached ]] && docker load -q -i "$cached" >/dev/null 2>&1 && docker image inspect "$ref" >/dev/null 2>&1; then
  echo "$ref"
  exit 0
fi
command -v debootstrap >/dev/null || {
  echo "debootstrap is missing: apt-get install debootstrap" >&2
  exit 1
}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
echo "building $ref with debootstrap (about 25 s)" >&2
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1; then
  tail -n 20 "$root.log" >&2
  rm -f "$root.log"
  exit 1
fi
rm -f "$root.log"
# Keep images small: no apt caches, no docs, no recommends.
cat >"$root/etc/apt/apt.conf.d/90remcode" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
CONF
cat >"$root/etc/dpkg/dpkg.cfg.d/90remcode-nodoc" <<'CONF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/doc/*/copyright
CONF
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' -c 'ENV LANG=C.UTF-8' - "$ref" >/dev/null
mkdir -p "$cache_dir"
rm -f "$cache_dir"/remcode-base-"$suite"-*.tar
docker save -o "$cached.partial" "$ref" && mv "$cached.partial" "$cached"
echo "$ref"
