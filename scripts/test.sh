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
(cd "$build" && ctest --output-on-failure -j"$(nproc)" --timeout 600 "$@")
# Own stage: the Debian package installed, run and purged in a clean Debian 12 chroot.
# PACSCAN_SKIP_PACKAGE_TEST=1 skips it (a developer's quick rerun).
if [ "${PACSCAN_SKIP_PACKAGE_TEST:-0}" != 1 ]; then
  SECONDS=0
  bash scripts/package-test.sh "$build"
  echo "test.sh: package test stage took ${SECONDS}s"
fi
