#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A scan killed with SIGKILL halfway can be resumed: `pacscan scan --resume DIR` continues from
DIR's observations.jsonl and resume.jsonl without probing again what was done, and its findings
are those of an uninterrupted scan of the same lab.

Lab (loopback sandbox): storescp and an allow-listed dcmqrscp, each reached on six 127.0.0.x
addresses (twelve endpoints), probed one host at a time with a per-host gap so the scan lasts
long enough to be killed in the middle.

Checked:
- after the kill, observations.jsonl holds whole lines only (at most the line being written is
  lost) and `pacscan report DIR` renders reports from it alone;
- --resume refuses other scan options, and a folder that holds no scan;
- the resumed run exits 0/1 and writes scan.json; every endpoint has each probe's observation
  exactly once (no endpoint probed twice); endpoints done before the kill have no observation
  from the resumed run; the cut endpoint is probed again;
- the findings (stable IDs) equal those of an uninterrupted scan;
- a finished scan cannot be resumed (the error says pacscan report re-renders it).
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

HOSTS = [f"127.0.0.{i}" for i in range(10, 16)]
TARGETS = "127.0.0.10-15"


def done_lines(out):
    return [json.loads(l) for l in h.read_lines(os.path.join(out, "resume.jsonl"))
            if '"event":"done"' in l.replace(" ", "")]


def main(t):
    store = t.start_storescp()
    qr = t.start_dcmqrscp(peers=(("FINDSCU", "localhost"),))
    ports = f"{store.port},{qr.port}"
    common = [TARGETS, "-p", ports, "--workers", "1", "--host-gap", "250ms", "--called-aet", "QRSCP"]

    # 1. the interrupted scan
    out = t.outdir("killed")
    argv = [t.pacscan, "scan"] + common + ["-o", out, "-q"]
    print(f"$ {' '.join(argv)}  (killed with SIGKILL after 4 endpoints)", flush=True)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=t.env)
    end = time.monotonic() + 90
    while time.monotonic() < end and proc.poll() is None and len(done_lines(out)) < 4:
        time.sleep(0.05)
    t.require_that(proc.poll() is None, "the scan was still running after 4 endpoints")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = time.time()
    done_before = {d["endpoint"] for d in done_lines(out)}
    t.expect(len(done_before) >= 4, f"{len(done_before)} endpoint(s) done before the kill")
    t.expect(not os.path.exists(os.path.join(out, "scan.json")), "no scan.json after SIGKILL")
    with open(os.path.join(out, "observations.jsonl"), "rb") as f:
        raw = f.read()
    whole = raw[:raw.rfind(b"\n") + 1]
    bad = []
    for i, line in enumerate(whole.splitlines(), 1):
        try:
            json.loads(line)
        except ValueError as e:
            bad.append(f"line {i}: {e}")
    n_whole = whole.count(b"\n")
    t.expect(not bad, f"observations.jsonl: {n_whole} whole JSON lines; at most the "
                      f"last one cut ({len(raw) - len(whole)} trailing bytes)", bad)

    # 2. reports from observations.jsonl alone
    rendered = t.outdir("from-jsonl")
    r = subprocess.run([t.pacscan, "report", out, "-o", rendered], capture_output=True, text=True)
    t.expect(r.returncode == 0, f"pacscan report DIR renders from observations.jsonl (exit "
                                f"{r.returncode})", r.stderr)
    if r.returncode == 0:
        with open(os.path.join(rendered, "scan.json")) as f:
            partial = json.load(f)
        t.expect(any("Rebuilt from observations.jsonl" in n for n in partial["meta"]["notes"]),
                 "the rebuilt report says where it came from", partial["meta"]["notes"])
        t.expect(partial["meta"]["interrupted"] is True, "and that the scan did not finish")

    # 3. --resume guards
    r = subprocess.run([t.pacscan, "scan", "--resume", out, "-p", "104"], capture_output=True,
                       text=True)
    t.expect(r.returncode == 2 and "cannot be changed" in r.stderr,
             f"--resume with another scan option is refused (exit {r.returncode})", r.stderr)
    empty = os.path.join(t.tmp, "empty")
    os.makedirs(empty)
    r = subprocess.run([t.pacscan, "scan", "--resume", empty], capture_output=True, text=True)
    t.expect(r.returncode == 2 and "resume.jsonl" in r.stderr,
             f"--resume of a folder without a scan is refused (exit {r.returncode})", r.stderr)

    # 4. the resumed scan
    resumed = t.run_argv([t.pacscan, "scan", "--resume", out, "-q"], out)
    t.expect_rc(resumed, (0, 1))
    t.expect_outputs(resumed)
    s = resumed.scan
    t.expect(any("Resumed on" in n for n in s["meta"]["notes"]), "scan.json says it was resumed",
             s["meta"]["notes"])
    seen, dup = {}, []
    for o in s["observations"]:
        key = (o["ip"], o["port"], o["probe"])
        if key in seen:
            dup.append(key)
        seen[key] = o
    t.expect(not dup, "each probe's observation appears once per endpoint (nothing probed twice)",
             dup[:10])
    late = []
    for o in s["observations"]:
        ep = f"{o['ip']}:{o['port']}"
        if ep in done_before and o["probe"] != "tcp_connect":
            ts = time.mktime(time.strptime(o["at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
            if ts > killed_at + 1:
                late.append((ep, o["probe"], o["at"]))
    t.expect(not late, "endpoints done before the kill were not probed by the resumed run", late)
    eps = {f"{ip}:{p}" for ip in HOSTS for p in (store.port, qr.port)}
    probed = {f"{o['ip']}:{o['port']}" for o in s["observations"] if o["probe"] == "dicom_associate"}
    t.expect(probed == eps, f"all {len(eps)} endpoints probed across the two runs",
             sorted(eps ^ probed))

    # 5. the same findings as an uninterrupted scan
    full = t.scan(common)
    t.expect_rc(full, (0, 1))
    ids_resumed = sorted(f["id"] + " " + f["rule_id"] + " " + f["asset"] for f in s["findings"])
    ids_full = sorted(f["id"] + " " + f["rule_id"] + " " + f["asset"] for f in full.scan["findings"])
    t.expect(ids_resumed == ids_full,
             f"resumed findings == uninterrupted findings ({len(ids_resumed)} vs {len(ids_full)})",
             {"only resumed": sorted(set(ids_resumed) - set(ids_full)),
              "only uninterrupted": sorted(set(ids_full) - set(ids_resumed))})

    # 6. a finished scan is not resumed
    r = subprocess.run([t.pacscan, "scan", "--resume", out], capture_output=True, text=True)
    t.expect(r.returncode == 2 and "nothing to resume" in r.stderr,
             f"a finished scan cannot be resumed (exit {r.returncode})", r.stderr)


if __name__ == "__main__":
    h.run(main)
