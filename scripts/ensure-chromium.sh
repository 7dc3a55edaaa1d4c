#!/usr/bin/env bash
# Makes sure the browser the webview tests drive is there, so that the README's test
# command passes on a fresh machine: Debian's Chromium (playwright-core never downloads a
# browser, and no registry but npm and Debian's is reachable). CHROMIUM_PATH names another
# build. Installs with apt-get when missing (as root, or through passwordless sudo);
# otherwise says what to install. Idempotent and quiet when the browser is present.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else
  echo "The webview tests need Chromium at $CHROMIUM: install it with 'apt-get install chromium' (as root), or set CHROMIUM_PATH." >&2
  exit 1
fi
echo "installing Debian's chromium for the webview tests (once)..." >&2
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM" ] || { echo "apt-get installed chromium, but $CHROMIUM is still missing." >&2; exit 1; }
