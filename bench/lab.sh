#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Demo-lab benchmark: pacscan (full safe profile, default limits) and nmap 7.93's dicom-ping on
# the same targets and ports of the sample lab (tests/lab/lab.sh: storescp, dcmqrscp, two
# Orthancs, a host with stalling ports and a drop-all host), back to back in one run, from the
# lab's scanner namespace. Twice: with the stalling hosts, and without them (--exclude). Prints
# wall time, peak RSS, DICOM endpoints found and the pacscan/nmap ratio per run, then medians.
# Figures are printed, never asserted.
#
#   sudo flock /tmp/pslab.lock bash bench/lab.sh [--pacscan BIN] [--runs R] [--ports LIST]
#
# The lab has fixed namespace names (pslab-*): hold /tmp/pslab.lock as shown. Its files go to
# $PSLAB_DIR (default /tmp/psperf-pslab here); the lab is taken down on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/build/pacscan runs=3 ports=104,2761,4242,8042,11112
while (($#)); do
  case $1 in
    --pacscan) bin=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "lab bench: needs root" >&2; exit 2; }
bin=$(realpath "$bin")
export PSLAB_DIR=${PSLAB_DIR:-/tmp/psperf-pslab}
work=$(mktemp -d /tmp/psperf-labbench.XXXXXX)
lab() { bash "$here/tests/lab/lab.sh" "$@"; }
trap 'lab down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
lab up >"$work/lab-up.log" 2>&1 || { cat "$work/lab-up.log" >&2; exit 1; }

targets=198.18.0.8-47
stats() { sort -g | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
  printf "median %.2f (min %.2f, max %.2f, n=%d)", m, v[1], v[NR], NR}'; }
timed() {  # out-prefix, command... -> "secs kib"
  local t=$1; shift
  lab exec /usr/bin/time -f "%e %M" -o "$t" "$@" >"$t.log" 2>&1 || true
  cat "$t"
}

for variant in stalling clean; do
  excl=198.18.0.30
  [[ $variant == clean ]] && excl=198.18.0.30,198.18.0.20,198.18.0.21
  echo "== $variant: $targets --exclude $excl -p $ports"
  echo "   pacscan: $bin scan $targets --exclude $excl -p $ports --called-aet QRSCP -q"
  echo "   nmap:    nmap -n -Pn --script dicom-ping -p $ports $targets --exclude $excl"
  : >"$work/$variant.p"; : >"$work/$variant.n"
  for ((r = 1; r <= runs; r++)); do
    out=$work/p-$variant-$r
    read -r ps pk < <(timed "$work/tp" "$bin" scan "$targets" --exclude "$excl" -p "$ports" \
      --called-aet QRSCP -q -o "$out")
    pf=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
print(sum(1 for e in d['endpoints'] if e.get('speaks_dicom')))" "$out/scan.json" 2>/dev/null || echo 0)
    read -r ns nk < <(timed "$work/tn" nmap -n -Pn --script dicom-ping -p "$ports" \
      -oX "$work/n.xml" "$targets" --exclude "$excl")
    nf=$(grep -c 'id="dicom-ping"' "$work/n.xml" || true)
    echo "$ps $pk" >>"$work/$variant.p"; echo "$ns $nk" >>"$work/$variant.n"
    printf '   run %d  pacscan %6.2f s %4d MiB %2d DICOM   nmap %6.2f s %4d MiB %2d dicom-ping   ratio %.2f\n' \
      "$r" "$ps" "$((pk / 1024))" "$pf" "$ns" "$((nk / 1024))" "$nf" "$(echo "$ps / $ns" | bc -l)"
  done
  echo "   pacscan wall s: $(cut -d' ' -f1 "$work/$variant.p" | stats)"
  echo "   nmap wall s:    $(cut -d' ' -f1 "$work/$variant.n" | stats)"
  paste -d' ' "$work/$variant.p" "$work/$variant.n" | awk '{print $1/$3}' >"$work/ratio"
  echo "   ratio pacscan/nmap: $(stats <"$work/ratio")"
done
