#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""--dry-run prints the plan (endpoints x probes, worst-case time) and sends nothing: the
recorder and a packet sniffer on the target address stay empty."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.10"


def main(t):
    port = h.free_port()
    rec = t.start_hostile("recorder", IP, [port])
    sn = t.start_hostile("sniff", IP, iface="lo", log=os.path.join(t.tmp, "sniff.log"))
    out = t.outdir("dry")
    r = t.run_argv([t.pacscan, "scan", IP, "-p", str(port), "--dry-run", "-o", out], out)
    t.expect_rc(r, 0)
    text = r.stdout + r.stderr
    t.expect(IP in text and str(port) in text, "plan names the target address and port",
             r.describe())
    t.expect("dicom_associate" in text, "plan lists the probes", r.describe())
    t.expect(not h.read_lines(rec.record), "recorder logged no connection", h.read_lines(rec.record))
    t.expect(not h.read_lines(sn.record), "no packet reached the target", h.read_lines(sn.record))
    obs = h.read_lines(os.path.join(out, "observations.jsonl"))
    t.expect(not obs, "no observation recorded", obs[:3])

    # positive control: the same scan without --dry-run reaches the recorder
    r2 = t.scan([IP, "-p", str(port), "--assoc-deadline", "3s"])
    t.expect(r2.rc == 0, "real scan exit 0", r2.describe())
    t.expect(h.read_lines(rec.record), "positive control: the real scan connects")


if __name__ == "__main__":
    h.run(main)
