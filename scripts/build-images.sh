#!/usr/bin/env bash
# Builds the worker images with no container registry: a debootstrap'd Debian rootfs with Java 17 and a venv
# installed offline from the shared wheel cache, imported with `docker import`; the Groovy image is a thin layer
# on top. Images are tagged by a content hash of everything that goes into them (skipped when present) and by
# the Deephaven version, which is what configs refer to:
#   dh-mcp/worker-python:<hash> and :<dh-version>;  dh-mcp/worker-groovy:<hash> and :<dh-version>
# Prints the two version tags on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DH_VERSION="$(sed -n 's/^deephaven-server==//p' "$DH_MCP_REQUIREMENTS")"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PKGS=ca-certificates,tzdata,fontconfig,liblzo2-2,python3,python3-venv,libpython3.11,openjdk-17-jre-headless
docker version >/dev/null 2>&1 || die "no Docker engine answers; run scripts/provision-docker.sh first"

content_hash() {
  { echo "$PKGS"; cat "$DH_MCP_REQUIREMENTS" "$DH_MCP_ROOT/launchers/dh_worker.py" "$0" \
      "$DH_MCP_ROOT"/images/python/* "$DH_MCP_ROOT"/images/groovy/*; } | sha256sum | cut -c1-12
}
HASH="$(content_hash)"
PY_TAG="dh-mcp/worker-python:$HASH"; GROOVY_TAG="dh-mcp/worker-groovy:$HASH"
has_image() { docker image inspect "$1" >/dev/null 2>&1; }

build_python() {
  apt_install debootstrap
  download_wheels
  local work; work="$(mktemp -d /var/tmp/dh-mcp-rootfs.XXXXXX)"; local r="$work/rootfs"
  # shellcheck disable=SC2064
  trap "umount '$r/wheels' 2>/dev/null || true; umount '$r/proc' 2>/dev/null || true; rm -rf '$work'" EXIT
  local t0; t0=$(date +%s)
  log "debootstrap bookworm into $r (about a minute)"
  debootstrap --variant=minbase --include="$PKGS" bookworm "$r" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  mount -t proc proc "$r/proc"                       # java in a chroot needs /proc
  mkdir -p "$r/wheels" && mount --bind "$DH_MCP_WHEELS" "$r/wheels"
  cp "$DH_MCP_REQUIREMENTS" "$r/requirements.txt"
  # env -i: host PIP_* settings must not leak into the image build.
  local ch=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 chroot "$r")
  "${ch[@]}" python3 -m venv /opt/deephaven/venv
  "${ch[@]}" /opt/deephaven/venv/bin/pip install -q --no-index --find-links /wheels --no-cache-dir \
    -r /requirements.txt >&2 || die "offline pip install inside the image rootfs failed"
  umount "$r/wheels" "$r/proc"; rmdir "$r/wheels"; rm "$r/requirements.txt"
  install -D -m 755 "$DH_MCP_ROOT/launchers/dh_worker.py" "$r/opt/deephaven/bin/dh_worker.py"
  install -D -m 644 "$DH_MCP_ROOT/images/python/deephaven.prop" "$r/opt/deephaven/config/deephaven.prop"
  mkdir -p "$r/data" "$r/cache" "$r/apps/libs"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/usr/share/doc/* "$r"/usr/share/man/*
  local changes=()
  while IFS= read -r line; do
    case "$line" in ''|'#'*) ;; *) changes+=(--change "ENV $line") ;; esac
  done < "$DH_MCP_ROOT/images/python/image.env"
  log "importing the rootfs as $PY_TAG"
  tar --numeric-owner -C "$r" -c . | docker import "${changes[@]}" \
    --change 'EXPOSE 10000' --change 'VOLUME ["/data", "/cache"]' --change 'WORKDIR /' \
    --change 'HEALTHCHECK --interval=10s --timeout=5s --retries=3 CMD ["/opt/deephaven/venv/bin/python", "-c", "import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:10000/ide/\", timeout=4)"]' \
    --change 'ENTRYPOINT ["/opt/deephaven/venv/bin/python", "/opt/deephaven/bin/dh_worker.py"]' \
    --change "LABEL io.deephaven.image.type=server dh-mcp.console=python dh-mcp.content-hash=$HASH org.opencontainers.image.version=$DH_VERSION" \
    - "$PY_TAG" >/dev/null
  rm -rf "$work"; trap - EXIT
  log "built $PY_TAG in $(( $(date +%s) - t0 )) s"
}

build_groovy() {
  local t0; t0=$(date +%s)
  # Legacy builder: BuildKit would try to reach a registry for its frontend.
  DOCKER_BUILDKIT=0 docker build -q --network none --build-arg "BASE=$PY_TAG" -t "$GROOVY_TAG" \
    "$DH_MCP_ROOT/images/groovy" >/dev/null 2>"$DH_MCP_CACHE/groovy-build.log" \
    || { cat "$DH_MCP_CACHE/groovy-build.log" >&2; die "building $GROOVY_TAG failed"; }
  log "built $GROOVY_TAG in $(( $(date +%s) - t0 )) s"
}

mkdir -p "$DH_MCP_CACHE"
if has_image "$PY_TAG"; then log "$PY_TAG present, skipped"; else build_python; fi
if has_image "$GROOVY_TAG"; then log "$GROOVY_TAG present, skipped"; else build_groovy; fi
docker tag "$PY_TAG" "dh-mcp/worker-python:$DH_VERSION"
docker tag "$GROOVY_TAG" "dh-mcp/worker-groovy:$DH_VERSION"
# Older content hashes are dead weight (about 1 GB each): drop them.
for repo in dh-mcp/worker-groovy dh-mcp/worker-python; do
  docker images --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -vE ":($HASH|$DH_VERSION)$" | xargs -r docker rmi >/dev/null 2>&1 || true
done
log "images: $(docker image inspect --format '{{.Size}}' "$PY_TAG" | awk '{printf "%.0f MB", $1/1e6}') (python), groovy adds a few KB"
echo "dh-mcp/worker-python:$DH_VERSION"
echo "dh-mcp/worker-groovy:$DH_VERSION"
