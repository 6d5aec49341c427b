#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""pacscan pcap on the sample captures (samples/pcaps, made by make-pcaps.sh): one passive_dicom
observation per association with the exact facts, DICOM-CLEARTEXT-OBSERVED where C-STORE/C-FIND
crossed in clear and nowhere else, no canary patient data in any output file, and the same
associations, AE titles and DIMSE commands as tshark's DICOM dissector (when tshark is installed).
Sends no packet: the capture files are the only input."""
import glob
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"
# sample -> (server port, calling AE, called AE, outcome, requests, PHI tags)
EXPECTED = {
    "echo.pcap": (11112, "ECHOSCU", "STORESCP", "released", {"C-ECHO-RQ": 1}, []),
    "store.pcap": (11112, "STORESCU", "STORESCP", "released", {"C-STORE-RQ": 1},
                   ["(0008,0050) AccessionNumber", "(0008,0090) ReferringPhysicianName",
                    "(0010,0010) PatientName", "(0010,0020) PatientID",
                    "(0010,0030) PatientBirthDate", "(0010,0040) PatientSex"]),
    "find.pcap": (11113, "FINDSCU", "QRSCP", "released", {"C-FIND-RQ": 1},
                  ["(0010,0010) PatientName"]),
    "tls.pcap": (2762, "", "", "encrypted", {}, []),
    "abort.pcap": (11114, "ECHOSCU", "ABORTSCP", "aborted", {}, []),
}
CANARY = (b"CANARY", b"19700101")
COMMAND_RE = re.compile(r"\b([CN]-[A-Z]+(?:-[A-Z]+)?-(?:RQ|RSP))(?![-\w])")


def tshark_facts(path, port):
    """(calling, called) of each A-ASSOCIATE-RQ and the DIMSE command counts, per tshark."""
    out = subprocess.run(["tshark", "-r", path, "-d", f"tcp.port=={port},dicom", "-Y", "dicom",
                          "-T", "fields", "-E", "separator=|", "-e", "dicom.pdu.type",
                          "-e", "dicom.assoc.ae.calling", "-e", "dicom.assoc.ae.called",
                          "-e", "_ws.col.Info"],
                         capture_output=True, text=True, timeout=60).stdout
    assocs, commands = [], {}
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) < 4:
            continue
        if parts[0] == "0x01":
            assocs.append((parts[1].strip(), parts[2].strip()))
        for c in COMMAND_RE.findall(parts[3]):
            commands[c] = commands.get(c, 0) + 1
    return assocs, commands


def main(t):
    pcaps = sorted(glob.glob(os.path.join(t.source, "samples", "pcaps", "*.pcap")))
    t.require_that(sorted(os.path.basename(p) for p in pcaps) == sorted(EXPECTED),
                   "the five sample captures are present", pcaps)
    out = t.outdir("pcap")
    r = t.run_argv([t.pacscan, "pcap"] + pcaps + ["-o", out], out)
    t.expect_rc(r, 0)
    t.require_that(r.scan is not None, "scan.json written", r.describe())
    s = r.scan
    t.expect_eq(s["meta"].get("mode"), "pcap", "meta.mode")
    t.expect_eq(s["meta"].get("targets"), pcaps, "meta.targets are the capture files")
    obs = h.observations(s, "passive_dicom")
    t.expect_eq(len(obs), 5, "one passive_dicom observation per association", obs)

    for name, (port, calling, called, outcome, requests, phi) in EXPECTED.items():
        mine = [o for o in obs if o["port"] == port and o["data"].get("calling_ae") == calling]
        t.expect(len(mine) == 1, f"{name}: one association {calling!r} -> :{port}", obs)
        if not mine:
            continue
        d = mine[0]["data"]
        t.expect_eq(d.get("called_ae"), called, f"{name}: called AE")
        t.expect_eq(d.get("outcome"), outcome, f"{name}: outcome", d)
        t.expect_eq(d.get("encrypted"), name == "tls.pcap", f"{name}: encrypted")
        got = {c["command"]: c["count"] for c in d.get("commands", [])
               if c["command"].endswith("-RQ")}
        t.expect_eq(got, requests, f"{name}: requests seen", d.get("commands"))
        t.expect_eq(d.get("phi_tags"), phi, f"{name}: patient-identifying tags (names only)")
        if name == "abort.pcap":
            t.expect_eq((d.get("abort_source"), d.get("abort_reason")), (2, 0),
                        "abort.pcap: A-ABORT source and reason")

        if shutil.which("tshark") and not d.get("encrypted"):
            assocs, commands = tshark_facts(os.path.join(t.source, "samples", "pcaps", name), port)
            t.expect_eq(assocs, [(calling, called)], f"{name}: tshark sees the same association")
            mine_all = {c["command"]: c["count"] for c in d.get("commands", [])}
            t.expect_eq(mine_all, commands, f"{name}: tshark sees the same DIMSE commands")

    h.expect_rules(t, s, IP, 11112, required=["DICOM-CLEARTEXT-OBSERVED"])
    h.expect_rules(t, s, IP, 11113, required=["DICOM-CLEARTEXT-OBSERVED"])
    h.expect_rules(t, s, IP, 2762, forbidden=["DICOM-CLEARTEXT-OBSERVED"])
    h.expect_rules(t, s, IP, 11114, forbidden=["DICOM-CLEARTEXT-OBSERVED"])
    for f in h.findings(s, rule="DICOM-CLEARTEXT-OBSERVED"):
        t.expect_eq(f.get("severity"), "high", "DICOM-CLEARTEXT-OBSERVED severity", f)
        if f.get("port") == 11112:
            t.expect(any(e.startswith("patient-identifying attributes crossed in clear: ") and
                         "(0010,0010) PatientName" in e for e in f.get("evidence", [])),
                     "the store finding names PatientName (the tag, not the value)", f)
    passed = {c["asset"] for c in s.get("checks", [])
              if c["rule_id"] == "DICOM-CLEARTEXT-OBSERVED" and c["verdict"] == "pass"}
    t.expect_eq(passed, {f"{IP}:2762", f"{IP}:11114"}, "TLS and abort-only servers pass")
    h.expect_finding_shape(t, s)

    # No canary patient data (names, ID, birth date) in any output file.
    hits = []
    for root, _, files in os.walk(out):
        for fn in files:
            with open(os.path.join(root, fn), "rb") as f:
                data = f.read().upper()
            hits += [f"{fn}: {m.decode()}" for m in CANARY if m in data]
    t.expect(not hits, "no canary patient data in any output file", hits)
    h.expect_no_canary(t, out)
    t.expect(os.path.exists(os.path.join(out, "report.html")), "report.html written")


if __name__ == "__main__":
    h.run(main)
