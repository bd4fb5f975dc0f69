#!/usr/bin/env bash
# Coverage-guided fuzzing of the core's decoders (cargo-fuzz + libFuzzer; targets in
# core/fuzz/fuzz_targets/, what each feeds and checks in core/fuzz/src/lib.rs).
#
#   scripts/fuzz.sh [--seconds N] [target...]
#
# Builds every target once (release, debug assertions on so an arithmetic overflow is a finding,
# no sanitizer: the core is `forbid(unsafe_code)`, so a panic is what there is to find and the
# stable toolchain suffices), then runs each named target (default: all) for N seconds (default
# 300; `npm test` uses 10). Each run starts from the committed seeds (core/fuzz/corpus/<target>,
# read only) plus the inputs earlier runs found (core/fuzz/work/<target>, not committed). Prints
# executions per target and exits non-zero when any target crashes; the crashing input is saved
# in core/fuzz/regressions/<target>/ — commit it once fixed: core/tests/fuzz_regressions.rs
# replays that folder in every `cargo test`.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
root=$(pwd)
fuzz="$root/core/fuzz"

seconds=300
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*|0) echo "fuzz.sh: --seconds must be a positive integer" >&2; exit 2 ;; esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz is not installed (scripts/bootstrap.sh installs it)" >&2
  exit 2
fi

cd "$root/core"
mapfile -t all < <(cargo fuzz list)
if [ ${#targets[@]} -eq 0 ]; then targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
  printf '%s\n' "${all[@]}" | grep -qx "$t" || { echo "fuzz.sh: no target $t (have: ${all[*]})" >&2; exit 2; }
done

# The same flags for build and run, or `cargo fuzz run` would rebuild.
flags=(--sanitizer none --debug-assertions)
start=$(date +%s)
echo "[fuzz] building ${#all[@]} targets (release, debug assertions, no sanitizer)"
cargo fuzz build "${flags[@]}" || { echo "fuzz.sh: build failed" >&2; exit 1; }
echo "[fuzz] built in $(( $(date +%s) - start )) s"

failed=()
total=0
printf '\n%-26s %8s %12s %9s %8s  %s\n' target seconds executions exec/s corpus result
for t in "${targets[@]}"; do
  mkdir -p "$fuzz/work/$t" "$fuzz/regressions/$t"
  log="$fuzz/work/$t.log"
  # Later libFuzzer flags override cargo-fuzz's own -artifact_prefix. -timeout: one input taking
  # over 10 s is a finding (every decoder here is bounded); -rss_limit_mb: the machine is shared.
  cargo fuzz run "${flags[@]}" "$t" "$fuzz/work/$t" "$fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$fuzz/regressions/$t/" >"$log" 2>&1
  rc=$?
  # Slow units are reports, not crashes: keep them out of the committed regressions.
  find "$fuzz/regressions/$t" -name 'slow-unit-*' -exec mv {} "$fuzz/work/" \; 2>/dev/null
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  time_s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "$fuzz/work/$t" -type f | wc -l)
  runs=${runs:-0}
  total=$(( total + runs ))
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result="CRASH (exit $rc)"
    failed+=("$t")
  fi
  printf '%-26s %8s %12s %9s %8s  %s\n' "$t" "$seconds" "$runs" "${time_s:-?}" "$corpus" "$result"
  if [ "$rc" -ne 0 ]; then
    grep -E "panicked at|^thread '|ERROR: libFuzzer|SUMMARY|Test unit written to|Base64" "$log" | head -20 | sed 's/^/    /'
    echo "    full log: $log"
  fi
done
echo "[fuzz] $total executions in $(( $(date +%s) - start )) s (build included)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]} (inputs saved under core/fuzz/regressions/)" >&2
  exit 1
fi
