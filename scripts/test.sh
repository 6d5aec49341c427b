#!/usr/bin/env bash
# The README's test command: install dependencies, build, run every test (unit + integration).
# Integration tests start real DICOM servers in network namespaces: run as root (or via sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${PACSCAN_BUILD_DIR:-build-ci}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@"
