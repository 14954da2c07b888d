#!/usr/bin/env bash
# Runs the engine, oauth and testing suites on other Node.js majors than the workspace's own.
#
# For each NODE_MAJOR:ISOLATED_VM_RANGE pair (default "22:^6.2.0 26:^7.0.1": isolated-vm 6.x is the
# patched line for Node 22, 7.x for Node >= 24), in a work directory outside the repository
# (TOKENRULES_RUNTIMES_DIR, default $TMPDIR/tokenrules-runtimes):
#   1. fetches the Node.js binary with headers from the npm package node-<os>-<cpu>@<major>;
#   2. builds isolated-vm@<range> and the workspace's better-sqlite3 from source against those
#      headers (npm_config_nodedir), in <dir>/native;
#   3. runs vitest on packages/engine, packages/oauth and packages/testing with that Node and a
#      module-resolution hook (scripts/native-resolve-hook.mjs) that resolves both addons from
#      that build.
# The workspace's own node_modules stay as they are, built for the workspace's Node (24).
#
#   pnpm test:runtimes                        # Node 22 and 26
#   RUNTIMES="22:^6.2.0" pnpm test:runtimes   # one runtime
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HOOK="$ROOT/packages/engine/scripts/native-resolve-hook.mjs"
WORK="${TOKENRULES_RUNTIMES_DIR:-${TMPDIR:-/tmp}/tokenrules-runtimes}"
RUNTIMES="${RUNTIMES:-22:^6.2.0 26:^7.0.1}"
SUITES="${SUITES:-packages/engine packages/oauth packages/testing}"
NPM_CLI="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
OS="$(uname -s | tr '[:upper:]' '[:lower:]')"
ARCH="$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
SQLITE_VERSION="$(sed -n 's/.*"better-sqlite3": *"\([^"]*\)".*/\1/p' "$ROOT/packages/oauth/package.json" | head -1)"
status=0
summary=""

for pair in $RUNTIMES; do
  node_major="${pair%%:*}"
  ivm_range="${pair#*:}"
  dir="$WORK/node$node_major"
  mkdir -p "$dir"
  if [ ! -x "$dir/node/bin/node" ]; then
    echo "== fetching node-$OS-$ARCH@$node_major"
    rm -rf "$dir/pack" && mkdir -p "$dir/pack"
    (cd "$dir/pack" && npm pack "node-$OS-$ARCH@$node_major" --silent >/dev/null && tar xzf ./*.tgz)
    rm -rf "$dir/node" && mv "$dir/pack/package" "$dir/node" && rm -rf "$dir/pack"
  fi
  NODE="$dir/node/bin/node"
  [ -f "$dir/node/include/node/node.h" ] || { echo "no headers in $dir/node/include/node" >&2; exit 1; }
  echo "== Node $("$NODE" --version)"
  native="$dir/native"
  want="isolated-vm@$ivm_range better-sqlite3@$SQLITE_VERSION"
  if [ "$(cat "$native/.built" 2>/dev/null)" != "$want" ]; then
    echo "== building $want from source against Node $node_major headers"
    rm -rf "$native" && mkdir -p "$native"
    echo '{ "private": true }' >"$native/package.json"
    (cd "$native" && PATH="$dir/node/bin:$PATH" npm_config_nodedir="$dir/node" npm_config_build_from_source=true \
      "$NODE" "$NPM_CLI" install --no-audit --no-fund --no-package-lock --foreground-scripts "isolated-vm@$ivm_range" "better-sqlite3@$SQLITE_VERSION" >"$dir/native-build.log" 2>&1) ||
      { echo "build failed; see $dir/native-build.log" >&2; tail -30 "$dir/native-build.log" >&2; exit 1; }
    echo "$want" >"$native/.built"
  fi
  versions="$("$NODE" -p "['isolated-vm','better-sqlite3'].map(n => n + ' ' + require('$native/node_modules/' + n + '/package.json').version).join(', ')")"
  echo "== $versions"
  set +e
  # shellcheck disable=SC2086
  (cd "$ROOT" && PATH="$dir/node/bin:$PATH" TOKENRULES_NATIVE_DIR="$native" NODE_OPTIONS="--import $HOOK" \
    "$NODE" "$ROOT/node_modules/vitest/vitest.mjs" run $SUITES)
  code=$?
  set -e
  summary="$summary\nNode $("$NODE" --version) + $versions: $([ $code -eq 0 ] && echo passed || echo FAILED)"
  [ $code -eq 0 ] || status=1
done
printf "%b\n" "$summary"
exit $status
