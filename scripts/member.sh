#!/usr/bin/env bash
# Acts as the invited account in the local stack of scripts/dev.sh:
#   scripts/member.sh accept|decline HANDSHAKE_ID ACCOUNT_ID
# fakecloud reads the access key to choose the account (it does not check
# signatures); create-admin gives a key for ACCOUNT_ID.
set -euo pipefail
action=${1:-}; handshake=${2:-}; account=${3:-}
case "$action" in accept) op=AcceptHandshake ;; decline) op=DeclineHandshake ;;
  *) echo "usage: $0 accept|decline HANDSHAKE_ID ACCOUNT_ID" >&2; exit 2 ;; esac
[ -n "$handshake" ] && [ -n "$account" ] || { echo "usage: $0 $action HANDSHAKE_ID ACCOUNT_ID" >&2; exit 2; }
env_file=${ORG_INVITES_DEV_ENV:-/tmp/org-invites-dev.env}
[ -f "$env_file" ] || { echo "no local stack: start scripts/dev.sh first" >&2; exit 1; }
# shellcheck disable=SC1090
source "$env_file"
key=$(curl -fsS -X POST "$AWS_ENDPOINT_URL/_fakecloud/iam/create-admin" -H 'Content-Type: application/json' \
  -d "{\"accountId\":\"$account\",\"userName\":\"admin\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["accessKeyId"])')
curl -sS -X POST "$AWS_ENDPOINT_URL/" \
  -H 'Content-Type: application/x-amz-json-1.1' \
  -H "X-Amz-Target: AWSOrganizationsV20161128.$op" \
  -H "Authorization: AWS4-HMAC-SHA256 Credential=$key/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0" \
  -d "{\"HandshakeId\":\"$handshake\"}"
echo
