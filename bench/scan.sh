#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scan benchmark: prints wall time and peak memory of pacscan on a loopback "farm" (one storescp
# answers on every 127.0.0.x of an `unshare -n` sandbox, plus tarpits), next to nmap's dicom-ping
# on the same farm when nmap is installed. Figures are printed, never asserted.
#   sudo bash bench/scan.sh [path/to/pacscan] [hosts-prefix-length]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$here/build/pacscan}")
prefix=${2:-24}
if [ "${PACSCAN_BENCH_INNER:-}" != 1 ]; then
  exec env PACSCAN_BENCH_INNER=1 unshare -n bash "$0" "$bin" "$prefix"
fi
ip link set lo up
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/store"
TCP_NODELAY=1 storescp --fork -od "$work/store" 11112 >"$work/storescp.log" 2>&1 &
/usr/bin/python3 "$here/tests/lab/hostile.py" tarpit --bind 0.0.0.0 --port 2761 >/dev/null 2>&1 &
sleep 0.5
targets="127.0.0.0/$prefix"
n=$(( 1 << (32 - prefix) ))
measure() {  # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out.log" 2>&1 || true
  read -r secs kib <"$work/time"
  printf '%-58s %8s s %8s MiB peak RSS\n' "$label" "$secs" "$((kib / 1024))"
}
echo "farm: $n addresses in $targets (storescp on 11112, tarpit on 2761, ports 104 and 4242 closed)"
measure "pacscan sweep only (4 ports, --rate 2000)" \
  "$bin" scan "$targets" -p 104,2761,4242,11112 --probes dicom_associate --rate 2000 \
  --acse-timeout 1s --workers 16 -q -o "$work/p0"
echo "  endpoints open: $(grep -c '"state":"open"' "$work/p0/observations.jsonl")"
measure "pacscan full safe profile, 11112 only (default limits)" \
  "$bin" scan "$targets" -p 11112 -q -o "$work/p1"
echo "  findings: $(python3 -c "import json;print(len(json.load(open('$work/p1/scan.json'))['findings']))")"
measure "pacscan full safe profile, 11112+2761 tarpit (--workers 32)" \
  "$bin" scan "$targets" -p 11112,2761 --workers 32 -q -o "$work/p2"
if command -v nmap >/dev/null; then
  measure "nmap -Pn -n --script dicom-ping -p 11112" \
    nmap -Pn -n -p 11112 --script dicom-ping "$targets"
  echo "  nmap endpoints with DICOM: $(grep -c 'dicom-ping' "$work/out.log" || true)"
else
  echo "nmap not installed: apt-get install nmap for the side-by-side figure"
fi
