# Sourced by the setup steps. Installs Debian packages that are not yet installed, updating the
# The steps in this folder run in name order; files not ending in .sh (like this one) are helpers.
# package lists at most once per setup run.
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
