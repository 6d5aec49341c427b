#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A finding ID is the same for the same rule/asset across two scans (and unique within one)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def keyed(scan):
    return {(f["rule_id"], f["asset"], f.get("discriminator", "")): f["id"]
            for f in scan.get("findings", [])}


def main(t):
    a = t.start_storescp()
    b = t.start_orthanc("permissive")
    ports = f"{a.port},{b.port}"
    runs = []
    for i in range(2):
        r = t.scan([IP, "-p", ports, "--assoc-deadline", "5s"])
        t.expect_rc(r, 0)
        t.expect_outputs(r)
        h.expect_finding_shape(t, r.scan)
        runs.append(keyed(r.scan))
    k1, k2 = runs
    t.expect(len(k1) >= 8, f"enough findings to compare ({len(k1)})", k1)
    t.expect_eq(sorted(k1), sorted(k2), "same (rule, asset, discriminator) set in both scans")
    diff = {k: (k1[k], k2.get(k)) for k in k1 if k2.get(k) != k1[k]}
    t.expect(not diff, "every finding kept its ID across scans", {str(k): v for k, v in diff.items()})
    same_rule = {}
    for (rule, asset, _), fid in k1.items():
        same_rule.setdefault(rule, set()).add(fid)
    t.expect(len(same_rule.get("DICOM-AE-ANY-CALLED", ())) == 2,
             "the same rule on two endpoints gives two different IDs",
             {r: sorted(v) for r, v in same_rule.items()})


if __name__ == "__main__":
    h.run(main)
