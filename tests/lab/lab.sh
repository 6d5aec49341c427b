#!/usr/bin/env bash
# pacscan sample imaging lab: real DICOM servers and hostile hosts in Linux network namespaces.
#
#   tests/lab/lab.sh up [--farm N]   build the lab (cleans a previous one first), wait until ready
#   tests/lab/lab.sh down            stop exactly the processes `up` started, delete the namespaces
#   tests/lab/lab.sh status          namespaces, processes, liveness
#   tests/lab/lab.sh check           validate every host's behaviour with DCMTK's own tools
#   tests/lab/lab.sh exec CMD...     run CMD in the scanner namespace (pslab-scan)
#
# Needs root, iproute2, dcmtk, orthanc, python3. Addresses are in 198.18.0.0/15 only; no
# namespace has a default route and nothing is connected to the host's own network, so nothing
# here can reach any other address. Logs, configs, storage and PIDs live in $PSLAB_DIR
# (default /tmp/pslab).
#
# Hub: pslab-hub holds a bridge; every other namespace hangs off it with a veth (eth0 inside).
#   198.18.0.2   pslab-scan    the scanner (no default route)
#   198.18.0.10  pslab-store   storescp --fork on 104 and 11112 (accepts any AE), and with DICOM
#                              TLS on 2762 (self-signed RSA-2048 made here, no client certificate)
#   198.18.0.11  pslab-qr      dcmqrscp AE QRSCP on 104; only peer AE FINDSCU from host
#                              "pslab-scan" (198.18.0.2, via /etc/netns/pslab-qr/hosts)
#   198.18.0.12  pslab-orthopen  Orthanc permissive: DICOM 4242, HTTP 8042, no auth
#   198.18.0.13  pslab-orthhard  Orthanc hardened: called AE checked (ORTHANC), echo/store only
#                              for the one known modality CT-7F3A, HTTP auth on
#   198.18.0.20  pslab-hostile HTTP on 104, tarpit 11112, garbage 4242, hugepdu 5678, drip 2761
#   198.18.0.21  pslab-drop    silently drops TCP (its TCP replies are blackholed; ARP answered)
#   198.18.0.30  pslab-excl    recorder on every default port + sniffer (the scan excludes it)
#   198.18.0.7   pslab-out     recorders + sniffers on .7 and .48: just outside 198.18.0.8-47
#   198.18.0.48
#   198.18.16.x  pslab-farm    (--farm N) N addresses sharing one storescp --fork on 104
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PSLAB_DIR=${PSLAB_DIR:-/tmp/pslab}
HOSTILE="$HERE/hostile.py"
PY=/usr/bin/python3
SUBNET_PREFIX=24
DEFAULT_PORTS=104,11112,2761,2762,4242,5678,8042,80,443,8080,8443
CANARY_NAME="PACSCAN^CANARY^DO-NOT-LEAK"

# name ip...  (the first namespace entry "scan" is the scanner)
HOSTS=(
  "scan 198.18.0.2"
  "store 198.18.0.10"
  "qr 198.18.0.11"
  "orthopen 198.18.0.12"
  "orthhard 198.18.0.13"
  "hostile 198.18.0.20"
  "drop 198.18.0.21"
  "excl 198.18.0.30"
  "out 198.18.0.7 198.18.0.48"
)
HUB=pslab-hub
SCAN=pslab-scan

die() { echo "lab: $*" >&2; exit 1; }
say() { echo "lab: $*" >&2; }

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root"; }

# ---------------------------------------------------------------- processes
proc_start_time() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null || true; }

# start NAME NS CMD... : run CMD in namespace NS, output to $PSLAB_DIR/logs/NAME.log
start() {
  local name=$1 ns=$2; shift 2
  ip netns exec "$ns" env TCP_NODELAY=1 "$@" >"$PSLAB_DIR/logs/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $(proc_start_time "$pid") $name" >>"$PSLAB_DIR/pids"
}

descendants() {  # all descendants of PID (by walking /proc once)
  local root=$1
  ps -e -o pid=,ppid= | awk -v r="$root" '
    { pp[$1]=$2; ids[NR]=$1 }
    END { changed=1; inset[r]=1
          while (changed) { changed=0
            for (i in ids) { p=ids[i]; if (!(p in inset) && (pp[p] in inset)) { inset[p]=1; changed=1 } } }
          for (p in inset) if (p != r) print p }'
}

stop_all() {  # stop_all [LABDIR]
  local f="${1:-$PSLAB_DIR}/pids"
  [[ -f $f ]] || return 0
  local victims=()
  while read -r pid st name; do
    [[ -n ${pid:-} ]] || continue
    # only a process that is still the one we started (same start time)
    if [[ -d /proc/$pid && "$(proc_start_time "$pid")" == "$st" ]]; then
      victims+=("$pid")
      while read -r d; do [[ -n $d ]] && victims+=("$d"); done < <(descendants "$pid")
    fi
  done <"$f"
  if ((${#victims[@]})); then
    kill -TERM "${victims[@]}" 2>/dev/null || true
    for _ in $(seq 30); do
      local alive=0
      for p in "${victims[@]}"; do [[ -d /proc/$p ]] && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
    kill -KILL "${victims[@]}" 2>/dev/null || true
  fi
  rm -f "$f"
}

# ---------------------------------------------------------------- namespaces
lab_namespaces() {
  local h
  for h in "${HOSTS[@]}"; do set -- $h; echo "pslab-$1"; done
  echo pslab-farm
  echo "$HUB"
}

delete_namespaces() {
  local ns
  for ns in $(lab_namespaces); do
    if ip netns list | awk '{print $1}' | grep -x "$ns" >/dev/null; then ip netns del "$ns"; fi
    rm -rf "/etc/netns/$ns"
  done
}

mk_ns() {  # mk_ns NAME IP...
  local name=$1; shift
  local ns="pslab-$name"
  ip netns add "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip -n "$HUB" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$HUB" link set "v-$name" master br0 up
  local ip
  for ip in "$@"; do ip -n "$ns" addr add "$ip/$SUBNET_PREFIX" dev eth0; done
  ip -n "$ns" link set eth0 up
  # name resolution inside the namespace: files only, no DNS server reachable anyway
  mkdir -p "/etc/netns/$ns"
  {
    echo "127.0.0.1 localhost"
    echo "198.18.0.2 pslab-scan"
    echo "198.18.0.10 pslab-store"
    echo "198.18.0.11 pslab-qr"
    echo "198.18.0.12 pslab-orthopen"
    echo "198.18.0.13 pslab-orthhard"
  } >"/etc/netns/$ns/hosts"
  echo "options timeout:1 attempts:1" >"/etc/netns/$ns/resolv.conf"
}

build_network() {
  ip netns add "$HUB"
  ip netns exec "$HUB" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$HUB" link set lo up
  ip -n "$HUB" link add br0 type bridge stp_state 0 forward_delay 0
  ip -n "$HUB" link set br0 up
  local h
  for h in "${HOSTS[@]}"; do mk_ns $h; done
  # drop-all host: every TCP packet it would send (SYN-ACK, RST) goes to a blackhole
  ip netns exec pslab-drop sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
  ip -n pslab-drop rule add ipproto tcp lookup 100 pref 100
  ip -n pslab-drop route add blackhole default table 100
}

build_farm() {
  local n=$1
  ((n >= 1 && n <= 4000)) || die "--farm N: 1..4000"
  mk_ns farm
  ip -n pslab-farm addr flush dev eth0
  local batch="$PSLAB_DIR/farm.batch" i=0 k=0
  : >"$batch"
  while ((k < n)); do   # 198.18.16.1 onwards, skipping .0 and .255 host parts
    i=$((i + 1))
    ((i % 256 == 0 || i % 256 == 255)) && continue
    echo "addr add 198.18.$((16 + i / 256)).$((i % 256))/20 dev eth0" >>"$batch"
    k=$((k + 1))
  done
  ip -n pslab-farm -batch "$batch"
  ip -n pslab-farm route add 198.18.0.0/24 dev eth0 scope link
  ip -n "$SCAN" route add 198.18.16.0/20 dev eth0 scope link
  mkdir -p "$PSLAB_DIR/farm"
  start farm-storescp pslab-farm storescp --fork -aet STORESCP -od "$PSLAB_DIR/farm" 104
}

# ---------------------------------------------------------------- servers
write_configs() {
  local d=$PSLAB_DIR
  mkdir -p "$d/logs" "$d/store/104" "$d/store/11112" "$d/store/2762" "$d/qr/db" \
           "$d/orthopen/storage" "$d/orthhard/storage" "$d/www" "$d/rec" "$d/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -keyout "$d/tls/store.key" \
    -out "$d/tls/store.crt" -subj "/CN=pslab-store.invalid/O=pacscan lab" \
    -addext "subjectAltName=IP:198.18.0.10" 2>/dev/null || die "openssl: lab certificate"
  cat >"$d/qr/dcmqrscp.cfg" <<EOF
# generated by tests/lab/lab.sh
NetworkTCPPort  = 104
MaxPDUSize      = 16384
MaxAssociations = 16
HostTable BEGIN
findscu = (FINDSCU, pslab-scan, 0)
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
QRSCP  $d/qr/db  RW  (50, 64mb)  findscu
AETable END
EOF
  local t
  for t in permissive:orthopen hardened:orthhard; do
    sed -e "s#@STORAGE@#$d/${t#*:}/storage#" -e 's/@HTTP_PORT@/8042/' -e 's/@DICOM_PORT@/4242/' \
      "$HERE/orthanc-${t%%:*}.json" >"$d/${t#*:}/orthanc.json"
  done
  # a synthetic object whose patient name is a canary: it must never appear in any output
  cat >"$d/canary.dump" <<EOF
(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.10.1138.9.1.1.1]
(0008,0020) DA [20200101]
(0008,0060) CS [OT]
(0010,0010) PN [$CANARY_NAME]
(0010,0020) LO [CANARY-0001]
(0020,000d) UI [1.2.826.0.1.3680043.10.1138.9.1]
(0020,000e) UI [1.2.826.0.1.3680043.10.1138.9.1.1]
(0020,0010) SH [CANARY]
(0020,0011) IS [1]
(0020,0013) IS [1]
EOF
  dump2dcm -q "$d/canary.dump" "$d/canary.dcm"
}

start_servers() {
  local d=$PSLAB_DIR
  start store-104 pslab-store storescp --fork -aet STORESCP -od "$d/store/104" 104
  start store-11112 pslab-store storescp --fork -aet STORESCP -od "$d/store/11112" 11112
  start store-2762 pslab-store storescp --fork -aet STORESCP -od "$d/store/2762" \
    +tls "$d/tls/store.key" "$d/tls/store.crt" -ic 2762
  dcmqridx "$d/qr/db" "$d/canary.dcm"
  start qr pslab-qr dcmqrscp --fork -c "$d/qr/dcmqrscp.cfg"
  start orthopen pslab-orthopen Orthanc "$d/orthopen/orthanc.json"
  start orthhard pslab-orthhard Orthanc "$d/orthhard/orthanc.json"
  (cd "$d/www" && start hostile-http pslab-hostile "$PY" -u -m http.server --bind 198.18.0.20 104)
  start hostile-tarpit pslab-hostile "$PY" -u "$HOSTILE" tarpit --bind 198.18.0.20 --port 11112
  start hostile-garbage pslab-hostile "$PY" -u "$HOSTILE" garbage --bind 198.18.0.20 --port 4242
  start hostile-hugepdu pslab-hostile "$PY" -u "$HOSTILE" hugepdu --bind 198.18.0.20 --port 5678
  start hostile-drip pslab-hostile "$PY" -u "$HOSTILE" drip --bind 198.18.0.20 --port 2761
  local ip
  for ip in 198.18.0.30:excl 198.18.0.7:out 198.18.0.48:out; do
    local a=${ip%%:*} ns=pslab-${ip#*:}
    start "rec-$a" "$ns" "$PY" -u "$HOSTILE" recorder --bind "$a" --port "$DEFAULT_PORTS" \
      --log "$d/rec/$a.connects"
    start "sniff-$a" "$ns" "$PY" -u "$HOSTILE" sniff --bind "$a" --iface eth0 \
      --log "$d/rec/$a.packets"
  done
}

# ---------------------------------------------------------------- readiness / checks
in_scan() { ip netns exec "$SCAN" env TCP_NODELAY=1 "$@"; }

wait_for() {  # wait_for WHAT SECONDS CMD...
  local what=$1 secs=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || die "$what not ready after ${secs}s (logs: $PSLAB_DIR/logs)"
    sleep 0.2
  done
}

tcp_open() {  # tcp_open IP PORT (from the scanner namespace; not for dcmqrscp or recorders)
  in_scan "$PY" -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close()' "$1" "$2"
}

http_ready() {  # any HTTP answer (401 included) means ready
  in_scan "$PY" - "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
EOF
}

log_has() { grep -q "$2" "$PSLAB_DIR/logs/$1.log"; }
log_count() { [[ $(grep -c "$2" "$PSLAB_DIR/logs/$1.log") -ge $3 ]]; }

wait_ready() {
  wait_for "storescp 198.18.0.10:104" 20 in_scan echoscu -to 2 -ta 2 -td 2 198.18.0.10 104
  wait_for "storescp 198.18.0.10:11112" 20 in_scan echoscu -to 2 -ta 2 -td 2 198.18.0.10 11112
  wait_for "storescp TLS 198.18.0.10:2762" 20 in_scan echoscu -to 2 -ta 2 -td 2 +tla -ic \
    198.18.0.10 2762
  wait_for "dcmqrscp 198.18.0.11:104" 20 in_scan echoscu -to 2 -ta 2 -td 2 -aet FINDSCU -aec QRSCP 198.18.0.11 104
  wait_for "orthanc permissive DICOM" 30 in_scan echoscu -to 2 -ta 2 -td 2 198.18.0.12 4242
  wait_for "orthanc permissive HTTP" 30 http_ready http://198.18.0.12:8042/system
  wait_for "orthanc hardened DICOM" 30 in_scan echoscu -to 2 -ta 2 -td 2 -aet CT-7F3A -aec ORTHANC 198.18.0.13 4242
  wait_for "orthanc hardened HTTP" 30 http_ready http://198.18.0.13:8042/system
  wait_for "hostile http" 10 log_has hostile-http "Serving HTTP"
  local m
  for m in tarpit garbage hugepdu drip; do wait_for "hostile $m" 10 log_has "hostile-$m" "listening"; done
  for m in 198.18.0.30 198.18.0.7 198.18.0.48; do
    wait_for "recorder $m" 10 log_count "rec-$m" "listening on $m:" 11
    wait_for "sniffer $m" 10 log_has "sniff-$m" "sniffing"
  done
  if ip netns list | grep '^pslab-farm' >/dev/null; then
    wait_for "farm storescp" 20 in_scan echoscu -to 2 -ta 2 -td 2 198.18.16.1 104
  fi
  # the canary study goes to both Orthancs (storescp stores it too; dcmqrscp got it by dcmqridx)
  in_scan storescu -q -aec ORTHANC 198.18.0.12 4242 "$PSLAB_DIR/canary.dcm" || die "canary store .12"
  in_scan storescu -q -aet CT-7F3A -aec ORTHANC 198.18.0.13 4242 "$PSLAB_DIR/canary.dcm" || die "canary store .13"
  in_scan storescu -q 198.18.0.10 104 "$PSLAB_DIR/canary.dcm" || die "canary store .10"
}

# expect DESC WANT(0|1) CMD...  : run CMD, compare success with WANT, print a line
CHECK_FAILS=0
expect() {
  local desc=$1 want=$2; shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  local got=$((rc == 0 ? 1 : 0))
  if [[ $got == "$want" ]]; then
    printf 'ok    %s\n' "$desc"
  else
    printf 'FAIL  %s (rc=%s)\n%s\n' "$desc" "$rc" "$(echo "$out" | tail -5 | sed 's/^/      /')"
    CHECK_FAILS=$((CHECK_FAILS + 1))
  fi
}
# reject_reason HOST PORT CALLING CALLED : prints echoscu's reject reason line
reject_reason() {
  in_scan echoscu -to 2 -ta 2 -td 2 -aet "$3" -aec "$4" "$1" "$2" 2>&1 | grep -E 'Reason:' | sed 's/.*Reason: //'
}
grep_eq() { [[ "$("${@:2}")" == "$1" ]]; }

check() {
  local x
  expect "storescp .10:104 echo, random AEs" 1 in_scan echoscu -to 2 -ta 2 -td 2 -aet RND1X -aec RND2Y 198.18.0.10 104
  expect "storescp .10:11112 echo" 1 in_scan echoscu -to 2 -ta 2 -td 2 198.18.0.10 11112
  expect "storescp .10:2762 echo over TLS, no client certificate" 1 in_scan echoscu -to 2 -ta 2 -td 2 +tla -ic 198.18.0.10 2762
  expect "storescp .10:2762 refuses cleartext" 0 in_scan echoscu -to 2 -ta 2 -td 2 198.18.0.10 2762
  expect "dcmqrscp echo FINDSCU->QRSCP" 1 in_scan echoscu -to 2 -ta 2 -td 2 -aet FINDSCU -aec QRSCP 198.18.0.11 104
  expect "dcmqrscp C-FIND FINDSCU->QRSCP" 1 in_scan findscu -to 2 -ta 2 -td 2 -S -k QueryRetrieveLevel=STUDY -aet FINDSCU -aec QRSCP 198.18.0.11 104
  expect "dcmqrscp rejects random calling AE (Called AE Title Not Recognized)" 1 \
    grep_eq "Called AE Title Not Recognized" reject_reason 198.18.0.11 104 RNDCALLING QRSCP
  expect "dcmqrscp rejects random called AE" 1 \
    grep_eq "Called AE Title Not Recognized" reject_reason 198.18.0.11 104 FINDSCU RNDCALLED
  expect "orthanc permissive echo, random AEs" 1 in_scan echoscu -to 2 -ta 2 -td 2 -aet RND1X -aec RND2Y 198.18.0.12 4242
  expect "orthanc permissive store, random AEs" 1 in_scan storescu -to 2 -ta 2 -td 2 -aet RND1X -aec RND2Y 198.18.0.12 4242 "$PSLAB_DIR/canary.dcm"
  expect "orthanc permissive REST without credentials" 1 in_scan "$PY" -c 'import urllib.request; urllib.request.urlopen("http://198.18.0.12:8042/system", timeout=2)'
  expect "orthanc hardened rejects random called AE (Called AE Title Not Recognized)" 1 \
    grep_eq "Called AE Title Not Recognized" reject_reason 198.18.0.13 4242 CT-7F3A RNDCALLED
  expect "orthanc hardened rejects random calling AE (Calling AE Title Not Recognized)" 1 \
    grep_eq "Calling AE Title Not Recognized" reject_reason 198.18.0.13 4242 RNDCALLING ORTHANC
  expect "orthanc hardened echo from known modality CT-7F3A" 1 in_scan echoscu -to 2 -ta 2 -td 2 -aet CT-7F3A -aec ORTHANC 198.18.0.13 4242
  expect "orthanc hardened REST needs credentials" 0 in_scan "$PY" -c 'import urllib.request; urllib.request.urlopen("http://198.18.0.13:8042/system", timeout=2)'
  expect "hostile .20:104 is HTTP, not DICOM" 0 in_scan echoscu -to 2 -ta 2 -td 2 198.18.0.20 104
  expect "hostile .20:4242 garbage is not DICOM" 0 in_scan echoscu -to 2 -ta 2 -td 2 198.18.0.20 4242
  expect "hostile .20:5678 hugepdu is not DICOM" 0 in_scan echoscu -to 2 -ta 2 -td 2 198.18.0.20 5678
  expect "hostile .20:11112 tarpit is open" 1 tcp_open 198.18.0.20 11112
  expect "hostile .20:104 answers HTTP" 1 http_ready http://198.18.0.20:104/
  expect "drop host .21:104 does not answer (connect times out)" 0 tcp_open 198.18.0.21 104
  expect "drop host .21 answers ARP" 1 in_scan ip neigh get 198.18.0.21 dev eth0
  expect "scanner namespace has no default route" 0 bash -c "ip -n $SCAN route show default | grep -q ."
  for x in 198.18.0.30 198.18.0.7 198.18.0.48; do
    expect "recorder $x logged no connection" 0 test -s "$PSLAB_DIR/rec/$x.connects"
  done
  if ((CHECK_FAILS)); then echo "lab check: $CHECK_FAILS failed"; return 1; fi
  echo "lab check: all ok"
}

status() {
  local ns
  for ns in $(lab_namespaces); do
    if ip netns list | awk '{print $1}' | grep -x "$ns" >/dev/null; then
      echo "namespace $ns: $(ip -n "$ns" -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}' | head -3 | tr '\n' ' ')"
    fi
  done
  if [[ -f $PSLAB_DIR/pids ]]; then
    while read -r pid st name; do
      if [[ -d /proc/$pid && "$(proc_start_time "$pid")" == "$st" ]]; then
        echo "running $name (pid $pid)"
      else
        echo "DEAD    $name (pid $pid): see $PSLAB_DIR/logs/$name.log"
      fi
    done <"$PSLAB_DIR/pids"
  else
    echo "no lab processes recorded in $PSLAB_DIR/pids"
  fi
}

up() {
  local farm=0
  while (($#)); do
    case $1 in
      --farm) farm=${2:?--farm N}; shift 2 ;;
      --farm=*) farm=${1#--farm=}; shift ;;
      *) die "up: unknown option $1" ;;
    esac
  done
  down_quiet
  rm -rf "$PSLAB_DIR"
  mkdir -p "$PSLAB_DIR/logs"
  : >"$PSLAB_DIR/pids"
  echo "$PSLAB_DIR" >"$MARKER"
  build_network
  write_configs
  start_servers
  ((farm > 0)) && build_farm "$farm"
  if ! wait_ready; then status >&2; exit 1; fi
  # readiness traffic (the canary stores) must not have touched the recorders
  say "up: scanner namespace $SCAN (198.18.0.2); run commands there with: $0 exec CMD..."
}

# The lab's namespaces have fixed names, so there is one lab per machine. /run/pacscan-lab.dir
# remembers which $PSLAB_DIR started it: `up`/`down` with another PSLAB_DIR still stop exactly
# the processes recorded there instead of orphaning them in deleted namespaces.
MARKER=/run/pacscan-lab.dir
down_quiet() {
  if [[ -f $MARKER ]]; then
    local other
    other=$(cat "$MARKER")
    [[ -n $other && $other != "$PSLAB_DIR" ]] && stop_all "$other"
  fi
  stop_all
  delete_namespaces
  rm -f "$MARKER"
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) need_root; up "$@" ;;
    down) need_root; down_quiet; say "down" ;;
    status) status ;;
    check) need_root; check ;;
    exec) need_root; (($#)) || die "exec: command missing"; in_scan "$@" ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
}

main "$@"
