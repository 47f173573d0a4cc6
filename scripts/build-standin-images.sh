#!/usr/bin/env bash
# Builds the stand-ins for the official Deephaven images and pushes them into the local registry
# (scripts/provision-registry.sh):
#   127.0.0.1:5555/deephaven/server:<dh-version>       stands in for ghcr.io/deephaven/server (Python console)
#   127.0.0.1:5555/deephaven/server-slim:<dh-version>  stands in for ghcr.io/deephaven/server-slim (Groovy console)
# They keep the official images' contract (docs/official-images.md), not dh-mcp's DH-WORKER protocol: the real
# server from the PyPI wheel on the shared Deephaven rootfs (lib.sh), started by images/official-standin/start at the
# official entry point. Each is also tagged standin-<content hash>; when the registry already holds that tag nothing
# is built. The local copies are removed after the push: the registry is where they live, so a pull is a real pull.
# --prune also deletes older stand-in versions from the registry and reclaims their storage (not by default: checkouts
# of other versions may be pushing or using theirs). Prints the two version references on stdout.
set -euo pipefail
here="$(dirname "$0")"
. "$here/lib.sh"

DH_VERSION="$(deephaven_version)"
SRC="$DH_MCP_ROOT/images/official-standin"
docker version >/dev/null 2>&1 || die "no Docker engine answers; run scripts/provision-docker.sh first"
bash "$here/provision-registry.sh" status >/dev/null || bash "$here/provision-registry.sh" >/dev/null

content_hash() {
  # What defines the images: the rootfs, the version, the two build steps and the files they add.
  { rootfs_hash; echo "$DH_VERSION"; declare -f build_server build_slim
    (cd "$SRC" && find . -type f | LC_ALL=C sort | xargs sha256sum); } \
    | sha256sum | cut -c1-12
}
SERVER="$DH_MCP_REGISTRY/deephaven/server"
SLIM="$DH_MCP_REGISTRY/deephaven/server-slim"
MANIFEST_TYPE="application/vnd.docker.distribution.manifest.v2+json"

# registry_digest REPO TAG: the manifest digest the registry holds for REPO:TAG, empty when it has none.
registry_digest() {
  curl -fsS -m 10 -I -H "Accept: $MANIFEST_TYPE" "http://$DH_MCP_REGISTRY/v2/$1/manifests/$2" 2>/dev/null \
    | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
# registry_retag REPO FROM TO: points TO at FROM's manifest, inside the registry (no image moves).
registry_retag() {
  curl -fsS -m 30 -H "Accept: $MANIFEST_TYPE" "http://$DH_MCP_REGISTRY/v2/$1/manifests/$2" \
    | curl -fsS -m 30 -X PUT -H "Content-Type: $MANIFEST_TYPE" --data-binary @- \
      "http://$DH_MCP_REGISTRY/v2/$1/manifests/$3" >/dev/null || die "could not tag $1:$3 in the registry"
}

build_server() {
  local overlay app="/opt/deephaven/server-jetty-$DH_VERSION"
  ensure_rootfs
  overlay="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$overlay'" EXIT
  install -D -m 755 "$SRC/start" "$overlay$app/bin/start"
  install -D -m 755 "$SRC/health" "$overlay$app/bin/health"
  install -D -m 644 "$SRC/logback.xml" "$overlay$app/etc/logback.xml"
  ln -s "server-jetty-$DH_VERSION" "$overlay/opt/deephaven/server-jetty"
  install -D -m 644 "$SRC/server/deephaven.prop" "$overlay/opt/deephaven/config/deephaven.prop"
  log "importing the rootfs as $SERVER:$HASH_TAG"
  # The official image's settings (deephaven-server-docker contexts/server/Dockerfile), with bin/health in place
  # of grpc_health_probe. No dh-mcp label: this image does not speak the DH-WORKER protocol.
  rootfs_import "$ROOTFS" "$overlay" "$SERVER:$HASH_TAG" \
    --change 'ENV DEEPHAVEN_CACHE_DIR=/cache' --change 'ENV DEEPHAVEN_CONFIG_DIR=/opt/deephaven/config' \
    --change 'ENV DEEPHAVEN_DATA_DIR=/data' --change 'ENV EXTRA_CLASSPATH=/apps/libs/*' \
    --change 'EXPOSE 10000' --change 'VOLUME /data' --change 'VOLUME /cache' \
    --change 'ENTRYPOINT ["/opt/deephaven/server-jetty/bin/start"]' \
    --change 'HEALTHCHECK --interval=3s --retries=3 --timeout=11s CMD /opt/deephaven/server-jetty/bin/health || exit 1' \
    --change "LABEL io.deephaven.image.type=server io.deephaven.server.sources=pypi-wheel org.opencontainers.image.title=\"Deephaven Server\" org.opencontainers.image.description=\"Stand-in for ghcr.io/deephaven/server built by dh-mcp (embedded server from the PyPI wheel)\" org.opencontainers.image.version=$DH_VERSION"
  rm -rf "$overlay"; trap - EXIT
}

build_slim() {
  # Legacy builder: BuildKit would try to reach a registry for its frontend.
  DOCKER_BUILDKIT=0 docker build -q --network none --build-arg "BASE=$SERVER:$HASH_TAG" -t "$SLIM:$HASH_TAG" \
    "$SRC/server-slim" >/dev/null 2>"$DH_MCP_CACHE/standin-slim-build.log" \
    || { cat "$DH_MCP_CACHE/standin-slim-build.log" >&2; die "building $SLIM:$HASH_TAG failed"; }
}

push() {
  docker push "$1" >"$DH_MCP_CACHE/standin-push.log" 2>&1 || { tail -20 "$DH_MCP_CACHE/standin-push.log" >&2; die "docker push $1 failed"; }
}

# drop_older_standins REPO: deletes the manifests of other stand-in versions (their storage goes with gc).
drop_older_standins() {
  local keep tag digest
  keep="$(registry_digest "$1" "$HASH_TAG")"
  for tag in $(curl -fsS -m 10 "http://$DH_MCP_REGISTRY/v2/$1/tags/list" | grep -o '"standin-[0-9a-f]*"' | tr -d '"'); do
    digest="$(registry_digest "$1" "$tag")"
    [ -n "$digest" ] && [ "$digest" != "$keep" ] || continue
    curl -fsS -m 10 -X DELETE "http://$DH_MCP_REGISTRY/v2/$1/manifests/$digest" >/dev/null || true
  done
}

HASH="$(content_hash)"
HASH_TAG="standin-$HASH"
mkdir -p "$DH_MCP_CACHE"
if [ -n "$(registry_digest deephaven/server "$HASH_TAG")" ] && [ -n "$(registry_digest deephaven/server-slim "$HASH_TAG")" ]; then
  log "the registry holds the stand-ins $HASH_TAG, skipped"
else
  t0=$(date +%s)
  build_server
  build_slim
  t1=$(date +%s)
  log "built the stand-ins in $(( t1 - t0 )) s; pushing them to $DH_MCP_REGISTRY"
  push "$SERVER:$HASH_TAG"
  push "$SLIM:$HASH_TAG"
  log "pushed in $(( $(date +%s) - t1 )) s"
  docker rmi "$SLIM:$HASH_TAG" "$SERVER:$HASH_TAG" >/dev/null
fi
if [ "${1:-}" = --prune ]; then
  drop_older_standins deephaven/server
  drop_older_standins deephaven/server-slim
  bash "$here/provision-registry.sh" gc
fi
for repo in deephaven/server deephaven/server-slim; do
  want="$(registry_digest "$repo" "$HASH_TAG")"
  # Another checkout may have pruned this version meanwhile; its own version then serves the tests as well.
  [ -n "$want" ] || { log "the registry no longer holds $repo:$HASH_TAG (pruned by another checkout?); $repo:$DH_VERSION left as it is"; continue; }
  [ "$(registry_digest "$repo" "$DH_VERSION")" = "$want" ] || registry_retag "$repo" "$HASH_TAG" "$DH_VERSION"
done
echo "$SERVER:$DH_VERSION"
echo "$SLIM:$DH_VERSION"
