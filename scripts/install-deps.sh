#!/usr/bin/env bash
# Installs what pacscan needs to build, test and run its demo lab: Debian 12 packages only.
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config make
  libdcmtk-dev dcmtk            # DICOM networking (and the lab's storescp / dcmqrscp)
  libpcap-dev libfmt-dev doctest-dev nlohmann-json3-dev libcli11-dev libssl-dev
  libcurl4-openssl-dev          # imaging web probes (HTTP/HTTPS)
  orthanc                       # the lab's PACS
  iproute2 python3 procps       # network namespaces for the lab, test harness
  ieee-data                     # MAC vendor names for ARP discovery (read at run time)
  python3-jsonschema            # tests: scan.json and SARIF validated against their schemas
  chromium                      # tests: report.html rendered in a real headless browser
  cmark-gfm                     # tests: Markdown reports rendered to prove injected text is inert
  tshark tcpdump                # tests/bench: passive results compared with Wireshark's dissector
  libxml2-dev                   # nmap XML input (-iX); libdcmtk-dev pulls it too, named here on purpose
  nmap                          # tests: -iX is fed XML that nmap itself wrote
  debootstrap lintian           # scripts/package-test.sh: the .deb in a clean chroot, lintian
  clang-14 libclang-rt-14-dev   # tests: libFuzzer targets (scripts/test.sh, bench/fuzz.sh)
  tcpreplay                     # bench/listen-soak.sh: replays captures at a high rate
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
# The orthanc package would start a system service; the lab runs its own instances instead.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
