#!/usr/bin/env bash
# Creates packages/io-formats/.venv with the independent readers the columnar tests check our files
# against (pyarrow for Parquet and ORC, fastavro for Avro with cramjam for its snappy codec,
# duckdb as a second Parquet reader).
# Idempotent: a venv that already imports them all is left as it is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
check='import pyarrow, pyarrow.orc, pyarrow.parquet, fastavro, duckdb, cramjam'
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  echo "setup-python: $venv already has pyarrow, fastavro, duckdb and cramjam"
  exit 0
fi
python3 -m venv "$venv"
# --retries 0: only the local wheel mirror answers here; do not back off on the unreachable public index.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --retries 0 pyarrow fastavro duckdb cramjam
"$venv/bin/python" -c "$check"
echo "setup-python: $venv ready ($("$venv/bin/python" -c 'import pyarrow, fastavro, duckdb; print("pyarrow", pyarrow.__version__, "fastavro", fastavro.__version__, "duckdb", duckdb.__version__)'))"
