#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the report's browser test
# (crates/cascade-report/tests/browser.rs), unless /usr/bin/chromium is already there.
# Without it that test prints SKIP and passes. Needs root (CI and dev machines run as root).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
