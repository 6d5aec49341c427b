#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Orthanc's REST /system names its DICOM AE title; pacscan feeds it back to the AE-title probe.

Debian's Orthanc with DicomCheckCalledAet: true, a title no list holds (ZQ7PACSXR) and its HTTP
API open (no authentication), on its usual ports 4242 (DICOM) and 8042 (HTTP) inside the test's
own network namespace (and a second one on 11112 and 8080):
- scanned on both ports (listed in either order): http_imaging on 8042 runs before the DICOM
  probes on 4242, dicom_ae_policy tries the reported title right after the random one, finds it
  with source "web" and says so; C-ECHO and the services association then use it; the title is
  known, not guessed, so DICOM-AE-DEFAULT-TITLE passes;
- control, DICOM port only: the title is not found (nothing is tried with it)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"
AET = "ZQ7PACSXR"
# Two servers, so that the DICOM port sorts once below and once above the web port: the sweep
# reports ports in an order of its own, and only the engine's ordering may decide.
LAYOUTS = ((4242, 8042), (11112, 8080))


def check(scan, rule, port):
    for c in scan.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == f"{IP}:{port}":
            return c
    return {}


def scan_both(t, DICOM, HTTP):
    r = t.scan([IP, "-p", f"{DICOM},{HTTP}", "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    web = h.one_observation(t, s, "http_imaging", IP, HTTP)
    if web:
        t.expect_eq((web["data"].get("orthanc") or {}).get("dicom_aet"), AET,
                    "/system DicomAet read on the HTTP port", web["data"])
    order = [(o.get("probe"), o.get("port")) for o in s.get("observations", [])
             if o.get("probe") in ("http_imaging", "dicom_ae_policy")]
    t.expect(("http_imaging", HTTP) in order and ("dicom_ae_policy", DICOM) in order and
             order.index(("http_imaging", HTTP)) < order.index(("dicom_ae_policy", DICOM)),
             "the HTTP port was probed before the DICOM port's AE policy", order)

    pol = h.one_observation(t, s, "dicom_ae_policy", IP, DICOM)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("any_called"), "no", "random called AE rejected", d)
        t.expect_eq(d.get("working_called_ae"), AET, "working called AE", d)
        t.expect_eq(d.get("working_called_source"), "web", "found from the web interface", d)
        called = [a.get("called_ae") for a in d.get("attempts") or []]
        t.expect(len(called) >= 2 and called[0] == d.get("random_called_ae") and called[1] == AET,
                 f"{AET} tried right after the random title, before any guess", called)
        t.expect(f"reported by the host's Orthanc REST /system on port {HTTP} (DicomPort {DICOM}, "
                 "this port), accepted" in pol.get("summary", ""),
                 "the AE probe says where the title came from", pol.get("summary"))
    ep = h.endpoint(s, IP, DICOM)
    t.expect_eq((ep or {}).get("called_ae"), AET, "endpoint called_ae", ep)
    e = h.one_observation(t, s, "dicom_echo", IP, DICOM)
    if e:
        t.expect_eq(e["data"].get("attempt", {}).get("called_ae"), AET, "C-ECHO addressed to it",
                    e["data"].get("attempt"))
        t.expect_eq(e["data"].get("status"), 0, "C-ECHO status", e)
    sv = h.one_observation(t, s, "dicom_services", IP, DICOM)
    if sv:
        att = sv["data"].get("attempt", {})
        t.expect_eq(att.get("called_ae"), AET, "services association addressed to it", att)
        t.expect_eq(att.get("outcome"), "ok", "services association accepted", att)
    h.expect_rules(t, s, IP, DICOM,
                   required=["DICOM-AE-ANY-CALLING", "DICOM-UNAUTH-ECHO", "DICOM-UNAUTH-STORE"],
                   forbidden=["DICOM-AE-ANY-CALLED", "DICOM-AE-DEFAULT-TITLE"])
    dt = check(s, "DICOM-AE-DEFAULT-TITLE", DICOM)
    t.expect(dt.get("verdict") == "pass" and "Orthanc REST /system" in dt.get("reason", ""),
             "DICOM-AE-DEFAULT-TITLE: a title from the web interface is known, not guessed", dt)
    for f in h.findings(s, IP, DICOM, "DICOM-AE-ANY-CALLING"):
        t.expect(any("Orthanc REST /system" in x for x in f.get("evidence", [])),
                 "DICOM-AE-ANY-CALLING evidence names the title's source", f)
    h.expect_finding_shape(t, s)


def main(t):
    with open(os.path.join(t.source, "data", "ae-titles.tsv")) as f:
        listed = {l.split("\t")[0] for l in f if l.strip() and not l.startswith("#")}
    t.require_that(AET not in listed, f"{AET} is on no well-known list", sorted(listed))
    servers = []
    for dicom, http in LAYOUTS:
        srv = t.start_orthanc("permissive", dicom_port=dicom, http_port=http, DicomAet=AET,
                              DicomCheckCalledAet=True)
        servers.append(srv)
        t.require_that(t.echo_reject_reason(IP, dicom, "ECHOSCU", "RNDCALLED") ==
                       "Called AE Title Not Recognized", "server: random called AE rejected")
        t.require_that(t.echo_ok(IP, dicom, "RNDCALLING", AET), f"server: {AET} accepted")

    # 1. Both ports of one server: the engine probes the HTTP port first.
    for dicom, http in LAYOUTS:
        print(f"--- DICOM {dicom}, HTTP {http}")
        scan_both(t, dicom, http)

    DICOM, HTTP = LAYOUTS[0]
    # 2. Control: the DICOM port alone. Nothing reports the title, and no list holds it.
    r = t.scan([IP, "-p", str(DICOM), "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    s = r.scan
    pol = h.one_observation(t, s, "dicom_ae_policy", IP, DICOM)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("working_called_ae", ""), "", "no working called AE without the web", d)
        t.expect(d.get("working_called_source", "none") != "web", "no web source", d)
        t.expect("Orthanc REST" not in pol.get("summary", ""), "no web fact claimed",
                 pol.get("summary"))
    tried = [a.get("called_ae") for o in h.observations(s, None, IP, DICOM)
             for a in h.attempts_in(o)]
    t.expect(tried and AET not in tried, f"{AET} never tried on the DICOM port alone", tried)
    t.expect(not h.observations(s, "http_imaging", IP, HTTP), "port 8042 not probed")
    h.expect_rules(t, s, IP, DICOM, forbidden=["DICOM-UNAUTH-ECHO", "DICOM-UNAUTH-STORE"])
    for srv in servers:
        t.expect(srv.alive(), "Orthanc still running", srv.log_text()[-2000:])


if __name__ == "__main__":
    h.run(main)
