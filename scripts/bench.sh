#!/usr/bin/env bash
# The benchmarks (see BENCHMARKS.md), on a throwaway Postgres.
#   scripts/bench.sh            all: sweep, fanout, history, failover, invite, campaigns
#   scripts/bench.sh NAME       only one (sweep, fanout, history, failover, invite or campaigns)
# Knobs are environment variables, documented at the top of each
# benches/*.rs (e.g. BENCH_FANOUT_STREAMS=1000 scripts/bench.sh fanout).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

case "${1:-all}" in
  all) BENCHES=(sweep fanout history failover invite campaigns) ;;
  sweep | fanout | history | failover | invite | campaigns) BENCHES=("$1") ;;
  *) log "unknown bench '$1' (sweep, fanout, history, failover, invite or campaigns)"; exit 2 ;;
esac

stack_up postgres
# The failover and invite benches start their own fakecloud, as the tests do.
export ORG_INVITES_TEST_FAKECLOUD_BIN="$FAKECLOUD_BIN"
export ORG_INVITES_TEST_DATABASE_URL="$DATABASE_URL"

# 10,000 watch streams: raise the open-file limit as far as allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
log "open-file limit: $(ulimit -n)"

# The campaigns bench runs everything in process: it needs no server binary.
if [[ "${BENCHES[*]}" != campaigns ]]; then
  log "building the server (release)"
  cargo build --release --locked --bin org-invites
fi

for bench in "${BENCHES[@]}"; do
  log "bench: $bench"
  cargo bench --locked --bench "$bench"
done
