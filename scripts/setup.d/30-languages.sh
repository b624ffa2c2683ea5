#!/usr/bin/env bash
# Language toolchains: every Debian package that executor/languages/catalogue.yaml lists, read from the
# catalogue itself so that the two can never drift apart.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
mapfile -t packages < <(node -e '
  const { load } = require("js-yaml");
  const catalogue = load(require("fs").readFileSync("executor/languages/catalogue.yaml", "utf8"));
  const names = new Set(catalogue.languages.flatMap((language) => language.packages));
  for (const name of [...names].sort()) console.log(name);
')
if ((${#packages[@]} == 0)); then
  echo "no packages found in executor/languages/catalogue.yaml" >&2
  exit 1
fi
apt_install "${packages[@]}"
