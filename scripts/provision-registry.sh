#!/usr/bin/env bash
# A real container registry on this machine for the tests that pull images (Debian's docker-registry, i.e. the
# CNCF distribution registry 2.8), on 127.0.0.1:$DH_MCP_REGISTRY_PORT (default 5555), plain HTTP: the Docker engine
# trusts registries on 127.0.0.0/8 without TLS. Storage under the dh-mcp cache dir, so pushed images survive.
#
#   provision-registry.sh [start]  start it unless it answers (idempotent; installs the package as root)
#   provision-registry.sh stop     stop the one this script started on that port (pid in $DH_MCP_CACHE/registry/registry.pid,
#                                  registry-PORT.pid for other ports)
#   provision-registry.sh status   exit 0 when it answers
#   provision-registry.sh gc       reclaim the storage of deleted manifests (garbage-collect; run it when nothing
#                                  pushes: blobs of a push in progress are not referenced yet)
# Every port has its own process, pid file and log; all share one storage. A test that must see a registry go away
# starts its own on another port (DH_MCP_REGISTRY_PORT=5556 ... start, then stop): it serves the same images and
# stopping it disturbs no one else.
# Prints the registry address (127.0.0.1:PORT) on stdout for start and status.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir="$DH_MCP_CACHE/registry"
# The default port keeps the plain names (registry.pid, registry.log) of the first version of this script.
suffix=""; [ "$DH_MCP_REGISTRY_PORT" = 5555 ] || suffix="-$DH_MCP_REGISTRY_PORT"
pidfile="$dir/registry$suffix.pid"
config="$dir/config-$DH_MCP_REGISTRY_PORT.yml"
logfile="$dir/registry$suffix.log"

answers() { curl -fsS -m 3 -o /dev/null "http://$DH_MCP_REGISTRY/v2/" 2>/dev/null; }
registry_pid() {
  local pid; pid="$(cat "$pidfile" 2>/dev/null || true)"
  # Only a process that is still our registry on this port: a stale pid may name an unrelated process by now.
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "docker-registry serve $config" && echo "$pid"
}

start() {
  if answers; then log "registry answers at $DH_MCP_REGISTRY"; echo "$DH_MCP_REGISTRY"; return 0; fi
  command -v docker-registry >/dev/null || apt_install docker-registry curl
  command -v curl >/dev/null || apt_install curl
  mkdir -p "$dir/storage"
  cat >"$config" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $DH_MCP_REGISTRY
YML
  log "starting docker-registry on $DH_MCP_REGISTRY (storage $dir/storage)"
  # setsid: the registry must outlive this script and the CI step that ran it.
  setsid nohup docker-registry serve "$config" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    if answers; then log "registry started (pid $(cat "$pidfile"))"; echo "$DH_MCP_REGISTRY"; return 0; fi
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.25
  done
  tail -20 "$logfile" >&2 || true
  die "docker-registry did not answer on $DH_MCP_REGISTRY (log: $logfile; is the port taken? set DH_MCP_REGISTRY_PORT)"
}

stop() {
  local pid; pid="$(registry_pid || true)"
  if [ -z "$pid" ]; then
    answers && die "a registry answers on $DH_MCP_REGISTRY but was not started by this script (no pid in $pidfile)"
    log "registry not running"; return 0
  fi
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  rm -f "$pidfile"
  log "registry stopped (pid $pid)"
}

gc() {
  [ -f "$config" ] || die "no registry configuration at $config: start the registry first"
  docker-registry garbage-collect --delete-untagged "$config" >>"$logfile" 2>&1 || die "garbage-collect failed (log: $logfile)"
  log "registry storage: $(du -sh "$dir/storage" | cut -f1)"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then echo "$DH_MCP_REGISTRY"; else log "no registry answers on $DH_MCP_REGISTRY"; exit 1; fi ;;
  gc) gc ;;
  *) die "usage: provision-registry.sh [start|stop|status|gc]" ;;
esac
