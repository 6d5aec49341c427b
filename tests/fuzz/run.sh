#!/bin/sh
# Runs one libFuzzer target for SECONDS from its committed seed corpus (read only: new inputs go
# to WORKDIR, which is searched first). Any crash, leak, sanitizer report, timeout (10 s per
# input) or RSS above 2 GiB fails, and libFuzzer writes the input to WORKDIR/crash-* etc.
#   tests/fuzz/run.sh BINARY SECONDS WORKDIR [SEED_DIR]
set -eu
bin=$1 secs=$2 work=$3 seeds=${4:-}
mkdir -p "$work"
set -- "$work"
[ -n "$seeds" ] && [ -d "$seeds" ] && set -- "$work" "$seeds"
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$@"
