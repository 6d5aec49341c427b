#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""AE titles one host of a scan shows, tried on the others (the site-wide table), on real servers
in a namespace lab of its own (nslab.py, namespaces psaet<pid>-*, 198.19.78.0/24). DCMTK servers
bind every address of a namespace, so each host is a namespace:

  .11  Orthanc, DICOM 4242 / REST 8042 open: DicomAet IMGARCH5 (DicomCheckCalledAet), and one
       configured peer WSQR9 (DicomModalities): /system and /modalities publish both titles
  .12  dcmqrscp IMGARCH5 on 104, peers: WSQR9 from the scanner's host
  .13  dcmqrscp IMGARCH5 on 104, peers: FINDSCU from the scanner's host
  .14  dcmqrscp READINGWS on 104, any peer; the scanner's resolver names .14 "readingws"

No title is a vendor default but FINDSCU, and no hint is given. The dcmqrscp servers send the
same reject for a wrong called and a wrong calling title. Scanned with one worker and a
one-at-a-time sweep, so the hosts are probed in address order (with several workers a title
learnt late helps only the endpoints probed after it): .12 and .13 get IMGARCH5 from .11's web
API through the site table, .12 its peer WSQR9 from .11's /modalities, .13 FINDSCU from the vendor
list, .14 its title from reverse DNS. Each says where the title came from, and the rules judge by
it: published by an open web API (unknown peer, not guessable), a vendor default (guessable), a
host name (guessable)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h
import nslab

NET = "198.19.78"
ORTH, QR_WEB, QR_VENDOR, QR_RDNS = f"{NET}.11", f"{NET}.12", f"{NET}.13", f"{NET}.14"


def echo_in(lab, ip, port, called, calling="ECHOSCU"):
    r = subprocess.run(lab.run_in(lab.scanner) + ["echoscu", "-to", "2", "-ta", "2", "-td", "2",
                                                  "-aet", calling, "-aec", called, ip, str(port)],
                       capture_output=True, text=True, timeout=15)
    return r.returncode == 0


def tcp_in(lab, ip, port):
    r = subprocess.run(lab.run_in(lab.scanner) + [h.PY, "-c",
                       f"import socket;socket.create_connection(('{ip}',{port}),1).close()"],
                       capture_output=True, timeout=10)
    return r.returncode == 0


def dcmqrscp(t, lab, ns, ip, aet, peer):
    d = os.path.join(t.tmp, f"qr-{ip}")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    hosts = f"peer0 = ({peer}, pacscan-scanner, 0)\n" if peer else ""
    cfg = os.path.join(d, "dcmqrscp.cfg")
    with open(cfg, "w") as f:
        f.write("NetworkTCPPort  = 104\nMaxPDUSize      = 16384\nMaxAssociations = 16\n"
                f"HostTable BEGIN\n{hosts}HostTable END\nVendorTable BEGIN\nVendorTable END\n"
                f"AETable BEGIN\n{aet}  {d}/db  RW  (50, 64mb)  {'peer0' if peer else 'ANY'}\n"
                "AETable END\n")
    srv = t.start(f"dcmqrscp-{ip}", lab.run_in(ns) + ["dcmqrscp", "--fork", "-c", cfg])
    t.wait_until(f"dcmqrscp {ip}", lambda: echo_in(lab, ip, 104, aet, peer or "ECHOSCU"), srv=srv)
    return srv


def orthanc(t, lab, ns, ip):
    exe = h.require("Orthanc")
    d = os.path.join(t.tmp, f"orthanc-{ip}")
    os.makedirs(os.path.join(d, "storage"), exist_ok=True)
    cfg = t.orthanc_config("permissive")
    cfg.update(StorageDirectory=os.path.join(d, "storage"), IndexDirectory=os.path.join(d, "storage"),
               DicomPort=4242, HttpPort=8042, DicomAet="IMGARCH5", DicomCheckCalledAet=True,
               DicomModalities={"reading": ["WSQR9", lab.scanner_ip, 104]})
    path = os.path.join(d, "orthanc.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    srv = t.start(f"orthanc-{ip}", lab.run_in(ns) + [exe, path])
    t.wait_until(f"orthanc {ip}", lambda: echo_in(lab, ip, 4242, "IMGARCH5"), timeout=40, srv=srv)
    t.wait_until(f"orthanc http {ip}", lambda: tcp_in(lab, ip, 8042), srv=srv)
    return srv


def check(s, rule, asset):
    for c in s.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == asset:
            return c
    return {}


def policy(t, s, ip, port):
    o = h.one_observation(t, s, "dicom_ae_policy", ip, port)
    return o["data"] if o else {}


def main(t):
    h.require("dcmqrscp")
    h.require("echoscu")
    try:
        lab = nslab.NsLab(tag="psaet", subnet=NET)
    except PermissionError as e:
        raise h.Skip(str(e))
    try:
        servers = []
        for short, ip in (("orth", ORTH), ("qrweb", QR_WEB), ("qrvend", QR_VENDOR),
                          ("qrrdns", QR_RDNS)):
            ns = lab.add_host(short, ip)
            lab.add_hosts_entry(ns, lab.scanner_ip, "pacscan-scanner")
            if ip == ORTH:
                servers.append(orthanc(t, lab, ns, ip))
            elif ip == QR_WEB:
                servers.append(dcmqrscp(t, lab, ns, ip, "IMGARCH5", "WSQR9"))
            elif ip == QR_VENDOR:
                servers.append(dcmqrscp(t, lab, ns, ip, "IMGARCH5", "FINDSCU"))
            else:
                servers.append(dcmqrscp(t, lab, ns, ip, "READINGWS", None))
        lab.add_hosts_entry(lab.scanner, QR_RDNS, "readingws.clinic.example readingws")
        t.require_that(echo_in(lab, QR_WEB, 104, "IMGARCH5", "WSQR9") and
                       not echo_in(lab, QR_WEB, 104, "IMGARCH5", "FINDSCU") and
                       not echo_in(lab, QR_WEB, 104, "RANDOM5", "WSQR9"),
                       "lab: .12 admits WSQR9 to IMGARCH5 only")

        r = t.scan([f"{NET}.11-14", "-p", "8042,4242,104", "--discovery", "tcp", "--workers", "1", "--reverse-dns",
                    "--sweep-in-flight", "1", "--assoc-deadline", "5s"],
                   prefix=lab.run_in(lab.scanner), timeout=500)
        t.expect_rc(r, 0)
        t.expect_outputs(r)
        s = r.scan

        # .11: Orthanc's own title, from its own /system (as before); its peers published.
        web = h.one_observation(t, s, "http_imaging", ORTH, 8042)
        if web:
            mods = [m.get("aet") for m in web["data"].get("orthanc_modalities", [])]
            t.expect_eq(mods, ["WSQR9"], "/modalities read: the configured peer's title",
                        web["data"])
        d = policy(t, s, ORTH, 4242)
        t.expect_eq((d.get("working_called_ae"), d.get("working_called_source")),
                    ("IMGARCH5", "web"), ".11: its title from its own web API", d)

        # .12: both titles from .11 (site), judged as published by a web API.
        d = policy(t, s, QR_WEB, 104)
        t.expect_eq(d.get("working_called_ae"), "IMGARCH5", ".12: called title found", d)
        t.expect_eq(d.get("working_called_found_by"), "site", ".12: found: another host", d)
        t.expect_eq(d.get("working_called_source"), "web", ".12: judged as .11 had it", d)
        t.expect(ORTH in d.get("working_called_detail", ""), ".12: the detail names .11", d)
        t.expect_eq(d.get("admitted_calling_ae"), "WSQR9", ".12: its peer found", d)
        t.expect_eq((d.get("admitted_calling_found_by"), d.get("admitted_calling_source")),
                    ("site", "web"), ".12: from .11's /modalities", d)
        t.expect(d.get("site_titles_known", 0) >= 2, ".12: the site table was filled", d)
        t.expect(d.get("pair_search") is True and 1 <= d.get("pairs_tried", 0) <= 3 and
                 len(d.get("attempts", [])) <= 4, ".12: found among the first pairs, said so", d)
        h.expect_rules(t, s, QR_WEB, 104, required=["DICOM-UNAUTH-FIND"],
                       forbidden=["DICOM-AE-DEFAULT-TITLE", "DICOM-AE-GUESSABLE-CALLING"])
        for f in h.findings(s, QR_WEB, 104, "DICOM-UNAUTH-FIND"):
            t.expect("web API" in f.get("summary", ""),
                     ".12: FIND open to whoever reads the open web API", f)

        # .13: the called title from .11, FINDSCU from the vendor list: guessable.
        d = policy(t, s, QR_VENDOR, 104)
        t.expect_eq((d.get("working_called_ae"), d.get("working_called_found_by")),
                    ("IMGARCH5", "site"), ".13: called title from another host", d)
        t.expect_eq((d.get("admitted_calling_ae"), d.get("admitted_calling_source")),
                    ("FINDSCU", "well_known"), ".13: FINDSCU, a vendor default", d)
        h.expect_rules(t, s, QR_VENDOR, 104,
                       required=["DICOM-AE-GUESSABLE-CALLING", "DICOM-UNAUTH-FIND"],
                       forbidden=["DICOM-AE-DEFAULT-TITLE"])

        # .14: its host name.
        d = policy(t, s, QR_RDNS, 104)
        t.expect_eq((d.get("working_called_ae"), d.get("working_called_source")),
                    ("READINGWS", "reverse_dns"), ".14: its title is its host name", d)
        t.expect("reverse DNS name of" in d.get("working_called_detail", "") and
                 "readingws.clinic.example" in d.get("working_called_detail", ""),
                 ".14: the detail gives the name looked up", d)
        h.expect_rules(t, s, QR_RDNS, 104, required=["DICOM-AE-DEFAULT-TITLE"])
        for f in h.findings(s, QR_RDNS, 104, "DICOM-AE-DEFAULT-TITLE"):
            t.expect("reverse DNS" in f.get("summary", ""), ".14: guessable from reverse DNS", f)
        h.expect_finding_shape(t, s)
        for srv in servers:
            t.expect(srv.alive(), f"{srv.name} still running", srv.log_text()[-1500:])
    finally:
        t.cleanup()
        lab.close()


if __name__ == "__main__":
    h.run(main, sandbox_it=False)
