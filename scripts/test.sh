#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's test command: install dependencies, build, run every test (unit + integration).
# Integration tests start real DICOM servers in network namespaces: runs as root (a user is asked
# for sudo). CI builds Release, the build type of the README's demo, with warnings as errors.
#
# Then, when run without arguments (as CI does), two more stages (README, "Testing"):
#   package     the .deb installed, run and purged in a clean Debian 12 chroot
#               (scripts/package-test.sh; PACSCAN_SKIP_PACKAGE_TEST=1 skips it);
#   sanitizers  one ASan+UBSan build (clang-14, build-ci-asan/) runs the unit tests, the hostile
#   + fuzzing   integration tests (ctest label "hostile") and each libFuzzer target for
#               PACSCAN_FUZZ_SECONDS (5) from its committed seed corpus (tests/fuzz/corpus/);
#               any sanitizer report fails the run.
# PACSCAN_SKIP_EXTRA=1 skips both. Arguments go to the first stage's ctest and skip them.
set -euo pipefail
. "$(dirname "$0")/lib-root.sh"
ensure_root "$@"
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${PACSCAN_BUILD_DIR:-build-ci}
stage() { echo "== test.sh: $* ($(date -u +%H:%M:%S))"; }
stage "release build and every test"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPACSCAN_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
(cd "$build" && ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@")
if [[ $# -gt 0 || "${PACSCAN_SKIP_EXTRA:-}" == 1 ]]; then
  exit 0
fi

# The Debian package installed, run and purged in a clean Debian 12 chroot.
# PACSCAN_SKIP_PACKAGE_TEST=1 skips it (a developer's quick rerun).
if [ "${PACSCAN_SKIP_PACKAGE_TEST:-0}" != 1 ]; then
  stage "Debian package in a clean chroot"
  bash scripts/package-test.sh "$build"
fi

# One clang build serves both: ASan+UBSan everywhere, libFuzzer's coverage instrumentation
# everywhere, libFuzzer's main only in the fuzz targets. Two builds (gcc ASan, clang fuzz) compiled
# the libraries twice; one saves that whole second build.
stage "ASan+UBSan build (clang-14): unit, hostile and fuzz tests"
asan=${build}-asan
cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPACSCAN_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DPACSCAN_FUZZ_SECONDS="${PACSCAN_FUZZ_SECONDS:-5}" >/dev/null
cmake --build "$asan" -j"$(nproc)"
(
  cd "$asan"
  export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  ctest --output-on-failure -j"$(nproc)" --timeout 900 -L 'unit|hostile|fuzz'
)
stage "done"
