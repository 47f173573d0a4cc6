# Shared helpers for the provisioning scripts. Sourced, never run.
# Everything here prints to stderr: stdout of these scripts is reserved for machine-readable answers.

DH_MCP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DH_MCP_CACHE="${DH_MCP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dh-mcp}"
DH_MCP_VENV="${DH_MCP_VENV:-$DH_MCP_ROOT/.venv-deephaven}"
DH_MCP_REQUIREMENTS="$DH_MCP_ROOT/scripts/worker-requirements.txt"
DH_MCP_WHEELS="$DH_MCP_CACHE/wheels"
DH_MCP_REGISTRY_PORT="${DH_MCP_REGISTRY_PORT:-5555}"
DH_MCP_REGISTRY="127.0.0.1:$DH_MCP_REGISTRY_PORT"

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

# The Deephaven version the worker environment pins (deephaven-server==X in worker-requirements.txt).
deephaven_version() { sed -n 's/^deephaven-server==//p' "$DH_MCP_REQUIREMENTS"; }

# --- The Deephaven root file system shared by every image built here -------------------------------------------
# A debootstrap'd Debian 12 with Java 17 and the pinned venv at /opt/deephaven/venv (the official images' path),
# installed offline from the wheel cache. Kept as a directory in the cache, keyed by a hash of what goes into it;
# each image is one `docker import` of it plus the image's own files (rootfs_import).
ROOTFS_PKGS=ca-certificates,tzdata,fontconfig,liblzo2-2,python3,python3-venv,libpython3.11,openjdk-17-jre-headless
ROOTFS_ENV=(LANG=C.UTF-8 JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 VIRTUAL_ENV=/opt/deephaven/venv
  PATH=/opt/deephaven/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)

rootfs_hash() {
  { echo "$ROOTFS_PKGS"; echo "${ROOTFS_ENV[*]}"; grep -v '^#' "$DH_MCP_REQUIREMENTS"; declare -f build_rootfs; } \
    | sha256sum | cut -c1-12
}
rootfs_dir() { echo "$DH_MCP_CACHE/rootfs/$(rootfs_hash)"; }

# ensure_rootfs: builds the rootfs directory unless the cache holds it; sets ROOTFS to its path. Needs root and
# debootstrap. (Not meant for $(...): errexit does not hold inside a command substitution.)
ensure_rootfs() {
  ROOTFS="$(rootfs_dir)"
  [ -f "$ROOTFS.complete" ] && return 0
  is_root || die "building the Deephaven rootfs needs root (debootstrap, chroot)"
  mkdir -p "$DH_MCP_CACHE/rootfs"
  # One builder at a time (two checkouts may provision at once); the second finds the first one's result.
  local lock_fd
  exec {lock_fd}>"$DH_MCP_CACHE/rootfs.lock"
  flock "$lock_fd"
  if [ -f "$ROOTFS.complete" ]; then exec {lock_fd}>&-; return 0; fi
  apt_install debootstrap
  download_wheels
  build_rootfs "$ROOTFS"
  exec {lock_fd}>&-
  # Older rootfs versions are dead weight (about 1 GB each).
  local old
  for old in "$DH_MCP_CACHE"/rootfs/*; do
    case "$old" in "$ROOTFS"|"$ROOTFS.complete") ;; *) unmount_under "$old"; rm -rf --one-file-system "$old" ;; esac
  done
}

# unmount_under DIR: every mount below DIR, deepest first (debootstrap may leave its /proc mounted).
unmount_under() {
  local m
  while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done \
    < <(awk -v d="$(readlink -f "$1")/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

build_rootfs() {
  local dir="$1" mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}" t0; t0=$(date +%s)
  local r="$dir.tmp"
  unmount_under "$r" 2>/dev/null || true
  rm -rf --one-file-system "$r" "$dir" "$dir.complete"; mkdir -p "$r"
  # shellcheck disable=SC2064
  trap "unmount_under '$r'; rm -rf --one-file-system '$r'" EXIT
  log "debootstrap bookworm into $r (a few minutes)"
  debootstrap --variant=minbase --include="$ROOTFS_PKGS" bookworm "$r" "$mirror" >"$DH_MCP_CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$DH_MCP_CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $DH_MCP_CACHE/debootstrap.log)"; }
  mountpoint -q "$r/proc" || mount -t proc proc "$r/proc"   # java in a chroot needs /proc
  mkdir -p "$r/wheels" && mount --bind "$DH_MCP_WHEELS" "$r/wheels"
  cp "$DH_MCP_REQUIREMENTS" "$r/requirements.txt"
  # env -i: host PIP_* settings must not leak into the image build.
  local ch=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 chroot "$r")
  "${ch[@]}" python3 -m venv /opt/deephaven/venv || die "creating the venv inside the image rootfs failed"
  "${ch[@]}" /opt/deephaven/venv/bin/pip install -q --no-index --find-links /wheels --no-cache-dir \
    -r /requirements.txt >&2 || die "offline pip install inside the image rootfs failed"
  unmount_under "$r"
  [ -z "$(awk -v d="$(readlink -f "$r")/" 'index($2, d) == 1' /proc/self/mounts)" ] || die "could not unmount below $r"
  rmdir "$r/wheels"; rm "$r/requirements.txt"
  mkdir -p "$r/data" "$r/cache" "$r/apps/libs"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/usr/share/doc/* "$r"/usr/share/man/*
  trap - EXIT
  mv "$r" "$dir" && touch "$dir.complete"
  log "built the Deephaven rootfs $dir in $(( $(date +%s) - t0 )) s"
}

# rootfs_import ROOTFS OVERLAY TAG [docker import --change args...]: one image layer holding the rootfs with the
# overlay directory's files on top, with the shared environment and the given changes. The rootfs is shared, so
# the overlay goes into a hard-linked copy (cheap; files the overlay replaces are unlinked first, never rewritten).
rootfs_import() {
  local rootfs="$1" overlay="$2" tag="$3"; shift 3
  local changes=() e work
  for e in "${ROOTFS_ENV[@]}"; do changes+=(--change "ENV $e"); done
  chmod -R u=rwX,go=rX "$overlay"
  work="$(mktemp -d "$DH_MCP_CACHE/import.XXXXXX")"
  cp -al "$rootfs" "$work/rootfs" && cp -a --remove-destination "$overlay/." "$work/rootfs/" \
    || { rm -rf --one-file-system "$work"; die "could not assemble the files of $tag"; }
  # --one-file-system: nothing mounted below the rootfs can end up in an image.
  if ! tar --numeric-owner --one-file-system -C "$work/rootfs" -c . | docker import "${changes[@]}" "$@" - "$tag" >/dev/null; then
    rm -rf --one-file-system "$work"; die "docker import of $tag failed"
  fi
  rm -rf --one-file-system "$work"
}
