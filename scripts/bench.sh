#!/usr/bin/env bash
# The benchmarks (see BENCHMARKS.md), on a throwaway Postgres.
#   scripts/bench.sh            all: sweep, fanout, history, failover, invite, campaigns,
#                               delivery
#   scripts/bench.sh NAME       only one (sweep, fanout, history, failover, invite,
#                               campaigns or delivery)
# Knobs are environment variables, documented at the top of each
# benches/*.rs (e.g. BENCH_FANOUT_STREAMS=1000 scripts/bench.sh fanout).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

case "${1:-all}" in
  all) BENCHES=(sweep fanout history failover invite campaigns delivery) ;;
  sweep | fanout | history | failover | invite | campaigns | delivery) BENCHES=("$1") ;;
  *) log "unknown bench '$1' (sweep, fanout, history, failover, invite, campaigns or delivery)"; exit 2 ;;
esac

stack_up postgres
# The failover and invite benches start their own fakecloud, as the tests do.
export ORG_INVITES_TEST_FAKECLOUD_BIN="$FAKECLOUD_BIN"
export ORG_INVITES_TEST_DATABASE_URL="$DATABASE_URL"

# 10,000 watch streams: raise the open-file limit as far as allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
log "open-file limit: $(ulimit -n)"

# The campaigns and delivery benches run everything in process: they need
# no server binary.
if [[ "${BENCHES[*]}" != campaigns && "${BENCHES[*]}" != delivery ]]; then
  log "building the server (release)"
  cargo build --release --locked --bin org-invites
fi

for bench in "${BENCHES[@]}"; do
  log "bench: $bench"
  cargo bench --locked --bench "$bench"
done
