#!/usr/bin/env bash
# README command 2: every check and every test, on a throwaway stack.
#   scripts/test.sh            lint, unit and integration tests
#   scripts/test.sh NAME       only tests whose name contains NAME
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

log "checking formatting"
cargo fmt --all -- --check

log "linting the protos (buf, STANDARD rules)"
BUF_DIR="$CACHE_DIR/buf"
if [ ! -x "$BUF_DIR/node_modules/.bin/buf" ]; then
  mkdir -p "$BUF_DIR"
  npm install --silent --prefix "$BUF_DIR" @bufbuild/buf@1 >/dev/null
fi
"$BUF_DIR/node_modules/.bin/buf" lint

log "the image and the Helm chart (hadolint; helm lint and template; Kubernetes 1.30-1.35 schemas)"
ensure_chart_tools
# Any finding fails, down to style (hadolint's default lets those pass).
"$HADOLINT_BIN" --failure-threshold style Dockerfile
CHART=deploy/helm/org-invites
RENDERED="${CARGO_TARGET_DIR:-target}/helm"
mkdir -p "$RENDERED"
for values in values.yaml values-production.example.yaml; do
  log "  $CHART/$values"
  "$HELM_BIN" lint --strict --quiet "$CHART" -f "$CHART/$values"
  rendered=()
  for minor in 30 31 32 33 34 35; do
    out="$RENDERED/${values%.yaml}-1.$minor.yaml"
    "$HELM_BIN" template org-invites "$CHART" -f "$CHART/$values" --namespace org-invites \
      --kube-version "1.$minor.0" >"$out"
    rendered+=("1.$minor=$out")
  done
  validate_manifests "${rendered[@]}"
done
# tests/api/helm.rs renders the chart and runs the binary as it describes.
export ORG_INVITES_TEST_HELM="$HELM_BIN"

ensure_faketime
ensure_browser
stack_up postgres
export ORG_INVITES_TEST_DATABASE_URL="$DATABASE_URL"
export ORG_INVITES_TEST_FAKECLOUD_BIN="$FAKECLOUD_BIN"
export ORG_INVITES_TEST_FAKETIME_LIB="$FAKETIME_LIB"
export ORG_INVITES_TEST_CHROMIUM="$CHROMIUM_BIN"
export ORG_INVITES_TEST_PLAYWRIGHT_CORE="$PLAYWRIGHT_CORE_DIR"

log "clippy"
cargo clippy --all-targets --locked -- -D warnings

log "the production library carries no test doubles (aws::fake needs the test-support feature)"
# A plain build, as the release binary's library is built: no dev features.
cargo build --locked --lib
RLIB="${CARGO_TARGET_DIR:-target}/debug/liborg_invites.rlib"
command -v nm >/dev/null || apt_install binutils
SYMBOLS=$(nm -C "$RLIB" 2>/dev/null || true)
# The real SDK client is there, so the symbols were read.
grep -q 'aws::sdk::' <<<"$SYMBOLS" || { log "could not read the symbols of $RLIB"; exit 1; }
if grep -q 'aws::fake::' <<<"$SYMBOLS"; then
  log "aws::fake is compiled into $RLIB: keep it behind cfg(any(test, feature = \"test-support\"))"
  exit 1
fi

log "tests"
# Benches are not tests: they run with scripts/bench.sh.
cargo test --locked --lib --bins --tests -- "$@"
log "the status page's screenshot: target/browser/status-page.png"
