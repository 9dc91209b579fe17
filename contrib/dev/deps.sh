# deps.sh: sourced by contrib/dev/run and contrib/dev/test.
#
# What building needs has one source of truth: debian/control's
# Build-Depends (and build-essential, which Debian implies). dm_build_deps
# installs exactly that with `apt-get build-dep ./`, so the developers'
# scripts and the package cannot drift apart again. dm_install installs the
# further packages that only the tests or the demo need.

# dm_apt PACKAGE...: apt-get install as root, quietly, without recommends.
dm_apt() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# dm_missing PACKAGE...: prints those of the named packages not installed.
dm_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
  done
}

# dm_install PACKAGE...: installs the named packages that are missing.
dm_install() {
  local missing
  mapfile -t missing < <(dm_missing "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  dm_apt "${missing[@]}"
}

# dm_build_deps: installs debian/control's Build-Depends (with
# build-essential) when dpkg-checkbuilddeps says they are not all there.
# libboost1.81-dev is named there alone: it conflicts with the 1.74 -dev
# packages, so nothing else may pull those in.
dm_build_deps() {
  local top=${1:-.}
  if command -v dpkg-checkbuilddeps >/dev/null &&
    dpkg-checkbuilddeps "$top/debian/control" 2>/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing build dependencies (debian/control); run as root or: sudo apt-get build-dep $top" >&2
    return 1
  fi
  echo "installing the build dependencies of debian/control" >&2
  dm_install dpkg-dev || return 1
  export DEBIAN_FRONTEND=noninteractive
  apt-get build-dep -y -qq "$top" >/dev/null || return 1
  dpkg-checkbuilddeps "$top/debian/control"
}
