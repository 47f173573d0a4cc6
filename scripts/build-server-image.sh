#!/usr/bin/env bash
# Builds dh-mcp/server:<version> for docker-compose.yml: the built package with its production dependencies and
# this machine's Node binary, on top of the local worker image (so nothing is pulled). Tagged by a content hash
# too and skipped when that tag exists. Needs `npm run build` and scripts/build-images.sh first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
. "$here/lib.sh"

version="$(node -p "require('$root/package.json').version")"
base="dh-mcp/worker-python:$(grep -E '^deephaven-server==' "$root/scripts/worker-requirements.txt" | cut -d= -f3)"
[ -f "$root/dist/cli/systems-server.js" ] || die "dist/ is missing: run npm run build first"
docker image inspect "$base" >/dev/null 2>&1 || die "$base is missing: run scripts/build-images.sh first"

hash="$( (cd "$root" && find dist launchers proto -type f -print0 | sort -z | xargs -0 sha256sum; sha256sum package.json package-lock.json images/server/Dockerfile; node --version; docker image inspect -f '{{.Id}}' "$base") | sha256sum | cut -c1-12)"
tag="dh-mcp/server:$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag present, skipped"
else
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  mkdir -p "$ctx/app"
  cp "$(command -v node)" "$ctx/node"
  cp -r "$root/dist" "$root/launchers" "$root/proto" "$root/package.json" "$root/package-lock.json" "$ctx/app/"
  cp -r "$root/node_modules" "$ctx/app/"
  (cd "$ctx/app" && npm prune --omit=dev --no-audit --no-fund >/dev/null 2>&1)
  cp "$root/images/server/Dockerfile" "$ctx/"
  log "building $tag"
  DOCKER_BUILDKIT=0 docker build -q --network none --build-arg "BASE=$base" -t "$tag" "$ctx" >/dev/null
fi
docker tag "$tag" "dh-mcp/server:$version"
echo "dh-mcp/server:$version"
