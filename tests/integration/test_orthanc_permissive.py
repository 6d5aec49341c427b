#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Orthanc (Debian's package) with a permissive configuration (called AE not checked, echo and
store always allowed, REST without authentication): the matching findings; its HTTP port is not
DICOM; the canary study it holds never reaches an output."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def main(t):
    srv = t.start_orthanc("permissive")
    port, http = srv.port, srv.http_port
    t.require_that(t.storescu(IP, port, [t.canary_file()], "RANDOMSCU", "WHATEVER"),
                   "server: canary study stored with random AEs")
    t.require_that(t.echo_ok(IP, port, "RND1X", "RND2Y"), "server: echo with random AEs works")

    r = t.scan([IP, "-p", f"{port},{http}", "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan

    ep = h.endpoint(s, IP, port)
    t.require_that(ep is not None, f"endpoint {IP}:{port}", s.get("endpoints"))
    t.expect_eq(ep.get("speaks_dicom"), True, "DICOM port speaks_dicom", ep)
    web = h.endpoint(s, IP, http)
    t.expect(web is not None and web.get("state") == "open" and web.get("speaks_dicom") is False,
             "HTTP port open and not DICOM", web)
    dicom_rules_on_web = [x for x in h.rules_at(s, IP, http)
                          if x.startswith("DICOM-") or x.startswith("ASSET-DICOM")]
    t.expect(not dicom_rules_on_web, "no DICOM finding on the HTTP port", dicom_rules_on_web)

    pol = h.one_observation(t, s, "dicom_ae_policy", IP, port)
    if pol:
        t.expect_eq(pol["data"].get("any_called"), "yes", "random called AE accepted", pol["data"])
        t.expect_eq(pol["data"].get("any_calling"), "yes", "random calling AE accepted", pol["data"])
    e = h.one_observation(t, s, "dicom_echo", IP, port)
    if e:
        t.expect_eq(e["data"].get("status"), 0, "C-ECHO status", e)
    sv = h.one_observation(t, s, "dicom_services", IP, port)
    if sv:
        att = sv["data"].get("attempt", {})
        t.expect(any(u.startswith(h.UID_STORAGE_PREFIX) for u in h.accepted_uids(att)),
                 "storage negotiated", att.get("contexts"))
        print("      (Orthanc permissive accepted: " +
              ", ".join(sorted(c.get("name") or c.get("abstract_syntax", "?")
                               for c in att.get("contexts", []) if c.get("result") == 0)) + ")")

    h.expect_rules(t, s, IP, port,
                   required=["ASSET-DICOM-SCP", "DICOM-CLEARTEXT", "DICOM-AE-ANY-CALLED",
                             "DICOM-AE-ANY-CALLING", "DICOM-UNAUTH-ECHO", "DICOM-UNAUTH-STORE"],
                   forbidden=["DICOM-AE-GUESSABLE-CALLING", "DICOM-AE-DEFAULT-TITLE"])
    h.expect_finding_shape(t, s)
    h.expect_no_canary(t, r.outdir)
    t.expect(srv.alive(), "Orthanc still running", srv.log_text()[-2000:])


if __name__ == "__main__":
    h.run(main)
