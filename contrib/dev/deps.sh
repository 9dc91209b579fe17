# deps.sh: sourced by contrib/dev/run and contrib/dev/test. Installs the
# Debian 12 packages named in "$@" that are missing (apt-get, as root).
dm_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building needs (DESIGN.md section 9). libboost1.81-dev must be
# installed alone: it conflicts with the 1.74 -dev packages.
DM_BUILD_DEPS=(g++ meson ninja-build pkg-config cmake libboost1.81-dev libgmime-3.0-dev
  libsoci-dev libsqlite3-dev libpq-dev libssl-dev libyaml-cpp-dev doctest-dev nlohmann-json3-dev)
