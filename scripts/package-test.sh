#!/usr/bin/env bash
# Package test: builds the .deb (cmake --target package), checks it with lintian (errors fail),
# installs it with apt in a clean Debian 12 chroot (debootstrap --variant=minbase, from the
# mirror this machine's apt uses), runs `pacscan --version`, `pacscan rules` and a scan of a
# storescp on the chroot's own loopback (in a new network namespace: nothing leaves it), then
# removes it with `apt-get remove --purge` and checks that none of its files is left under /usr.
# Everything lives in <build>/pkgtest; the debootstrap result is kept there as a tarball (the
# only cache), the chroot itself is deleted at the end. Needs root.
#   usage: scripts/package-test.sh [BUILD_DIR]     (default build-ci)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-ci}
[ "$(id -u)" -eq 0 ] || { echo "package-test: needs root (debootstrap, chroot)" >&2; exit 1; }
for tool in debootstrap lintian unshare chroot dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "package-test: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done

t_start=$(date +%s)
stamp() { echo "package-test: [$(( $(date +%s) - t_start ))s] $*"; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

stamp "building the package"
rm -f "$build"/pacscan_*.deb
cmake --build "$build" --target package >/dev/null
debs=("$build"/pacscan_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one $build/pacscan_*.deb, got: ${debs[*]}"
deb=$(realpath "${debs[0]}")
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg-deb -f "$deb" Architecture)
[ "$(basename "$deb")" = "pacscan_${version}_${arch}.deb" ] || fail "file name $(basename "$deb")"
stamp "built $(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends); Recommends: $(dpkg-deb -f "$deb" Recommends)"

stamp "lintian"
# lintian warns when run as root: run it as nobody when this machine has setpriv.
as_nobody=()
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
  as_nobody=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --reset-env)
fi
lintian_deb=$(mktemp -d)/$(basename "$deb")
cp "$deb" "$lintian_deb" && chmod -R a+rX "$(dirname "$lintian_deb")"
lintian_out=$("${as_nobody[@]}" lintian --fail-on none --tag-display-limit 0 "$lintian_deb" 2>&1 || true)
rm -rf "$(dirname "$lintian_deb")"
echo "$lintian_out" | sed 's/^/  lintian: /'
if echo "$lintian_out" | grep -q '^E: '; then fail "lintian reports errors"; fi

work=$(realpath -m "$build/pkgtest")
root="$work/root"
base_tar="$work/bookworm-minbase.tar"
mounted=()
cleanup() {
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
mkdir -p "$work"
rm -rf "$root"

# The mirror this machine's apt uses for bookworm (deb822 .sources or one-line .list).
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '/^URIs:/{u=$2} /^Suites:/{if ($0 ~ /bookworm( |$)/ && u != "" && u !~ /security/) {print u; exit}}' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || fail "no bookworm mirror found in /etc/apt/sources.list(.d)"

if [ ! -f "$base_tar" ]; then
  stamp "debootstrap --variant=minbase bookworm"
  rm -rf "$work/base"
  debootstrap --variant=minbase bookworm "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
  tar -C "$work/base" -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
  rm -rf "$work/base"
fi
stamp "unpacking a fresh chroot"
mkdir -p "$root"
tar -C "$root" -xf "$base_tar"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The same sources and network settings as this machine's apt (a snapshot mirror needs its
# Check-Valid-Until setting, a proxy its Acquire line).
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && cp "$f" "$root/etc/apt/sources.list.d/"
done
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && grep -q '^[[:space:]]*Acquire::' "$f" && cp "$f" "$root/etc/apt/apt.conf.d/"
done
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
                   DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

stamp "apt install ./$(basename "$deb")"
in_root apt-get update -qq >/dev/null
before=$(in_root dpkg-query -W -f '${Package}\n' | sort)
in_root apt-get install -y -qq "/tmp/$(basename "$deb")" >"$work/install.log" 2>&1 \
  || { tail -30 "$work/install.log"; fail "apt install"; }
pulled=$(comm -13 <(echo "$before") <(in_root dpkg-query -W -f '${Package}\n' | sort) | tr '\n' ' ')
stamp "installed with: $pulled"
in_root dpkg-query -W -f '${Status}' ieee-data | grep -q "install ok installed" \
  || fail "ieee-data (Recommends) was not installed"
files=$(in_root dpkg -L pacscan)
for f in /usr/bin/pacscan /usr/share/pacscan/vulnerable-versions.txt \
         /usr/share/pacscan/called-ae-titles.txt /usr/share/pacscan/calling-ae-titles.txt \
         /usr/share/man/man1/pacscan.1.gz /usr/share/bash-completion/completions/pacscan \
         /usr/share/doc/pacscan/copyright /usr/share/doc/pacscan/changelog.gz \
         /usr/share/doc/pacscan/README.md; do
  echo "$files" | grep -qx "$f" || fail "$f not in the package"
done

stamp "pacscan --version, pacscan rules"
got=$(in_root pacscan --version)
[ "$got" = "pacscan $version" ] || fail "pacscan --version says '$got', the package is $version"
echo "  $got"
rules=$(in_root pacscan rules --format json)
echo "$rules" | grep -q '"DICOM-CLEARTEXT"' || fail "pacscan rules: no DICOM-CLEARTEXT rule"
echo "  pacscan rules: $(echo "$rules" | grep -o '"id": *"[A-Z0-9-]*"' | wc -l) rule(s)"

stamp "scan of a storescp on the chroot's loopback (own network namespace)"
in_root apt-get install -y -qq --no-install-recommends dcmtk >"$work/dcmtk.log" 2>&1 \
  || { tail -20 "$work/dcmtk.log"; fail "apt install dcmtk (the test's DICOM server)"; }
# A site edit of an installed data file: the binary must prefer it (meta.notes says so).
echo "PKGTEST-AE" >>"$root/usr/share/pacscan/called-ae-titles.txt"
unshare --net -- /bin/sh -c '
  ip link set lo up || exit 1
  chroot "$1" /usr/bin/env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 /bin/bash -c "
    storescp --aetitle STORESCP --output-directory /tmp 11112 >/tmp/storescp.log 2>&1 &
    pid=\$!
    i=0; while [ \$i -lt 50 ] && ! (echo > /dev/tcp/127.0.0.1/11112) 2>/dev/null; do sleep 0.1; i=\$((i+1)); done
    pacscan scan 127.0.0.1 -p 11112 --discovery none -o /tmp/out -q; rc=\$?
    kill \$pid; exit \$rc"
' sh "$root" || rc=$?
rc=${rc:-0}
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "pacscan scan exited $rc"
scan="$root/tmp/out/scan.json"
[ -f "$scan" ] || fail "no scan.json"
python3 - "$scan" <<'PY' || fail "scan.json checks"
import json, sys
s = json.load(open(sys.argv[1]))
eps = [e for e in s["endpoints"] if e["ip"] == "127.0.0.1" and e["port"] == 11112]
assert eps and eps[0]["speaks_dicom"], f"127.0.0.1:11112 not DICOM: {eps}"
assert s["findings"], "no findings"
notes = " ".join(s["meta"]["notes"])
assert "/usr/share/pacscan/called-ae-titles.txt" in notes, f"installed data file not used: {notes}"
print(f"  127.0.0.1:11112 speaks DICOM, {len(s['findings'])} finding(s), installed data file used")
PY
for f in "$root"/tmp/out/report.md "$root"/tmp/out/report.html; do [ -s "$f" ] || fail "$f"; done

stamp "apt-get remove --purge pacscan"
in_root apt-get remove --purge -y -qq pacscan >"$work/remove.log" 2>&1 || { tail -20 "$work/remove.log"; fail "remove"; }
left=""
while read -r f; do
  case $f in /usr/share/pacscan* | /usr/share/doc/pacscan* | /usr/bin/pacscan | */pacscan.1.gz | */completions/pacscan)
    [ -e "$root$f" ] && left="$left $f" ;;
  esac
done <<<"$files"
[ -z "$left" ] || fail "left behind after purge:$left"
if in_root dpkg-query -W -f '${db:Status-Abbrev}' pacscan 2>/dev/null | grep -q '^[ic]'; then
  fail "pacscan still installed or with config files after purge"
fi
stamp "PASS ($(( $(date +%s) - t_start ))s)"
echo "package-test: 1 passed, 0 failed"
