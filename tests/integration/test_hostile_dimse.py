#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile DIMSE behaviour after a valid association (tests/tools/hostile_scp, a DCMTK SCP: no
real server does this on purpose), safe and intrusive profiles:
- flood: every C-FIND / C-MOVE / C-GET gets pending responses without end, C-CANCEL ignored, each
  C-FIND answer carrying a canary identifier. The association's guards end each request: the
  hard deadline ("timed_out"), or on a fast machine the 64 MiB byte cap first ("error", the
  connection cut); the responses seen are counted, no canary reaches any output, and a request
  that never completed is not evidence of data exposure.
- silent: requests are read and never answered. Each ends at the DIMSE timeout; the C-STORE
  whose answer never came is listed as "possibly stored" for clean-up."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def results(t, scan, probe, port):
    o = h.one_observation(t, scan, probe, IP, port)
    return {x["service"]: x for x in (o or {}).get("data", {}).get("results", [])}


def ended_by_guard(x):
    """The association's deadline or its byte cap ended the request (which one wins depends on how
    fast the machine floods: about 370,000 responses reach the 64 MiB cap in 3 s here)."""
    return x.get("outcome") == "timed_out" or (
        x.get("outcome") == "error" and "bytes received: connection cut" in x.get("detail", ""))


def start(t, scp, mode):
    port = h.free_port()
    srv = t.start(f"hostile_scp-{mode}", [scp, str(port), mode])
    t.wait_until(f"hostile_scp {mode} listening", lambda: t.tcp_open(IP, port), srv=srv)
    return port


def main(t):
    scp = os.environ.get("PACSCAN_HOSTILE_SCP") or os.path.join(
        os.path.dirname(t.pacscan), "tests", "hostile_scp")
    t.require_that(os.access(scp, os.X_OK), f"hostile_scp test server built at {scp}")

    # ---- flood
    port = start(t, scp, "flood")
    r = t.scan([IP, "-p", str(port), "--profile", "intrusive", "--listen-port",
                str(h.free_port()), "--assoc-deadline", "3s", "--dimse-timeout", "2s",
                "--max-data-matches", "20"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    nq = results(t, s, "dicom_null_query", port)
    for svc in ("StudyRootFind", "StudyRootMove", "StudyRootGet"):
        x = nq.get(svc, {})
        t.expect(ended_by_guard(x) and x.get("matches", 0) > 0,
                 f"null-match {svc}: endless pending responses counted, ended by the deadline "
                 "or the byte cap", x)
    dq = results(t, s, "dicom_data_query", port)
    x = dq.get("StudyRootFind", {})
    t.expect(ended_by_guard(x) and x.get("capped") is True and x.get("count", 0) >= 20,
             "universal query: C-CANCEL sent at the cap, ignored, ended by the deadline or the "
             "byte cap", x)
    for rule in ("DICOM-UNAUTH-FIND", "DICOM-UNAUTH-GET", "DICOM-UNAUTH-MOVE-ANYDEST"):
        f = h.findings(s, IP, port, rule)
        t.expect(len(f) == 1 and f[0].get("evidence_level") == "negotiated",
                 f"{rule}: requests that never completed stay 'negotiated'", f)
    h.expect_no_canary(t, r.outdir)

    # ---- silent
    port = start(t, scp, "silent")
    r = t.scan([IP, "-p", str(port), "--profile", "intrusive", "--listen-port",
                str(h.free_port()), "--dimse-timeout", "1s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    nq = results(t, s, "dicom_null_query", port)
    t.expect(nq and all(x.get("outcome") == "timed_out" for x in nq.values()),
             "every null-match request timed out", nq)
    st = h.one_observation(t, s, "dicom_store_test", IP, port)
    if st:
        t.expect_eq(st["data"].get("outcome"), "timed_out", "C-STORE never answered", st)
        uid = st["data"]["object"]["sop_instance_uid"]
        with open(os.path.join(r.outdir, "report.md")) as fh:
            md = fh.read()
        row = [line for line in md.splitlines() if uid in line]
        t.expect(len(row) == 1 and "possibly stored" in row[0],
                 "report.md lists the unanswered C-STORE as possibly stored, with its UID")
    t.expect(not h.findings(s, IP, port, "DICOM-UNAUTH-STORE") or
             h.findings(s, IP, port, "DICOM-UNAUTH-STORE")[0].get("evidence_level") ==
             "negotiated", "an unanswered C-STORE is not 'written' evidence",
             h.findings(s, IP, port, "DICOM-UNAUTH-STORE"))


if __name__ == "__main__":
    h.run(main)
