#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""pacscan pcap on captures crafted to hurt a parser (samples/pcaps/make-hostile.py, small scale):
each one is read to the end with exit 0 and the right facts, and the peak RSS of the process
(wait4's ru_maxrss, not a clock) stays within the memory bound the README states: with small
budgets the process stays near its baseline, where the same captures without the budgets take
far more (so the check can fail). RSS checks are skipped under the sanitizers (shadow memory).
Sends no packet: capture files are the only input."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

MIB = 1024 * 1024
OVERSHOOT = 256 * 1024  # FlowTable::k_overshoot


def bound(max_buffered, max_summary):
    """The README's bound on peak RSS (passive mode)."""
    return 32 * MIB + 2 * (max_buffered + OVERSHOOT) + 12 * max_summary


def sanitized(binary):
    """gcc links the sanitizer runtimes as shared libraries, clang statically: look for both."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    if "libasan" in out or "libubsan" in out:
        return True
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def pcap_rss(t, args, out):
    argv = [t.pacscan, "pcap"] + args + ["-o", out, "--format", "json"]
    print(f"$ {' '.join(argv)}", flush=True)
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.path.join(t.tmp, "pacscan-stderr.log"),
                         os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.dup2(fd, 2)
            os.dup2(fd, 1)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    scan = None
    path = os.path.join(out, "scan.json")
    if os.path.exists(path):
        with open(path) as f:
            scan = json.load(f)
    rss = usage.ru_maxrss * 1024
    print(f"  -> exit {rc}, peak RSS {rss / MIB:.1f} MiB", flush=True)
    return rc, scan, rss


def passive(scan):
    return [o for o in scan["observations"] if o["probe"] == "passive_dicom"]


def main(t):
    gen = os.path.join(t.source, "samples", "pcaps", "make-hostile.py")
    caps = os.path.join(t.tmp, "captures")
    subprocess.run([sys.executable, gen, caps, "--scale", "0.05"], check=True)
    big = os.path.join(t.tmp, "big")
    subprocess.run([sys.executable, gen, big, "--scale", "0.4",
                    "--only", "memory_hog,backwards"], check=True)
    check_rss = not sanitized(t.pacscan)

    rc, base, rss0 = pcap_rss(t, [os.path.join(t.source, "samples", "pcaps", "echo.pcap")],
                              t.outdir("baseline"))
    t.require_that(rc == 0 and base is not None, "baseline run on echo.pcap")
    if check_rss:
        t.expect(rss0 <= 32 * MIB, f"baseline RSS {rss0 / MIB:.1f} MiB within 32 MiB")

    # Every capture at the default limits: read to the end, facts right, memory within the
    # default bound (64 MiB of flows + 8 MiB of summaries, see the README).
    expect = {  # capture -> (observations, a note that must be there or None)
        "tag_flood.pcap": (1, None),
        "backwards.pcap": (1000, "timestamp earlier"),
        "time_jumps.pcap": (1000, "timestamp earlier"),
        "deep_sequences.pcap": (2, None),
        "tiny_pdus.pcap": (1, None),
        "command_flood.pcap": (1, None),
        "many_flows.pcap": (1, "closed early to make room"),
        "memory_hog.pcap": (0, None),
        "many_assocs.pcap": (64, None),  # 64 per connection (ReaderLimits)
        "pcapng_times.pcapng": (10, "clamped"),
    }
    default_bound = bound(64 * MIB, 8 * MIB)
    for name, (n_obs, note) in expect.items():
        rc, scan, rss = pcap_rss(t, [os.path.join(caps, name)], t.outdir(name))
        t.expect_eq(rc, 0, f"{name}: exit code")
        if scan is None:
            t.expect(False, f"{name}: scan.json written")
            continue
        obs = passive(scan)
        t.expect_eq(len(obs), n_obs, f"{name}: passive_dicom observations")
        if note:
            t.expect(any(note in n for n in scan["meta"]["notes"]), f"{name}: note '{note}'",
                     scan["meta"]["notes"])
        if check_rss:
            t.expect(rss <= default_bound, f"{name}: peak RSS {rss / MIB:.1f} MiB within the "
                     f"default bound {default_bound / MIB:.1f} MiB")
        if name == "tag_flood.pcap" and obs:
            d = obs[0]["data"]
            t.expect_eq(len(d.get("phi_tags", [])), 64, "tag flood: 64 tags listed")
            t.expect(any("more than 64" in n for n in d.get("notes", [])),
                     "tag flood: the note says there were more", d.get("notes"))

    # Small budgets hold memory down on captures that need much more.
    tight = ["--max-buffered", str(1 * MIB), "--max-summary", str(256 * 1024)]
    tight_bound = bound(1 * MIB, 256 * 1024)
    for name, what in (("memory_hog.pcap", "dropped or not analysed at the memory budget"),
                       ("backwards.pcap", "beyond the summary budget")):
        path = os.path.join(big, name)
        rc, scan, rss = pcap_rss(t, [path] + tight, t.outdir(name + "-tight"))
        t.expect_eq(rc, 0, f"{name} (small budgets): exit code")
        t.require_that(scan is not None, f"{name} (small budgets): scan.json written")
        t.expect(any(what in n for n in scan["meta"]["notes"]),
                 f"{name} (small budgets): counted notice '{what}'", scan["meta"]["notes"])
        if name == "backwards.pcap":
            total = sum(1 + o["data"].get("repeats", 0) for o in passive(scan))
            t.expect_eq(total, 8000, "backwards: every association kept or folded (repeats)")
        if not check_rss:
            continue
        t.expect(rss <= tight_bound, f"{name}: peak RSS {rss / MIB:.1f} MiB within the bound "
                 f"of the small budgets, {tight_bound / MIB:.1f} MiB")
        # The same capture with budgets too large to matter: the check above could fail.
        loose = ["--max-buffered", str(4096 * MIB), "--max-summary", str(4096 * MIB)]
        rc, scan, rss_loose = pcap_rss(t, [path] + loose, t.outdir(name + "-loose"))
        t.expect(rss_loose > tight_bound, f"{name}: without the budgets it takes "
                 f"{rss_loose / MIB:.1f} MiB, above {tight_bound / MIB:.1f} MiB")


if __name__ == "__main__":
    h.run(main)
