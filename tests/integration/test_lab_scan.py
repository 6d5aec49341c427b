#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End to end on the namespace lab (tests/lab/lab.sh): scan 198.18.0.8-47 from pslab-scan with
--exclude 198.18.0.30 and check the expected findings per host, the hostile and drop-all hosts,
and that the excluded address and the addresses just outside the range (.7, .48) received no
packet. The lab is always taken down."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

DEADLINE, BUDGET = "5s", "40s"
ALL_DICOM_RULES = ["ASSET-DICOM-SCP", "DICOM-CLEARTEXT", "DICOM-AE-ANY-CALLED",
                   "DICOM-AE-ANY-CALLING", "DICOM-AE-DEFAULT-TITLE", "DICOM-AE-GUESSABLE-CALLING",
                   "DICOM-UNAUTH-ECHO", "DICOM-UNAUTH-FIND", "DICOM-UNAUTH-MOVE",
                   "DICOM-UNAUTH-GET", "DICOM-UNAUTH-STORE", "DICOM-UNAUTH-MWL"]
OPEN_ANY = ["ASSET-DICOM-SCP", "DICOM-CLEARTEXT", "DICOM-AE-ANY-CALLED", "DICOM-AE-ANY-CALLING",
            "DICOM-UNAUTH-ECHO", "DICOM-UNAUTH-STORE"]


def lab(t, *args, timeout=180):
    env = dict(os.environ, PSLAB_DIR=t.labdir)
    r = subprocess.run(["bash", os.path.join(t.lab, "lab.sh"), *args], capture_output=True,
                       text=True, env=env, timeout=timeout)
    return r


def main(t):
    for b in ("storescp", "dcmqrscp", "Orthanc", "echoscu", "storescu", "dump2dcm", "ip"):
        h.require(b)
    if os.geteuid() != 0:
        raise h.Fatal("the lab needs root (network namespaces)")
    t.labdir = os.path.join(t.tmp, "pslab")
    try:
        up = lab(t, "up")
        t.require_that(up.returncode == 0, "lab up", up.stdout[-3000:] + up.stderr[-3000:])
        run_checks(t)
    finally:
        down = lab(t, "down", timeout=60)
        print(f"lab down: exit {down.returncode}")
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        t.expect("pslab-" not in left, "lab namespaces deleted", left)


def run_checks(t):
    out = t.outdir("lab")
    r = t.scan(["198.18.0.8-47", "--exclude", "198.18.0.30", "--called-aet", "QRSCP",
                "--connect-timeout", "2s", "--acse-timeout", "3s", "--dimse-timeout", "3s",
                "--assoc-deadline", DEADLINE, "--endpoint-budget", BUDGET],
               out=out, timeout=150, prefix=["ip", "netns", "exec", "pslab-scan"])
    t.expect_rc(r, (0, 1))
    t.expect_outputs(r)
    s = r.scan
    print(f"      lab scan wall time {r.elapsed:.1f}s, {len(s.get('findings', []))} findings, "
          f"{len(s.get('observations', []))} observations")
    t.expect(r.elapsed < 100, f"lab scan finished in {r.elapsed:.1f}s (< 100s)")
    h.expect_bounded(t, s, h.dur_ms(DEADLINE), h.dur_ms(BUDGET))
    h.expect_finding_shape(t, s)

    # storescp on two ports
    for port in (104, 11112):
        ep = h.endpoint(s, "198.18.0.10", port)
        t.expect(ep and ep.get("speaks_dicom"), f".10:{port} storescp speaks DICOM", ep)
        h.expect_rules(t, s, "198.18.0.10", port, required=OPEN_ANY + ["ASSET-DICOM-FINGERPRINT"],
                       forbidden=["DICOM-UNAUTH-FIND", "DICOM-AE-DEFAULT-TITLE"])
    # storescp with DICOM TLS on 2762 (same host): DICOM over TLS, and the cleartext ports say so
    ep = h.endpoint(s, "198.18.0.10", 2762)
    t.expect(ep and ep.get("tls") and ep.get("service") == "dicom-tls" and ep.get("speaks_dicom"),
             ".10:2762 storescp speaks DICOM over TLS", ep)
    h.expect_rules(t, s, "198.18.0.10", 2762,
                   required=["TLS-CERT-UNTRUSTED", "TLS-NO-CLIENT-CERT", "DICOM-AE-ANY-CALLED"],
                   forbidden=["DICOM-CLEARTEXT", "TLS-LEGACY-PROTOCOL", "TLS-CERT-EXPIRED"])
    for f in h.findings(s, "198.18.0.10", 104, "DICOM-CLEARTEXT"):
        t.expect(any("2762" in e for e in f.get("evidence", [])),
                 ".10:104 DICOM-CLEARTEXT evidence names the TLS port 2762", f.get("evidence"))
    # dcmqrscp: allow-list of one guessable calling AE
    ep = h.endpoint(s, "198.18.0.11", 104)
    t.expect(ep and ep.get("speaks_dicom"), ".11:104 dcmqrscp speaks DICOM", ep)
    pol = h.observations(s, "dicom_ae_policy", "198.18.0.11", 104)
    if t.expect(len(pol) == 1, ".11:104 AE policy observed", pol):
        d = pol[0]["data"]
        t.expect_eq(d.get("any_calling"), "no", ".11 random calling AE rejected", d)
        t.expect_eq(d.get("admitted_calling_ae"), "FINDSCU", ".11 admitted calling AE", d)
    h.expect_rules(t, s, "198.18.0.11", 104,
                   required=["ASSET-DICOM-SCP", "DICOM-CLEARTEXT", "DICOM-AE-GUESSABLE-CALLING"],
                   forbidden=["DICOM-AE-ANY-CALLED", "DICOM-AE-ANY-CALLING"])
    # Orthanc permissive
    h.expect_rules(t, s, "198.18.0.12", 4242, required=OPEN_ANY)
    web = h.endpoint(s, "198.18.0.12", 8042)
    t.expect(web and web.get("state") == "open" and not web.get("speaks_dicom"),
             ".12:8042 open, not DICOM", web)
    # Orthanc hardened: called AE checked, unknown calling AEs refused (reason 3), no guessable
    # calling AE admitted, so nothing is open to the scanner
    ep = h.endpoint(s, "198.18.0.13", 4242)
    t.expect(ep and ep.get("speaks_dicom"), ".13:4242 hardened Orthanc speaks DICOM", ep)
    pol = h.observations(s, "dicom_ae_policy", "198.18.0.13", 4242)
    if t.expect(len(pol) == 1, ".13:4242 AE policy observed", pol):
        d = pol[0]["data"]
        t.expect_eq(d.get("any_called"), "no", ".13 random called AE rejected", d)
        t.expect(d.get("any_calling") != "yes", ".13 random calling AE not admitted", d)
        t.expect(not d.get("admitted_calling_ae"), ".13 no calling AE admitted", d)
        print(f"      (.13 working_called_ae={d.get('working_called_ae')!r} "
              f"source={d.get('working_called_source')!r})")
    h.expect_rules(t, s, "198.18.0.13", 4242, required=["ASSET-DICOM-SCP"],
                   forbidden=["DICOM-AE-ANY-CALLED", "DICOM-AE-ANY-CALLING",
                              "DICOM-AE-GUESSABLE-CALLING", "DICOM-UNAUTH-ECHO",
                              "DICOM-UNAUTH-STORE", "DICOM-UNAUTH-FIND"])
    # hostile host: open ports, none DICOM, no finding
    for port, what in ((104, "http"), (11112, "tarpit"), (4242, "garbage"), (5678, "hugepdu"),
                       (2761, "drip")):
        ep = h.endpoint(s, "198.18.0.20", port)
        t.expect(ep and ep.get("state") == "open" and ep.get("speaks_dicom") is False,
                 f".20:{port} ({what}) open and not DICOM", ep)
    t.expect(not h.findings(s, "198.18.0.20"), ".20 hostile host: no finding",
             h.findings(s, "198.18.0.20"))
    # drop-all host: nothing open, nothing found. The lab is one attached segment and the scan
    # runs as root, so default discovery is ARP: the drop host answers ARP and is in the
    # inventory (via arp, with its MAC) without any open port.
    hd = h.host(s, "198.18.0.21")
    t.expect(hd is not None and not hd.get("open_ports") and hd.get("via") == "arp"
             and hd.get("mac"), ".21 drop-all host: found by ARP, no open port", hd)
    t.expect(not h.findings(s, "198.18.0.21"), ".21: no finding")
    for o in h.observations(s, "tcp_connect", "198.18.0.21"):
        if o["data"].get("state") != "filtered":
            t.expect(False, f".21:{o['port']} filtered", o)
    # scope
    rec = os.path.join(t.labdir, "rec")
    for ip in ("198.18.0.30", "198.18.0.7", "198.18.0.48"):
        t.expect(h.host(s, ip) is None and not h.observations(s, None, ip),
                 f"{ip} absent from the scan result")
        t.expect(not h.read_lines(os.path.join(rec, f"{ip}.connects")),
                 f"{ip}: recorder logged no connection",
                 h.read_lines(os.path.join(rec, f"{ip}.connects")))
        t.expect(not h.read_lines(os.path.join(rec, f"{ip}.packets")),
                 f"{ip}: no packet reached it (ARP included)",
                 h.read_lines(os.path.join(rec, f"{ip}.packets"))[:20])
    # positive control: the recorder on the excluded address does log a connect from the scanner
    # namespace (so the empty logs above mean something)
    subprocess.run(["ip", "netns", "exec", "pslab-scan", h.PY, "-c",
                    "import socket; socket.create_connection(('198.18.0.30', 104), 2).close()"],
                   timeout=10)
    ctl = os.path.join(rec, "198.18.0.30.connects")
    t.wait_until("recorder positive control", lambda: len(h.read_lines(ctl)) >= 1, timeout=5)
    t.expect(True, "positive control: a deliberate connect to 198.18.0.30 is recorded")
    # no finding anywhere we did not expect one
    expected_assets = {"198.18.0.10", "198.18.0.11", "198.18.0.12", "198.18.0.13"}
    stray = [f for f in s.get("findings", []) if f.get("ip") not in expected_assets]
    t.expect(not stray, "findings only on the four DICOM hosts", stray[:5])
    h.expect_no_canary(t, out)
    t.expect(os.path.exists(os.path.join(out, "report.md")), "report.md written")
    # a copy of the lab's server logs next to the outputs helps when this fails
    if t.failures:
        shutil.copytree(os.path.join(t.labdir, "logs"), os.path.join(t.tmp, "lab-logs"),
                        dirs_exist_ok=True)


if __name__ == "__main__":
    h.run(main, sandbox_it=False)
