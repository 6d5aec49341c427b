#!/usr/bin/python3
"""--do-not-probe, proven with a capture: a namespace lab of its own (pspkg-scan and pspkg-seg,
one veth pair, 198.19.77.0/24, no route out, torn down by the test). pspkg-seg holds the neighbour
198.19.77.10 and the do-not-probe host 198.19.77.11 on its eth0, each with a recorder; a sniffer
(tests/lab/hostile.py sniff) logs every IPv4 packet and ARP who-has for .11. pacscan scans
198.19.77.8-15 from pspkg-scan with ARP discovery: the neighbour answers ARP and is swept and
probed, while .11 gets zero ARP requests and zero packets, and is reported as listed but not
probed with its reason. A positive control then makes the kernel ARP for .11 and checks the
sniffer logs it, so the empty log means something."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

SCAN_NS, SEG_NS = "pspkg-scan", "pspkg-seg"
SCANNER, NEIGHBOUR, LISTED = "198.19.77.2", "198.19.77.10", "198.19.77.11"
REASON = "Swisslog controller, vendor forbids scans <b>&amp;"


def ip(*args):
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise h.Fatal(f"ip {' '.join(args)}: {r.stderr.strip()}")


def lab_down():
    for ns in (SCAN_NS, SEG_NS):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


def lab_up():
    lab_down()
    for ns in (SCAN_NS, SEG_NS):
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
    ip("-n", SCAN_NS, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
       "netns", SEG_NS)
    ip("-n", SCAN_NS, "addr", "add", f"{SCANNER}/24", "dev", "eth0")
    ip("-n", SEG_NS, "addr", "add", f"{NEIGHBOUR}/24", "dev", "eth0")
    ip("-n", SEG_NS, "addr", "add", f"{LISTED}/24", "dev", "eth0")
    for ns in (SCAN_NS, SEG_NS):
        ip("-n", ns, "link", "set", "eth0", "up")


def in_seg(t, name, mode, bind, extra):
    """hostile.py MODE inside pspkg-seg; returns the server with .record (its log)."""
    log = os.path.join(t.tmp, f"{name}.log")
    srv = t.start(name, ["ip", "netns", "exec", SEG_NS, h.PY, "-u", t.hostile, mode,
                         "--bind", bind, "--log", log] + extra)
    srv.record = log
    pat = "sniffing" if mode == "sniff" else "listening on"
    t.wait_until(f"{name} ready", lambda: pat in srv.log_text(), srv=srv)
    return srv


def main(t):
    if os.geteuid() != 0:
        raise h.Fatal("the lab needs root (network namespaces)")
    h.require("ip")
    try:
        lab_up()
        run(t)
    finally:
        t.cleanup()
        lab_down()
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        t.expect("pspkg-" not in left, "lab namespaces deleted", left)


def run(t):
    port = 11112
    near = in_seg(t, "rec-near", "recorder", NEIGHBOUR, ["--port", str(port)])
    listed = in_seg(t, "rec-listed", "recorder", LISTED, ["--port", str(port)])
    sniff = in_seg(t, "sniff-listed", "sniff", LISTED, ["--iface", "eth0"])
    dnp = os.path.join(t.tmp, "do-not-probe.txt")
    with open(dnp, "w") as f:
        f.write(f"# clinical devices the vendors forbid us to scan\n{LISTED}  {REASON}\n")

    r = t.scan(["198.19.77.8-15", "--do-not-probe", dnp, "--discovery", "arp", "-p", str(port),
                "--probes", "dicom_associate", "--connect-timeout", "1s", "--acse-timeout", "2s",
                "--assoc-deadline", "3s"],
               prefix=["ip", "netns", "exec", SCAN_NS], timeout=120)
    t.expect_rc(r, (0, 1))
    t.expect_outputs(r)
    s = r.scan
    arp = {o["ip"] for o in h.observations(s, "arp_discovery")}
    t.expect(arp == {NEIGHBOUR}, f"ARP discovery ran and only {NEIGHBOUR} answered", sorted(arp))
    t.expect(len(h.read_lines(near.record)) >= 1,
             f"positive control: the neighbour {NEIGHBOUR} was swept and probed",
             h.read_lines(near.record))
    t.expect(h.observations(s, "tcp_connect", NEIGHBOUR), f"{NEIGHBOUR}: tcp_connect observed")
    lines = h.read_lines(sniff.record)
    t.expect(not [l for l in lines if l.startswith("arp ")], f"{LISTED}: zero ARP requests", lines)
    t.expect(not [l for l in lines if l.startswith("ip ")], f"{LISTED}: zero IPv4 packets", lines)
    t.expect(not h.read_lines(listed.record), f"{LISTED}: recorder saw no connection")
    t.expect(not h.observations(s, None, LISTED) and h.host(s, LISTED) is None,
             f"{LISTED}: no observation, not in the hosts")
    m = s["meta"]
    t.expect(m.get("scope_size") == 7, "scope: 8 addresses less the listed one", m.get("scope_size"))
    t.expect(m.get("refused_out_of_scope") == 0, "the gate was never even asked about it", m)
    d = m.get("do_not_probe", [])
    t.expect(len(d) == 1 and d[0]["reason"] == REASON and d[0]["in_scope"] == [LISTED]
             and d[0]["in_scope_count"] == 1 and d[0]["origin"] == f"{dnp}:2",
             "meta.do_not_probe: entry, reason as written, the host it covered, file:line", d)
    errs = h.schema_errors(s, os.path.join(t.source, "docs", "scan.schema.json"))
    t.expect(not errs, "scan.json valid against docs/scan.schema.json", errs)
    md = open(os.path.join(r.outdir, "report.md")).read()
    html = open(os.path.join(r.outdir, "report.html")).read()
    t.expect("## Listed but not probed" in md and LISTED in md and "Swisslog controller" in md,
             "report.md: Listed but not probed section with the host and reason")
    t.expect('id="not-probed"' in html and "&lt;b&gt;&amp;amp;" in html and "<b>&amp;" not in html,
             "report.html: the section, with the reason HTML-escaped")

    # positive control: a deliberate connect makes the scanner's kernel ARP for .11
    subprocess.run(["ip", "netns", "exec", SCAN_NS, h.PY, "-c",
                    f"import socket; socket.create_connection(('{LISTED}', {port}), 2).close()"],
                   timeout=10)
    t.wait_until("sniffer positive control",
                 lambda: any(l.startswith("arp ") for l in h.read_lines(sniff.record)), timeout=5)
    t.expect(True, f"positive control: the kernel's own who-has for {LISTED} is logged")


if __name__ == "__main__":
    h.run(main, sandbox_it=False)
