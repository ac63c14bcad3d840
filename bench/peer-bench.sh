#!/usr/bin/env bash
# Benchmark Trustflow with the peers' calling convention (see /work/shared/peers/README.md):
#   usage: bench/peer-bench.sh DIR [REPS]          (markdown summary on stdout)
#   EXTRA_BENCHES=bench/peer-bench.sh ../shared/peers/run-all.sh $RUNS 3
# Starts the production server (scripts/serve.mjs, as `npm start` does) on the existing build
# (run `npx next build` first) with a fresh embedded database in DIR (the PGlite seed is imported into the embedded PostgreSQL at start) (or a fresh database on BENCH_DATABASE_URL's server), seeds
# webhook flows (noop = webhook + 2 data.transform steps answering with the output; set1/set100 =
# chains of data.transform), and drives them with the peers' loadgen.mjs through a loopback
# signing relay (loadgen sends plain GETs; webhooks need signed POSTs; the relay hop is included
# in every figure): chains sequentially, the 2-step flow at 17 req/s for 30 s and with 10
# connections for 20 s. autocannon is not used. Raw results: DIR/results/<stamp>/results.jsonl.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# TF_ROOT: the checkout whose build is measured (default this one; A/B sittings point it at a
# worktree of the base, so both builds are driven by the same script).
ROOT="$(cd "${TF_ROOT:-$HERE/..}" && pwd)"
PEERS="${PEERS_DIR:-$HERE/../../shared/peers}"
[ $# -ge 1 ] || { echo "usage: $0 DIR [REPS]" >&2; exit 2; }
DIR="$(realpath -m "$1")"
REPS="${2:-3}"
PORT="${TF_PORT:-13311}"
RELAY_PORT="${TF_RELAY_PORT:-13312}"
RATE_RPS="${RATE_RPS:-17}"
RATE_SECS="${RATE_SECS:-30}"
MAX_SECS="${MAX_SECS:-20}"
MAX_CONNS="${MAX_CONNS:-10}"
SEQ_N="${SEQ_N:-500}"
SEQ_WARM="${SEQ_WARM:-50}"
# MAX_ONLY=1: only the max-throughput run (A/B sittings); MAX_WARM_SECS: an unrecorded max run
# first (default 0); PROBE=1: the max run through bench/engine/load-probe.ts (CPU per request of
# server, relay and PostgreSQL, PostgreSQL's wait events, the ledger outbox's lag) into
# DIR/results/<stamp>/probe-<rep>.json; with PROBE_RATE=N also a probed run at N req/s
# (probe-rate-<rep>.json).
# TF_LOG_LEVEL: the measured server's LOG_LEVEL (default warn; info logs every run, for diagnosis).
# TF_RELAY_SCRIPT: another signing relay with the same arguments (e.g. the node:http one of
# bench/RESULTS.md's earlier sections, to compare the relays' costs).
# TF_NODE_ARGS: Node flags for the measured server's command line, for diagnosis (e.g.
# "--cpu-prof --cpu-prof-dir=/tmp/prof" or "--trace-gc", which NODE_OPTIONS does not take).
MAX_ONLY="${MAX_ONLY:-0}"
MAX_WARM_SECS="${MAX_WARM_SECS:-0}"
PROBE="${PROBE:-0}"
# NEXT_DIST_DIR: the build's directory (default .next), as next.config.js reads it.
DIST="${NEXT_DIST_DIR:-.next}"
[ -f "$ROOT/$DIST/BUILD_ID" ] || { echo "no production build in $DIST: run npx next build first" >&2; exit 1; }

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUTD="$DIR/results/$STAMP"
mkdir -p "$OUTD"
RES="$OUTD/results.jsonl"
: > "$RES"
log() { echo "[trustflow-bench $(date +%H:%M:%S)] $*" >&2; }
jq_line() { node -e 'const o=JSON.parse(process.argv[1]);const extra=JSON.parse(process.argv[2]);console.log(JSON.stringify({...o,...extra}))' "$1" "$2" >> "$RES"; }

DATA="$OUTD/data"
mkdir -p "$DATA"
DB_ENV=()
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  NAME="tf_peer_$(date +%s)"
  node -e 'const pg=require("pg");(async()=>{const c=new pg.Client({connectionString:process.argv[1]});await c.connect();await c.query("CREATE DATABASE "+process.argv[2]);await c.end()})()' "$BENCH_DATABASE_URL" "$NAME"
  DBURL="$(node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.toString())' "$BENCH_DATABASE_URL" "$NAME")"
  SEED_TARGET="$DBURL"; DB_ENV=(DATABASE_URL="$DBURL"); DB_DESC="PostgreSQL ($NAME)"
else
  SEED_TARGET="$DATA"; DB_ENV=(TRUSTFLOW_DATA_DIR="$DATA"); DB_DESC="embedded PostgreSQL, fsync on (seeded as PGlite, imported at the server's start; $DATA)"
fi
SEED="$(cd "$ROOT" && node --import tsx bench/engine/peer-seed.ts "$SEED_TARGET")"
SLUG="$(node -p 'JSON.parse(process.argv[1]).slug' "$SEED")"
SECRET="$(node -p 'JSON.parse(process.argv[1]).secret' "$SEED")"
KEY="$(node -p 'JSON.parse(process.argv[1]).key' "$SEED")"

PID=""; RPID=""
cleanup() {
  for p in "$RPID" "$PID"; do if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then kill "$p"; wait "$p" 2>/dev/null || true; fi; done
  if [ -n "${NAME:-}" ]; then node -e 'const pg=require("pg");(async()=>{const c=new pg.Client({connectionString:process.argv[1]});await c.connect();await c.query("DROP DATABASE IF EXISTS "+process.argv[2]+" WITH (FORCE)");await c.end()})()' "$BENCH_DATABASE_URL" "$NAME" || true; fi
}
trap cleanup EXIT
BASE="http://127.0.0.1:$PORT"
if curl -s -o /dev/null --max-time 1 "$BASE/"; then echo "port $PORT is already in use" >&2; exit 1; fi
t0=$(date +%s%N)
# exec: $PID is the server itself, so cleanup stops it (not just a subshell).
(cd "$ROOT" && exec env "${DB_ENV[@]}" NEXT_DIST_DIR="$DIST" NODE_ENV=production LOG_LEVEL=${TF_LOG_LEVEL:-warn} TRUSTFLOW_SEED=none TRUSTFLOW_PYTHON_PREWARM=off \
  TRUSTFLOW_CREDENTIALS_KEY="$KEY" NEXTAUTH_SECRET="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  NEXTAUTH_URL="$BASE" node ${TF_NODE_ARGS:-} scripts/serve.mjs -p "$PORT" -H 127.0.0.1 > "$OUTD/server.log" 2>&1) &
PID=$!
node "${TF_RELAY_SCRIPT:-$HERE/engine/signing-relay.mjs}" "$RELAY_PORT" "$BASE" "$SLUG" "$SECRET" > "$OUTD/relay.log" 2>&1 &
RPID=$!
RELAY="http://127.0.0.1:$RELAY_PORT"
ready=""
for _ in $(seq 1 600); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$RELAY/noop" || true)" = 200 ]; then ready=1; break; fi
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$ready" ] || { tail -30 "$OUTD/server.log" >&2; exit 1; }
STARTUP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
log "trustflow ready on $BASE (relay $RELAY) after ${STARTUP_MS} ms"
VERSION="$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")"
jq_line '{"type":"info","peer":"Trustflow"}' "$(node -e '
  const [v,startup,date,db]=process.argv.slice(1);
  console.log(JSON.stringify({version:v,date,node:process.version,cpus:require("os").cpus().length,
    startup_ms_to_first_200:Number(startup),database:db,
    trigger:"signed webhook POST ?wait=1 (answers with the run output) via a loopback signing relay (loadgen sends GETs)"}))' \
  "$VERSION" "$STARTUP_MS" "$(date -u +%Y-%m-%dT%H:%MZ)" "$DB_DESC")"

if [ "$MAX_WARM_SECS" -gt 0 ]; then
  log "warm-up: /noop max, $MAX_CONNS conns $MAX_WARM_SECS s (not recorded)"
  node "$PEERS/loadgen.mjs" max "$RELAY/noop" "$MAX_CONNS" "$MAX_WARM_SECS" > /dev/null
fi
for rep in $(seq 1 "$REPS"); do
  if [ "$MAX_ONLY" != 1 ]; then
  log "rep $rep/$REPS: chains (sequential, $SEQ_N requests each)"
  for spec in noop:none:0 set1:set:1 set100:set:100; do
    IFS=: read -r name chain nodes <<< "$spec"
    r=$(node "$PEERS/loadgen.mjs" seq "$RELAY/$name" "$SEQ_N" "$SEQ_WARM")
    if [ "$chain" = none ]; then chainv=null; else chainv="\"$chain\""; fi
    jq_line "$r" "{\"type\":\"seq\",\"name\":\"/$name\",\"chain\":$chainv,\"nodes\":$nodes,\"rep\":$rep}"
  done
  log "rep $rep/$REPS: /noop at $RATE_RPS req/s for $RATE_SECS s"
  r=$(node "$PEERS/loadgen.mjs" rate "$RELAY/noop" "$RATE_RPS" "$RATE_SECS")
  jq_line "$r" "{\"type\":\"rate\",\"tool\":\"loadgen\",\"label\":\"2-node @ $((RATE_RPS*60))/min\",\"rep\":$rep}"
  fi
  log "rep $rep/$REPS: /noop max throughput, loadgen $MAX_CONNS conns $MAX_SECS s"
  if [ "$PROBE" = 1 ]; then
    r=$(cd "$HERE/.." && node --import tsx bench/engine/load-probe.ts "$DATA" "$PEERS/loadgen.mjs" \
      max "$RELAY/noop" "$MAX_CONNS" "$MAX_SECS" "$OUTD/probe-$rep.json" "$PID" "$RPID")
    if [ -n "${PROBE_RATE:-}" ]; then
      # The same requests at a fixed rate: CPU per request where both builds keep up.
      log "rep $rep/$REPS: /noop at $PROBE_RATE req/s for $MAX_SECS s (probed)"
      (cd "$HERE/.." && node --import tsx bench/engine/load-probe.ts "$DATA" "$PEERS/loadgen.mjs" \
        rate "$RELAY/noop" "$PROBE_RATE" "$MAX_SECS" "$OUTD/probe-rate-$rep.json" "$PID" "$RPID") > /dev/null
    fi
  else
    r=$(node "$PEERS/loadgen.mjs" max "$RELAY/noop" "$MAX_CONNS" "$MAX_SECS")
  fi
  jq_line "$r" "{\"type\":\"max\",\"tool\":\"loadgen\",\"label\":\"2-node max, $MAX_CONNS conns\",\"rep\":$rep}"
done
RSS_KB=$(ps -o rss= -p "$PID" | tr -d ' ' || echo 0)
jq_line '{"type":"info"}' "{\"server_rss_mb_after_runs\":$(( ${RSS_KB:-0} / 1024 ))}"
cleanup; PID=""; RPID=""
node "$PEERS/summarize.mjs" "$RES" | tee "$OUTD/summary.md"
log "raw results: $RES"
