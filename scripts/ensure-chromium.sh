#!/usr/bin/env bash
# Make a headless browser available for the report.html test: Debian's chromium and
# chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver). A no-op where both are there.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "chromium: ready"; exit 0; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && echo "chromium: ready"
