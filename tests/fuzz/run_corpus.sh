#!/usr/bin/env bash
# Builds the fuzz targets and runs each once over its seed corpus (tests/fuzz/corpus/<name>/).
# This is the short, deterministic form used by `make test`; `FUZZ_SECONDS=N` fuzzes each target
# for N seconds instead (for `make fuzz`). Prints one line per target and a summary
# "FUZZ: N passed, N failed"; exits non-zero on any crash.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$root/build/fuzz}
"$root/tests/fuzz/build.sh" "$out" || { echo "FUZZ: 0 passed, 1 failed"; exit 1; }
passed=0
failed=0
for t in "$root"/tests/fuzz/*_fuzz.cc; do
  name=$(basename "$t" .cc)
  corpus="$root/tests/fuzz/corpus/${name%_fuzz}"
  log="$out/$name.log"
  if [ -n "${FUZZ_SECONDS:-}" ]; then
    work="$out/corpus/${name%_fuzz}"
    mkdir -p "$work"
    args=(-max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout=25 "$work" "$corpus")
  else
    args=(-runs=0 "$corpus")
  fi
  args=(-artifact_prefix="$out/$name-" -print_final_stats=1 "${args[@]}")
  if "$out/$name" "${args[@]}" >"$log" 2>&1; then
    passed=$((passed + 1))
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    echo "ok   $name (${execs:-?} execs)"
  else
    failed=$((failed + 1))
    echo "FAIL $name (see $log)"
    tail -30 "$log"
  fi
done
echo "FUZZ: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
