#!/usr/bin/env bash
# The engine alone on both synthetic generators and FEBRL: accuracy, blocking recall against the
# truth (with the adaptive pair budget and with the full rule set), wall and CPU time, peak memory,
# and the machine's load before and after each run. One JSON line per case in
# bench-data/results/robust.jsonl; a readable line per case on stdout.
#
# Usage: BIN=target/release scripts/link/robust_bench.sh [case ...]
#   cases: febrl3 febrl4 synth-100k census-100k synth-1m census-1m (default: the first four)
# Data: scripts/link/febrl.sh, and
#   link-synth --records N --seed 42 --out bench-data/synth-100k.csv          (and synth-1m)
#   link-synth --generator census --records N --seed 42 --out bench-data/census-100k.csv
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release}
OUT=bench-data/results
mkdir -p "$OUT"
cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(febrl3 febrl4 synth-100k census-100k)
for c in "${cases[@]}"; do
  case $c in
    febrl3) args=(--input bench-data/febrl/febrl3_nossn.csv) ;;
    febrl4) args=(--link-only --input bench-data/febrl/febrl4a_nossn.csv --input bench-data/febrl/febrl4b_nossn.csv) ;;
    *) args=(--input "bench-data/$c.csv") ;;
  esac
  before=$(uptime | sed 's/.*load average: //')
  /usr/bin/time -f '{"wall_s": %e, "user_s": %U, "sys_s": %S, "peak_kb": %M}' -o "$OUT/$c.time" \
    "$BIN/link-bench" "${args[@]}" --out "$OUT/$c.clusters.csv" 2> "$OUT/$c.json"
  after=$(uptime | sed 's/.*load average: //')
  # Blocking recall against the truth, with and without the budget: a separate, untimed run.
  "$BIN/link-bench" "${args[@]}" --recall-only 2> "$OUT/$c.recall.json"
  python3 - "$c" "$OUT/$c.json" "$OUT/$c.time" "$before" "$after" "$OUT/$c.recall.json" <<'PY' | tee -a "$OUT/robust.jsonl"
import json, sys
case, jf, tf, before, after, rf = sys.argv[1:]
j = json.loads(open(jf).read().strip().splitlines()[-1])
t = json.load(open(tf))
e = j["evaluation"]
br = json.loads(open(rf).read().strip().splitlines()[-1])["blocking_recall"]
row = {"case": case, "load_before": before, "load_after": after, **t,
       "pairs_compared": j["pairs_compared"], "blocking": j["blocking"], "cpu_in_run_s": j["cpu_seconds"],
       "recall_adaptive": br["adaptive"]["recall"], "recall_full": br["full"]["recall"],
       "pairs_full": br["full"]["pairs"], "pairs_adaptive": br["adaptive"]["pairs"],
       "pair_p": e["pairwise"]["precision"], "pair_r": e["pairwise"]["recall"], "pair_f1": e["pairwise"]["f1"],
       "cluster_f1": e["cluster"]["f1"], "stages": j["stages"]}
print(json.dumps(row))
PY
done
