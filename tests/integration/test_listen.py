#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""pacscan listen: live capture on the sandbox's loopback while DCMTK's echoscu talks to a real
storescp. The association (AE titles, C-ECHO) is found, the scan is marked mode "listen", the
capture ends at --duration, and the outputs are written like an active scan's."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def main(t):
    srv = t.start_storescp()
    out = t.outdir()
    lis = t.start("listen", [t.pacscan, "listen", "-i", "lo", "--duration", "4s", "-o", out])
    time.sleep(1.0)  # capture is open
    r = subprocess.run([h.require("echoscu"), "-aet", "LISTENCALLER", "-aec", "LISTENCALLED", IP,
                        str(srv.port)], capture_output=True, text=True, timeout=20, env=t.env)
    t.expect_eq(r.returncode, 0, "echoscu succeeded", r.stderr)
    t0 = time.monotonic()
    rc = lis.proc.wait(timeout=30)
    t.expect_eq(rc, 0, "pacscan listen exit code", open(lis.log).read()[-2000:])
    t.expect(time.monotonic() - t0 < 10, "listen ended at its --duration")
    for f in ("observations.jsonl", "scan.json", "report.md", "report.html", "findings.csv"):
        t.expect(os.path.exists(os.path.join(out, f)), f"{f} written")
    with open(os.path.join(out, "scan.json")) as fh:
        s = json.load(fh)
    t.expect_eq(s["meta"].get("mode"), "listen", "meta.mode")
    obs = [o for o in s["observations"] if o["probe"] == "passive_dicom"]
    mine = [o for o in obs if o["data"].get("calling_ae") == "LISTENCALLER"]
    t.expect(len(mine) == 1, "one association from LISTENCALLER seen", obs)
    if mine:
        d = mine[0]["data"]
        t.expect_eq(d.get("called_ae"), "LISTENCALLED", "called AE title")
        t.expect_eq(mine[0]["port"], srv.port, "server port")
        t.expect_eq(d.get("outcome"), "released", "association outcome")
        t.expect([c["command"] for c in d.get("commands", [])][:1] == ["C-ECHO-RQ"],
                 "C-ECHO-RQ recorded", d.get("commands"))
    ep = h.endpoint(s, IP, srv.port)
    t.expect(ep is not None and ep.get("speaks_dicom"), "the server joins the inventory", ep)


if __name__ == "__main__":
    h.run(main)
