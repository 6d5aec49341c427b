#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""ARP discovery on the namespace lab (tests/lab/lab.sh): scan 198.18.0.8-47 (excluding
198.18.0.30) from pslab-scan with --discovery arp. Every lab host in scope is found with the MAC
of its eth0 (read with `ip -o link` inside its namespace), the drop host (ARP answered, TCP
blackholed) is in the inventory with its MAC and no open port, silent addresses are not swept,
every who-has broadcast for a lab host on the scanner's interface is one of pacscan's own (the
MAC addresses learned go into the neighbour table, so the kernel does not ask again), and the
sniffers on 198.18.0.7, .48 and the excluded .30 saw no ARP request (nor any packet).
Without CAP_NET_ADMIN the neighbour table refuses the entries: the same hosts are found and the
notes say so. Then the fallback: the same scan without CAP_NET_RAW (setpriv drops it from the bounding set)
completes with TCP discovery and says so in meta.notes. The lab is always taken down."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

SCOPE_HOSTS = {"198.18.0.10": "store", "198.18.0.11": "qr", "198.18.0.12": "orthopen",
               "198.18.0.13": "orthhard", "198.18.0.20": "hostile", "198.18.0.21": "drop"}
OUTSIDE = ("198.18.0.30", "198.18.0.7", "198.18.0.48")
DROP = "198.18.0.21"
# The drop host gets a MAC with a registered OUI (00-00-0C, Cisco) so the vendor lookup from
# Debian's ieee-data is checked end to end; the other veth MACs are locally administered.
DROP_MAC = "00:00:0c:5a:c0:21"
OUI_FILE = "/usr/share/ieee-data/oui.txt"
# Few ports and one probe: this test is about discovery, not about the DICOM probes.
SCAN_ARGS = ["198.18.0.8-47", "--exclude", "198.18.0.30", "-p", "104,4242,8042",
             "--probes", "dicom_associate", "--connect-timeout", "1s", "--acse-timeout", "2s",
             "--assoc-deadline", "4s"]


def lab(t, *args, timeout=180):
    env = dict(os.environ, PSLAB_DIR=t.labdir)
    return subprocess.run(["bash", os.path.join(t.lab, "lab.sh"), *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def eth0_mac(ns):
    out = subprocess.run(["ip", "netns", "exec", ns, "ip", "-o", "link", "show", "eth0"],
                         capture_output=True, text=True, timeout=10).stdout
    m = re.search(r"link/ether ([0-9a-f:]{17})", out)
    return m.group(1) if m else None


def main(t):
    for b in ("storescp", "dcmqrscp", "Orthanc", "echoscu", "storescu", "dump2dcm", "ip"):
        h.require(b)
    if os.geteuid() != 0:
        raise h.Fatal("the lab needs root (network namespaces)")
    t.labdir = os.path.join(t.tmp, "pslab")
    try:
        up = lab(t, "up")
        t.require_that(up.returncode == 0, "lab up", up.stdout[-3000:] + up.stderr[-3000:])
        subprocess.run(["ip", "-n", "pslab-drop", "link", "set", "eth0", "address", DROP_MAC],
                       check=True, timeout=10)
        arp_scan(t)
        no_neighbour_table(t)
        fallback(t)
        if t.failures:
            shutil.copytree(os.path.join(t.labdir, "logs"), os.path.join(t.tmp, "lab-logs"),
                            dirs_exist_ok=True)
    finally:
        down = lab(t, "down", timeout=60)
        print(f"lab down: exit {down.returncode}")
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        t.expect("pslab-" not in left, "lab namespaces deleted", left)


# Prints the target of every broadcast ARP request the scanner's eth0 sends or receives.
SNIFF = r"""
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL: sent ones too
s.bind(("eth0", 0))
print("ready", flush=True)
while True:
    f = s.recv(2048)
    if len(f) >= 42 and f[0:6] == b"\xff" * 6 and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01":
        print(socket.inet_ntoa(f[38:42]), flush=True)
"""


def arp_scan(t):
    # A cold start, as a first scan: the scanner's kernel knows no neighbour. The sniffer counts
    # who-has broadcasts: pacscan's own only, since the MAC addresses it learned go into the
    # neighbour table before the sweep connects (the kernel would broadcast its own otherwise).
    subprocess.run(["ip", "-n", "pslab-scan", "neigh", "flush", "all"], timeout=10)
    sniff_log = os.path.join(t.tmp, "arp-broadcasts.txt")
    with open(sniff_log, "w") as log:
        sniffer = subprocess.Popen(["ip", "netns", "exec", "pslab-scan", h.PY, "-c", SNIFF],
                                   stdout=log, stderr=subprocess.DEVNULL)
    try:
        t.wait_until("ARP sniffer ready", lambda: "ready" in h.read_lines(sniff_log), timeout=10)
        r = t.scan(SCAN_ARGS + ["--discovery", "arp"], out=t.outdir("arp"), timeout=150,
                   prefix=["ip", "netns", "exec", "pslab-scan"])
    finally:
        sniffer.terminate()
        sniffer.wait(timeout=10)
    asked = h.read_lines(sniff_log)[1:]
    t.expect_rc(r, (0, 1))
    t.expect_outputs(r)
    s = r.scan
    arp = h.observations(s, "arp_discovery")
    print(f"      arp scan {r.elapsed:.1f}s, {len(arp)} arp_discovery observation(s)")
    answered = {o["ip"]: o for o in arp}
    t.expect_eq(sorted(answered), sorted(SCOPE_HOSTS),
                "exactly the lab hosts in scope answered ARP", arp)
    for ip, name in SCOPE_HOSTS.items():
        want = eth0_mac(f"pslab-{name}")
        t.require_that(want is not None, f"MAC of pslab-{name} eth0 read with ip -o link")
        o = answered.get(ip)
        if not t.expect(o is not None, f"{ip} ({name}) answered ARP", arp):
            continue
        d = o["data"]
        t.expect_eq(d.get("mac"), want, f"{ip} arp_discovery MAC is pslab-{name}'s eth0", o)
        t.expect(o.get("port") == 0 and o.get("outcome") == "ok", f"{ip}: port 0, outcome ok", o)
        t.expect(d.get("interface") == "eth0" and d.get("requests") in (1, 2)
                 and 0 <= d.get("rtt_ms", -1) < 2000, f"{ip}: interface, requests, rtt", d)
        if ip == DROP:
            if os.path.exists(OUI_FILE):
                t.expect(d.get("vendor", "").startswith("Cisco"),
                         f"{ip}: vendor of OUI 00-00-0C from {OUI_FILE}", d)
        else:  # veth MACs are locally administered: the IEEE registry has no vendor for them
            t.expect(d.get("vendor") == "", f"{ip}: no vendor for a locally administered MAC", d)
        t.expect_eq(asked.count(ip), d.get("requests"),
                    f"{ip}: every who-has broadcast for it was one of pacscan's own", asked)
        hr = h.host(s, ip)
        t.expect(hr is not None and hr.get("mac") == want and hr.get("via") == "arp"
                 and hr.get("up") is True, f"{ip}: in hosts with its MAC, via arp, up", hr)
    # the drop host: ARP answered, TCP blackholed -> in the inventory, no open port
    hd = h.host(s, DROP)
    t.expect(hd is not None and not hd.get("open_ports")
             and hd.get("mac") == eth0_mac("pslab-drop"),
             f"{DROP} drop host: in hosts with its MAC and no open port", hd)
    t.expect(all(o["data"].get("state") == "filtered"
                 for o in h.observations(s, "tcp_connect", DROP)),
             f"{DROP}: its ports are filtered", h.observations(s, "tcp_connect", DROP))
    # open ports were still found on the hosts that answered (sweep ran on them)
    t.expect(3 <= len(h.observations(s, "tcp_connect", "198.18.0.10")),
             ".10 was swept (3 ports)", h.observations(s, "tcp_connect", "198.18.0.10"))
    t.expect(104 in (h.host(s, "198.18.0.10") or {}).get("open_ports", []), ".10:104 open")
    # silent addresses of the segment are down: not swept at all
    swept = {o["ip"] for o in h.observations(s, "tcp_connect")}
    t.expect(swept <= set(SCOPE_HOSTS), "only hosts that answered ARP were swept",
             sorted(swept - set(SCOPE_HOSTS)))
    notes = " ".join(s.get("meta", {}).get("notes", []))
    t.expect(f"{len(SCOPE_HOSTS)} of the {len(SCOPE_HOSTS)} MAC address(es) learned went into "
             "the system's neighbour table" in notes,
             "meta.notes says the MAC addresses learned went into the neighbour table", notes)
    t.expect("ARP on eth0" in notes and "not swept" in notes,
             "meta.notes says ARP discovery ran and silent addresses were not swept",
             s.get("meta", {}).get("notes"))
    # the reply wait adapts to the replies' round trips (milliseconds on veth): below 1 s
    m = re.search(r"the wait for a reply was (\d+) ms at the end \(adapted to the replies' round "
                  r"trips, between (\d+) and (\d+) ms\)", notes)
    t.expect(m is not None and int(m.group(2)) <= int(m.group(1)) < int(m.group(3)),
             "the ARP reply wait adapted below its ceiling to the measured round trips",
             s.get("meta", {}).get("notes"))
    t.expect("Pacing, per device: at most 1 association(s) at a time to a host, 100 ms apart"
             in notes, "meta.notes states the per-device pacing", s.get("meta", {}).get("notes"))
    t.expect(s.get("meta", {}).get("refused_out_of_scope") == 0,
             "the gate refused nothing (nothing out of scope was asked)", s.get("meta"))
    # nothing outside the scope asked: no ARP who-has (nor any packet) for .30, .7, .48
    rec = os.path.join(t.labdir, "rec")
    for ip in OUTSIDE:
        t.expect(h.host(s, ip) is None and not h.observations(s, None, ip),
                 f"{ip} absent from the scan result")
        t.expect(not h.read_lines(os.path.join(rec, f"{ip}.packets")),
                 f"{ip}: sniffer saw no ARP request and no packet",
                 h.read_lines(os.path.join(rec, f"{ip}.packets"))[:20])
    # positive control: a deliberate connect to .30 makes the scanner's kernel ARP for it, and
    # the sniffer logs that who-has (so the empty logs above mean something)
    subprocess.run(["ip", "netns", "exec", "pslab-scan", h.PY, "-c",
                    "import socket; socket.create_connection(('198.18.0.30', 104), 2).close()"],
                   timeout=10)
    pk = os.path.join(rec, "198.18.0.30.packets")
    t.wait_until("sniffer positive control",
                 lambda: any(l.startswith("arp ") for l in h.read_lines(pk)), timeout=5)
    t.expect(True, "positive control: the kernel's own who-has for 198.18.0.30 is logged")


def no_neighbour_table(t):
    # Without CAP_NET_ADMIN the system refuses the neighbour entries: ARP discovery works as
    # before, the kernel asks for the hosts itself, and the notes say so.
    setpriv = shutil.which("setpriv")
    if not setpriv:
        print("      (setpriv not installed: the refused neighbour table is not tested)")
        return
    subprocess.run(["ip", "-n", "pslab-scan", "neigh", "flush", "all"], timeout=10)
    r = t.scan(SCAN_ARGS + ["--discovery", "arp"], out=t.outdir("no-neigh"), timeout=150,
               prefix=["ip", "netns", "exec", "pslab-scan", setpriv,
                       "--bounding-set=-net_admin", "--"])
    t.expect_rc(r, (0, 1))
    t.expect_outputs(r)
    s = r.scan
    t.expect_eq(sorted(o["ip"] for o in h.observations(s, "arp_discovery")), sorted(SCOPE_HOSTS),
                "without CAP_NET_ADMIN: the same hosts answered ARP")
    notes = " ".join(s.get("meta", {}).get("notes", []))
    t.expect(f"did not take the {len(SCOPE_HOSTS)} MAC address(es) learned into its neighbour "
             "table" in notes, "meta.notes says the neighbour table refused them", notes)
    t.expect(104 in (h.host(s, "198.18.0.10") or {}).get("open_ports", []),
             "without CAP_NET_ADMIN: .10:104 still found open")


def fallback(t):
    setpriv = shutil.which("setpriv")
    capsh = shutil.which("capsh")
    if setpriv:
        prefix = [setpriv, "--bounding-set=-net_raw", "--"]
    elif capsh:
        prefix = None
    else:
        t.expect(False, "setpriv (util-linux) or capsh (libcap2-bin) needed for the fallback test")
        return
    ns = ["ip", "netns", "exec", "pslab-scan"]
    out = t.outdir("fallback")
    if prefix is not None:
        r = t.scan(SCAN_ARGS, out=out, timeout=150, prefix=ns + prefix, quiet=False)
    else:  # capsh runs bash -c: quote the command line
        argv = [t.pacscan, "scan"] + SCAN_ARGS + ["-o", out]
        r = t.run_argv(ns + [capsh, "--drop=cap_net_raw", "--", "-c",
                             " ".join(f"'{a}'" for a in argv)], out, timeout=150)
    t.expect_rc(r, (0, 1))
    t.expect_outputs(r)
    s = r.scan
    notes = s.get("meta", {}).get("notes", [])
    t.expect(any("ARP discovery not possible" in n and "TCP discovery" in n for n in notes),
             "meta.notes: ARP not possible, TCP discovery used", notes)
    line = [l for l in r.stderr.splitlines() if "ARP discovery not possible" in l]
    t.expect(len(line) == 1, "one notice line on stderr", r.stderr[-2000:])
    print(f"      notice: {line[0] if line else None}")
    t.expect(not h.observations(s, "arp_discovery"), "no arp_discovery observation")
    swept = {o["ip"] for o in h.observations(s, "tcp_connect")}
    t.expect(len(swept) == 39, f"TCP discovery swept every in-scope address ({len(swept)} of 39)")
    t.expect(104 in (h.host(s, "198.18.0.10") or {}).get("open_ports", []),
             "fallback scan still finds .10:104 open")
    hd = h.host(s, DROP)
    t.expect(hd is None or not hd.get("up"), f"{DROP}: not up without ARP (TCP blackholed)", hd)


if __name__ == "__main__":
    h.run(main, sandbox_it=False)
