#!/usr/bin/env bash
# Privacy-preserving mode against plaintext: cross-source link of one file holding every source,
# plaintext first, then the encodings (new random key), both evaluated against the truth.
# Usage: BIN=target/release scripts/link/privacy_bench.sh [dataset ...]   (default synth-100k census-100k)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release}
OUT=bench-data/results
mkdir -p "$OUT"
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(synth-100k census-100k)
head -c 32 /dev/urandom > "$OUT/key.bin"
for s in "${sets[@]}"; do
  in=bench-data/$s.csv
  echo "== $s (load $(uptime | sed 's/.*load average: //'))"
  "$BIN/link_cli" link --input "$in" --out "$OUT/$s.plain-link.csv" 2> "$OUT/$s.plain-link.log"
  echo -n "plaintext: "; "$BIN/link_cli" evaluate --clusters "$OUT/$s.plain-link.csv" --truth "$in" --truth-column person_id 2>&1 | grep -i "pairwise" | head -1
  "$BIN/link_cli" encode --key-file "$OUT/key.bin" --input "$in" --out "$OUT/$s.enc.csv" 2> /dev/null
  for cl in connected strict; do
    "$BIN/link_cli" link --input "$OUT/$s.enc.csv" --cluster $cl --out "$OUT/$s.enc-link-$cl.csv" 2> "$OUT/$s.enc-link-$cl.log"
    echo -n "encoded, per-field model, $cl: "; "$BIN/link_cli" evaluate --clusters "$OUT/$s.enc-link-$cl.csv" --truth "$in" --truth-column person_id 2>&1 | grep -i "pairwise" | head -1
  done
  echo "(load $(uptime | sed 's/.*load average: //'))"
done
