#!/usr/bin/env bash
# Concordat's linker and Splink side by side on the same inputs, one table from one run.
#
# Usage: scripts/link/splink_compare.sh [case ...]
#   cases: febrl3 febrl3-ssn febrl4 febrl4-ssn synth-100k synth-1m   (default: all)
#
# Sets up what is missing: the FEBRL CSVs (scripts/link/febrl.sh), the synthetic extracts (link-synth,
# seed 42), a virtualenv with splink + pandas in bench-data/.venv-splink (PyPI only), and the release
# link-bench binary in $CARGO_TARGET_DIR (default /work/target-linkbench).
# Each tool runs under /usr/bin/time -v for wall time and peak RSS; both tools' clusters are scored
# by the same scripts/link/evaluate.py. Raw results: bench-data/results/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-linkbench}
VENV=bench-data/.venv-splink
PY=$VENV/bin/python
RES=bench-data/results
mkdir -p "$RES"
CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(febrl3 febrl3-ssn febrl4 febrl4-ssn synth-100k synth-1m)

if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >/dev/null
fi
if [ ! -x "$PY" ]; then
  python3 -m venv "$VENV"
fi
"$PY" -c 'import splink, pandas' 2>/dev/null || "$VENV/bin/pip" install --quiet --upgrade splink pandas
[ -f bench-data/febrl/febrl3.csv ] || scripts/link/febrl.sh
# SKIP_BUILD=1 reuses the binaries already built (e.g. while the engine's tree is mid-edit).
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --quiet --release -p concordat-link --bin link-bench --bin link-synth
BIN=$CARGO_TARGET_DIR/release
[ -f bench-data/synth-100k.csv ] || "$BIN/link-synth" --records 100000 --seed 42 --out bench-data/synth-100k.csv
[ -f bench-data/synth-1m.csv ] || "$BIN/link-synth" --records 1000000 --seed 42 --out bench-data/synth-1m.csv

F=bench-data/febrl
# Both tools get the same blocking rules, pinned here so that a change to the engine's defaults
# does not make the comparison unequal (splink_run.py holds the same lists).
FEBRL_RULES=(--blocking dob --blocking "postcode & first_initial"
  --blocking "surname_soundex & birth_year" --blocking "first_soundex & surname_soundex")
SSN_RULES=(--extra soc_sec_id --blocking soc_sec_id "${FEBRL_RULES[@]}")
SYNTH_RULES=(--blocking nhs_number --blocking "dob & first_initial" --blocking "dob & surname_soundex"
  --blocking "postcode & first_initial" --blocking "first_soundex & surname_soundex & birth_year"
  --blocking names --blocking phone)

# timed NAME TOOL DATASET OUT -- command...: runs the command under /usr/bin/time -v and records a row.
timed() {
  local name=$1 tool=$2 dataset=$3 out=$4
  shift 5
  local log=$RES/$name-$tool.log
  echo "== $dataset / $tool: $*" >&2
  /usr/bin/time -v "$@" 2>"$log" || { echo "failed, see $log" >&2; tail -5 "$log" >&2; return 0; }
  local truth
  case $name in
    febrl3*) truth=($F/febrl3.csv) ;;
    febrl4*) truth=($F/febrl4a.csv $F/febrl4b.csv) ;;
    synth-100k) truth=(bench-data/synth-100k.csv) ;;
    synth-1m) truth=(bench-data/synth-1m.csv) ;;
  esac
  "$PY" scripts/link/evaluate.py "$out" "${truth[@]}" >"$RES/$name-$tool.eval.json"
  "$PY" scripts/link/results_row.py "$dataset" "$tool" "$log" "$RES/$name-$tool.eval.json" >>"$RES/results.jsonl"
}

for c in "${CASES[@]}"; do
  case $c in
    febrl3)
      timed $c splink "FEBRL3 dedupe, no soc_sec_id" $RES/$c-splink.csv -- "$PY" scripts/link/splink_run.py febrl-dedupe $F/febrl3_nossn.csv $RES/$c-splink.csv
      timed $c-defaults concordat-defaults "FEBRL3 dedupe, no soc_sec_id" $RES/$c-defaults-concordat.csv -- "$BIN/link-bench" --input $F/febrl3_nossn.csv --out $RES/$c-defaults-concordat.csv
      timed $c concordat "FEBRL3 dedupe, no soc_sec_id" $RES/$c-concordat.csv -- "$BIN/link-bench" --input $F/febrl3_nossn.csv "${FEBRL_RULES[@]}" --out $RES/$c-concordat.csv ;;
    febrl3-ssn)
      timed $c splink "FEBRL3 dedupe, with soc_sec_id" $RES/$c-splink.csv -- "$PY" scripts/link/splink_run.py febrl-dedupe $F/febrl3.csv $RES/$c-splink.csv --ssn
      timed $c concordat "FEBRL3 dedupe, with soc_sec_id" $RES/$c-concordat.csv -- "$BIN/link-bench" --input $F/febrl3.csv "${SSN_RULES[@]}" --out $RES/$c-concordat.csv ;;
    febrl4)
      timed $c splink "FEBRL4 link A-B, no soc_sec_id" $RES/$c-splink.csv -- "$PY" scripts/link/splink_run.py febrl-link $F/febrl4a_nossn.csv $F/febrl4b_nossn.csv $RES/$c-splink.csv
      timed $c-defaults concordat-defaults "FEBRL4 link A-B, no soc_sec_id" $RES/$c-defaults-concordat.csv -- "$BIN/link-bench" --link-only --input $F/febrl4a_nossn.csv --input $F/febrl4b_nossn.csv --out $RES/$c-defaults-concordat.csv
      timed $c concordat "FEBRL4 link A-B, no soc_sec_id" $RES/$c-concordat.csv -- "$BIN/link-bench" --link-only --input $F/febrl4a_nossn.csv --input $F/febrl4b_nossn.csv "${FEBRL_RULES[@]}" --out $RES/$c-concordat.csv ;;
    febrl4-ssn)
      timed $c splink "FEBRL4 link A-B, with soc_sec_id" $RES/$c-splink.csv -- "$PY" scripts/link/splink_run.py febrl-link $F/febrl4a.csv $F/febrl4b.csv $RES/$c-splink.csv --ssn
      timed $c concordat "FEBRL4 link A-B, with soc_sec_id" $RES/$c-concordat.csv -- "$BIN/link-bench" --link-only --input $F/febrl4a.csv --input $F/febrl4b.csv "${SSN_RULES[@]}" --out $RES/$c-concordat.csv ;;
    synth-100k|synth-1m)
      n=${c#synth-}
      timed $c concordat "synthetic $n dedupe" $RES/$c-concordat.csv -- "$BIN/link-bench" --input bench-data/$c.csv "${SYNTH_RULES[@]}" --out $RES/$c-concordat.csv
      timed $c splink "synthetic $n dedupe" $RES/$c-splink.csv -- "$PY" scripts/link/splink_run.py synth bench-data/$c.csv $RES/$c-splink.csv ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
done

echo
echo "Engine: commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates/link || echo ' plus uncommitted changes in crates/link'); link-bench built $(date -u -r "$BIN/link-bench" +%H:%M) UTC"
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; splink $("$PY" -c 'import splink; print(splink.__version__)'), duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)')"
"$PY" scripts/link/results_row.py --table "$RES/results.jsonl" "${CASES[@]}"
