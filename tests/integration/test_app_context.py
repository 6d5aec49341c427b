#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""dicom_app_context: an A-ASSOCIATE-RQ whose Application Context Name is a random UID.
storescp (DCMTK) rejects it with A-ASSOCIATE-RJ source service-user, reason 2
(application-context-name-not-supported): DICOM-APP-CONTEXT-UNCHECKED passes. The
accept-everything decoy of tests/lab/hostile.py accepts it: the rule fires, with what was sent."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"
RULE = "DICOM-APP-CONTEXT-UNCHECKED"
DICOM_CONTEXT = "1.2.840.10008.3.1.1.1"


def check_of(scan, ip, port, rule):
    return [c for c in scan.get("checks", [])
            if c.get("rule_id") == rule and c.get("asset") == f"{ip}:{port}"]


def main(t):
    scp = t.start_storescp()
    decoy = t.start_hostile("decoy")
    r = t.scan([IP, "-p", f"{scp.port},{decoy.port}", "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    s = r.scan

    # ---- storescp: rejected, reason 2
    o = h.one_observation(t, s, "dicom_app_context", IP, scp.port)
    if o:
        d = o["data"]
        sent = d.get("sent_context", "")
        t.expect(sent.startswith("2.25.") and sent != DICOM_CONTEXT,
                 "a random 2.25 UID was proposed as application context", d)
        att = d.get("attempt", {})
        t.expect_eq(o.get("outcome"), "rejected", "storescp rejects the unknown context", o)
        rj = att.get("reject") or {}
        t.expect_eq((rj.get("result"), rj.get("source"), rj.get("reason")), (1, 1, 2),
                    "A-ASSOCIATE-RJ permanent / service-user / application-context-name-not-"
                    "supported", att)
        t.expect_eq(d.get("released"), False, "nothing to release after a reject", d)
    c = check_of(s, IP, scp.port, RULE)
    if t.expect(len(c) == 1, f"one {RULE} check on storescp", s.get("checks")):
        t.expect_eq(c[0].get("verdict"), "pass", f"{RULE} passes on storescp", c[0])
        t.expect("reason 2" in c[0].get("reason", ""), "the pass names reason 2", c[0])
    t.expect(not h.findings(s, IP, scp.port, RULE), f"no {RULE} finding on storescp")
    # The probe came after dicom_echo and did not stop the rest of the chain.
    e = h.one_observation(t, s, "dicom_echo", IP, scp.port)
    if e:
        t.expect_eq(e["data"].get("echo_outcome"), "ok", "C-ECHO still answered", e)
    h.one_observation(t, s, "dicom_services", IP, scp.port)

    # ---- the decoy: accepted
    o = h.one_observation(t, s, "dicom_app_context", IP, decoy.port)
    sent = ""
    if o:
        d = o["data"]
        sent = d.get("sent_context", "")
        t.expect_eq(o.get("outcome"), "ok", "the decoy accepts the unknown context", o)
        t.expect_eq(d.get("released"), True, "the accepted association was released", d)
    f = h.findings(s, IP, decoy.port, RULE)
    if t.expect(len(f) == 1, f"one {RULE} finding on the decoy", h.rules_at(s, IP, decoy.port)):
        f = f[0]
        t.expect_eq(f.get("severity"), "low", "severity", f)
        t.expect(sent and any(sent in e for e in f.get("evidence", [])),
                 "evidence names the application context sent", f)
        t.expect(any("A-ASSOCIATE-AC" in e for e in f.get("evidence", [])),
                 "evidence says what came back", f)
    h.expect_finding_shape(t, s)
    t.expect(scp.alive(), "storescp still running after the scan", scp.log_text()[-2000:])


if __name__ == "__main__":
    h.run(main)
