#!/usr/bin/env bash
# Plan-lookup benchmark: audited GET /api/v1/people/{id}/plan with 100,000 people, 50 concurrent
# connections on loopback, beside the bare /healthz route in the same run, on SQLite and PostgreSQL.
#
#   scripts/bench/plans.sh [sqlite|postgres://postgres@127.0.0.1:5432/postgres] [seconds]
#
# POOL=N sets the database pool size (default: the server's); BIN=path uses a plan-bench already built. Needs wrk (apt-get install -y wrk). Builds plan-bench in release mode into $CARGO_TARGET_DIR.
set -euo pipefail
DB="${1:-sqlite}"
SECS="${2:-20}"
PORT="${PORT:-18150}"
PEOPLE="${PEOPLE:-100000}"
CONNS="${CONNS:-50}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$(mktemp -d /tmp/plan-bench.XXXXXX)"
# BIN=path runs a plan-bench built elsewhere (to compare two versions) instead of building this one.
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -q -p concordat --bin plan-bench)
  BIN="$TARGET/release/plan-bench"
fi
"$BIN" --database "$DB" --people "$PEOPLE" --listen "127.0.0.1:$PORT" --out "$OUT" ${POOL:+--pool "$POOL"} 2>"$OUT/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do [ -f "$OUT/ready" ] && break; sleep 1; done
[ -f "$OUT/ready" ] || { cat "$OUT/server.log"; exit 1; }
cat "$OUT/server.log"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; database: ${DB%%:*}; people: $PEOPLE; connections: $CONNS; ${SECS}s each"
# A quick check that the lookup answers with a plan.
curl -s -H "Authorization: Bearer $(cat "$OUT/demo.paramedic.token")" "http://127.0.0.1:$PORT/api/v1/people/$(head -1 "$OUT/ids.txt")/plan" | head -c 300; echo
echo "== /healthz (bare axum route)"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$HERE/healthz.lua" "http://127.0.0.1:$PORT/healthz" | grep RESULT
echo "== /api/v1/people/{id}/plan (audited lookup, responder)"
BENCH_DIR="$OUT" wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$HERE/plans.lua" "http://127.0.0.1:$PORT" | grep RESULT
