#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Safe and intrusive profiles against dcmqrscp that admits any calling AE, holding three canary
studies of two canary patients, with the scanner's AE as a C-MOVE destination.
Safe: the null-match C-FIND and C-GET are confirmed, no intrusive probe runs, nothing is written.
Intrusive: the universal queries count 2 patients and 3 studies, the synthetic object is stored
(and dcmqrscp really holds it), the C-MOVE brings exactly that object to the scanner's listener,
the report lists the UIDs to delete; at the cap the scanner sends C-CANCEL. No canary value in any output."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def findscu_count(t, port, level, key):
    """How many entries dcmqrscp returns (checked with DCMTK's own findscu, as a peer it admits)."""
    p = subprocess.run(["findscu", "-S", "-aet", "FINDSCU", "-aec", "QRSCP", IP, str(port),
                        "-k", f"QueryRetrieveLevel={level}", "-k", key],
                       capture_output=True, text=True, timeout=30)
    return p.stderr.count("Find Response:") + p.stdout.count("Find Response:")


def one(t, scan, probe, port):
    return h.one_observation(t, scan, probe, IP, port)


def main(t):
    h.require("findscu")
    listen = h.free_port()
    files = [t.canary_file(f"canary-{p}{s}.dcm", patient=p, study=s)
             for p, s in ((1, 1), (1, 2), (2, 3))]
    srv = t.start_dcmqrscp(aet="QRSCP", peers=(), files=files,
                           destinations=[("PACSCAN", "localhost", listen)])
    port = srv.port
    t.require_that(findscu_count(t, port, "STUDY", "StudyInstanceUID") == 3,
                   "server: dcmqrscp holds 3 studies")

    # ---- safe profile: confirmed without data, nothing written
    r = t.scan([IP, "-p", str(port), "--called-aet", "QRSCP"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    q = one(t, s, "dicom_null_query", port)
    if q:
        res = {x["service"]: x for x in q["data"]["results"]}
        t.expect_eq(res.get("StudyRootFind", {}).get("outcome"), "success", "null C-FIND", q)
        t.expect_eq(res.get("StudyRootFind", {}).get("matches"), 0, "null C-FIND: no match", q)
        t.expect_eq(res.get("StudyRootGet", {}).get("outcome"), "success", "null C-GET", q)
        t.expect_eq(res.get("StudyRootGet", {}).get("status"), 0, "null C-GET status 0", q)
    for rule, level in (("DICOM-UNAUTH-FIND", "confirmed"), ("DICOM-UNAUTH-GET", "confirmed")):
        f = h.findings(s, IP, port, rule)
        t.expect(len(f) == 1 and f[0].get("evidence_level") == level and
                 f[0].get("severity") == "high", f"safe: {rule} {level}, high", f)
    ran = {o["probe"] for o in s["observations"]}
    t.expect(not ran & {"dicom_data_query", "dicom_store_test", "dicom_move_self"},
             "safe profile runs no intrusive probe", sorted(ran))
    t.expect(findscu_count(t, port, "STUDY", "StudyInstanceUID") == 3,
             "safe profile wrote nothing (still 3 studies)")
    h.expect_no_canary(t, r.outdir)

    # ---- intrusive profile
    r = t.scan([IP, "-p", str(port), "--called-aet", "QRSCP", "--profile", "intrusive",
                "--listen-port", str(listen)], quiet=False)
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    t.expect("WARNING: intrusive profile" in r.stderr, "intrusive profile warned on stderr",
             r.stderr[-2000:])
    s = r.scan
    dq = one(t, s, "dicom_data_query", port)
    if dq:
        res = {x["service"]: x for x in dq["data"]["results"]}
        t.expect_eq((res.get("PatientRootFind", {}).get("outcome"),
                     res.get("PatientRootFind", {}).get("count")), ("success", 2),
                    "universal PATIENT query counts 2 patients", dq)
        t.expect_eq((res.get("StudyRootFind", {}).get("outcome"),
                     res.get("StudyRootFind", {}).get("count")), ("success", 3),
                    "universal STUDY query counts 3 studies", dq)
    f = h.findings(s, IP, port, "DICOM-UNAUTH-FIND")
    t.expect(len(f) == 1 and f[0].get("evidence_level") == "data" and
             f[0].get("severity") == "critical", "intrusive: DICOM-UNAUTH-FIND data, critical", f)

    st = one(t, s, "dicom_store_test", port)
    obj = {}
    if st:
        t.expect_eq(st["data"].get("outcome"), "stored", "synthetic object stored", st)
        obj = st["data"].get("object", {})
    if obj:
        t.expect(findscu_count(t, port, "STUDY", f"StudyInstanceUID={obj['study_instance_uid']}")
                 == 1, "dcmqrscp really holds the synthetic study", obj)
        f = h.findings(s, IP, port, "DICOM-UNAUTH-STORE")
        t.expect(len(f) == 1 and f[0].get("evidence_level") == "written" and
                 any(obj["sop_instance_uid"] in e for e in f[0].get("evidence", [])),
                 "DICOM-UNAUTH-STORE written, with the SOP instance UID in its evidence", f)
        with open(os.path.join(r.outdir, "report.md")) as fh:
            md = fh.read()
        t.expect("Objects written by this scan" in md and obj["study_instance_uid"] in md,
                 "report.md lists the written object for clean-up")
        with open(os.path.join(r.outdir, "report.html")) as fh:
            t.expect(obj["sop_instance_uid"] in fh.read(), "report.html lists the written object")

    mv = one(t, s, "dicom_move_self", port)
    if mv:
        d = mv["data"]
        t.expect_eq((d.get("outcome"), d.get("status")), ("success", 0), "C-MOVE to self success",
                    mv)
        got = d.get("received", [])
        t.expect(len(got) == 1 and got[0].get("objects") == 1 and got[0].get("ours") == 1 and
                 got[0].get("calling_ae") == "QRSCP",
                 "exactly the synthetic object reached the listener, from the PACS's AE", got)
    f = h.findings(s, IP, port, "DICOM-UNAUTH-MOVE-ANYDEST")
    t.expect(len(f) == 1 and f[0].get("evidence_level") == "data",
             "DICOM-UNAUTH-MOVE-ANYDEST with data evidence (the study left the archive)", f)
    errs = h.schema_errors(s, os.path.join(t.source, "docs", "scan.schema.json"))
    t.expect(not errs, "intrusive scan.json validates against docs/scan.schema.json", errs[:10])
    h.expect_no_canary(t, r.outdir)

    # ---- the cap: C-CANCEL after 2 entries (4 studies now, with the synthetic one)
    r = t.scan([IP, "-p", str(port), "--called-aet", "QRSCP", "--profile", "intrusive",
                "--probes", "dicom_associate,dicom_ae_policy,dicom_services,dicom_data_query",
                "--max-data-matches", "2"])
    t.expect_rc(r, 0)
    dq = one(t, r.scan, "dicom_data_query", port)
    if dq:
        res = {x["service"]: x for x in dq["data"]["results"]}
        sr = res.get("StudyRootFind", {})
        # dcmqrscp may already have sent every response when the C-CANCEL arrives (measured: it
        # answers 4 studies in under 1 ms), so only "cancel sent at the cap" is certain.
        t.expect(sr.get("capped") is True and 2 <= sr.get("count", 0) <= 4 and
                 sr.get("status") in (0x0000, 0xFE00),
                 "STUDY query: C-CANCEL sent at the cap, final status success or cancelled", sr)
        t.expect(dq["data"].get("cap") == 2, "cap recorded", dq["data"])
    h.expect_no_canary(t, r.outdir)


if __name__ == "__main__":
    h.run(main)
