#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""storescp (accepts anything): DICOM found, any called and calling AE accepted, echo open,
storage negotiated; nothing written to the server (safe profile)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def main(t):
    srv = t.start_storescp()
    port = srv.port
    r = t.scan([IP, "-p", str(port), "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan

    ep = h.endpoint(s, IP, port)
    t.require_that(ep is not None, f"endpoint {IP}:{port} in scan.json", s.get("endpoints"))
    t.expect_eq(ep.get("state"), "open", "port state")
    t.expect_eq(ep.get("speaks_dicom"), True, "speaks_dicom", ep)
    t.expect_eq(ep.get("service"), "dicom", "service", ep)
    t.expect(ep.get("impl_class_uid", "").startswith("1.2.276.0.7230010.3"),
             "endpoint records storescp's Implementation Class UID (DCMTK root)", ep)
    t.expect_eq(ep.get("impl_version"), "OFFIS_DCMTK_367", "Implementation Version Name", ep)
    t.expect_eq(ep.get("peer_max_pdu"), 16384, "peer max PDU (storescp default)", ep)

    tcp = h.one_observation(t, s, "tcp_connect", IP, port)
    if tcp:
        t.expect_eq(tcp["data"].get("state"), "open", "tcp_connect state", tcp)

    a = h.one_observation(t, s, "dicom_associate", IP, port)
    if a:
        t.expect_eq(a.get("outcome"), "ok", "dicom_associate outcome", a)
        t.expect_eq(a["data"].get("speaks_dicom"), True, "dicom_associate speaks_dicom", a)

    pol = h.one_observation(t, s, "dicom_ae_policy", IP, port)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("any_called"), "yes", "random called AE accepted", pol)
        t.expect_eq(d.get("any_calling"), "yes", "random calling AE accepted", pol)
        t.expect(bool(d.get("random_called_ae")) and d.get("random_called_ae") not in
                 ("STORESCP", "ANY-SCP"), "random called AE is random", d.get("random_called_ae"))

    e = h.one_observation(t, s, "dicom_echo", IP, port)
    if e:
        t.expect_eq(e["data"].get("echo_outcome"), "ok", "C-ECHO outcome", e)
        t.expect_eq(e["data"].get("status"), 0, "C-ECHO status", e)

    sv = h.one_observation(t, s, "dicom_services", IP, port)
    if sv:
        att = sv["data"].get("attempt", {})
        acc, prop = h.accepted_uids(att), h.proposed_uids(att)
        t.expect(any(u.startswith(h.UID_STORAGE_PREFIX) for u in acc),
                 "a storage SOP class was accepted (storage negotiated)", att.get("contexts"))
        t.expect(prop & h.UID_FIND, "Patient/Study Root FIND proposed", sorted(prop))
        t.expect(not (acc & (h.UID_FIND | h.UID_MOVE | h.UID_GET | h.UID_MWL)),
                 "storescp accepted no FIND/MOVE/GET/MWL context", att.get("contexts"))
        t.expect_eq(sv["data"].get("canary_accepted"), False, "bogus SOP class not accepted", sv)
    if e and sv:
        # One association for both: the echo's proposed the service contexts and stayed open.
        # The services' observation lists the whole negotiation, the echo's Verification only.
        ea, sa = dict(e["data"].get("attempt", {})), dict(sv["data"].get("attempt", {}))
        ectx, sctx = ea.pop("contexts", []), sa.pop("contexts", [])
        t.expect(e["data"].get("shared_association") is True and ea == sa and
                 [c.get("name") for c in ectx] == ["Verification"] and
                 ectx[0] in sctx and len(sctx) > 1,
                 "C-ECHO and the services' negotiation shared one association",
                 [e["data"], sv["data"].get("attempt")])

    h.expect_rules(t, s, IP, port,
                   required=["ASSET-DICOM-SCP", "ASSET-DICOM-FINGERPRINT", "DICOM-CLEARTEXT",
                             "DICOM-AE-ANY-CALLED", "DICOM-AE-ANY-CALLING", "DICOM-UNAUTH-ECHO",
                             "DICOM-UNAUTH-STORE"],
                   forbidden=["DICOM-UNAUTH-FIND", "DICOM-UNAUTH-MOVE", "DICOM-UNAUTH-GET",
                              "DICOM-UNAUTH-MWL", "DICOM-AE-DEFAULT-TITLE",
                              "DICOM-AE-GUESSABLE-CALLING"])
    for f in h.findings(s, IP, port, "DICOM-UNAUTH-STORE"):
        t.expect_eq(f.get("evidence_level"), "negotiated", "DICOM-UNAUTH-STORE evidence level", f)
        t.expect_eq(f.get("confidence"), "tentative", "DICOM-UNAUTH-STORE confidence", f)
    h.expect_finding_shape(t, s)

    t.expect(os.path.exists(os.path.join(r.outdir, "report.md")), "report.md written")
    stored = [n for n in os.listdir(srv.outdir)]
    t.expect(not stored, "safe profile stored nothing on the server", stored)
    t.expect(srv.alive(), "storescp still running after the scan", srv.log_text()[-2000:])


if __name__ == "__main__":
    h.run(main)
