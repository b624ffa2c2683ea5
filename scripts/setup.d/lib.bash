# Sourced by the setup steps. The steps in this folder run in name order; files not ending in .sh
# (like this one) are helpers.

# Installs Debian packages that are not yet installed, updating the package lists at most once per
# setup run.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  echo "    installing: ${missing[*]}"
  if [[ ! -f /tmp/.remcode-apt-updated ]]; then
    apt-get update -qq
    touch /tmp/.remcode-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# apt_install for packages that ship a daemon the tests run themselves: their post-install scripts
# would start it (on its default port) where an init system runs, so invoke-rc.d is told no for the
# length of the install only. An operator's own policy-rc.d is left alone.
apt_install_without_starting() {
  local policy=/usr/sbin/policy-rc.d created=0 status=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created=1
  fi
  apt_install "$@" || status=$?
  ((created)) && rm -f "$policy"
  return "$status"
}
