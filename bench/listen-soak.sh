#!/usr/bin/env bash
# `pacscan listen` under sustained traffic: tcpreplay loops crafted captures (short associations,
# a tag flood, a scan of many flows, a memory hog, timestamps running backwards) at a high rate
# into a veth pair inside a network namespace made for the run (nothing leaves it; addresses are
# 198.18.0.0/15), while pacscan listens on the other end. Its RSS is sampled every 10 s; the
# summary compares the start, the middle and the end. Figures are printed, never asserted.
#   sudo bash bench/listen-soak.sh [path/to/pacscan] [minutes] [Mbit/s]
# Needs root, iproute2, tcpreplay. The namespace (pswp-soak-PID) is removed on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$here/build/pacscan}")
minutes=${2:-30}
mbps=${3:-100}
ns=pswp-soak-$$
work=$(mktemp -d)
cleanup() {
  [[ -n "${lis:-}" ]] && kill "$lis" 2>/dev/null || true
  [[ -n "${rep:-}" ]] && kill "$rep" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
command -v tcpreplay >/dev/null || { echo "listen-soak: tcpreplay is missing" >&2; exit 1; }

/usr/bin/python3 "$here/samples/pcaps/make-hostile.py" "$work/caps" --scale 0.02 \
  --only backwards,tag_flood,many_flows,memory_hog,tiny_pdus,command_flood,deep_sequences,time_jumps
ip netns add "$ns"
ip -n "$ns" link add soak-a type veth peer name soak-b
ip -n "$ns" link set lo up
ip -n "$ns" link set soak-a up
ip -n "$ns" link set soak-b up
ip -n "$ns" addr add 198.18.255.1/30 dev soak-a
ip -n "$ns" addr add 198.18.255.2/30 dev soak-b

secs=$((minutes * 60))
ip netns exec "$ns" "$bin" listen -i soak-b --duration "$((secs + 60))s" -o "$work/out" \
  --format json >"$work/listen.log" 2>&1 &
lis=$!
sleep 2
ip netns exec "$ns" tcpreplay -q -i soak-a --mbps="$mbps" --loop=0 "$work"/caps/*.pcap \
  >"$work/replay.log" 2>&1 &
rep=$!
pid=$(pgrep -P "$lis" -x pacscan || echo "$lis")
echo "listening (pid $pid) for $minutes min, replaying at $mbps Mbit/s; RSS every 10 s:"
echo "seconds,rss_kib" >"$work/rss.csv"
start=$(date +%s)
while :; do
  now=$(( $(date +%s) - start ))
  (( now > secs )) && break
  rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
  echo "$now,$rss" >>"$work/rss.csv"
  (( now % 300 < 10 )) && echo "  t=${now}s RSS ${rss} KiB"
  sleep 10
done
kill -INT "$rep" 2>/dev/null || true
wait "$rep" 2>/dev/null || true
rep=
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo "?")
kill -INT "$pid" 2>/dev/null || true
wait "$lis" 2>/dev/null || true
lis=
grep -E "Actual|Rated" "$work/replay.log" || true
/usr/bin/python3 - "$work/rss.csv" "$hwm" "$work/out/scan.json" <<'PY'
import csv, json, sys
rows = [(int(r["seconds"]), int(r["rss_kib"])) for r in csv.DictReader(open(sys.argv[1]))]
rows = [r for r in rows if r[1] > 0]
n = len(rows)
def band(a, b):
    sel = [k for s, k in rows if a <= s < b]
    return (min(sel), max(sel)) if sel else (0, 0)
end = rows[-1][0]
print(f"samples: {n}, peak RSS (VmHWM) {sys.argv[2]} KiB")
for label, a, b in (("first 5 min", 0, 300), ("middle", end // 2 - 150, end // 2 + 150),
                    ("last 5 min", end - 300, end + 1)):
    lo, hi = band(a, b)
    print(f"  {label:12s} RSS {lo / 1024:7.1f} .. {hi / 1024:7.1f} MiB")
try:
    s = json.load(open(sys.argv[3]))
    obs = [o for o in s["observations"] if o["probe"] == "passive_dicom"]
    total = sum(1 + o["data"].get("repeats", 0) for o in obs)
    print(f"observations: {len(obs)} ({total} associations with repeats)")
    for note in s["meta"]["notes"]:
        print(f"  note: {note}")
except Exception as e:  # the report is a by-product here
    print(f"(no scan.json: {e})")
PY
