#!/usr/bin/env bash
# The other side of the local stack of scripts/dev.sh, in fakecloud:
#   scripts/member.sh accept|decline HANDSHAKE_ID ACCOUNT_ID
#       act as the invited account
#   scripts/member.sh create-role ACCOUNT_ID ROLE_NAME [EXTERNAL_ID]
#       make a role in the invited account that trusts the management
#       account (what --accept-role names)
#   scripts/member.sh create-ou NAME
#       make an organizational unit under the root; prints its id
#   scripts/member.sh join-other-org ACCOUNT_ID
#       make ACCOUNT_ID a member of a second organization (made on first
#       use, managed by account 210987654321): a migration's source
#   scripts/member.sh other-org
#       make that second organization if need be; prints its management
#       account id (the other side of a billing transfer; it accepts
#       with `accept HANDSHAKE_ID 210987654321`)
#   scripts/member.sh invite-transfer NAME
#       the second organization invites this one to pay its bill from the
#       month after next (an INBOUND transfer); prints the handshake id
# fakecloud reads the access key to choose the account (it does not check
# signatures); create-admin gives a key for ACCOUNT_ID.
set -euo pipefail
usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
env_file=${ORG_INVITES_DEV_ENV:-/tmp/org-invites-dev.env}
[ -f "$env_file" ] || { echo "no local stack: start scripts/dev.sh first" >&2; exit 1; }
# shellcheck disable=SC1090
source "$env_file"
MANAGEMENT_ACCOUNT=123456789012
OTHER_MANAGEMENT_ACCOUNT=210987654321

json() { python3 -c "import json,sys; v=json.load(sys.stdin); print($1)"; }

member_key() {
  curl -fsS -X POST "$AWS_ENDPOINT_URL/_fakecloud/iam/create-admin" -H 'Content-Type: application/json' \
    -d "{\"accountId\":\"$1\",\"userName\":\"admin\"}" | json 'v["accessKeyId"]'
}

# An Organizations call: as the management account, or signed with key $3.
org() {
  local auth=()
  [ -n "${3:-}" ] && auth=(-H "Authorization: AWS4-HMAC-SHA256 Credential=$3/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0")
  curl -fsS -X POST "$AWS_ENDPOINT_URL/" -H 'Content-Type: application/x-amz-json-1.1' \
    -H "X-Amz-Target: AWSOrganizationsV20161128.$1" "${auth[@]}" -d "$2"
}

# The second organization, made once (later calls meet
# AlreadyInOrganization); prints its management account's key.
other_org() {
  local key
  key=$(member_key "$OTHER_MANAGEMENT_ACCOUNT")
  org CreateOrganization '{"FeatureSet":"ALL"}' "$key" >/dev/null 2>&1 || true
  echo "$key"
}

case "${1:-}" in
  accept | decline)
    [ $# -eq 3 ] || usage
    op=AcceptHandshake; [ "$1" = decline ] && op=DeclineHandshake
    org "$op" "{\"HandshakeId\":\"$2\"}" "$(member_key "$3")"
    echo
    ;;
  create-role)
    [ $# -ge 3 ] && [ $# -le 4 ] || usage
    account=$2; role=$3; external_id=${4:-}
    condition=""
    [ -n "$external_id" ] && condition=",\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":\"$external_id\"}}"
    trust="{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$MANAGEMENT_ACCOUNT:root\"},\"Action\":\"sts:AssumeRole\"$condition}]}"
    key=$(member_key "$account")
    curl -fsS -o /dev/null -X POST "$AWS_ENDPOINT_URL/" \
      -H "Authorization: AWS4-HMAC-SHA256 Credential=$key/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0" \
      --data-urlencode Action=CreateRole --data-urlencode Version=2010-05-08 \
      --data-urlencode "RoleName=$role" --data-urlencode "AssumeRolePolicyDocument=$trust"
    echo "arn:aws:iam::$account:role/$role"
    ;;
  create-ou)
    [ $# -eq 2 ] || usage
    root=$(org ListRoots '{}' | json 'v["Roots"][0]["Id"]')
    org CreateOrganizationalUnit "{\"ParentId\":\"$root\",\"Name\":\"$2\"}" | json 'v["OrganizationalUnit"]["Id"]'
    ;;
  join-other-org)
    [ $# -eq 2 ] || usage
    other=$(other_org)
    handshake=$(org InviteAccountToOrganization "{\"Target\":{\"Id\":\"$2\",\"Type\":\"ACCOUNT\"}}" "$other" |
      json 'v["Handshake"]["Id"]')
    org AcceptHandshake "{\"HandshakeId\":\"$handshake\"}" "$(member_key "$2")" >/dev/null
    org DescribeOrganization '{}' "$other" | json 'v["Organization"]["Id"]'
    ;;
  other-org)
    [ $# -eq 1 ] || usage
    other_org >/dev/null
    echo "$OTHER_MANAGEMENT_ACCOUNT"
    ;;
  invite-transfer)
    [ $# -eq 2 ] || usage
    other=$(other_org)
    start=$(date -u -d "$(date -u +%Y-%m-01) +2 month" +%s)
    body="{\"Type\":\"BILLING\",\"Target\":{\"Id\":\"$MANAGEMENT_ACCOUNT\",\"Type\":\"ACCOUNT\"},\"StartTimestamp\":$start,\"SourceName\":$(printf '%s' "$2" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"
    org InviteOrganizationToTransferResponsibility "$body" "$other" | json 'v["Handshake"]["Id"]'
    ;;
  *) usage ;;
esac
