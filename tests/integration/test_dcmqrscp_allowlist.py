#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""dcmqrscp with an AE allow-list (AE QRSCP; only peer FINDSCU from "localhost"): DICOM found,
random calling AE rejected with the reject reason recorded, the configured peer AE (a
well-known tool default) admitted, FIND negotiated only for the allowed peer. dcmqrscp answers
a disallowed calling AE with the same reject as an unknown called AE (1/1/7), so a scan
without the called-AE hint must not conclude anything about the calling-AE policy."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def all_attempts(s, port):
    out = []
    for o in h.observations(s, None, IP, port):
        for a in h.attempts_in(o):
            out.append((o["probe"], a))
    return out


def main(t):
    srv = t.start_dcmqrscp(aet="QRSCP", peers=[("FINDSCU", "localhost")])
    port = srv.port
    # the server facts the test relies on (measured, DCMTK 3.6.7)
    t.require_that(t.echo_ok(IP, port, "FINDSCU", "QRSCP"), "server: FINDSCU -> QRSCP echo works")
    t.require_that(t.echo_reject_reason(IP, port, "RANDOM7Q", "QRSCP") ==
                   "Called AE Title Not Recognized",
                   "server: random calling AE rejected (reason 'Called AE Title Not Recognized')")

    # ---- 1: with the called AE hint
    r = t.scan([IP, "-p", str(port), "--called-aet", "QRSCP", "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    ep = h.endpoint(s, IP, port)
    t.require_that(ep is not None, f"endpoint {IP}:{port}", s.get("endpoints"))
    t.expect_eq(ep.get("speaks_dicom"), True, "speaks_dicom", ep)

    a = h.one_observation(t, s, "dicom_associate", IP, port)
    if a:
        t.expect_eq(a.get("outcome"), "rejected", "first association (random AEs) rejected", a)
        t.expect_eq(a["data"].get("speaks_dicom"), True, "an A-ASSOCIATE-RJ is DICOM", a)
        rej = a["data"].get("attempt", {}).get("reject") or {}
        t.expect((rej.get("result"), rej.get("source"), rej.get("reason")) == (1, 1, 7),
                 "reject result/source/reason recorded as 1/1/7", a["data"].get("attempt"))
        t.expect(bool(rej.get("text")), "reject reason text recorded", rej)

    pol = h.one_observation(t, s, "dicom_ae_policy", IP, port)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("any_called"), "no", "random called AE not accepted", d)
        t.expect_eq(d.get("working_called_ae"), "QRSCP", "working called AE", d)
        t.expect_eq(d.get("any_calling"), "no", "random calling AE rejected", d)
        t.expect_eq(d.get("admitted_calling_ae"), "FINDSCU", "admitted calling AE", d)
        t.expect_eq(d.get("admitted_calling_source"), "well_known", "admitted calling AE source", d)
        rnd = [x for x in d.get("attempts", []) if x.get("calling_ae") == d.get("random_calling_ae")
               and x.get("called_ae") == "QRSCP"]
        t.expect(rnd and all(x.get("outcome") == "rejected" and x.get("reject") for x in rnd),
                 "random calling AE -> QRSCP attempt rejected, reject recorded", d.get("attempts"))

    sv = h.one_observation(t, s, "dicom_services", IP, port)
    if sv:
        att = sv["data"].get("attempt", {})
        t.expect_eq(att.get("calling_ae"), "FINDSCU", "services probed as the admitted peer", att)
        t.expect_eq(att.get("called_ae"), "QRSCP", "services probed on the working called AE", att)
        t.expect(h.accepted_uids(att) & h.UID_FIND, "FIND negotiated for the allowed peer",
                 att.get("contexts"))
    leaks = [(p, x) for p, x in all_attempts(s, port)
             if x.get("calling_ae") != "FINDSCU" and (x.get("outcome") == "ok" or h.accepted_uids(x))]
    t.expect(not leaks, "no association or context accepted for any other calling AE", leaks)

    h.expect_rules(t, s, IP, port,
                   required=["ASSET-DICOM-SCP", "DICOM-CLEARTEXT", "DICOM-AE-GUESSABLE-CALLING"],
                   forbidden=["DICOM-AE-ANY-CALLED", "DICOM-AE-ANY-CALLING"])
    h.expect_finding_shape(t, s)

    # ---- 2: no hint. The same reject for every called AE: nothing may be concluded.
    r2 = t.scan([IP, "-p", str(port), "--assoc-deadline", "5s"])
    t.expect_rc(r2, 0)
    s2 = r2.scan or {}
    pol2 = h.observations(s2, "dicom_ae_policy", IP, port)
    for p in pol2:
        t.expect(p["data"].get("any_called") != "yes", "no hint: any_called not 'yes'", p["data"])
        t.expect(p["data"].get("any_calling") != "yes", "no hint: any_calling not 'yes'", p["data"])
    h.expect_rules(t, s2, IP, port, required=["ASSET-DICOM-SCP"],
                   forbidden=["DICOM-AE-ANY-CALLED", "DICOM-AE-ANY-CALLING"])
    t.expect(srv.alive(), "dcmqrscp still running", srv.log_text()[-2000:])


if __name__ == "__main__":
    h.run(main)
