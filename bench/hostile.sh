#!/usr/bin/env bash
# Passive analysis on captures crafted to hurt a parser (samples/pcaps/make-hostile.py): time and
# peak RSS of `pacscan pcap` and of tshark's DICOM dissector on the same files, side by side.
# Figures are printed, never asserted (tests check work and memory by counting, not by clocks).
#   bash bench/hostile.sh [path/to/pacscan] [scale] [other pacscan binary to compare, e.g. old]
# scale 1 (default) gives the sizes of issue 10's report; TIMEOUT (default 900 s) bounds each run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$here/build/pacscan}")
scale=${2:-1}
other=${3:-}
limit=${TIMEOUT:-900}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$here/samples/pcaps/make-hostile.py" "$work/caps" --scale "$scale"

measure() {  # prints "seconds peak_MiB" of a command (or "timeout")
  if ! timeout "$limit" /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out.log" 2>&1; then
    if [[ ! -s "$work/time" ]] || grep -q "signal" "$work/time"; then
      echo "timeout -"; return
    fi
  fi
  awk 'END { printf "%s %.0f\n", $1, $2 / 1024 }' "$work/time"
}

printf "%-22s %8s | %-18s | %-18s" capture MB "pacscan s / MiB" "tshark s / MiB"
[[ -n "$other" ]] && printf " | %-18s" "other s / MiB"
printf "\n"
for f in "$work"/caps/*; do
  name=$(basename "$f")
  mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.1f", b / 1e6 }')
  read -r ps pm < <(measure "$bin" pcap "$f" -o "$work/out-$name" --format json)
  read -r ts tm < <(measure tshark -r "$f" -d tcp.port==104,dicom -Y dicom -T fields \
    -e frame.number -e dicom.assoc.ae.calling -e _ws.col.Info)
  printf "%-22s %8s | %8s s %5s MiB | %8s s %5s MiB" "$name" "$mb" "$ps" "$pm" "$ts" "$tm"
  if [[ -n "$other" ]]; then
    read -r os om < <(measure "$other" pcap "$f" -o "$work/other-$name" --format json)
    printf " | %8s s %5s MiB" "$os" "$om"
  fi
  printf "\n"
done
