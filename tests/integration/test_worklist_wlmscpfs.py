#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Modality Worklist against DCMTK's real worklist SCP (wlmscpfs, default file checks on), with two
canary worklist entries under AE WLMSCP. Safe profile: the null-match worklist query is confirmed
(DICOM-UNAUTH-MWL high, confirmed) and nothing else is asked. Intrusive: the universal worklist
query counts the 2 entries (DICOM-UNAUTH-MWL critical, data). No canary value in any output."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"

# Complete enough for wlmscpfs's default check of worklist files (it drops incomplete ones).
ENTRY = """(0008,0050) SH  [ACC{i}]
(0008,0005) CS  [ISO_IR 100]
(0010,0010) PN  [{name}]
(0010,0020) LO  [CANARY-000{i}]
(0010,0030) DA  [19700101]
(0010,0040) CS  [O]
(0010,2000) LO  [NONE]
(0010,2110) LO  [NONE]
(0020,000d) UI  [1.2.826.0.1.3680043.10.1138.8.{i}]
(0032,1032) PN  [REQUESTER]
(0032,1060) LO  [EXAM]
(0040,0100) SQ
(fffe,e000) -
(0008,0060) CS  [MR]
(0032,1070) LO  [NONE]
(0040,0001) AE  [MODALITY1]
(0040,0002) DA  [20261129]
(0040,0003) TM  [080000]
(0040,0006) PN  [PERFORMER]
(0040,0007) LO  [STEP]
(0040,0009) SH  [SPS{i}]
(0040,0010) SH  [STATION]
(0040,0011) SH  [ROOM]
(0040,0012) LO
(0040,0400) LT
(fffe,e00d) -
(fffe,e0dd) -
(0040,1001) SH  [RP{i}]
(0040,1003) SH  [LOW]
"""


def start_wlmscpfs(t, aet="WLMSCP", entries=2):
    h.require("wlmscpfs")
    h.require("dump2dcm")
    root = os.path.join(t.tmp, "worklists")
    d = os.path.join(root, aet)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "lockfile"), "w").close()
    for i in range(1, entries + 1):
        dump = os.path.join(t.tmp, f"wl{i}.dump")
        with open(dump, "w") as f:
            f.write(ENTRY.format(i=i, name=h.CANARY_NAME))
        subprocess.run(["dump2dcm", "-q", "+te", dump, os.path.join(d, f"wl{i}.wl")], check=True)
    port = h.free_port()
    srv = t.start(f"wlmscpfs-{port}", ["wlmscpfs", "-dfp", root, str(port)])
    srv.port, srv.aet = port, aet
    t.wait_until(f"wlmscpfs :{port}", lambda: t.echo_ok(IP, port, "ECHOSCU", aet), srv=srv)
    return srv


def mwl(obs):
    for x in (obs or {}).get("data", {}).get("results", []):
        if x.get("service") == "ModalityWorklistFind":
            return x
    return {}


def main(t):
    srv = start_wlmscpfs(t)
    # ---- safe
    r = t.scan([IP, "-p", str(srv.port), "--called-aet", srv.aet])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    q = mwl(h.one_observation(t, s, "dicom_null_query", IP, srv.port))
    t.expect_eq((q.get("outcome"), q.get("status"), q.get("matches")), ("success", 0, 0),
                "null-match worklist query: success, no match", q)
    f = h.findings(s, IP, srv.port, "DICOM-UNAUTH-MWL")
    t.expect(len(f) == 1 and f[0].get("evidence_level") == "confirmed" and
             f[0].get("severity") == "high", "safe: DICOM-UNAUTH-MWL confirmed, high", f)
    h.expect_no_canary(t, r.outdir)

    # ---- intrusive: the two entries are counted, never kept
    r = t.scan([IP, "-p", str(srv.port), "--called-aet", srv.aet, "--profile", "intrusive",
                "--listen-port", str(h.free_port())])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    q = mwl(h.one_observation(t, s, "dicom_data_query", IP, srv.port))
    t.expect_eq((q.get("outcome"), q.get("count"), q.get("capped")), ("success", 2, False),
                "universal worklist query counts the 2 entries", q)
    f = h.findings(s, IP, srv.port, "DICOM-UNAUTH-MWL")
    t.expect(len(f) == 1 and f[0].get("evidence_level") == "data" and
             f[0].get("severity") == "critical", "intrusive: DICOM-UNAUTH-MWL data, critical", f)
    ran = {o["probe"]: o["outcome"] for o in s["observations"]}
    t.expect(ran.get("dicom_store_test") == "skipped",
             "no storage offered: the store test does not run", ran)
    h.expect_no_canary(t, r.outdir)


if __name__ == "__main__":
    h.run(main)
