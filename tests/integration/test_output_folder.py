#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The output folder: an earlier scan is never silently mixed with or destroyed by a new one, a
full disk is reported (exit 3) and what was observed up to then is kept.

- a scan into a folder holding an earlier scan is refused (exit 2, the folder untouched, the
  message names --resume and --force); `pacscan pcap` likewise;
- with --force the earlier scan's files are replaced: no stale tickets/*.md survive, files that
  are not pacscan's are left alone;
- `pacscan report` re-rendering into the same folder removes tickets of findings that are gone;
- a scan into a tiny tmpfs (a private mount namespace) that fills up: exit 3, an error naming
  the file that could not be written, observations.jsonl holds whole lines only, every one of
  them JSON.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h


def files_in(d):
    out = set()
    for root, _, names in os.walk(d):
        for n in names:
            out.add(os.path.relpath(os.path.join(root, n), d))
    return out


def main(t):
    srv = t.start_storescp()
    out = t.outdir("first")
    r1 = t.scan(["127.0.0.1", "-p", str(srv.port)], out=out)
    t.expect_rc(r1, (0, 1))
    before = files_in(out)
    t.require_that("scan.json" in before and any(f.startswith("tickets/") for f in before),
                   "the first scan wrote scan.json and tickets", sorted(before))
    stamp = {f: os.path.getmtime(os.path.join(out, f)) for f in before}

    # 1. refused without --force; nothing touched
    r2 = t.scan(["127.0.0.1", "-p", str(srv.port)], out=out)
    t.expect_rc(r2, 2, fatal=False)
    t.expect("--force" in r2.stderr and "--resume" in r2.stderr and "already holds a scan" in r2.stderr,
             "the refusal says what is there and how to go on", r2.stderr)
    t.expect({f: os.path.getmtime(os.path.join(out, f)) for f in files_in(out)} == stamp,
             "the earlier scan is untouched")
    pr = subprocess.run([t.pacscan, "pcap", os.path.join(t.source, "samples", "pcaps",
                                                         os.listdir(os.path.join(t.source, "samples", "pcaps"))[0]),
                         "-o", out], capture_output=True, text=True)
    t.expect(pr.returncode == 2 and "already holds a scan" in pr.stderr,
             f"pacscan pcap into the same folder is refused too (exit {pr.returncode})", pr.stderr)

    # 2. --force replaces pacscan's files only; a stale ticket does not survive
    stale = os.path.join(out, "tickets", "STALE-FINDING.md")
    with open(stale, "w") as f:
        f.write("from an older scan\n")
    mine = os.path.join(out, "auditor-notes.txt")
    with open(mine, "w") as f:
        f.write("not pacscan's\n")
    r3 = t.scan(["127.0.0.1", "-p", str(srv.port), "--force"], out=out)
    t.expect_rc(r3, (0, 1))
    t.expect_outputs(r3)
    t.expect(not os.path.exists(stale), "no stale ticket survives --force")
    t.expect(os.path.exists(mine), "a file that is not pacscan's is left alone")
    n_obs = len(r3.jsonl or [])
    t.expect(n_obs == len(r1.jsonl or []),
             f"observations.jsonl holds this scan only ({n_obs} lines, as the first scan)")

    # 3. pacscan report into the same folder drops tickets of findings that are gone
    with open(stale, "w") as f:
        f.write("from an older scan\n")
    rr = subprocess.run([t.pacscan, "report", os.path.join(out, "scan.json"), "-o", out],
                        capture_output=True, text=True)
    t.expect(rr.returncode == 0, f"pacscan report in place exit {rr.returncode}", rr.stderr)
    t.expect(not os.path.exists(stale), "re-rendering removes tickets of findings that are gone")
    t.expect(len(os.listdir(os.path.join(out, "tickets"))) == len(r3.scan["findings"]),
             "one ticket per finding of the rendered scan")

    # 4. a full disk: exit 3, the error said, whole lines kept
    full = os.path.join(t.tmp, "full")
    os.makedirs(full)
    argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            f'mount -t tmpfs -o size=12k tmpfs "{full}" && exec "$0" "$@"', t.pacscan, "scan",
            "127.0.0.1", "-p", f"{srv.port},1-40", "-o", os.path.join(full, "scan"), "-q",
            "--discovery", "none"]
    run = t.run_argv(argv, None)
    t.expect(run.rc == 3, f"a full disk ends the run with exit 3 (got {run.rc})", run.describe())
    t.expect("No space left" in run.stderr, "the error names the cause", run.stderr)
    # the tmpfs is gone with the mount namespace: check what was written with a second run that
    # keeps the namespace open long enough to copy the file out
    copy = os.path.join(t.tmp, "full-copy.jsonl")
    argv2 = ["unshare", "-m", "--propagation", "private", "sh", "-c",
             f'mount -t tmpfs -o size=12k tmpfs "{full}" && "$0" "$@"; rc=$?; '
             f'cp "{full}/scan/observations.jsonl" "{copy}"; exit $rc',
             t.pacscan, "scan", "127.0.0.1", "-p", f"{srv.port},1-40", "-o",
             os.path.join(full, "scan"), "-q", "--discovery", "none"]
    run2 = t.run_argv(argv2, None)
    t.expect(run2.rc == 3, f"again exit 3 (got {run2.rc})")
    with open(copy, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    t.expect(data.endswith(b"\n") or not data, "observations.jsonl ends with a whole line")
    bad = []
    for i, line in enumerate(l for l in lines if l):
        try:
            json.loads(line)
        except ValueError as e:
            bad.append(f"line {i + 1}: {e}")
    t.expect(len([l for l in lines if l]) > 0 and not bad,
             f"observations.jsonl kept {len([l for l in lines if l])} whole JSON line(s) up to the "
             "failure", bad)


if __name__ == "__main__":
    h.run(main)
