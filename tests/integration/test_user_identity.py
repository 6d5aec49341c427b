#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""User Identity Negotiation (PS3.7 D.3.3.7) against tests/tools/ident_scp, a small DCMTK SCP of
the tests' own (no Debian DICOM server answers user identity; DCMTK 3.6.7 cannot send the AC
sub-item through its API, see the file's header):
- ignore:   identity ignored (like storescp) -> DICOM-USERID-NOT-ENFORCED at info (only C-ECHO open)
- ack-any:  positive response to random credentials -> DICOM-USERID-NOT-ENFORCED at high
- require:  only alice/secret admitted, everything else rejected -> not evaluated (no association
            is possible without credentials, so enforcement cannot be told from AE filtering),
            and no finding.
Also checks the scanner sent a user identity sub-item and never the test's real credentials."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"
RULE = "DICOM-USERID-NOT-ENFORCED"


def check(scan, rule, asset):
    for c in scan.get("checks", []):
        if c["rule_id"] == rule and c["asset"] == asset:
            return c
    return None


def main(t):
    scp = os.environ.get("PACSCAN_IDENT_SCP") or os.path.join(
        os.path.dirname(t.pacscan), "tests", "ident_scp")
    if not os.access(scp, os.X_OK):
        t.expect(False, f"ident_scp test server built at {scp}")
        return
    for mode, want in (("ignore", "info"), ("ack-any", "high"), ("require", None)):
        port = h.free_port()
        srv = t.start(f"ident_scp-{mode}", [scp, str(port), mode])
        t.wait_until(f"ident_scp {mode} listening", lambda: t.tcp_open(IP, port), srv=srv)
        r = t.scan([IP, "-p", str(port), "--assoc-deadline", "5s"])
        t.expect_rc(r, 0)
        s = r.scan
        asset = f"{IP}:{port}"
        fs = h.findings(s, IP, port, rule=RULE)
        c = check(s, RULE, asset)
        if want:
            t.expect(len(fs) == 1, f"{mode}: one {RULE} finding", fs)
            if fs:
                t.expect_eq(fs[0]["severity"], want, f"{mode}: severity", fs[0])
            obs = h.one_observation(t, s, "dicom_user_identity", IP, port)
            if obs:
                att = obs["data"].get("attempt", {})
                t.expect_eq(att.get("identity_sent"), "user+passcode",
                            f"{mode}: a user identity sub-item was proposed", att)
                t.expect_eq(att.get("identity_response"), mode == "ack-any",
                            f"{mode}: identity response recorded as received or not", att)
        else:
            t.expect(not fs, f"{mode}: no {RULE} finding", fs)
            t.expect(c is not None and c["verdict"] == "not_evaluated",
                     f"{mode}: {RULE} not evaluated (no association without credentials)", c)
        log = open(srv.log).read()
        t.expect("alice (valid)" not in log, f"{mode}: the scanner never sent valid credentials",
                 log[-500:])
        t.stop(srv)


if __name__ == "__main__":
    h.run(main)
