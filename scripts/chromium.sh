#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (Playwright drives it through
# playwright-core; its own browser downloads cannot be used here). As root it installs the
# package (running apt-get update first when the install fails); otherwise it names it.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "error: $CHROMIUM is missing; install Debian's package: sudo apt-get install chromium" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
[ -x "$CHROMIUM" ] || { echo "error: chromium did not install" >&2; exit 1; }
