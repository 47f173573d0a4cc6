#!/usr/bin/env bash
# Provisions the Python worker environment: a project-local venv holding the pinned deephaven-server, and its
# class-data sharing archive in $DH_MCP_CACHE/cds (launchers/dh_cds.py; named by a key of the venv's jars and the
# JVM, so it is made once and re-used while both stay the same). Venv workers started by dh-mcp find it there.
# Idempotent: a stamp keyed by the requirement pins and the interpreter skips all work when nothing changed.
# Prints the venv path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Java 11+ with libjvm.so, Debian's shared libpython3.11 and venv support.
java_home >/dev/null || apt_install openjdk-17-jre-headless
java_home >/dev/null || die "no Java 11+ runtime with lib/server/libjvm.so found; install openjdk-17-jre-headless or set JAVA_HOME"
if ! python_for_worker >/dev/null; then apt_install python3.11 libpython3.11 python3.11-venv; fi
PY="$(python_for_worker)" || die "no CPython 3.11 with a shared libpython found; install python3.11 and libpython3.11"
"$PY" -c 'import ensurepip, venv' 2>/dev/null || apt_install python3.11-venv

# The archive of this venv and JVM (a no-op when present: the key is computed in well under a second).
ensure_cds_archive() {
  [ "${DH_MCP_CDS:-}" = off ] && return 0
  JAVA_HOME="$(java_home)" "$DH_MCP_VENV/bin/python" "$DH_MCP_ROOT/launchers/dh_cds.py" build "$DH_MCP_CACHE/cds" >/dev/null \
    || die "making the class-data sharing archive failed (see above; DH_MCP_CDS=off skips it)"
}

stamp_value="$(requirements_hash) $("$PY" -c 'import sys;print(sys.version.split()[0])') $PY"
stamp_file="$DH_MCP_VENV/.dh-mcp-stamp"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_value" ] \
   && "$DH_MCP_VENV/bin/python" -c 'import deephaven_server' 2>/dev/null; then
  log "worker venv up to date: $DH_MCP_VENV"
  ensure_cds_archive
  echo "$DH_MCP_VENV"; exit 0
fi

download_wheels
started=$(date +%s)
# The stamp is written last, so an interrupted run is simply redone from scratch.
rm -rf "$DH_MCP_VENV"
"$PY" -m venv "$DH_MCP_VENV" >&2
# --no-index: everything comes from the wheel cache, so a flaky network cannot half-install.
env -u PIP_FIND_LINKS "$DH_MCP_VENV/bin/python" -m pip install -q --no-index --find-links "$DH_MCP_WHEELS" \
  --no-compile -r "$DH_MCP_REQUIREMENTS" >&2 || die "installing deephaven-server into the venv failed"
"$DH_MCP_VENV/bin/python" -c 'import deephaven_server' || die "the venv was built but cannot import deephaven_server"
echo "$stamp_value" > "$stamp_file"
log "worker venv ready in $(( $(date +%s) - started )) s: $DH_MCP_VENV ($(du -sh "$DH_MCP_VENV" | cut -f1))"
ensure_cds_archive
echo "$DH_MCP_VENV"
