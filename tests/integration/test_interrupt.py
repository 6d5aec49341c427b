#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An interrupted scan (SIGINT after a few seconds against tarpit-heavy targets) stops promptly,
exits 130, and still writes observations.jsonl and scan.json (meta.interrupted true) and the
report from what was observed."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

STOP_WITHIN_S = 15


def main(t):
    # a tarpit on 0.0.0.0 answers on every 127.x address; one real storescp on another port
    tarpit = t.start_hostile("tarpit", "0.0.0.0", [h.free_port()])
    store = t.start_storescp()
    out = t.outdir("interrupted")
    argv = [t.pacscan, "scan", "127.0.0.1-64", "-p", f"{store.port},{tarpit.port}",
            "--acse-timeout", "30s", "--assoc-deadline", "60s", "--endpoint-budget", "120s",
            "-o", out, "-q"]
    print("$ " + " ".join(argv))
    log = open(os.path.join(t.tmp, "pacscan.out"), "w")
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=t.env,
                         start_new_session=True)
    jsonl = os.path.join(out, "observations.jsonl")
    try:
        end = time.monotonic() + 20
        while time.monotonic() < end and p.poll() is None:
            if len(h.read_lines(jsonl)) >= 3:
                break
            time.sleep(0.2)
        time.sleep(2)  # let the workers sit in tarpits
        t.require_that(p.poll() is None, "scan still running when interrupted (tarpits hold it)")
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        try:
            rc = p.wait(STOP_WITHIN_S + 30)
        except subprocess.TimeoutExpired:
            rc = None
        stop_s = time.monotonic() - t0
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        log.close()
    with open(os.path.join(t.tmp, "pacscan.out")) as f:
        output = f.read()
    t.expect_eq(rc, 130, "exit code after SIGINT", output[-3000:])
    t.expect(stop_s < STOP_WITHIN_S, f"stopped {stop_s:.1f}s after SIGINT (< {STOP_WITHIN_S}s)")

    lines = h.read_lines(jsonl)
    t.expect(len(lines) >= 1, f"observations.jsonl kept ({len(lines)} lines)")
    bad = []
    for l in lines:
        try:
            json.loads(l)
        except ValueError:
            bad.append(l)
    t.expect(not bad, "every observations.jsonl line is complete JSON", bad[:3])
    sj = os.path.join(out, "scan.json")
    t.require_that(os.path.exists(sj), "scan.json written after SIGINT", output[-3000:])
    with open(sj) as f:
        s = json.load(f)
    t.expect_eq(s.get("meta", {}).get("interrupted"), True, "meta.interrupted", s.get("meta"))
    t.expect(bool(s.get("meta", {}).get("finished_at")), "meta.finished_at set", s.get("meta"))
    t.expect(len(s.get("observations", [])) >= len(lines),
             "scan.json holds the streamed observations")
    t.expect(os.path.exists(os.path.join(out, "report.md")), "report.md written from partial results")
    ep = h.endpoint(s, "127.0.0.1", store.port)
    if ep is not None and ep.get("speaks_dicom"):
        print("      (storescp endpoint was probed before the interrupt)")
    t.expect(tarpit.alive() and store.alive(), "test servers unharmed")


if __name__ == "__main__":
    h.run(main)
