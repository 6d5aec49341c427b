#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Orthanc with DicomCheckCalledAet: true (AE ORTHANC, the factory default): a random called AE
is rejected (1/1/7), ORTHANC is found by the well-known list -> DICOM-AE-DEFAULT-TITLE, and no
DICOM-AE-ANY-CALLED. Calling AEs are still unchecked (echo/store always allowed)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def main(t):
    srv = t.start_orthanc("permissive", DicomCheckCalledAet=True, DicomAet="ORTHANC")
    port = srv.port
    t.require_that(t.echo_reject_reason(IP, port, "ECHOSCU", "RNDCALLED") ==
                   "Called AE Title Not Recognized", "server: random called AE rejected")
    t.require_that(t.echo_ok(IP, port, "RNDCALLING", "ORTHANC"),
                   "server: ORTHANC with a random calling AE accepted")

    r = t.scan([IP, "-p", str(port), "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    ep = h.endpoint(s, IP, port)
    t.require_that(ep is not None, f"endpoint {IP}:{port}", s.get("endpoints"))
    t.expect_eq(ep.get("speaks_dicom"), True, "speaks_dicom", ep)
    t.expect_eq(ep.get("called_ae"), "ORTHANC", "endpoint called_ae", ep)

    a = h.one_observation(t, s, "dicom_associate", IP, port)
    if a:
        t.expect_eq(a.get("outcome"), "rejected", "first association (random called AE)", a)
        rej = a["data"].get("attempt", {}).get("reject") or {}
        t.expect((rej.get("result"), rej.get("source"), rej.get("reason")) == (1, 1, 7),
                 "reject 1/1/7 (called AE not recognized) recorded", a["data"].get("attempt"))
    pol = h.one_observation(t, s, "dicom_ae_policy", IP, port)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("any_called"), "no", "random called AE rejected", d)
        t.expect_eq(d.get("working_called_ae"), "ORTHANC", "working called AE", d)
        t.expect_eq(d.get("working_called_source"), "well_known", "found by the well-known list", d)
        t.expect_eq(d.get("any_calling"), "yes", "random calling AE accepted (with ORTHANC)", d)
    e = h.one_observation(t, s, "dicom_echo", IP, port)
    if e:
        t.expect_eq(e["data"].get("status"), 0, "C-ECHO via ORTHANC status", e)

    h.expect_rules(t, s, IP, port,
                   required=["ASSET-DICOM-SCP", "DICOM-AE-DEFAULT-TITLE", "DICOM-AE-ANY-CALLING",
                             "DICOM-UNAUTH-ECHO", "DICOM-UNAUTH-STORE"],
                   forbidden=["DICOM-AE-ANY-CALLED"])
    for f in h.findings(s, IP, port, "DICOM-AE-DEFAULT-TITLE"):
        t.expect("ORTHANC" in " ".join([f.get("summary", "")] + f.get("evidence", [])),
                 "DICOM-AE-DEFAULT-TITLE names ORTHANC in its evidence", f)
    h.expect_finding_shape(t, s)


if __name__ == "__main__":
    h.run(main)
