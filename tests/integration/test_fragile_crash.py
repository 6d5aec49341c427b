#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A real DICOM server that dies after its first association (issue 13): Debian 12's dcmqrscp
3.6.7 in --single-process mode segfaults once its first association ends (fixed upstream in
3.6.8; the harness otherwise runs it in fork mode for that reason). pacscan must notice that the
host that answered now refuses, stop every probe to it at once, re-check it once with a plain TCP
connect after the pause, and report a high-severity DEVICE-STOPPED-ANSWERING finding (time, the
last exchange it answered, what was still planned) at the top of every report.

A capture on lo (tcpdump) counts the SYNs pacscan sent to the server's port: the sweep's, the
first association's, the one that was refused, and the re-check's. Without the watch,
dicom_ae_policy alone would try up to --max-ae-attempts (24) associations against the dead port.
Runs in `unshare -n` (only lo)."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def listening(port):
    """Is a socket listening on port (read from /proc: no packet, no association)?"""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].split(":")[1], 16) == port:
                return True
    return False


def start_single_process_dcmqrscp(t):
    h.require("dcmqrscp")
    port = h.free_port()
    d = os.path.join(t.tmp, "dcmqrscp")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    cfg = os.path.join(d, "dcmqrscp.cfg")
    with open(cfg, "w") as f:
        f.write(f"NetworkTCPPort  = {port}\nMaxPDUSize      = 16384\nMaxAssociations = 16\n"
                "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
                f"AETable BEGIN\nQRSCP  {d}/db  RW  (50, 64mb)  ANY\nAETable END\n")
    srv = t.start("dcmqrscp-single", ["dcmqrscp", "--single-process", "-c", cfg])
    srv.port = port
    t.wait_until("dcmqrscp listening", lambda: listening(port), srv=srv)
    return srv


def start_capture(t, port):
    h.require("tcpdump")
    log = os.path.join(t.tmp, "syn.txt")
    cap = t.start("tcpdump", ["tcpdump", "-i", "lo", "-nn", "-l", "-tt", "--immediate-mode",
                              f"tcp port {port} and tcp[tcpflags] & (tcp-syn|tcp-rst) != 0"])
    t.wait_until("tcpdump listening", lambda: "listening on" in cap.log_text(), srv=cap)
    return cap


def main(t):
    srv = start_single_process_dcmqrscp(t)
    cap = start_capture(t, srv.port)
    r = t.scan([IP, "-p", str(srv.port), "--recheck-pause", "1s", "--connect-timeout", "1s",
                "--acse-timeout", "2s", "--assoc-deadline", "4s"], quiet=False, timeout=120)
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    time.sleep(0.5)  # let tcpdump print the last lines
    t.stop(cap)
    s = r.scan

    # Positive control: the server did die (SIGSEGV) after its first association.
    t.expect(not srv.alive(), "dcmqrscp --single-process died during the scan", srv.log_text())

    watch = h.observations(s, "host_watch", IP)
    stopped = [o for o in watch if o["data"].get("event") == "stopped"]
    rechecks = [o for o in watch if o["data"].get("event") == "recheck"]
    t.require_that(len(stopped) == 1, "one 'stopped' host_watch observation", watch)
    d = stopped[0]["data"]
    t.expect_eq(d.get("symptom"), "refused", "symptom: the port that answered now refuses", d)
    t.expect_eq(d["failed"].get("port"), srv.port, "failed exchange on the server's port", d)
    t.expect_eq(d["failed"].get("sent"), "A-ASSOCIATE-RQ", "failed exchange: an association", d)
    last = d.get("last_sent", {})
    # The association it died after: dicom_ae_policy's first accepted one (called QRSCP).
    t.expect(last.get("probe") == "dicom_ae_policy" and last.get("outcome") == "ok" and
             last.get("called_ae") == "QRSCP",
             "last exchange it answered: the accepted association it died after", d)
    t.expect(last.get("sent") == "A-ASSOCIATE-RQ" and "Verification" in last.get("contexts", []),
             "last exchange: PDU type and presentation contexts", last)
    t.expect(any(p.startswith("dicom_echo on port") for p in d.get("planned", [])),
             "what was still planned is listed (dicom_echo ...)", d.get("planned"))
    t.require_that(len(rechecks) == 1, "exactly one re-check", watch)
    rc = rechecks[0]["data"]
    t.expect(rc.get("result") == "refused" and rc.get("came_back") is False,
             "re-check: TCP connect refused, not back", rc)
    t.expect_eq(rc.get("pause_ms"), 1000, "re-check after the --recheck-pause", rc)

    # Every probe after the stop was left alone: skipped, no attempt on the wire.
    after = False
    for o in h.observations(s, None, IP):
        if o["probe"] == "host_watch" and o["data"].get("event") == "stopped":
            after = True
            continue
        if after and o["probe"].startswith("dicom_"):
            t.expect(o["outcome"] == "skipped", f"{o['probe']} after the stop: skipped", o)

    # The capture: after the first connect the dead port refused (SYN answered by RST), exactly
    # one more SYN, the re-check, at least the pause later.
    pkts = []  # (time, kind, client port)
    for line in cap.log_text().splitlines():
        m = re.match(r"^(\d+\.\d+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): Flags \[([^\]]*)\]",
                     line)
        if not m:
            continue
        ts, src, dst, flags = float(m[1]), int(m[2]), int(m[3]), m[4]
        if dst == srv.port and flags == "S":
            pkts.append((ts, "syn", src))
        elif src == srv.port and flags.startswith("R"):
            pkts.append((ts, "rst", dst))
    syns = [p for p in pkts if p[1] == "syn"]
    refused = [p for p in syns if (p[0], "rst", p[2]) in {(q[0], q[1], q[2]) for q in pkts} or
               any(q[1] == "rst" and q[2] == p[2] and q[0] >= p[0] for q in pkts)]
    t.require_that(refused, "the capture shows a refused connect (SYN answered by RST)", pkts)
    first = refused[0]
    later = [p for p in syns if p[0] > first[0]]
    t.expect(len(later) == 1, f"after the first refused connect, exactly one SYN (the re-check): "
             f"{len(later)}", pkts)
    if later:
        t.expect(later[0][0] - first[0] >= 0.95, "the re-check came after the pause",
                 (first, later))
    t.expect(len(syns) < 40, f"{len(syns)} SYN(s) in all", syns)

    f = h.findings(s, IP, rule="DEVICE-STOPPED-ANSWERING")
    t.require_that(len(f) == 1, "one DEVICE-STOPPED-ANSWERING finding", s.get("findings"))
    f = f[0]
    t.expect_eq(f.get("severity"), "high", "severity high", f)
    t.expect_eq(f.get("port"), 0, "on the host", f)
    t.expect("still not answering" in f.get("summary", ""), "summary: not back", f)
    ev = "\n".join(f.get("evidence", []))
    t.expect("dicom_ae_policy: A-ASSOCIATE-RQ" in ev and "contexts Verification" in ev,
             "evidence names the last exchange with its contexts", ev)
    t.expect("still planned, not run:" in ev, "evidence lists what was still planned", ev)
    t.expect(s["findings"][0]["rule_id"] == "DEVICE-STOPPED-ANSWERING" or
             s["findings"][0]["severity"] == "critical", "the finding sorts first (high)", 
             [x["rule_id"] for x in s["findings"]])

    # As it happens: the stderr line; at the top of every report.
    t.expect(f"{IP} stopped answering during the scan" in r.stderr,
             "stderr says so as it happens", r.stderr)
    t.expect("DEVICE STOPPED ANSWERING" in r.stderr, "terminal summary says so", r.stderr)
    md = open(os.path.join(r.outdir, "report.md")).read()
    t.expect(0 <= md.find("stopped answering during this scan") < md.find("## Scan"),
             "report.md: the banner before everything else", md[:800])
    html = open(os.path.join(r.outdir, "report.html")).read()
    t.expect(0 <= html.find('id="stopped"') < html.find("<nav>"),
             "report.html: the banner in the header", html[:200])
    csv = open(os.path.join(r.outdir, "findings.csv")).read()
    t.expect(f["id"] in csv and "DEVICE-STOPPED-ANSWERING" in csv, "findings.csv carries it")
    sarif = open(os.path.join(r.outdir, "findings.sarif")).read()
    t.expect("DEVICE-STOPPED-ANSWERING" in sarif, "findings.sarif carries it")
    errs = h.schema_errors(s, os.path.join(t.source, "docs", "scan.schema.json"))
    t.expect(not errs, "scan.json valid against docs/scan.schema.json", errs)


if __name__ == "__main__":
    h.run(main)
