#!/usr/bin/env bash
# Provisions everything the workers need, idempotently and with caches:
#   the Python worker venv, the Docker engine, the python/groovy worker images, a local container registry holding
#   the stand-ins for the official Deephaven images (for the pull tests), and headless Chromium for the browser test.
#   DH_MCP_SKIP_DOCKER=1 skips the engine, images and registry (venv-only machines); DH_MCP_SKIP_BROWSER=1 skips
#   Chromium (machines that only run the server).
set -euo pipefail
here="$(dirname "$0")"
. "$here/lib.sh"
t0=$(date +%s)
bash "$here/provision-python.sh" >/dev/null
if [ "${DH_MCP_SKIP_DOCKER:-0}" != 1 ]; then
  bash "$here/provision-docker.sh"
  bash "$here/build-images.sh" >/dev/null
  bash "$here/provision-registry.sh" >/dev/null
  bash "$here/build-standin-images.sh" >/dev/null
  # The MCP server image for docker-compose.yml (needs dist/: npm test builds before provisioning).
  if [ -f "$here/../dist/cli/systems-server.js" ]; then bash "$here/build-server-image.sh" >/dev/null; fi
fi
if [ "${DH_MCP_SKIP_BROWSER:-0}" != 1 ]; then
  bash "$here/provision-browser.sh"
fi
log "provisioning done in $(( $(date +%s) - t0 )) s"
