# Shared helpers for the provisioning scripts. Sourced, never run.
# Everything here prints to stderr: stdout of these scripts is reserved for machine-readable answers.

DH_MCP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DH_MCP_CACHE="${DH_MCP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dh-mcp}"
DH_MCP_VENV="${DH_MCP_VENV:-$DH_MCP_ROOT/.venv-deephaven}"
DH_MCP_REQUIREMENTS="$DH_MCP_ROOT/scripts/worker-requirements.txt"
DH_MCP_WHEELS="$DH_MCP_CACHE/wheels"

log() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# apt_install PKG...: installs Debian packages when we are root, else says what is missing.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_root || ! command -v apt-get >/dev/null; then
    die "missing Debian packages: ${missing[*]} (install them with: sudo apt-get install ${missing[*]})"
  fi
  log "installing Debian packages: ${missing[*]}"
  if [ ! -f /var/lib/apt/periodic/dh-mcp-updated ] || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]; then
    apt-get update -qq >&2 || die "apt-get update failed"
    mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/dh-mcp-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
}

# Content hash of the requirement pins: the key of every cache built from them.
requirements_hash() { grep -v '^#' "$DH_MCP_REQUIREMENTS" | sha256sum | cut -c1-16; }

# download_wheels: fills the shared wheel cache for CPython 3.11 / glibc 2.28+ (host venv and images alike).
download_wheels() {
  local stamp="$DH_MCP_WHEELS/.complete-$(requirements_hash)"
  [ -f "$stamp" ] && return 0
  mkdir -p "$DH_MCP_WHEELS"
  log "downloading worker wheels into $DH_MCP_WHEELS (about 340 MB, once)"
  local py; py="$(python_for_worker)"
  # PIP_FIND_LINKS and friends from the host would change what is resolved: ignore them.
  env -u PIP_FIND_LINKS -u PIP_INDEX_URL_EXTRA "$py" -m pip download -q --only-binary=:all: --no-deps \
    --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any \
    -d "$DH_MCP_WHEELS" -r "$DH_MCP_REQUIREMENTS" >&2 || die "pip download of the worker wheels failed (is PyPI reachable?)"
  touch "$stamp"
}

# python_for_worker: a CPython 3.11 with a shared libpython (jpy needs it). Debian's python3.11 first.
python_for_worker() {
  local c
  for c in /usr/bin/python3.11 "$(command -v python3.11 || true)"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    if "$c" -c 'import sysconfig,sys; sys.exit(0 if sysconfig.get_config_var("Py_ENABLE_SHARED") or sysconfig.get_config_var("INSTSONAME","").endswith(".so.1.0") else 1)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

# java_home: a JDK/JRE 11+ holding lib/server/libjvm.so.
java_home() {
  local j
  for j in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64 \
           "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$j" ] && [ -f "$j/lib/server/libjvm.so" ] && { echo "$j"; return 0; }
  done
  return 1
}
