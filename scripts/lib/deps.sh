# Installs what Vigil needs on a fresh Debian machine, only when it is missing.
# Sourced by scripts/test, scripts/cluster and the benchmarks.

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "vigil: missing Debian package(s) $*; run: sudo apt-get install -y $*" >&2
    return 1
  fi
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_build_deps() {
  if ! pkg-config --exists liblz4 2>/dev/null; then
    echo "vigil: installing liblz4-dev" >&2
    apt_install liblz4-dev pkg-config
  fi
  if ! pkg-config --exists openssl 2>/dev/null; then
    echo "vigil: installing libssl-dev (vigil-run's HTTPS)" >&2
    apt_install libssl-dev pkg-config
  fi
}

ensure_python_requests() {
  if ! python3 -c 'import requests' 2>/dev/null; then
    echo "vigil: installing python requests (for the seed client test)" >&2
    python3 -m pip install -q requests
  fi
}

ensure_python_module() {  # ensure_python_module MODULE PYPI_PACKAGE
  if ! python3 -c "import $1" 2>/dev/null; then
    echo "vigil: installing python $2 (from PyPI)" >&2
    python3 -m pip install -q "$2"
  fi
}

ensure_tool() {  # ensure_tool COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

# PostgreSQL's server binaries (initdb, pg_ctl) for the postgres channel's live test: Debian's
# postgresql puts them in /usr/lib/postgresql/VERSION/bin, not on PATH.
ensure_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    echo "vigil: installing postgresql (for the postgres channel's test)" >&2
    apt_install postgresql
  fi
}
