#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A peer whose DIMSE messages are nested thousands of sequences deep must not end the scan.

DCMTK 3.6.7 (Debian 12) parses nested sequences with unbounded recursion (CVE-2026-44031,
DCMTK #1191): about 10,000 levels exhaust the stack and SIGSEGV ends the whole scanner. Before
the nesting guard, each scan below ended with exit 139 and no scan.json. The guard follows every
byte received (after TLS decryption too) and cuts a message nested deeper than 64 levels before
DCMTK parses it; the probes record why.

Peers (tests/lab/hostile.py badbytes):
- nested: every DIMSE request (C-ECHO first) is answered with a command set nested 20,000 deep;
- nested-find: C-FIND answered with one pending response whose identifier is nested 20,000 deep
  (C-ECHO, C-MOVE, C-GET answered normally);
- nested over DICOM TLS (a self-signed certificate): the same command sets, encrypted;
- flood-find: C-FIND answered with an identifier holding one 80 MiB element, cut at the byte cap
  of an outgoing association (64 MiB).
Checked: exit code 0/1, scan.json written; the C-ECHO / C-FIND observations say what was cut
and why; probes after the cut still ran; every endpoint's chain finished.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

NESTED, FIND, TLS, FLOOD = "127.0.0.41", "127.0.0.42", "127.0.0.43", "127.0.0.44"
CUT = "nested deeper than 64 levels: cut before DCMTK parses it"


def main(t):
    h.require("openssl")
    port = h.free_port()
    key, cert = os.path.join(t.tmp, "k.pem"), os.path.join(t.tmp, "c.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=hostile", "-keyout", key, "-out", cert],
                       capture_output=True, text=True)
    t.require_that(r.returncode == 0, "a TLS certificate for the hostile peer", r.stderr)
    for ip, variant, extra in ((NESTED, "nested", []), (FIND, "nested-find", []),
                               (TLS, "nested", ["--tls-cert", cert, "--tls-key", key]),
                               (FLOOD, "flood-find", [])):
        srv = t.start(f"{variant}-{ip}", [h.PY, "-u", t.hostile, "badbytes", "--variant", variant,
                                          "--bind", ip, "--port", str(port)] + extra)
        t.wait_until(f"badbytes {variant} {ip}", lambda: "listening on" in srv.log_text(), srv=srv)

    r = t.scan([f"{NESTED}-44", "-p", str(port), "--acse-timeout", "3s", "--dimse-timeout", "3s",
                "--assoc-deadline", "10s", "--endpoint-budget", "60s", "--workers", "4"],
               timeout=180)
    t.expect(r.rc in (0, 1), f"scan exit code {r.rc} is 0 or 1 (before the guard: 139, SIGSEGV)",
             r.describe())
    t.expect_outputs(r)
    s = r.scan

    # C-ECHO answered with a nested command set: cut, recorded, and the chain went on.
    for ip in (NESTED, TLS):
        echo = h.one_observation(t, s, "dicom_echo", ip, port)
        d = (echo or {}).get("data", {})
        t.expect(d.get("echo_outcome") == "error" and CUT in d.get("detail", "") and
                 "command set" in d.get("detail", "") and "CVE-2026-44031" in d.get("detail", ""),
                 f"{ip}: the nested C-ECHO-RSP command set was cut and the reason recorded", echo)
        later = [o["probe"] for o in h.observations(s, None, ip, port)]
        t.expect("dicom_null_query" in later and "dicom_user_identity" in later,
                 f"{ip}: the probes after the cut still ran", later)
    tls = h.one_observation(t, s, "dicom_tls", TLS, port)
    t.expect(((tls or {}).get("data") or {}).get("association", {}).get("outcome") == "ok",
             f"{TLS}: the association was over TLS (the guard read decrypted bytes)", tls)

    # C-FIND answered with a nested identifier: cut; C-MOVE / C-GET still answered.
    q = h.one_observation(t, s, "dicom_null_query", FIND, port)
    res = {x["service"]: x for x in ((q or {}).get("data") or {}).get("results", [])}
    find = res.get("StudyRootFind", {})
    t.expect(find.get("outcome") == "error" and CUT in find.get("detail", "") and
             "data set" in find.get("detail", ""),
             "the C-FIND whose identifier was nested was cut before DCMTK parsed it", q)
    t.expect(res.get("StudyRootMove", {}).get("outcome") == "success",
             "the next request (C-MOVE) on a fresh association was answered", res)
    echo = h.one_observation(t, s, "dicom_echo", FIND, port)
    t.expect(((echo or {}).get("data") or {}).get("echo_outcome") == "ok",
             f"{FIND}: a plain C-ECHO is not cut", echo)
    # C-FIND answered with an 80 MiB element: the connection is cut at the 64 MiB byte cap (DCMTK
    # would have allocated and filled it), recorded, and the chain went on.
    q = h.one_observation(t, s, "dicom_null_query", FLOOD, port)
    res = {x["service"]: x for x in ((q or {}).get("data") or {}).get("results", [])}
    find = res.get("StudyRootFind", {})
    t.expect(find.get("outcome") == "error" and "bytes received: connection cut" in
             find.get("detail", ""), "the C-FIND flooded with 80 MiB was cut at the byte cap", q)
    t.expect(res.get("StudyRootMove", {}).get("outcome") == "success",
             f"{FLOOD}: the next request (C-MOVE) on a fresh association was answered", res)
    for ip in (NESTED, FIND, TLS, FLOOD):
        ep = h.endpoint(s, ip, port)
        t.expect(ep is not None, f"{ip}:{port} is in the inventory", s.get("endpoints"))


if __name__ == "__main__":
    h.run(main)
