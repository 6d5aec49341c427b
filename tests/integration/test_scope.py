#!/usr/bin/python3
"""Scope: an excluded address (--exclude and --exclude-file) and addresses just outside the
target range get no packet at all. Proof: recorders (log every accepted connection) on every
scanned port, plus a packet sniffer on `lo` per address (logs every IPv4 packet to it: also SYNs
to ports nobody listens on). An in-scope recorder is the positive control. In the `unshare -n`
sandbox every 127.0.0.0/8 address is local."""
import os
import subprocess
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

    odd_addresses(t, p1)
    host_names(t)


def odd_addresses(t, port):
    """127.0.0.64/29: its network (.64) and broadcast (.71) address are left out unless named
    singly; a sniffer on each proves no packet, the plan and meta.dropped say why."""
    net, bcast, inside = "127.0.0.64", "127.0.0.71", "127.0.0.66"
    sniff = {ip: t.start_hostile("sniff", ip, iface="lo",
                                 log=os.path.join(t.tmp, f"sniff-odd-{ip}.log"))
             for ip in (net, bcast, inside)}
    plan = subprocess.run([t.pacscan, "scan", "127.0.0.64/29", "-p", str(port), "--dry-run"],
                          capture_output=True, text=True, timeout=30)
    t.expect(plan.returncode == 0 and "Scope: 6 host(s)" in plan.stdout
             and f"not probed: {net} (from 127.0.0.64/29): network address of 127.0.0.64/29"
             in plan.stdout
             and f"not probed: {bcast} (from 127.0.0.64/29): broadcast address" in plan.stdout,
             "--dry-run: 6 hosts; network and broadcast address listed as not probed, with why",
             plan.stdout + plan.stderr)
    r = t.scan(["127.0.0.64/29", "-p", str(port), "--connect-timeout", "1s"])
    t.expect_rc(r, (0, 1))
    s = r.scan
    t.expect(any(l for l in h.read_lines(sniff[inside].record)),
             f"positive control: {inside} inside the /29 was swept")
    for ip in (net, bcast):
        t.expect(not h.read_lines(sniff[ip].record), f"{ip}: no packet at all",
                 h.read_lines(sniff[ip].record)[:10])
    d = s["meta"].get("dropped", [])
    t.expect([(x["addresses"], x["reason"]) for x in d] ==
             [([net], "network address of 127.0.0.64/29"),
              ([bcast], "broadcast address of 127.0.0.64/29")],
             "meta.dropped: which and why", d)
    t.expect(s["meta"].get("scope_size") == 6, "meta.scope_size 6", s["meta"].get("scope_size"))
    # named singly: probed after all
    for f in (sniff[bcast].record,):
        open(f, "w").close()
    r2 = t.scan(["127.0.0.64/29", bcast, "-p", str(port), "--connect-timeout", "1s"])
    t.expect_rc(r2, (0, 1))
    t.expect(h.read_lines(sniff[bcast].record), f"{bcast} named singly: swept")
    t.expect(r2.scan["meta"].get("scope_size") == 7, "scope 7 with the broadcast named singly")


def host_names(t):
    """The plan shows each host name and what it resolved to; loopback reached through a name
    (localhost, from /etc/hosts in the sandbox) is left out unless named singly."""
    r = subprocess.run([t.pacscan, "scan", "localhost", "--dry-run"], capture_output=True,
                       text=True, timeout=30)
    t.expect(r.returncode == 2 and "scope is empty" in r.stderr
             and "loopback (127.0.0.0/8), returned for host name localhost" in r.stderr,
             "localhost alone: exit 2, left out as loopback through a host name", r.stderr)
    r = subprocess.run([t.pacscan, "scan", "localhost", "127.0.0.1", "--dry-run"],
                       capture_output=True, text=True, timeout=30)
    t.expect(r.returncode == 0 and "host name localhost -> 127.0.0.1" in r.stdout
             and "Scope: 1 host(s)" in r.stdout,
             "the plan shows localhost -> 127.0.0.1; 127.0.0.1 named singly is in scope",
             r.stdout + r.stderr)


if __name__ == "__main__":
    h.run(main)
