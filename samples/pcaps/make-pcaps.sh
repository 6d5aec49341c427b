#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Makes the synthetic sample captures of passive analysis (pacscan pcap) from a loopback lab.
# Everything runs inside a private network namespace (`unshare -n`, only `lo`): no packet can
# leave it. Needs root (unshare), tcpdump, openssl, python3 and DCMTK (storescp, echoscu, storescu,
# findscu, dcmqrscp, dump2dcm). The only patient data is the canary name CANARY^PASSIVE^TEST.
#
#   samples/pcaps/make-pcaps.sh [OUTDIR]      (default: the folder of this script)
#
# Captures written (each a few KiB, Ethernet link type as tcpdump records `lo`):
#   echo.pcap    echoscu -> storescp :11112, C-ECHO, released
#   store.pcap   storescu -> storescp :11112, C-STORE of a synthetic secondary capture image
#                whose PatientName is the canary, released
#   find.pcap    findscu -> dcmqrscp :11113, Study Root C-FIND with the canary name as key
#   tls.pcap     echoscu +tls -> storescp +tls :2762 (throwaway self-signed certificate)
#   abort.pcap   echoscu -> a python responder on :11114 that answers the A-ASSOCIATE-RQ with an
#                A-ABORT (source 2, reason 0)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(realpath -m "${1:-$HERE}")

if [[ "${PACSCAN_PCAP_SANDBOX:-}" != "1" ]]; then
  exec env PACSCAN_PCAP_SANDBOX=1 unshare -n -- "$0" "$OUT"
fi
ip link set lo up
for tool in tcpdump openssl python3 storescp echoscu storescu findscu dcmqrscp dump2dcm; do
  command -v "$tool" >/dev/null || { echo "make-pcaps: $tool is missing" >&2; exit 1; }
done

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/pacscan-pcaps.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export TCP_NODELAY=1

wait_port() {  # PORT: wait until something listens on 127.0.0.1:PORT
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1).close()" \
        "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "make-pcaps: nothing listens on port $1" >&2
  return 1
}

# capture NAME PORT: starts tcpdump on lo for PORT, writing OUT/NAME.pcap
capture_start() {
  tcpdump -Z root --immediate-mode -i lo -s 0 -U -w "$OUT/$1.pcap" "tcp port $2" 2>"$WORK/tcpdump-$1.log" &
  TCPDUMP=$!
  CAPNAME=$1
  for _ in $(seq 1 50); do
    grep -q "listening on" "$WORK/tcpdump-$1.log" && { sleep 0.3; break; }
    sleep 0.1
  done
}
capture_stop() {
  sleep 0.5
  kill -TERM "$TCPDUMP"
  wait "$TCPDUMP" 2>/dev/null || true
  grep -h "captured" "$WORK/tcpdump-$CAPNAME.log" || true
}

# The wait between connections (storescp's wait for the connection port probe) would add noise:
# wait_port connects once; the capture starts after it.

# ---- storescp (echo, store) ----
mkdir -p "$WORK/store"
storescp -aet STORESCP -od "$WORK/store" 11112 >"$WORK/storescp.log" 2>&1 &
PIDS+=($!)
wait_port 11112

capture_start echo 11112
echoscu -aet ECHOSCU -aec STORESCP 127.0.0.1 11112
capture_stop

cat >"$WORK/canary.dump" <<'EOF'
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.10.1138.77.1.1.1]
(0008,0020) DA [20200101]
(0008,0050) SH [CANARYACC1]
(0008,0060) CS [OT]
(0008,0090) PN [CANARY^REFERRING]
(0010,0010) PN [CANARY^PASSIVE^TEST]
(0010,0020) LO [CANARY-PASSIVE-1]
(0010,0030) DA [19700101]
(0010,0040) CS [O]
(0020,000d) UI [1.2.826.0.1.3680043.10.1138.77.1]
(0020,000e) UI [1.2.826.0.1.3680043.10.1138.77.1.1]
(0020,0010) SH [CANARY]
(0020,0011) IS [1]
(0020,0013) IS [1]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 4
(0028,0011) US 4
(0028,0100) US 8
(0028,0101) US 8
(0028,0102) US 7
(0028,0103) US 0
(7fe0,0010) OB 00\10\20\30\40\50\60\70\80\90\a0\b0\c0\d0\e0\f0
EOF
dump2dcm -q +te "$WORK/canary.dump" "$WORK/canary.dcm"

capture_start store 11112
storescu -R -aet STORESCU -aec STORESCP 127.0.0.1 11112 "$WORK/canary.dcm"
capture_stop

# ---- dcmqrscp (find) ----
mkdir -p "$WORK/qrdb"
cat >"$WORK/dcmqrscp.cfg" <<EOF
NetworkTCPPort  = 11113
MaxPDUSize      = 16384
MaxAssociations = 4
HostTable BEGIN
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
QRSCP   $WORK/qrdb   R   (10, 1024mb)   ANY
AETable END
EOF
dcmqrscp -c "$WORK/dcmqrscp.cfg" >"$WORK/dcmqrscp.log" 2>&1 &
PIDS+=($!)
wait_port 11113
capture_start find 11113
findscu -S -aet FINDSCU -aec QRSCP -k QueryRetrieveLevel=STUDY \
  -k "PatientName=CANARY^PASSIVE^TEST" -k StudyInstanceUID 127.0.0.1 11113 || true
capture_stop

# ---- TLS (storescp +tls on 2762) ----
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -days 2 -subj "/CN=pacscan-sample-tls" >/dev/null 2>&1
storescp -aet TLSSCP -od "$WORK/store" +tls "$WORK/key.pem" "$WORK/cert.pem" -ic 2762 \
  >"$WORK/storescp-tls.log" 2>&1 &
PIDS+=($!)
wait_port 2762
sleep 0.5
capture_start tls 2762
echoscu -aet TLSSCU -aec TLSSCP +tla -ic 127.0.0.1 2762
capture_stop

# ---- abort: a responder that answers every A-ASSOCIATE-RQ with an A-ABORT ----
cat >"$WORK/aborter.py" <<'EOF'
import socket, struct
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 11114))
s.listen(4)
while True:
    c, _ = s.accept()
    hdr = b""
    while len(hdr) < 6:
        b = c.recv(6 - len(hdr))
        if not b:
            break
        hdr += b
    if len(hdr) == 6:
        left = struct.unpack(">I", hdr[2:6])[0]
        while left > 0:
            b = c.recv(min(left, 65536))
            if not b:
                break
            left -= len(b)
        c.sendall(bytes([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 0]))  # A-ABORT, source 2, reason 0
    c.close()
EOF
python3 "$WORK/aborter.py" &
PIDS+=($!)
wait_port 11114
capture_start abort 11114
echoscu -aet ECHOSCU -aec ABORTSCP 127.0.0.1 11114 || true
capture_stop

ls -l "$OUT"/*.pcap
