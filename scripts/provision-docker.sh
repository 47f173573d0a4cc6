#!/usr/bin/env bash
# Makes sure a Docker engine answers. When none does and we are root, installs Debian's docker.io and starts
# dockerd with published ports on loopback (--ip=127.0.0.1). Otherwise says what is missing and fails.
# Idempotent: an engine that already answers is left alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

engine_answers() { docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; }

# docker-compose (Debian's) runs docker-compose.yml and its test.
ensure_compose() { command -v docker-compose >/dev/null || apt_install docker-compose; }

if engine_answers; then ensure_compose; log "docker engine answers (API $(docker version --format '{{.Server.APIVersion}}'))"; exit 0; fi
if ! is_root; then
  die "no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}; start one (or run this script as root to install Debian's docker.io)"
fi
command -v dockerd >/dev/null || apt_install docker.io
command -v docker >/dev/null || apt_install docker.io

log "starting dockerd (published ports bound to 127.0.0.1)"
mkdir -p /var/log
# setsid: the engine must outlive this script and the CI step that ran it.
setsid nohup dockerd --ip=127.0.0.1 --host=unix:///var/run/docker.sock >/var/log/dh-mcp-dockerd.log 2>&1 </dev/null &
for _ in $(seq 1 120); do
  engine_answers && { ensure_compose; log "docker engine started"; exit 0; }
  sleep 0.5
done
tail -20 /var/log/dh-mcp-dockerd.log >&2 || true
die "dockerd did not answer within 60 s (log: /var/log/dh-mcp-dockerd.log)"
