#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The scanner's C-MOVE listener (intrusive profile, probe dicom_move_self) against hostile
C-MOVE senders (tests/lab/hostile.py mover: a clean SCP that stores anything and, asked to move
to PACSCAN, connects back to the scanner's listener itself).

Peers, all scanned at once (3 workers, one listener for the scan):
- TRICKLE: the sender connects from the host's own address (admitted), associates and sends a
  C-STORE data set 16 bytes a second, each piece a complete PDU (so no read timeout fires),
  while the C-MOVE stays pending: the listener cuts it at the hard deadline, and the other endpoints' probes go on meanwhile (they wait for the listener
  within their own budget, never longer);
- ELSEWHERE: the sender connects from another address: refused before a byte is read, counted,
  and the count reaches the observation and the finding's evidence;
- NESTED: the sender connects from the host's address and sends a C-STORE data set nested
  20,000 deep: cut by the nesting guard, recorded, the scan goes on.
Then Ctrl-C while the listener holds a trickling sender: the scan ends within a few seconds.
Then an endpoint budget shorter than the deadline: the budget cuts the listener.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

TRICKLE, ELSEWHERE, NESTED = "127.0.0.51", "127.0.0.52", "127.0.0.53"
OTHER = "127.0.0.62"  # where ELSEWHERE's sender connects from
DEADLINE_S = 6


def start_mover(t, ip, variant, port, listen, log, move_from=None):
    argv = [h.PY, "-u", t.hostile, "mover", "--variant", variant, "--bind", ip, "--port",
            str(port), "--move-port", str(listen), "--log", log]
    if move_from:
        argv += ["--move-from", move_from]
    srv = t.start(f"mover-{variant}-{ip}", argv)
    t.wait_until(f"mover {variant} {ip}", lambda: "listening on" in srv.log_text(), srv=srv)
    return srv


def move_obs(t, s, ip, port):
    o = h.one_observation(t, s, "dicom_move_self", ip, port)
    return o, ((o or {}).get("data") or {})


def main(t):
    port, listen = h.free_port(), h.free_port()
    logs = {ip: os.path.join(t.tmp, f"mover-{ip}.log") for ip in (TRICKLE, ELSEWHERE, NESTED)}
    start_mover(t, TRICKLE, "trickle", port, listen, logs[TRICKLE])
    start_mover(t, ELSEWHERE, "nested", port, listen, logs[ELSEWHERE], move_from=OTHER)
    start_mover(t, NESTED, "nested", port, listen, logs[NESTED])

    common = ["-p", str(port), "--profile", "intrusive", "--listen-port", str(listen),
              "--acse-timeout", "3s", "--dimse-timeout", "3s",
              "--assoc-deadline", f"{DEADLINE_S}s"]
    r = t.scan([f"{TRICKLE}-53", "--endpoint-budget", "90s", "--workers", "3"] + common,
               timeout=300, quiet=False)
    t.expect(r.rc in (0, 1), f"scan exit code {r.rc} is 0 or 1", r.describe())
    t.expect_outputs(r)
    s = r.scan

    # TRICKLE: admitted (its own address), cut at the hard deadline.
    o, d = move_obs(t, s, TRICKLE, port)
    got = d.get("received", [])
    t.expect(len(got) == 1 and got[0].get("outcome") == "deadline" and
             "deadline" in got[0].get("detail", "") and
             got[0].get("peer", "").startswith(TRICKLE + ":"),
             "trickle: the sender from the host's own address was admitted and cut at the "
             "hard deadline", o)
    if got:
        t.expect(got[0].get("elapsed_ms", 0) <= (DEADLINE_S + 2) * 1000,
                 f"trickle: the listener gave up within {DEADLINE_S}+2 s", got)
        t.expect(got[0].get("bytes_in", 0) > 0 and got[0].get("objects") == 0,
                 "trickle: the bytes it had trickled were counted, no object completed", got)
    t.expect(d.get("refused") == 0, "trickle: nothing refused", d)
    t.expect(any("sender trickle associated" in l for l in h.read_lines(logs[TRICKLE])),
             "trickle: its sender really associated", h.read_lines(logs[TRICKLE]))

    # ELSEWHERE: refused unread, counted, in the observation and the finding.
    o, d = move_obs(t, s, ELSEWHERE, port)
    t.expect(d.get("received") == [] and d.get("refused", 0) >= 1 and
             any(x.startswith(OTHER + ":") for x in d.get("refused_from", [])),
             f"elsewhere: the sender from {OTHER} was refused and counted, none admitted", o)
    t.expect("refused" in (o or {}).get("summary", ""), "elsewhere: the summary says so", o)
    lines = h.read_lines(logs[ELSEWHERE])
    t.expect(any("connected" in l for l in lines) and not any("sender nested sent" in l
                                                              for l in lines),
             "elsewhere: its sender connected but never got to send its data set", lines)
    ev = [e for f in h.findings(s, ELSEWHERE, port) for e in f.get("evidence", [])]
    t.expect(any("refused" in e and OTHER in e for e in ev),
             "elsewhere: the refused connection is in a finding's evidence", ev)

    # NESTED: admitted, cut by the nesting guard before DCMTK parsed the data set.
    o, d = move_obs(t, s, NESTED, port)
    got = d.get("received", [])
    t.expect(len(got) == 1 and got[0].get("outcome") == "error" and
             "nested deeper than 64 levels" in got[0].get("detail", "") and
             got[0].get("objects") == 0,
             "nested: the C-STORE data set was cut by the nesting guard", o)

    # One listener for the scan: the three tests did not overlap, and the ones that waited
    # still ran within their budget (none reported the listener busy).
    for ip in (TRICKLE, ELSEWHERE, NESTED):
        _, d = move_obs(t, s, ip, port)
        t.expect(not d.get("listener_busy"), f"{ip}: got the listener within its budget", d)
        later = [x["probe"] for x in h.observations(s, None, ip, port)]
        t.expect("dicom_store_test" in later, f"{ip}: its other probes ran", later)
    # While TRICKLE held the listener, the other endpoints' probes went on: their earlier
    # probes finished before TRICKLE's C-MOVE test ended.
    h.expect_bounded(t, s, DEADLINE_S * 1000, 90000)

    # ---- Ctrl-C while the listener holds a trickling sender
    open(logs[TRICKLE], "w").close()
    out = t.outdir("interrupted")
    argv = [t.pacscan, "scan", TRICKLE, "--endpoint-budget", "90s"] + common + ["-o", out, "-q"]
    argv[argv.index("--assoc-deadline") + 1] = "60s"
    print("$ " + " ".join(argv), flush=True)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=t.env)
    try:
        t.wait_until("the trickling sender is connected to the listener",
                     lambda: any("sender trickle associated" in l
                                 for l in h.read_lines(logs[TRICKLE])), timeout=60)
        time.sleep(2)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        output, _ = p.communicate(timeout=30)
        stop_s = time.monotonic() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    t.expect_eq(p.returncode, 130, "exit code after SIGINT", output[-3000:])
    t.expect(stop_s < 5, f"stopped {stop_s:.1f}s after SIGINT with the listener held (< 5 s)")
    sj = os.path.join(out, "observations.jsonl")
    t.expect(os.path.exists(sj), "observations kept after SIGINT")

    # ---- an endpoint budget shorter than the association deadline cuts the listener
    open(logs[TRICKLE], "w").close()
    args = [TRICKLE, "--endpoint-budget", "25s"] + common
    args[args.index("--assoc-deadline") + 1] = "60s"
    t0 = time.monotonic()
    r = t.scan(args, timeout=120)
    took = time.monotonic() - t0
    t.expect(r.rc in (0, 1), f"budget scan exit code {r.rc} is 0 or 1", r.describe())
    o, d = move_obs(t, r.scan, TRICKLE, port)
    got = d.get("received", [])
    t.expect(took < 25 + 10, f"the scan ended {took:.1f}s after it started (budget 25 s)")
    t.expect(len(got) <= 1 and all(g.get("outcome") in ("deadline",) and
                                   ("budget" in g.get("detail", "") or
                                    "listener closed" in g.get("detail", ""))
                                   for g in got),
             "budget: an admitted trickling sender was cut by the budget, not the 60 s deadline",
             o)


if __name__ == "__main__":
    h.run(main)
