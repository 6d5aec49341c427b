#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Several scanners share one scope: `pacscan scan --shard K/N` takes an interleaved K-th of the
scope, and `pacscan merge` joins the shards into one scan.json and one set of reports whose
findings (stable IDs) are those of one unsharded scan of the same lab.

Lab (loopback sandbox): storescp (any AE accepted) and dcmqrscp (allow-listed) reached on five
127.0.0.x addresses. Checked:
- the two shards are disjoint, cover the scope, and each says which shard it is;
- merge of the two shards == the unsharded scan (finding IDs, endpoints);
- merging a shard with the unsharded scan reports the overlap, keeps both observations of each
  overlapping endpoint with their times, and still gives the same findings;
- merging shard 1/2 alone with another scan says shard 2/2 is missing;
- bad input: one file, a missing file, a non-scan JSON -> exit 2 with a clear error.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

TARGETS = "127.0.0.20-24"


def endpoints(scan):
    return sorted(f"{e['ip']}:{e['port']}" for e in scan["endpoints"] if e.get("state") == "open")


def ids(scan):
    return sorted(f"{f['id']} {f['rule_id']} {f['asset']}" for f in scan["findings"])


def merge(t, inputs, name, rc=0):
    out = t.outdir(name)
    r = t.run_argv([t.pacscan, "merge", *inputs, "-o", out], out)
    t.expect(r.rc == rc, f"pacscan merge ({name}) exit {r.rc} == {rc}", r.describe())
    return r


def main(t):
    store = t.start_storescp()
    qr = t.start_dcmqrscp()
    common = [TARGETS, "-p", f"{store.port},{qr.port}", "--called-aet", "QRSCP"]
    full = t.scan(common)
    t.expect_rc(full, (0, 1))
    s1 = t.scan(common + ["--shard", "1/2"])
    s2 = t.scan(common + ["--shard", "2/2"])
    for r in (s1, s2):
        t.expect_rc(r, (0, 1))
    e1, e2 = set(endpoints(s1.scan)), set(endpoints(s2.scan))
    t.expect(e1 and e2 and not (e1 & e2), f"the shards are disjoint ({len(e1)} + {len(e2)} endpoints)",
             sorted(e1 & e2))
    t.expect(e1 | e2 == set(endpoints(full.scan)), "together they cover the unsharded scan's endpoints")
    t.expect(s1.scan["meta"]["shard"] == "1/2" and s2.scan["meta"]["shard"] == "2/2",
             "each scan.json says which shard it is")

    m = merge(t, [os.path.join(s1.outdir, "scan.json"), s2.outdir], "merged")
    t.require_that(m.scan is not None, "merge wrote scan.json")
    t.expect_eq(ids(m.scan), ids(full.scan), "merged findings == unsharded findings")
    t.expect_eq(endpoints(m.scan), endpoints(full.scan), "merged endpoints == unsharded endpoints")
    t.expect(m.scan["meta"]["mode"] == "merge" and len(m.scan["meta"]["merged_from"]) == 2,
             "scan.json says it is a merge of two scans", m.scan["meta"])
    errors = h.schema_errors(m.scan, os.path.join(t.source, "docs", "scan.schema.json"))
    t.expect(not errors, "the merged scan.json validates against the schema", errors[:5])
    for f in ("report.md", "report.html", "findings.csv", "findings.sarif", "observations.jsonl"):
        t.expect(os.path.exists(os.path.join(m.outdir, f)), f"merge wrote {f}")

    # overlap: shard 1 + the full scan
    o = merge(t, [s1.outdir, full.outdir], "overlap")
    notes = " ".join(o.scan["meta"]["notes"]) if o.scan else ""
    t.expect("Overlapping scopes" in notes, "the overlap is reported", o.scan and o.scan["meta"]["notes"])
    t.expect_eq(ids(o.scan or {"findings": []}), ids(full.scan), "findings unchanged by the overlap")
    ep = sorted(e1)[0]
    both = [x for x in o.scan["observations"]
            if f"{x['ip']}:{x['port']}" == ep and x["probe"] == "dicom_associate"]
    t.expect(len(both) == 2 and both[0]["at"] != both[1]["at"],
             f"both observations of {ep} are kept, each with its time", both)

    # a missing shard is said
    miss = merge(t, [s1.outdir, full.outdir], "missing")
    t.expect(any("2/2" in n and "not among" in n for n in miss.scan["meta"]["notes"]),
             "merging without shard 2/2 says it is missing", miss.scan["meta"]["notes"])

    # bad input
    bad = os.path.join(t.tmp, "bad.json")
    with open(bad, "w") as f:
        f.write("[1, 2]")
    for args, why in (([s1.outdir], "one input"),
                      ([s1.outdir, os.path.join(t.tmp, "nope.json")], "a missing file"),
                      ([s1.outdir, bad], "not a scan.json")):
        out = t.outdir("bad")
        r = subprocess.run([t.pacscan, "merge", *args, "-o", out], capture_output=True, text=True)
        t.expect(r.returncode == 2 and r.stderr.strip(), f"merge with {why}: exit 2 and an error "
                 f"({r.returncode})", r.stderr[-500:])


if __name__ == "__main__":
    h.run(main)
