#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long fuzz runs: each libFuzzer target in turn (one at a time), from its committed seeds, for as
# long as it is told; new inputs and any crash/leak/timeout input stay in build-fuzz/fuzz-work/.
#   bash bench/fuzz.sh [SECONDS | -runs=N] [TARGET...]     (default: 3600 s, every target)
# FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-max_len=4096 for more executions a second).
# Prints each target's executions, speed, coverage and result. Builds build-fuzz/ (clang-14,
# -DPACSCAN_FUZZ=ON) when needed. Runs under `nice`, one job: the machine stays usable.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
limit=${1:-3600}
shift || true
build=${PACSCAN_FUZZ_BUILD:-$here/build-fuzz}
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPACSCAN_FUZZ=ON \
    -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
fi
nice -n 10 cmake --build "$build" --target fuzzers >/dev/null
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$here"/tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
if [[ "$limit" == -runs=* ]]; then budget=("$limit" -max_total_time=86400); else budget=(-max_total_time="$limit"); fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
for t in "${targets[@]}"; do
  work=$build/fuzz-work/$t
  log=$build/fuzz-work/$t.log
  mkdir -p "$work"
  seeds=()
  [[ -d "$here/tests/fuzz/corpus/$t" ]] && seeds=("$here/tests/fuzz/corpus/$t")
  start=$(date +%s)
  rc=0
  # shellcheck disable=SC2086
  # -timeout is wall-clock: under nice on a loaded machine a slow but finite input (reports of a
  # big scan.json, under ASan) can pass 10 s, so a hang is called at 60 s. FUZZ_FLAGS come last
  # and override any of these.
  nice -n 15 "$build/tests/$t" "${budget[@]}" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" ${FUZZ_FLAGS:-} "$work" "${seeds[@]}" >"$log" 2>&1 || rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{ print $2 }')
  result="ok"
  (( rc != 0 )) && result="FAILED (exit $rc): $(grep -m1 -E 'ERROR|SUMMARY|deadly|Test unit written' "$log" || true)"
  printf "%-18s %12s execs in %6d s (%s/s), coverage %s, %s\n" "$t" "${execs:-?}" "$secs" \
    "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "${cov:-?}" "$result"
done
