#!/usr/bin/python3
"""The inventory checks itself, on real servers in a namespace lab of its own (nslab.py):

  .11  dcmqrscp AE PACS on 104 (any peer)      } the same own AE title on two hosts: dcmqrscp
  .12  dcmqrscp AE PACS on 104 (any peer)      } rejects a random called title, accepts PACS
  .13  storescp on 11112                        }
  .14  storescp on 11112                        } one configuration on three hosts
  .15  storescp on 11112                        }
  .16  storescp on 104 + Orthanc (4242, 8042)   two products, one DCMTK identity (measured)
  .17  storescp on 104 + a dicompot-like decoy on 11112 (tests/lab/hostile.py decoy: no real
       DICOM honeypot is packaged for Debian or npm)
  .18  storescp --promiscuous on 104            accepts the canary, and is no decoy

Checked: the findings of ASSET-AE-TITLE-DUPLICATE, -CLONED-CONFIG, -IMPL-MIXED,
-IMPL-CONTRADICTION, -DECOY-SUSPECTED and -HOST-ROLE (and their absence where they must not
fire), the decoy marking in scan.json, report.md, findings.csv and findings.sarif, the per-host
role in scan.json, the schema, and that a rescan gives the same finding IDs.
"""
import csv
import io
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h
import nslab

NET = nslab.SUBNET
QR1, QR2 = f"{NET}.11", f"{NET}.12"
CLONES = [f"{NET}.13", f"{NET}.14", f"{NET}.15"]
ORTH, DECOY, PROMISC = f"{NET}.16", f"{NET}.17", f"{NET}.18"
INVENTORY_RULES = ("ASSET-AE-TITLE-DUPLICATE", "ASSET-CLONED-CONFIG", "ASSET-IMPL-MIXED",
                   "ASSET-IMPL-CONTRADICTION", "ASSET-DECOY-SUSPECTED", "ASSET-HOST-ROLE")


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


def dcmqrscp(t, lab, ns, ip, aet):
    d = os.path.join(t.tmp, f"qr-{ip}")
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    cfg = os.path.join(d, "dcmqrscp.cfg")
    with open(cfg, "w") as f:
        f.write("NetworkTCPPort  = 104\nMaxPDUSize      = 16384\nMaxAssociations = 16\n"
                "HostTable BEGIN\nHostTable END\nVendorTable BEGIN\nVendorTable END\n"
                f"AETable BEGIN\n{aet}  {d}/db  RW  (50, 64mb)  ANY\nAETable END\n")
    srv = t.start(f"dcmqrscp-{ip}", lab.run_in(ns) + ["dcmqrscp", "--fork", "-c", cfg])
    t.wait_until(f"dcmqrscp {ip}", lambda: echo_in(lab, ip, 104, aet), srv=srv)
    return srv


def storescp(t, lab, ns, ip, port, extra=()):
    out = os.path.join(t.tmp, f"store-{ip}-{port}")
    os.makedirs(out, exist_ok=True)
    srv = t.start(f"storescp-{ip}-{port}",
                  lab.run_in(ns) + ["storescp", "--fork", "-od", out, *extra, str(port)])
    t.wait_until(f"storescp {ip}:{port}", lambda: echo_in(lab, ip, port, "ANY-SCP"), srv=srv)
    return srv


def orthanc(t, lab, ns, ip):
    exe = h.require("Orthanc")
    d = os.path.join(t.tmp, f"orthanc-{ip}")
    os.makedirs(os.path.join(d, "storage"), exist_ok=True)
    cfg = t.orthanc_config("permissive")
    cfg.update(StorageDirectory=os.path.join(d, "storage"), IndexDirectory=os.path.join(d, "storage"),
               DicomPort=4242, HttpPort=8042, DicomAet="ORTHANC")
    path = os.path.join(d, "orthanc.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    srv = t.start(f"orthanc-{ip}", lab.run_in(ns) + [exe, path])
    t.wait_until(f"orthanc {ip}", lambda: echo_in(lab, ip, 4242, "ORTHANC"), timeout=40, srv=srv)
    t.wait_until(f"orthanc http {ip}", lambda: tcp_in(lab, ip, 8042), srv=srv)
    return srv


def decoy(t, lab, ns, ip, port):
    srv = t.start(f"decoy-{ip}", lab.run_in(ns) + [h.PY, "-u", t.hostile, "decoy", "--bind", ip,
                                                   "--port", str(port)])
    t.wait_until(f"decoy {ip}", lambda: "listening on" in srv.log_text(), srv=srv)
    return srv


def fnd(s, rule, ip=None, port=None):
    return h.findings(s, ip, port, rule)


def check(s, rule, asset):
    for c in s.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == asset:
            return c
    return None


def scan(t, lab):
    return t.scan([f"{NET}.11-18", "-p", "104,11112,4242,8042", "--discovery", "tcp",
                   "--assoc-deadline", "5s"], prefix=lab.run_in(lab.scanner), timeout=400)


def judge(t, s):
    # ---- the same own AE title on two hosts (dcmqrscp, learnt from the server's answers)
    for ip in (QR1, QR2):
        f = fnd(s, "ASSET-AE-TITLE-DUPLICATE", ip, 104)
        if t.expect(len(f) == 1, f"{ip}:104 has one ASSET-AE-TITLE-DUPLICATE", f):
            f = f[0]
            t.expect_eq(f["discriminator"], "PACS", "duplicate title", f)
            t.expect_eq(f["severity"], "medium", "different hosts: medium", f)
            other = QR2 if ip == QR1 else QR1
            t.expect(other in f["summary"], "the summary names the other host", f)
            t.expect(any("while the random title" in e for e in f["evidence"]),
                     "the evidence says how the title was learnt", f)
    for ip in CLONES:
        c = check(s, "ASSET-AE-TITLE-DUPLICATE", f"{ip}:11112")
        t.expect(c and c["verdict"] == "not_evaluated" and "any called AE title" in c["reason"],
                 f"{ip}:11112 storescp: its own title cannot be told (not evaluated)", c)
    # ---- one configuration on three hosts
    cl = [f for f in s["findings"] if f["rule_id"] == "ASSET-CLONED-CONFIG"]
    t.expect(sorted(f["asset"] for f in cl) == sorted(f"{ip}:11112" for ip in CLONES),
             "ASSET-CLONED-CONFIG exactly on the three storescp copies", cl)
    t.expect(len({f["evidence"][0] for f in cl}) == 1 and
             all(all(ip in f["evidence"][0] for ip in CLONES) for f in cl),
             "one shared configuration, each finding naming the three hosts", cl)
    t.expect(all(f["severity"] == "medium" for f in cl), "it accepts any peer: medium", cl)
    # ---- storescp and Orthanc on one host: the same DCMTK identity, nothing contradicts it
    c = check(s, "ASSET-IMPL-MIXED", ORTH)
    t.expect(c and c["verdict"] == "pass" and "1.2.276.0.7230010.3.0.3.6.7" in c["reason"],
             f"{ORTH}: storescp and Orthanc 1.10.1 announce one identity (DCMTK 3.6.7)", c)
    c = check(s, "ASSET-IMPL-CONTRADICTION", f"{ORTH}:4242")
    t.expect(c and c["verdict"] == "pass", f"{ORTH}:4242 Orthanc's identity is consistent", c)
    dup = fnd(s, "ASSET-AE-TITLE-DUPLICATE", ORTH)
    t.expect(not dup, f"{ORTH}: ORTHANC (from /system) is unique", dup)
    c = check(s, "ASSET-AE-TITLE-DUPLICATE", f"{ORTH}:4242")
    t.expect(c and c["verdict"] == "pass" and "ORTHANC" in c["reason"],
             f"{ORTH}:4242 own title ORTHANC known from /system", c)
    # ---- the decoy and its neighbour
    d = fnd(s, "ASSET-DECOY-SUSPECTED", DECOY, 11112)
    if t.expect(len(d) == 1, f"{DECOY}:11112 is a suspected decoy", h.findings(s, DECOY)):
        d = d[0]
        t.expect(any("no Implementation Class UID" in e for e in d["evidence"]),
                 "strong sign: no Implementation Class UID", d)
        t.expect(any("canary" in e for e in d["evidence"]), "weak sign: the canary", d)
        mine = h.findings(s, DECOY)
        t.expect(len(mine) > 3 and all(f["suspected_decoy"] and f["decoy_finding_id"] == d["id"]
                                       for f in mine),
                 f"every finding on {DECOY} is kept and marked", mine)
        t.expect(any(f["rule_id"] == "DICOM-UNAUTH-STORE" for f in mine),
                 "the decoy's other findings are still there", [f["rule_id"] for f in mine])
    others = [f for f in s["findings"] if f["ip"] != DECOY and f["suspected_decoy"]]
    t.expect(not others, "no finding of another host is marked", others[:3])
    mixed = fnd(s, "ASSET-IMPL-MIXED", DECOY)
    t.expect(len(mixed) == 1, f"{DECOY}: storescp and the decoy are two identities", mixed)
    c = check(s, "ASSET-DECOY-SUSPECTED", f"{PROMISC}:104")
    t.expect(c and c["verdict"] == "pass" and "one weak sign" in c["reason"],
             f"{PROMISC}: storescp --promiscuous accepts the canary but is no decoy", c)
    t.expect(not fnd(s, "ASSET-DECOY-SUSPECTED", ip=None, port=None)
             or all(f["ip"] == DECOY for f in fnd(s, "ASSET-DECOY-SUSPECTED")),
             "no other host is a suspected decoy", fnd(s, "ASSET-DECOY-SUSPECTED"))
    # ---- roles
    roles = {x["ip"]: x.get("role", {}) for x in s["hosts"]}
    t.expect("archive" in roles.get(QR1, {}).get("roles", []), f"{QR1} dcmqrscp: archive", roles.get(QR1))
    t.expect(roles.get(CLONES[0], {}).get("roles") == ["viewer-or-router"],
             f"{CLONES[0]} storescp: storage without Q/R", roles.get(CLONES[0]))
    t.expect("archive" in roles.get(ORTH, {}).get("roles", []) and
             roles.get(ORTH, {}).get("confidence") == "high",
             f"{ORTH} Orthanc: archive, high (its own API)", roles.get(ORTH))
    t.expect(all(roles.get(ip, {}).get("evidence") for ip in (QR1, ORTH, CLONES[0])),
             "each role comes with its evidence", roles)
    rf = fnd(s, "ASSET-HOST-ROLE", QR1, 0)
    t.expect(len(rf) == 1 and rf[0]["asset"] == QR1 and rf[0]["severity"] == "info",
             "ASSET-HOST-ROLE is a host-level info finding", rf)


def main(t):
    for b in ("storescp", "dcmqrscp", "echoscu", "Orthanc", "ip"):
        h.require(b)
    lab = nslab.NsLab()
    try:
        ns = {ip: lab.add_host(ip.split(".")[-1], ip)
              for ip in [QR1, QR2, *CLONES, ORTH, DECOY, PROMISC]}
        dcmqrscp(t, lab, ns[QR1], QR1, "PACS")
        dcmqrscp(t, lab, ns[QR2], QR2, "PACS")
        for ip in CLONES:
            storescp(t, lab, ns[ip], ip, 11112)
        storescp(t, lab, ns[ORTH], ORTH, 104)
        orthanc(t, lab, ns[ORTH], ORTH)
        storescp(t, lab, ns[DECOY], DECOY, 104)
        decoy(t, lab, ns[DECOY], DECOY, 11112)
        storescp(t, lab, ns[PROMISC], PROMISC, 104, extra=("--promiscuous",))
        # what the servers really are (the facts the rules rest on)
        t.require_that(not echo_in(lab, QR1, 104, "RANDOMCALLED"),
                       "dcmqrscp rejects a random called title")

        r = scan(t, lab)
        t.expect_rc(r, (0, 1))
        t.expect_outputs(r)
        s = r.scan
        judge(t, s)
        errors = h.schema_errors(s, os.path.join(t.source, "docs", "scan.schema.json"))
        t.expect(not errors, "scan.json validates against docs/scan.schema.json", errors[:5])
        h.expect_finding_shape(t, s)

        # ---- every report format carries the decoy mark
        md = open(os.path.join(r.outdir, "report.md")).read()
        t.expect("Suspected decoy" in md and "Role (confidence)" in md,
                 "report.md shows the decoy mark and the roles")
        html = open(os.path.join(r.outdir, "report.html")).read()
        t.expect("Suspected decoy" in html and "Why this role" in html,
                 "report.html shows the decoy mark and the roles")
        rows = list(csv.DictReader(io.StringIO(open(os.path.join(r.outdir, "findings.csv"),
                                                    newline="").read())))
        bad = [x["Asset"] for x in rows
               if (x["Asset"].startswith(DECOY + ":") or x["Asset"] == DECOY)
               != (x["Suspected decoy"] == "yes")]
        t.expect(rows and not bad, "findings.csv: 'Suspected decoy' yes exactly on the decoy host",
                 bad[:5])
        sarif = json.load(open(os.path.join(r.outdir, "findings.sarif")))
        res = sarif["runs"][0]["results"]
        sup = [x for x in res if x.get("suppressions")]
        t.expect(sup and all(x["properties"]["asset"].startswith(DECOY) for x in sup) and
                 all(x["suppressions"][0]["status"] == "underReview" for x in sup),
                 "findings.sarif: the decoy's results are suppressions under review", len(sup))
        tickets = os.listdir(os.path.join(r.outdir, "tickets"))
        dec = [n for n in tickets
               if "Suspected decoy." in open(os.path.join(r.outdir, "tickets", n)).read()]
        t.expect(len(dec) == len(h.findings(s, DECOY)), "each decoy ticket opens with the mark",
                 (len(dec), len(h.findings(s, DECOY))))

        # ---- a rescan of the same situation gives the same IDs
        r2 = scan(t, lab)
        t.expect_rc(r2, (0, 1))
        ids = lambda sc: sorted(f["id"] for f in sc["findings"] if f["rule_id"] in INVENTORY_RULES)
        t.expect(ids(s) == ids(r2.scan), "inventory finding IDs are stable across scans",
                 {"first": ids(s), "second": ids(r2.scan)})
    finally:
        t.cleanup()
        lab.close()


if __name__ == "__main__":
    h.run(main, sandbox_it=False)
