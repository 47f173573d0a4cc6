#!/usr/bin/env bash
# Builds the dh-mcp worker images with no container registry: the shared Deephaven rootfs (lib.sh: a debootstrap'd
# Debian with Java 17 and the pinned venv, installed offline from the wheel cache) plus the dh-mcp worker entry
# point, imported with `docker import`; the Groovy image is a thin layer on top. Both carry the label
# io.dh-mcp.worker-protocol=dh-worker/1: they speak the DH-WORKER protocol (launchers/dh_worker.py), unlike the
# official Deephaven images. Tagged by a content hash of everything that goes into them (skipped when present) and
# by the Deephaven version, which is what configs refer to:
#   dh-mcp/worker-python:<hash> and :<dh-version>;  dh-mcp/worker-groovy:<hash> and :<dh-version>
# Prints the two version tags on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DH_VERSION="$(deephaven_version)"
WORKER_PROTOCOL_LABEL="io.dh-mcp.worker-protocol=dh-worker/1"
docker version >/dev/null 2>&1 || die "no Docker engine answers; run scripts/provision-docker.sh first"

content_hash() {
  { rootfs_hash; echo "$WORKER_PROTOCOL_LABEL"; cat "$DH_MCP_ROOT/launchers/dh_worker.py" \
      "$DH_MCP_ROOT/launchers/dh_cds.py" "$0" "$DH_MCP_ROOT"/images/python/* "$DH_MCP_ROOT"/images/groovy/* \
      "$DH_MCP_ROOT"/images/cds/*; } | sha256sum | cut -c1-12
}
HASH="$(content_hash)"
PY_TAG="dh-mcp/worker-python:$HASH"; GROOVY_TAG="dh-mcp/worker-groovy:$HASH"
has_image() { docker image inspect "$1" >/dev/null 2>&1; }

build_python() {
  local t0 overlay; ensure_rootfs; t0=$(date +%s)
  overlay="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$overlay'" EXIT
  install -D -m 755 "$DH_MCP_ROOT/launchers/dh_worker.py" "$overlay/opt/deephaven/bin/dh_worker.py"
  install -D -m 755 "$DH_MCP_ROOT/launchers/dh_cds.py" "$overlay/opt/deephaven/bin/dh_cds.py"
  install -D -m 644 "$DH_MCP_ROOT/images/python/deephaven.prop" "$overlay/opt/deephaven/config/deephaven.prop"
  local changes=()
  while IFS= read -r line; do
    case "$line" in ''|'#'*) ;; *) changes+=(--change "ENV $line") ;; esac
  done < "$DH_MCP_ROOT/images/python/image.env"
  log "importing the rootfs as $PY_TAG (without its class-data sharing archive yet)"
  rootfs_import "$ROOTFS" "$overlay" "$PY_TAG-nocds" "${changes[@]}" \
    --change 'EXPOSE 10000' --change 'VOLUME ["/data", "/cache"]' --change 'WORKDIR /' \
    --change 'HEALTHCHECK --interval=10s --timeout=5s --retries=3 CMD ["/opt/deephaven/venv/bin/python", "-c", "import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:10000/ide/\", timeout=4)"]' \
    --change 'ENTRYPOINT ["/opt/deephaven/venv/bin/python", "/opt/deephaven/bin/dh_worker.py"]' \
    --change "LABEL $WORKER_PROTOCOL_LABEL io.deephaven.image.type=server dh-mcp.console=python dh-mcp.content-hash=$HASH org.opencontainers.image.version=$DH_VERSION"
  rm -rf "$overlay"; trap - EXIT
  # The class-data sharing archive is made inside the image (images/cds: two training boots and a dump), so it
  # matches the image's own JVM and jars; the worker finds it through DH_WORKER_CDS_DIR (image.env).
  log "making the class-data sharing archive inside $PY_TAG (a minute or two)"
  DOCKER_BUILDKIT=0 docker build -q --force-rm --network none --build-arg "BASE=$PY_TAG-nocds" -t "$PY_TAG" \
    "$DH_MCP_ROOT/images/cds" >/dev/null 2>"$DH_MCP_CACHE/cds-build.log" \
    || { cat "$DH_MCP_CACHE/cds-build.log" >&2; docker rmi "$PY_TAG-nocds" >/dev/null 2>&1 || true
         die "making the class-data sharing archive of $PY_TAG failed"; }
  docker rmi "$PY_TAG-nocds" >/dev/null
  log "built $PY_TAG in $(( $(date +%s) - t0 )) s"
}

build_groovy() {
  local t0; t0=$(date +%s)
  # Legacy builder: BuildKit would try to reach a registry for its frontend.
  DOCKER_BUILDKIT=0 docker build -q --force-rm --network none --build-arg "BASE=$PY_TAG" -t "$GROOVY_TAG" \
    "$DH_MCP_ROOT/images/groovy" >/dev/null 2>"$DH_MCP_CACHE/groovy-build.log" \
    || { cat "$DH_MCP_CACHE/groovy-build.log" >&2; die "building $GROOVY_TAG failed"; }
  log "built $GROOVY_TAG in $(( $(date +%s) - t0 )) s"
}

mkdir -p "$DH_MCP_CACHE"
if has_image "$PY_TAG"; then log "$PY_TAG present, skipped"; else build_python; fi
if has_image "$GROOVY_TAG"; then log "$GROOVY_TAG present, skipped"; else build_groovy; fi
docker tag "$PY_TAG" "dh-mcp/worker-python:$DH_VERSION"
docker tag "$GROOVY_TAG" "dh-mcp/worker-groovy:$DH_VERSION"
# Older content hashes are dead weight (about 1 GB each): drop them. Only images of this build layout (they carry
# the protocol label): older ones may still be in use by checkouts that build the previous layout.
for repo in dh-mcp/worker-groovy dh-mcp/worker-python; do
  docker images --filter "label=io.dh-mcp.worker-protocol" --format '{{.Repository}}:{{.Tag}}' "$repo" \
    | grep -vE ":($HASH|$DH_VERSION)$" | xargs -r docker rmi >/dev/null 2>&1 || true
done
log "images: $(docker image inspect --format '{{.Size}}' "$PY_TAG" | awk '{printf "%.0f MB", $1/1e6}') (python), groovy adds a few KB"
echo "dh-mcp/worker-python:$DH_VERSION"
echo "dh-mcp/worker-groovy:$DH_VERSION"
