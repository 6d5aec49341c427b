#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""One association per host at a time, under high parallelism (issue 12).

64 hosts (127.0.1.1-64), each with two DICOM ports, all relayed to one real storescp by
tests/lab/assoc_proxy.py, which records every association's start and end per host. pacscan
probes the hosts side by side (its pool grows with the hosts waiting); the record must show
that no host ever had two of its associations at once, that hosts were indeed probed in
parallel (otherwise the first check proves nothing), and that every endpoint was found.
"""
import os

import harness as h

HOSTS = 64


def main(t):
    srv = t.start_storescp()
    ports = [h.free_port(), h.free_port()]
    log = os.path.join(t.tmp, "assoc.log")
    proxy = t.start("assoc_proxy", [h.PY, "-u", os.path.join(t.source, "tests", "lab",
                                                              "assoc_proxy.py"),
                                    "--hosts", f"127.0.1.1-{HOSTS}",
                                    "--ports", ",".join(map(str, ports)),
                                    "--to", f"127.0.0.1:{srv.port}", "--log", log])
    t.wait_until("assoc_proxy", lambda: "ready" in proxy.log_text(), srv=proxy)

    r = t.scan([f"127.0.1.1-{HOSTS}", "-p", ",".join(map(str, ports))], timeout=300)
    t.expect_rc(r, 0)
    t.expect_outputs(r)

    events = [line.split() for line in h.read_lines(log)]
    starts = [e for e in events if e[0] == "start"]
    per_host = max((int(e[3]) for e in starts), default=0)
    overall = max((int(e[4]) for e in starts), default=0)
    hosts_seen = {e[1] for e in starts}
    overlap = [e for e in starts if int(e[3]) > 1]
    t.expect(per_host == 1, "no host ever had two associations at once", overlap[:10])
    t.expect(overall >= 8, f"hosts probed side by side (at most {overall} associations at once "
             "over all hosts)")
    t.expect_eq(len(hosts_seen), HOSTS, "every host was probed")
    t.expect(len(starts) >= HOSTS * 2 * 3, f"several associations per endpoint ({len(starts)})")
    dicom = [e for e in r.scan["endpoints"] if e.get("speaks_dicom")]
    t.expect_eq(len(dicom), HOSTS * 2, "every endpoint found speaking DICOM")


if __name__ == "__main__":
    h.run(main)
