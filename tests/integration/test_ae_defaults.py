#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Guessable AE titles on real servers, as a new user would scan them (no hint):

1. dcmjs-dimse 0.3.3 (npm, pure JavaScript: not DCMTK) running its README's SCP
   (tests/tools/dcmjs/scp.js): any called title, only the calling title 'SCU', refused with
   "calling AE title not recognized" (PS3.8 reason 3). The search takes the reason at its word,
   keeps the random called title and finds SCU among the vendor calling defaults (dcmjs-dimse's
   README client); any called title is accepted; the implementation is not DCMTK's; the canary
   in its C-FIND answer never reaches a report.
2. `--calling-aet FINDSCU` against a dcmqrscp whose allow-list admits FINDSCU: the scanner's own
   title is a vendor default, so it is judged guessable: GUESSABLE-CALLING fails and FIND, MOVE
   and GET are judged as what an unknown peer can do (never "not evaluated: negotiated only with
   the scanner's own calling AE title").
3. `--ae-wordlist`: refused (exit 2) without --profile intrusive, and for a file over the size
   bound; with it, a dcmqrscp whose title is only in the word list is found (the vendor lists
   replaced by empty --called-ae-list / --calling-ae-list files, so the word list is reached
   quickly) and judged guessable."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"
DCMTK_ROOT = "1.2.276.0.7230010.3"  # OFFIS DCMTK implementation class UIDs


def check(scan, rule, asset):
    for c in scan.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == asset:
            return c
    return {}


def start_dcmjs(t):
    node = h.require("node")
    d = os.path.join(t.source, "tests", "tools", "dcmjs")
    if not os.path.exists(os.path.join(d, "node_modules", "dcmjs-dimse", "package.json")):
        raise h.Skip("dcmjs-dimse not installed (scripts/install-deps.sh runs npm ci in "
                     "tests/tools/dcmjs)")
    port = h.free_port()
    srv = t.start("dcmjs-scp", [node, os.path.join(d, "scp.js"), str(port)], cwd=d)
    t.wait_until("dcmjs-dimse SCP", lambda: t.echo_ok(IP, port, "SCU", "ANYTHING"), srv=srv)
    srv.port = port
    return srv


def dcmjs(t):
    srv = start_dcmjs(t)
    port = srv.port
    t.require_that(t.echo_reject_reason(IP, port, "ECHOSCU", "ANY-SCP") ==
                   "Calling AE Title Not Recognized", "server: other calling titles refused (3)")
    r = t.scan([IP, "-p", str(port), "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    a = h.one_observation(t, s, "dicom_associate", IP, port)
    if a:
        uid = a["data"].get("attempt", {}).get("impl_class_uid", "")
        rej = a["data"].get("attempt", {}).get("reject") or {}
        t.expect((rej.get("source"), rej.get("reason")) == (1, 3),
                 "first association refused: calling AE not recognised", rej)
    pol = h.one_observation(t, s, "dicom_ae_policy", IP, port)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("any_called"), "yes", "any called title accepted (with SCU)", d)
        t.expect_eq(d.get("admitted_calling_ae"), "SCU", "SCU found", d)
        t.expect_eq(d.get("admitted_calling_source"), "well_known", "SCU judged guessable", d)
        t.expect_eq(d.get("any_calling"), "no", "a random calling title refused", d)
        found = [x for x in d.get("titles", []) if x.get("title") == "SCU"]
        t.expect(found and "vendor default" in found[0].get("detail", "") and
                 "dcmjs-dimse" in found[0].get("detail", ""),
                 "SCU's source: the vendor list entry naming dcmjs-dimse", found)
        t.expect(len(d.get("attempts", [])) <= 25 and not d.get("budget_exhausted"),
                 "found within the cap", len(d.get("attempts", [])))
        called = {x.get("called_ae") for x in d.get("attempts", [])[1:]
                  if x.get("calling_ae") != d.get("random_calling_ae")}
        t.expect(called == {d.get("random_called_ae")},
                 "reason 3 taken at its word: only calling titles were searched", called)
    sv = h.one_observation(t, s, "dicom_services", IP, port)
    if sv:
        att = sv["data"].get("attempt", {})
        t.expect_eq(att.get("calling_ae"), "SCU", "services as SCU", att)
        t.expect(not str(att.get("impl_class_uid", "")).startswith(DCMTK_ROOT) and
                 att.get("impl_class_uid"), "the peer is not DCMTK", att.get("impl_class_uid"))
    h.expect_rules(t, s, IP, port, required=["DICOM-AE-ANY-CALLED", "DICOM-AE-GUESSABLE-CALLING",
                                             "DICOM-UNAUTH-FIND"],
                   forbidden=["DICOM-AE-ANY-CALLING"])
    h.expect_no_canary(t, r.outdir)
    t.expect(srv.alive(), "dcmjs-dimse SCP still running", srv.log_text()[-2000:])


def calling_default(t):
    srv = t.start_dcmqrscp(aet="QRSCP", peers=[("FINDSCU", "localhost")])
    port = srv.port
    # As today, without the scanner's title being FINDSCU: FIND is not found (no hint given).
    r = t.scan([IP, "-p", str(port), "--calling-aet", "FINDSCU", "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    pol = h.one_observation(t, s, "dicom_ae_policy", IP, port)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("working_called_ae"), "QRSCP", "QRSCP found with FINDSCU, no hint", d)
        t.expect_eq(d.get("admitted_calling_ae"), "FINDSCU", "admitted: the scanner's title", d)
        t.expect_eq(d.get("admitted_calling_source"), "well_known", "judged guessable", d)
        t.expect_eq(d.get("admitted_calling_found_by"), "scanner", "found: --calling-aet", d)
    sv = h.one_observation(t, s, "dicom_services", IP, port)
    if sv:
        t.expect_eq(sv["data"].get("calling_source"), "well_known",
                    "services run as a guessable peer", sv["data"].get("calling_source"))
    for rule in ("DICOM-UNAUTH-FIND", "DICOM-UNAUTH-MOVE-ANYDEST", "DICOM-UNAUTH-GET"):
        c = check(s, rule, f"{IP}:{port}")
        t.expect(c.get("verdict") in ("fail", "pass") and
                 "negotiated only with the scanner" not in c.get("reason", ""),
                 f"{rule}: judged for a guessable peer, not 'not evaluated'", c)
    h.expect_rules(t, s, IP, port, required=["DICOM-AE-GUESSABLE-CALLING", "DICOM-UNAUTH-FIND"])
    for f in h.findings(s, IP, port, "DICOM-AE-GUESSABLE-CALLING"):
        t.expect(any("--calling-aet, itself a default" in e for e in f.get("evidence", [])),
                 "the finding says the scanner's title is itself a default", f)
    for f in h.findings(s, IP, port, "DICOM-UNAUTH-FIND"):
        t.expect("guessable" in f.get("summary", ""), "FIND: reachable by a guessable title", f)


def wordlist(t):
    srv = t.start_dcmqrscp(aet="ZEBRA9Q", peers=())  # any calling title
    port = srv.port
    words = os.path.join(t.tmp, "words.txt")
    with open(words, "w") as f:
        f.write("# a site's own word list\nALPHA7\nZEBRA9Q\n")
    empty = os.path.join(t.tmp, "empty.txt")
    open(empty, "w").close()
    out = t.outdir("safe")
    r = t.run_argv([t.pacscan, "scan", IP, "-p", str(port), "--ae-wordlist", words, "-o", out], out)
    t.expect(r.rc == 2 and "--ae-wordlist needs --profile intrusive" in r.stderr,
             "--ae-wordlist refused in the safe profile (exit 2)", r.describe())
    t.expect(not os.path.exists(os.path.join(out, "scan.json")), "nothing scanned")
    big = os.path.join(t.tmp, "big.txt")
    with open(big, "w") as f:
        f.write("WORD\n" * 300000)
    out = t.outdir("big")
    r = t.run_argv([t.pacscan, "scan", IP, "-p", str(port), "--profile", "intrusive",
                    "--ae-wordlist", big, "-o", out], out)
    t.expect(r.rc == 2 and "at most 1048576 bytes" in r.stderr, "an oversized word list refused",
             r.describe())
    r = t.scan([IP, "-p", str(port), "--profile", "intrusive", "--probes",
                "dicom_associate,dicom_ae_policy", "--ae-wordlist", words, "--called-ae-list",
                empty, "--calling-ae-list", empty, "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    s = r.scan
    pol = h.one_observation(t, s, "dicom_ae_policy", IP, port)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("working_called_ae"), "ZEBRA9Q", "found from the word list", d)
        t.expect_eq(d.get("working_called_source"), "wordlist", "judged: word list", d)
        called = [a.get("called_ae") for a in d.get("attempts", [])]
        t.expect(called[1:] == ["ALPHA7", "ZEBRA9Q"] + called[3:],
                 "the word list in its order, after nothing else", called)
    h.expect_rules(t, s, IP, port, required=["DICOM-AE-DEFAULT-TITLE"])
    for f in h.findings(s, IP, port, "DICOM-AE-DEFAULT-TITLE"):
        t.expect("word list" in f.get("summary", ""), "the finding says: word list", f)
    notes = " ".join(s["meta"].get("notes", []))
    t.expect("--ae-wordlist" in notes and "2 title(s)" in notes, "meta.notes name the list", notes)


def main(t):
    print("--- dcmjs-dimse (not DCMTK)")
    dcmjs(t)
    print("--- --calling-aet FINDSCU")
    calling_default(t)
    print("--- --ae-wordlist")
    wordlist(t)


if __name__ == "__main__":
    h.run(main)
