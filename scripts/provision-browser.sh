#!/usr/bin/env bash
# Headless Chromium for the browser test (Debian's chromium package; puppeteer-core drives it, nothing is
# downloaded by npm). Idempotent: an installed browser is left alone. CHROMIUM_PATH overrides the binary.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bin="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -n "$bin" ] && [ -x "$bin" ]; then log "chromium present ($bin)"; exit 0; fi
is_root || die "chromium is missing; install Debian's chromium package or set CHROMIUM_PATH"
apt_install chromium
log "chromium installed ($(command -v chromium))"
