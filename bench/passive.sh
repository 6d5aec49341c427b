#!/usr/bin/env bash
# Passive parse throughput: MB/s of capture for `pacscan pcap` and for tshark's DICOM dissector on
# the same larger capture, built from the sample captures (samples/pcaps): the store, find and echo
# connections repeated N times with distinct client ports and shifted times. Figures are printed,
# never asserted.
#   bash bench/passive.sh [path/to/pacscan] [copies]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$here/build/pacscan}")
copies=${2:-3000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 - "$here/samples/pcaps" "$work/big.pcap" "$copies" <<'EOF'
import struct, sys
src, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
def packets(path):
    d = open(path, "rb").read()
    off, pk = 24, []
    while off + 16 <= len(d):
        sec, usec, cl, ol = struct.unpack("<IIII", d[off:off + 16])
        pk.append((sec, usec, d[off + 16:off + 16 + cl], ol))
        off += 16 + cl
    return d[:24], pk
flows = []
for name, port in (("store.pcap", 11112), ("find.pcap", 11113), ("echo.pcap", 11112)):
    hdr, pk = packets(f"{src}/{name}")
    flows.append((port, pk))
with open(out, "wb") as f:
    f.write(hdr)
    t = 1_700_000_000 * 1_000_000
    for i in range(copies):
        for port, pk in flows:
            cport = 20000 + (i * 3 + flows.index((port, pk))) % 40000
            base = pk[0][0] * 1_000_000 + pk[0][1]
            for sec, usec, data, ol in pk:
                b = bytearray(data)
                ip = 14
                ihl = (b[ip] & 15) * 4
                tcp = ip + ihl
                sp, dp = struct.unpack(">HH", b[tcp:tcp + 4])
                if dp == port:
                    b[tcp:tcp + 2] = struct.pack(">H", cport)
                else:
                    b[tcp + 2:tcp + 4] = struct.pack(">H", cport)
                ts = t + (sec * 1_000_000 + usec - base)
                f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(b), ol))
                f.write(b)
            t += 20_000
EOF
bytes=$(stat -c %s "$work/big.pcap")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1e6 }')
echo "capture: $mb MB, $((copies * 3)) associations (store, find, echo x $copies)"
measure() {  # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out.log" 2>&1 || true
  read -r secs kib <"$work/time"
  awk -v l="$label" -v s="$secs" -v m="$mb" -v k="$kib" \
    'BEGIN { printf "%-44s %7.2f s %8.1f MB/s %6d MiB peak RSS\n", l, s, (s > 0 ? m / s : 0), k / 1024 }'
}
measure "pacscan pcap (all reports)" "$bin" pcap "$work/big.pcap" -o "$work/out"
measure "pacscan pcap (scan.json only)" "$bin" pcap "$work/big.pcap" -o "$work/out2" --format json
if command -v tshark >/dev/null; then
  measure "tshark DICOM dissector (AE titles, info)" tshark -r "$work/big.pcap" \
    -d tcp.port==11112,dicom -d tcp.port==11113,dicom -Y dicom -T fields \
    -e dicom.assoc.ae.calling -e dicom.assoc.ae.called -e _ws.col.Info
else
  echo "tshark not installed: no comparison"
fi
n=$(/usr/bin/python3 -c "import json,sys; o=json.load(open(sys.argv[1]))['observations']; \
print(len(o), sum(1 + x['data'].get('repeats', 0) for x in o))" "$work/out2/scan.json" 2>/dev/null \
  || echo "? ?")
# Past the summary budget (--max-summary) identical associations are folded: count the repeats.
echo "pacscan found $n" | awk '{ printf "pacscan found %s associations (%s observations)\n", $4, $3 }'
