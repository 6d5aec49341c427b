#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's first command: install the dependencies, build pacscan, start the sample imaging
# lab (network namespaces, 198.18.0.0/15, no route out), scan it, show where the report is, and
# always take the lab down again. Needs root (namespaces).
#
#   bash scripts/demo.sh                 # report in ./pacscan-demo (as root; a user is asked for sudo)
#   PACSCAN_BIN=build-x/pacscan PACSCAN_DEMO_OUT=/tmp/demo bash scripts/demo.sh   # no install/build
set -euo pipefail
. "$(dirname "$0")/lib-root.sh"
ensure_root "$@"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=${PACSCAN_DEMO_OUT:-$ROOT/pacscan-demo}
export PSLAB_DIR=${PSLAB_DIR:-/tmp/pslab}

if [[ -n ${PACSCAN_BIN:-} ]]; then   # developers: use an existing binary, skip install + build
  PACSCAN=$(readlink -f "$PACSCAN_BIN")
else
  echo "==> installing dependencies (scripts/install-deps.sh)"
  bash scripts/install-deps.sh
  echo "==> building pacscan (Release) into ./build"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build --target pacscan -j2
  PACSCAN="$ROOT/build/pacscan"
fi
[[ -x $PACSCAN ]] || { echo "demo: build did not produce $PACSCAN" >&2; exit 3; }

lab_down() { bash "$ROOT/tests/lab/lab.sh" down || true; }
trap lab_down EXIT
trap 'exit 130' INT TERM

echo "==> starting the sample lab (storescp, dcmqrscp, two Orthancs, hostile hosts)"
bash tests/lab/lab.sh up

echo "==> scanning 198.18.0.8-47 from the lab's scanner namespace (198.18.0.2)"
rm -rf "$OUT"
rc=0
bash tests/lab/lab.sh exec "$PACSCAN" scan 198.18.0.8-47 --exclude 198.18.0.30 \
  --called-aet QRSCP -o "$OUT" || rc=$?
# 1 = findings at or above --fail-on: expected on a lab built to have findings
if [[ $rc -ne 0 && $rc -ne 1 ]]; then
  echo "demo: pacscan exited with $rc" >&2
  exit "$rc"
fi

echo
echo "==> done. Report folder: $OUT"
for f in report.md report.html scan.json observations.jsonl findings.csv; do
  [[ -e $OUT/$f ]] && echo "    $OUT/$f"
done
echo "    (the lab is being taken down)"
