#!/usr/bin/env bash
# Moves the clock of the local stack's fakecloud (scripts/dev.sh), which
# runs under libfaketime: AWS expires an invitation 15 days after it is sent,
# and this shows it (and a renewal) without waiting.
#   scripts/clock.sh +16d     fakecloud's clock 16 days ahead of the real one
#   scripts/clock.sh +0d      back to the real time
#   scripts/clock.sh          prints the offset in force
# The offset is from the real clock, not cumulative; units as libfaketime's
# (s, m, h, d, y).
set -euo pipefail
env_file=${ORG_INVITES_DEV_ENV:-/tmp/org-invites-dev.env}
[ -f "$env_file" ] || { echo "no local stack: start scripts/dev.sh first" >&2; exit 1; }
# shellcheck disable=SC1090
source "$env_file"
[ -n "${FAKECLOUD_CLOCK:-}" ] && [ -f "$FAKECLOUD_CLOCK" ] ||
  { echo "this stack's fakecloud has no movable clock (libfaketime missing?)" >&2; exit 1; }
case "${1:-}" in
  "") cat "$FAKECLOUD_CLOCK" ;;
  [+-][0-9]*) echo "$1" >"$FAKECLOUD_CLOCK"; echo "fakecloud's clock: $1" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
