#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Intrusive profile against Orthanc 1.10.1, both ways:
1. the lab's permissive Orthanc (unknown peers may store, not query or retrieve): Orthanc
   negotiates FIND/MOVE then aborts the commands, so the data query and the C-MOVE test report
   "aborted" and DICOM-UNAUTH-FIND / -MOVE do not fail; the synthetic object is stored and Orthanc
   really holds it (REST /tools/lookup).
2. Orthanc open to everything (DicomAlwaysAllowFind/Move) with the scanner's AE as a modality:
   the universal queries count the one canary patient and study, and the C-MOVE delivers exactly
   the synthetic object to the scanner's listener from Orthanc's AE.
No canary value in any output."""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def lookup(port, uid):
    req = urllib.request.Request(f"http://{IP}:{port}/tools/lookup", data=uid.encode(),
                                 method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def results(obs):
    return {x["service"]: x for x in (obs or {}).get("data", {}).get("results", [])}


def main(t):
    # ---- 1: permissive lab Orthanc: store yes, query / retrieve aborted
    listen = h.free_port()
    srv = t.start_orthanc("permissive", DicomModalities={"pacscan": ["PACSCAN", IP, listen]})
    t.require_that(t.storescu(IP, srv.port, [t.canary_file()], "RANDOMSCU", "WHATEVER"),
                   "server: canary study stored")
    r = t.scan([IP, "-p", str(srv.port), "--profile", "intrusive", "--listen-port", str(listen)])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    dq = h.one_observation(t, s, "dicom_data_query", IP, srv.port)
    if dq:
        t.expect(all(x["outcome"] == "aborted" and x["count"] == 0 for x in results(dq).values())
                 and results(dq), "Orthanc aborts the universal queries of an unknown peer", dq)
    st = h.one_observation(t, s, "dicom_store_test", IP, srv.port)
    if st:
        t.expect_eq(st["data"].get("outcome"), "stored", "synthetic object stored", st)
        uid = st["data"]["object"]["sop_instance_uid"]
        found = lookup(srv.http_port, uid)
        t.expect(len(found) == 1 and found[0].get("Type") == "Instance",
                 "Orthanc really holds the synthetic instance", found)
    mv = h.one_observation(t, s, "dicom_move_self", IP, srv.port)
    if mv:
        t.expect(mv["data"].get("outcome") == "aborted" and not mv["data"].get("received"),
                 "C-MOVE aborted by Orthanc, nothing reached the listener", mv["data"])
    h.expect_rules(t, s, IP, srv.port, required=["DICOM-UNAUTH-STORE"],
                   forbidden=["DICOM-UNAUTH-FIND", "DICOM-UNAUTH-MOVE-ANYDEST"])
    f = h.findings(s, IP, srv.port, "DICOM-UNAUTH-STORE")
    t.expect(f and f[0].get("evidence_level") == "written", "store finding: written", f)
    h.expect_no_canary(t, r.outdir)
    t.stop(srv)

    # ---- 2: Orthanc open to queries and moves, the scanner's AE known as a modality
    listen = h.free_port()
    srv = t.start_orthanc("permissive", DicomAlwaysAllowFind=True, DicomAlwaysAllowMove=True,
                          DicomModalities={"pacscan": ["PACSCAN", IP, listen]})
    t.require_that(t.storescu(IP, srv.port, [t.canary_file()], "RANDOMSCU", "WHATEVER"),
                   "server: canary study stored")
    r = t.scan([IP, "-p", str(srv.port), "--profile", "intrusive", "--listen-port", str(listen)])
    t.expect_rc(r, 0)
    s = r.scan
    dq = results(h.one_observation(t, s, "dicom_data_query", IP, srv.port))
    t.expect_eq(dq.get("PatientRootFind", {}).get("count"), 1, "one canary patient counted", dq)
    t.expect_eq(dq.get("StudyRootFind", {}).get("count"), 1, "one canary study counted", dq)
    f = h.findings(s, IP, srv.port, "DICOM-UNAUTH-FIND")
    t.expect(f and f[0].get("evidence_level") == "data" and f[0].get("severity") == "critical",
             "DICOM-UNAUTH-FIND: data, critical", f)
    mv = h.one_observation(t, s, "dicom_move_self", IP, srv.port)
    if mv:
        got = mv["data"].get("received", [])
        t.expect(mv["data"].get("outcome") == "success" and len(got) == 1 and
                 got[0].get("ours") == 1 and got[0].get("objects") == 1 and
                 got[0].get("calling_ae") == srv.aet,
                 "Orthanc moved exactly the synthetic object to the scanner's AE", mv["data"])
    f = h.findings(s, IP, srv.port, "DICOM-UNAUTH-MOVE-ANYDEST")
    t.expect(f and f[0].get("evidence_level") == "data", "DICOM-UNAUTH-MOVE-ANYDEST: data", f)
    h.expect_no_canary(t, r.outdir)


if __name__ == "__main__":
    h.run(main)
