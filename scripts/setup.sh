#!/usr/bin/env bash
# Idempotent set-up: makes sure a Node.js >= 22.13 is available and that
# node_modules matches package-lock.json. Both README commands call it.
#
# Hardhat 3 needs Node 22.13+. When the system node is older, a Node 22 binary
# is installed from the npm registry into .toolchain/ (ignored by git) and npm
# itself is run with it: npm skips optional dependencies whose `engines` do not
# match the Node that runs npm, and Hardhat's native EDR binding is one.
#
# Prints the directory to put first on PATH (empty when the system node fits).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

readonly NODE22_PACKAGE="node@22.23.3"
readonly MIN_MAJOR=22
readonly MIN_MINOR=13
toolchain_bin="$root/.toolchain/bin"

log() { printf 'setup: %s\n' "$*" >&2; }

node_fits() {
  local version major minor
  version=$("$1" --version 2>/dev/null) || return 1
  version=${version#v}
  major=${version%%.*}
  minor=${version#*.}; minor=${minor%%.*}
  (( major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR) ))
}

node_bin=""
path_prefix=""
if command -v node >/dev/null 2>&1 && node_fits "$(command -v node)"; then
  node_bin=$(command -v node)
elif [[ -x "$toolchain_bin/node" ]] && node_fits "$toolchain_bin/node"; then
  node_bin="$toolchain_bin/node"
  path_prefix="$toolchain_bin"
else
  command -v npm >/dev/null 2>&1 || { log "no npm found: install Node.js 22 (see .nvmrc) and retry"; exit 1; }
  log "system node $(node --version 2>/dev/null || echo none) is older than $MIN_MAJOR.$MIN_MINOR; installing $NODE22_PACKAGE into .toolchain/"
  mkdir -p "$root/.toolchain/node"
  npm install --prefix "$root/.toolchain/node" --no-save --no-audit --no-fund --loglevel=error "$NODE22_PACKAGE" >&2
  candidate=$(readlink -f "$root/.toolchain/node/node_modules/.bin/node")
  node_fits "$candidate" || { log "the node installed from $NODE22_PACKAGE does not run: $candidate"; exit 1; }
  mkdir -p "$toolchain_bin"
  ln -sf "$candidate" "$toolchain_bin/node"
  node_bin="$toolchain_bin/node"
  path_prefix="$toolchain_bin"
fi

# The simulation report is checked in headless Chromium (scripts/lib/report/browser.ts): Debian's package, never a
# browser download. Installed here when missing and apt can run; otherwise the report check names the fix.
have_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; }
if ! have_chromium && command -v apt-get >/dev/null 2>&1; then
  apt=(apt-get)
  if [[ $(id -u) -ne 0 ]]; then
    if sudo -n true 2>/dev/null; then apt=(sudo -n apt-get); else apt=(); fi
  fi
  if (( ${#apt[@]} )); then
    log "installing Debian's chromium for the report checks"
    { "${apt[@]}" install -y --no-install-recommends chromium >/dev/null 2>&1 \
      || { "${apt[@]}" update >/dev/null 2>&1 && "${apt[@]}" install -y --no-install-recommends chromium >/dev/null 2>&1; }; } \
      || log "could not install chromium; install it by hand: sudo apt-get install -y chromium"
  else
    log "chromium is missing and apt-get needs root: sudo apt-get install -y chromium"
  fi
fi

# npm's own entry script, run by the node chosen above.
npm_cli=$(readlink -f "$(command -v npm)")
stamp_file="$root/node_modules/.tripwire-setup"
manifest_hash() {
  local f
  for f in package.json package-lock.json; do if [[ -f "$f" ]]; then sha256sum "$f"; fi; done | sha256sum | cut -c1-16
}
want_stamp="$("$node_bin" --version) $(manifest_hash)"
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$want_stamp" && -d "$root/node_modules/@nomicfoundation/edr-linux-x64-gnu" ]]; then
  printf '%s\n' "$path_prefix"
  exit 0
fi

if [[ -f package-lock.json ]]; then
  log "installing dependencies (npm ci with node $("$node_bin" --version))"
  "$node_bin" "$npm_cli" ci --no-audit --no-fund --loglevel=error >&2
else
  log "resolving dependencies (npm install with node $("$node_bin" --version))"
  "$node_bin" "$npm_cli" install --no-audit --no-fund --loglevel=error >&2
fi
# Recompute: npm install may have written package-lock.json.
want_stamp="$("$node_bin" --version) $(manifest_hash)"
printf '%s\n' "$want_stamp" > "$stamp_file"
printf '%s\n' "$path_prefix"
