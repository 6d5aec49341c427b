#!/usr/bin/env bash
# The README's test command: install dependencies, build, run every test (unit + integration).
# Integration tests start real DICOM servers in network namespaces: runs as root (a user is asked
# for sudo). CI builds Release, the build type of the README's demo, with warnings as errors.
set -euo pipefail
. "$(dirname "$0")/lib-root.sh"
ensure_root "$@"
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${PACSCAN_BUILD_DIR:-build-ci}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPACSCAN_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@"
