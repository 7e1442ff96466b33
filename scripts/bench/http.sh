#!/usr/bin/env bash
# HTTP load benchmark: the signed-in home page beside a bare axum route.
#
#   bash scripts/bench/http.sh
#
# Builds the release binary, starts `concordat demo` (default region size)
# in a temporary data folder on a free loopback port, signs in through the
# HTML form with curl (carrying the CSRF cookie and field), then runs wrk
# (50 connections, 2 threads, 20 s, --latency) against
#   GET /healthz   the bare route, no database: the ceiling
#   GET /home      signed in, with the session cookie
# in the same run, and prints requests/s and latency percentiles side by
# side. Every response is checked: a run whose responses are not all 200 is
# reported as such (e.g. a lost session would turn /home into redirects).
#
# Nothing is written outside a temporary folder (removed on exit): the demo
# data, the demo logins, the cookie jar and the server log all live there.
#
# Knobs (environment):
#   BENCH_CONNECTIONS=50 BENCH_THREADS=2 BENCH_DURATION=20s BENCH_WARMUP=5s
#   BENCH_ROLE=triage_clinician     whose home page to load
#   BENCH_RESIDENTS=                demo size (empty: the demo's default)
#   BENCH_BIN=path                  use this binary instead of building
#   BENCH_READY_TIMEOUT=1200        seconds to wait for the demo to be ready
#   BENCH_KEEP_LOG=path             copy the server log here afterwards
#   CARGO_TARGET_DIR                as for cargo
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)

CONNECTIONS="${BENCH_CONNECTIONS:-50}"
THREADS="${BENCH_THREADS:-2}"
DURATION="${BENCH_DURATION:-20s}"
WARMUP="${BENCH_WARMUP:-5s}"
ROLE="${BENCH_ROLE:-triage_clinician}"
RESIDENTS="${BENCH_RESIDENTS:-}"
READY_TIMEOUT="${BENCH_READY_TIMEOUT:-1200}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

log() { printf '%s\n' "$*" >&2; }
die() {
  log "bench: FAILED: $*"
  exit 1
}

WORK=""
SERVER_PID=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [[ -n "$WORK" ]]; then
    if [[ -n "${BENCH_KEEP_LOG:-}" && -f "$WORK/server.log" ]]; then
      cp "$WORK/server.log" "$BENCH_KEEP_LOG"
    fi
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_server_log() {
  log "---- last 60 lines of the server log:"
  tail -n 60 "$WORK/server.log" >&2 || true
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
  fi
}

# ---------------------------------------------------------------- tools

if ! command -v wrk >/dev/null 2>&1; then
  log "wrk is missing: installing Debian's wrk"
  if [[ $EUID -eq 0 ]]; then
    apt-get update -q && apt-get install -y -q wrk
  else
    sudo -n apt-get update -q && sudo -n apt-get install -y -q wrk
  fi
fi
command -v curl >/dev/null 2>&1 || die "curl is not installed"

# ---------------------------------------------------------------- build

if [[ -n "${BENCH_BIN:-}" ]]; then
  BIN="$BENCH_BIN"
else
  log "==== cargo build --release -p concordat"
  build_start=$SECONDS
  cargo build --release -p concordat
  log "build took $((SECONDS - build_start)) s"
  BIN="$TARGET_DIR/release/concordat"
fi
[[ -x "$BIN" ]] || die "no binary at $BIN"

# ---------------------------------------------------------------- machine

log ""
log "==== machine"
log "cpu:    $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
log "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
log "kernel: $(uname -r)"
log "wrk:    $(wrk --version 2>&1 | head -n 1 || true)"
log "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the run"
busy=$(pgrep -c -x 'rustc|cargo|cc1|ld|clang|node' || true)
log "other build/test processes running now (rustc, cargo, cc1, ld, node): $busy"

# ---------------------------------------------------------------- server

WORK=$(mktemp -d -t concordat-bench.XXXXXX)
chmod 700 "$WORK"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
demo_args=(demo --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" --reset)
if [[ -n "$RESIDENTS" ]]; then
  demo_args+=(--residents "$RESIDENTS")
fi
log ""
log "==== starting: concordat ${demo_args[*]}"
start=$SECONDS
"$BIN" "${demo_args[@]}" >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
until curl -fsS -o /dev/null --max-time 2 "$BASE/readyz" 2>/dev/null; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    SERVER_PID=""
    show_server_log
    die "the demo server exited before $BASE/readyz answered"
  fi
  if ((SECONDS - start > READY_TIMEOUT)); then
    show_server_log
    die "timed out after ${READY_TIMEOUT}s waiting for $BASE/readyz"
  fi
  sleep 1
done
log "ready after $((SECONDS - start)) s (data generation included)"

# ---------------------------------------------------------------- sign in

LOGINS="$WORK/data/demo-logins.txt"
[[ -s "$LOGINS" ]] || die "no $LOGINS"
# username<TAB>password<TAB>role<TAB>organisation; '#' starts a comment.
login_line=$(awk -F'\t' -v role="$ROLE" '!/^#/ && $3 == role { print; exit }' "$LOGINS")
[[ -n "$login_line" ]] || die "demo-logins.txt has no login with role $ROLE"
username=$(cut -f1 <<<"$login_line")
# The password goes to curl from a file (never on a command line).
umask 077
cut -f2 <<<"$login_line" | tr -d '\n' >"$WORK/password"
JAR="$WORK/cookies.txt"

sign_in_page=$(curl -fsS -c "$JAR" -b "$JAR" "$BASE/sign-in") ||
  die "GET /sign-in failed"
csrf=$(grep -oE '<input[^>]*name="csrf"[^>]*>' <<<"$sign_in_page" | head -n 1 |
  grep -oE 'value="[^"]*"' | head -n 1 | sed -E 's/^value="(.*)"$/\1/')
[[ -n "$csrf" ]] || die "no hidden csrf field in the sign-in form"

status_and_location=$(curl -sS -o /dev/null -c "$JAR" -b "$JAR" \
  -w '%{http_code} %{redirect_url}' \
  --data-urlencode "username=$username" \
  --data-urlencode "password@$WORK/password" \
  --data-urlencode "csrf=$csrf" \
  "$BASE/sign-in")
read -r status location <<<"$status_and_location"
[[ "$status" == 303 && "$location" == */home ]] ||
  die "POST /sign-in answered $status (Location: ${location:-none}); expected 303 to /home"
session=$(awk -F'\t' '$6 == "concordat_session" { print $7 }' "$JAR" | tail -n 1)
[[ -n "$session" ]] || die "no concordat_session cookie after sign-in"
home_status=$(curl -sS -o "$WORK/home.html" -w '%{http_code}' -b "concordat_session=$session" "$BASE/home")
[[ "$home_status" == 200 ]] || die "GET /home with the session cookie answered $home_status"
home_bytes=$(wc -c <"$WORK/home.html")
log "signed in as the demo $ROLE; /home is $home_bytes bytes"

# ---------------------------------------------------------------- load

# Counts responses that are not 200 (wrk only reports non-2xx/3xx, and a
# lost session would show up as 303 redirects to /sign-in). The same script
# runs for both endpoints, so its cost is the same on both sides.
cat >"$WORK/check.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not_ok = 0 end
function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("not_ok") end
  io.write(string.format("NOT_200 %d\n", n))
  io.write(string.format("LAT_P50_US %.0f\n", latency:percentile(50)))
  io.write(string.format("LAT_P99_US %.0f\n", latency:percentile(99)))
  io.write(string.format("LAT_MAX_US %.0f\n", latency.max))
  io.write(string.format("REQUESTS %d\n", summary.requests))
  io.write(string.format("ERRORS %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
# The cookie travels in the Lua script, not on wrk's command line.
printf 'wrk.headers["Cookie"] = "concordat_session=%s"\n' "$session" >"$WORK/cookie.lua"
cat "$WORK/check.lua" >>"$WORK/cookie.lua"

run_wrk() { # name path script
  local name=$1 path=$2 script=$3 out="$WORK/wrk-$1.txt"
  if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$script" "$BASE$path" >/dev/null
  fi
  log ""
  log "==== wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency GET $path"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$BASE$path" | tee "$out" >&2
}

run_wrk healthz /healthz "$WORK/check.lua"
run_wrk home /home "$WORK/cookie.lua"

# Sanity after the run: the session still works and the server is alive.
after_status=$(curl -sS -o /dev/null -w '%{http_code}' -b "concordat_session=$session" "$BASE/home" || true)

field() { awk -v k="$2" '$1 == k { print $2 }' "$WORK/wrk-$1.txt"; }
rps() { awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk-$1.txt"; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

log ""
log "==== results ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk and server on the same machine)"
printf '| endpoint | requests/s | p50 ms | p99 ms | max ms | requests | not 200 | socket errors |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
for name in healthz home; do
  case $name in
    healthz) label='GET /healthz (bare route)' ;;
    home) label="GET /home (signed in, $ROLE)" ;;
  esac
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(rps $name)" \
    "$(ms "$(field $name LAT_P50_US)")" "$(ms "$(field $name LAT_P99_US)")" "$(ms "$(field $name LAT_MAX_US)")" \
    "$(field $name REQUESTS)" "$(field $name NOT_200)" "$(field $name ERRORS)"
done
log ""
log "load after the run: $(cut -d' ' -f1-3 /proc/loadavg); GET /home after the run: $after_status"
for name in healthz home; do
  if [[ "$(field $name NOT_200)" != 0 ]]; then
    log "bench: WARNING: $(field $name NOT_200) responses from $name were not 200; the numbers above are not for a working page"
    exit 2
  fi
done
