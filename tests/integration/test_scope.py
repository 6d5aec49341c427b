#!/usr/bin/python3
"""Scope: an excluded address (--exclude and --exclude-file) and addresses just outside the
target range get no packet at all. Proof: recorders (log every accepted connection) on every
scanned port, plus a packet sniffer on `lo` per address (logs every IPv4 packet to it: also SYNs
to ports nobody listens on). An in-scope recorder is the positive control. In the `unshare -n`
sandbox every 127.0.0.0/8 address is local."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IN_SCOPE = "127.0.0.10"
EXCLUDED = "127.0.0.30"       # --exclude
EXCLUDED_FILE = "127.0.0.31"  # --exclude-file
BELOW, ABOVE = "127.0.0.7", "127.0.0.48"   # target range is 127.0.0.8-47


def main(t):
    p1, p2 = h.free_port(), h.free_port()
    rec, sniff = {}, {}
    for ip in (IN_SCOPE, EXCLUDED, EXCLUDED_FILE, BELOW, ABOVE):
        rec[ip] = t.start_hostile("recorder", ip, [p1, p2])
        sniff[ip] = t.start_hostile("sniff", ip, iface="lo",
                                    log=os.path.join(t.tmp, f"sniff-{ip}.log"))
    xf = os.path.join(t.tmp, "exclude.txt")
    with open(xf, "w") as f:
        f.write(f"# excluded by file\n{EXCLUDED_FILE}\n")

    r = t.scan(["127.0.0.8-47", "--exclude", EXCLUDED, "--exclude-file", xf,
                "-p", f"{p1},{p2}", "--connect-timeout", "1s", "--assoc-deadline", "3s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    t.expect(len(h.read_lines(rec[IN_SCOPE].record)) >= 2,
             f"positive control: in-scope recorder {IN_SCOPE} saw connects on both ports",
             h.read_lines(rec[IN_SCOPE].record))
    t.expect(any("dport" in l for l in h.read_lines(sniff[IN_SCOPE].record)),
             f"positive control: sniffer saw packets to {IN_SCOPE}")
    for ip in (EXCLUDED, EXCLUDED_FILE, BELOW, ABOVE):
        t.expect(not h.read_lines(rec[ip].record), f"{ip}: recorder logged no connection",
                 h.read_lines(rec[ip].record))
        t.expect(not h.read_lines(sniff[ip].record), f"{ip}: no packet at all reached it",
                 h.read_lines(sniff[ip].record)[:20])
        t.expect(h.host(s, ip) is None and not h.observations(s, None, ip),
                 f"{ip}: absent from hosts and observations",
                 [h.host(s, ip)] + h.observations(s, None, ip)[:3])
    m = s.get("meta", {})
    t.expect_eq(m.get("scope_size"), 38, "meta.scope_size (40 addresses - 2 excluded)", m)
    t.expect(EXCLUDED in " ".join(m.get("excludes", [])), "meta.excludes lists --exclude", m)

    # -iL with only an excluded address: empty scope, nothing sent
    tl = os.path.join(t.tmp, "targets.txt")
    with open(tl, "w") as f:
        f.write(f"{EXCLUDED}\n")
    r2 = t.scan(["-iL", tl, "--exclude", EXCLUDED, "-p", f"{p1},{p2}"])
    t.expect(r2.rc in (0, 2), f"empty scope: exit 0 or 2 (got {r2.rc})", r2.describe())
    t.expect(not h.read_lines(rec[EXCLUDED].record) and not h.read_lines(sniff[EXCLUDED].record),
             f"-iL {EXCLUDED} --exclude {EXCLUDED}: still no packet to it",
             h.read_lines(sniff[EXCLUDED].record)[:10])


if __name__ == "__main__":
    h.run(main)
