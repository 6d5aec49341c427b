#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Farm benchmark: N live DICOM servers among M addresses of one Ethernet segment, scanned by
# pacscan (full safe profile, default limits) and by nmap's dicom-ping, back to back in the same
# run, from the same scanner namespace. Prints wall time, peak RSS and endpoints found for each
# run, then median and spread, and the pacscan/nmap ratio. Figures are printed, never asserted.
#
#   sudo bash bench/farm.sh [options]
#     --pacscan BIN        pacscan binary (default build/pacscan)
#     --live N             live hosts (default 1000); each one its own namespace and storescp
#     --addresses M        addresses in scope (default 2048): 198.18.0.0/(32-log2 M)
#     --ports LIST         ports each live host serves with storescp (default 104)
#     --runs R             runs of each tool (default 3)
#     --no-nmap            pacscan only (a /16 with nmap -Pn takes long)
#     --pacscan-args "..." extra arguments for pacscan scan
#     --keep               leave the farm up after the runs (tear down with --down)
#     --down               tear a kept farm down and exit
#
# Layout (198.18.0.0/15, no route out, nothing connected to the host's own network): namespace
# psperf-scan holds the bridge br0 with the scanner's address 198.19.255.254/15; each live host
# is a namespace psperf-hK with one veth on br0 and one address, spread evenly over the scope,
# and one single-process storescp per port (a device answers one association at a time, as most
# do). Up to 1020 hosts (a Linux bridge has at most 1024 ports).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/build/pacscan
live=1000 addresses=2048 ports=104 runs=3 nmap=1 extra="" keep=0 down=0
while (($#)); do
  case $1 in
    --pacscan) bin=$2; shift 2 ;;
    --live) live=$2; shift 2 ;;
    --addresses) addresses=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --no-nmap) nmap=0; shift ;;
    --pacscan-args) extra=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --down) down=1; shift ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "farm: needs root (network namespaces)" >&2; exit 2; }
bin=$(realpath -m "$bin")
state=/tmp/psperf-farm
SCAN=psperf-scan

teardown() {
  if [[ -f $state/pids ]]; then
    # only processes we started (same start time), never by name
    local victims=()
    while read -r pid st; do
      [[ -d /proc/$pid && $(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null) == "$st" ]] &&
        victims+=("$pid")
    done <"$state/pids"
    ((${#victims[@]})) && kill -TERM "${victims[@]}" 2>/dev/null || true
    sleep 0.5
    ((${#victims[@]})) && kill -KILL "${victims[@]}" 2>/dev/null || true
  fi
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep '^psperf-' || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
  if [[ -f $state/sysctl ]]; then
    read -r g1 g2 g3 b <"$state/sysctl" || true
    sysctl -qw net.ipv4.neigh.default.gc_thresh1="$g1" net.ipv4.neigh.default.gc_thresh2="$g2" \
      net.ipv4.neigh.default.gc_thresh3="$g3" net.core.netdev_max_backlog="$b" || true
  fi
  rm -rf "$state"
}

if ((down)); then teardown; exit 0; fi
[[ -x $bin ]] || { echo "farm: no pacscan binary at $bin (--pacscan BIN)" >&2; exit 2; }
exec 9>/tmp/psperf.lock
flock -n 9 || { echo "farm: another psperf bench is running (/tmp/psperf.lock)" >&2; exit 3; }
((live >= 1 && live <= 1020)) || { echo "farm: --live 1..1020" >&2; exit 2; }
bits=0; while (((1 << bits) < addresses)); do bits=$((bits + 1)); done
((1 << bits == addresses && bits >= 8 && bits <= 16)) || { echo "farm: --addresses: a power of two, 256..65536" >&2; exit 2; }
((live < addresses)) || { echo "farm: more live hosts than addresses" >&2; exit 2; }
scope="198.18.0.0/$((32 - bits))"

teardown
((keep)) || trap teardown EXIT
trap 'exit 130' INT TERM
mkdir -p "$state/logs"
: >"$state/pids"
# Two kernel limits sized for a real machine, not for 1000 simulated hosts on one: the neighbour
# table is shared by all namespaces (gc_thresh3 1024: "neighbour table overflow"), and one ARP
# broadcast on the bridge becomes 1000 frames queued at once on the CPU's backlog (1000 by
# default: most of them dropped, so nmap and pacscan both lose hosts at random). A real switch
# floods in hardware. Raised for the run, restored on exit.
echo "$(sysctl -n net.ipv4.neigh.default.gc_thresh1 net.ipv4.neigh.default.gc_thresh2 \
  net.ipv4.neigh.default.gc_thresh3 net.core.netdev_max_backlog | tr '\n' ' ')" >"$state/sysctl"
sysctl -qw net.ipv4.neigh.default.gc_thresh1=8192 net.ipv4.neigh.default.gc_thresh2=32768 \
  net.ipv4.neigh.default.gc_thresh3=65536 net.core.netdev_max_backlog=65536

addr_of() {  # index (0-based) within the scope -> dotted quad
  local v=$(((198 << 24) + (18 << 16) + $1))
  echo "$((v >> 24 & 255)).$((v >> 16 & 255)).$((v >> 8 & 255)).$((v & 255))"
}

echo "farm: building $live live host(s) among $addresses addresses ($scope), ports $ports" >&2
t0=$SECONDS
ip netns add $SCAN
ip -n $SCAN link set lo up
ip -n $SCAN link add br0 type bridge stp_state 0 forward_delay 0
ip -n $SCAN link set br0 up
ip -n $SCAN addr add 198.19.255.254/15 dev br0
ip netns exec $SCAN sysctl -qw net.ipv6.conf.all.disable_ipv6=1
: >"$state/live"
batch=$state/links.batch
: >"$batch"
for ((k = 0; k < live; k++)); do
  idx=$((1 + k * (addresses - 2) / live))  # spread evenly, never the scope's first address
  echo "$(addr_of "$idx")" >>"$state/live"
  ip netns add "psperf-h$k"
  echo "link add v$k type veth peer name eth0 netns psperf-h$k" >>"$batch"
  echo "link set v$k master br0 up" >>"$batch"
done
ip -n $SCAN -batch "$batch"
k=0
while read -r a; do
  ns=psperf-h$k
  ip netns exec "$ns" sh -c "sysctl -qw net.ipv6.conf.all.disable_ipv6=1; ip link set lo up; \
    ip addr add $a/15 dev eth0; ip link set eth0 up"
  for p in ${ports//,/ }; do
    ip netns exec "$ns" env TCP_NODELAY=1 storescp -aet STORESCP -od /tmp "$p" \
      >/dev/null 2>&1 </dev/null 9>&- &
    echo "$! $(awk '{print $22}' "/proc/$!/stat")" >>"$state/pids"
  done
  k=$((k + 1))
done <"$state/live"
# Ready when every live endpoint accepts a connection (storescp logs the empty association).
ip netns exec $SCAN /usr/bin/python3 - "$state/live" "$ports" <<'EOF'
import socket, sys, time
hosts = open(sys.argv[1]).read().split()
ports = [int(p) for p in sys.argv[2].split(",")]
todo = {(h, p) for h in hosts for p in ports}
end = time.time() + 120
while todo and time.time() < end:
    for hp in list(todo):
        try:
            socket.create_connection(hp, 1).close()
            todo.discard(hp)
        except OSError:
            pass
    if todo:
        time.sleep(0.5)
if todo:
    sys.exit(f"farm: {len(todo)} endpoint(s) not ready")
EOF
echo "farm: up in $((SECONDS - t0)) s" >&2
nlive=$((live * $(echo "$ports" | tr ',' '\n' | wc -l)))

# median and spread (min-max) of a list of numbers
stats() { sort -g | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
  printf "median %.2f (min %.2f, max %.2f, n=%d)", m, v[1], v[NR], NR}'; }

# Each run of either tool starts cold, as a first scan does: the scanner's kernel knows no
# neighbour yet (a tool's TCP connects resolve MAC addresses through the kernel, whatever its own
# ARP discovery learned; the previous run would otherwise have resolved them for the next).
cold() { ip -n $SCAN neigh flush all >/dev/null 2>&1 || true; }

run_pacscan() {  # run number -> "secs kib found"
  local out=$state/p$1
  rm -rf "$out"
  cold
  ip netns exec $SCAN /usr/bin/time -f "%e %M" -o "$state/time" env TCP_NODELAY=1 "$bin" scan \
    "$scope" -p "$ports" -q -o "$out" $extra >"$state/logs/pacscan$1.log" 2>&1 || true
  local found
  found=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
print(sum(1 for e in d['endpoints'] if e.get('speaks_dicom')))" "$out/scan.json" 2>/dev/null || echo 0)
  # Written back now, untimed: the next run (either tool) starts on a quiet file system, as a
  # user's one scan does, instead of sharing the disk with this run's 140 MB of reports.
  sync
  echo "$(cat "$state/time") $found"
}
run_nmap() {
  cold
  ip netns exec $SCAN /usr/bin/time -f "%e %M" -o "$state/time" nmap -n -Pn -p "$ports" \
    --script dicom-ping -oX "$state/nmap$1.xml" "$scope" >"$state/logs/nmap$1.log" 2>&1 || true
  local found
  found=$(grep -c 'id="dicom-ping"' "$state/nmap$1.xml" || true)
  echo "$(cat "$state/time") $found"
}

# Outputs of an earlier run of this bench are removed, and written back, before the first run: a
# large folder deleted just before a scan makes its report writing wait on the file system. And
# the runs start once the farm's start-up is over (CPU mostly idle, at most 60 s).
rm -rf "$state"/p[0-9]*
sync
cpu_idle() {  # percent idle over one second
  local a b
  read -r _ a1 a2 a3 a4 a5 _ </proc/stat; a=$((a1 + a2 + a3 + a4 + a5))
  sleep 1
  read -r _ b1 b2 b3 b4 b5 _ </proc/stat; b=$((b1 + b2 + b3 + b4 + b5))
  echo $(((b4 - a4) * 100 / (b - a > 0 ? b - a : 1)))
}
for ((w = 0; w < 60; w++)); do (($(cpu_idle) >= 90)) && break; done

echo "farm: $nlive live DICOM endpoint(s) in $scope; pacscan: $bin scan $scope -p $ports $extra"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$state/p.txt"; : >"$state/n.txt"
for ((r = 1; r <= runs; r++)); do
  read -r ps pk pf < <(run_pacscan "$r")
  echo "$ps $pk $pf" >>"$state/p.txt"
  printf 'run %d  pacscan %7.2f s %6d MiB  %d/%d DICOM' "$r" "$ps" "$((pk / 1024))" "$pf" "$nlive"
  if ((nmap)); then
    read -r ns nk nf < <(run_nmap "$r")
    echo "$ns $nk $nf" >>"$state/n.txt"
    printf '   nmap %7.2f s %6d MiB  %d/%d dicom-ping   ratio %.2f' "$ns" "$((nk / 1024))" "$nf" \
      "$nlive" "$(echo "$ps / $ns" | bc -l)"
  fi
  echo "   (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "pacscan wall s:      $(cut -d' ' -f1 "$state/p.txt" | stats)"
echo "pacscan peak RSS MiB: $(awk '{print $2/1024}' "$state/p.txt" | stats)"
echo "pacscan found:       $(cut -d' ' -f3 "$state/p.txt" | tr '\n' ' ')of $nlive"
if ((nmap)); then
  echo "nmap wall s:         $(cut -d' ' -f1 "$state/n.txt" | stats)"
  echo "nmap found:          $(cut -d' ' -f3 "$state/n.txt" | tr '\n' ' ')of $nlive"
  paste -d' ' "$state/p.txt" "$state/n.txt" | awk '{print $1/$4}' >"$state/ratio.txt"
  echo "ratio pacscan/nmap:  $(stats <"$state/ratio.txt")"
fi
if ((keep)); then echo "farm kept: sudo bash $0 --down to remove it" >&2; fi
