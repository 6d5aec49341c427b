#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""AE titles learnt from the site's own traffic (pacscan scan --learn), on real dcmqrscp servers
whose rejects do not tell a wrong called title from a wrong calling one (1/1/7 for both):

  MAINARCH  peers: FINDSCU from localhost  (a guessable client title on the allow-list)
  READROOM  peers: WS7 from localhost      (a real, non-default client title)

Neither called title is a vendor default, so a scan without a hint cannot find them:
1. control, no --learn, --max-ae-attempts 8: the cap ends the search; the observation and the
   DEFAULT-TITLE check list the candidates left, the attempts stay within the cap;
2. their real clients (echoscu, findscu) run while tshark captures lo (pcapng), plus one client
   the server refuses; `pacscan scan --learn site.pcapng` then finds both servers at the first
   attempt after the random one, says where each title came from, never retries the refused pair,
   judges FINDSCU guessable (GUESSABLE-CALLING, UNAUTH-FIND fail) and WS7 a real peer's title
   (pass / not evaluated, worded so);
3. the same from a `pacscan pcap` result folder instead of the capture;
4. --learn errors: a missing file, a file that is neither a capture nor a result (exit 2)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def check(scan, rule, asset):
    for c in scan.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == asset:
            return c
    return {}


def client(t, argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=t.env)
    return r.returncode


def capture(t, ports, path):
    exe = h.require("tshark")
    srv = t.start("tshark", [exe, "-i", "lo", "-F", "pcapng", "-w", path, "-f",
                             " or ".join(f"tcp port {p}" for p in ports)])
    t.wait_until("tshark capturing", lambda: "Capturing on" in srv.log_text(), srv=srv)
    return srv


def main(t):
    h.require("findscu")
    main_srv = t.start_dcmqrscp(aet="MAINARCH", peers=[("FINDSCU", "localhost")])
    read_srv = t.start_dcmqrscp(aet="READROOM", peers=[("WS7", "localhost")])
    p1, p2 = main_srv.port, read_srv.port
    t.require_that(t.echo_reject_reason(IP, p1, "FINDSCU", "RANDOMQ7") ==
                   "Called AE Title Not Recognized" and
                   t.echo_reject_reason(IP, p1, "RANDOMQ7", "MAINARCH") ==
                   "Called AE Title Not Recognized",
                   "server: the same reject for a wrong called and a wrong calling title")

    # ---- 1. control: no --learn; the cap ends the search and the report says what was left
    cap = 8
    r = t.scan([IP, "-p", str(p1), "--max-ae-attempts", str(cap),
                "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    pol = h.one_observation(t, s, "dicom_ae_policy", IP, p1)
    if pol:
        d = pol["data"]
        t.expect_eq(d.get("working_called_ae"), "", "control: no called title found", d)
        t.expect_eq(d.get("budget_exhausted"), True, "control: the cap ended the search", d)
        own = [a for a in d.get("attempts", [])][1:]  # the first is dicom_associate's
        t.expect(len(own) == cap, f"control: exactly {cap} attempts of its own", len(own))
        left = d.get("candidates_left") or []
        t.expect(0 < len(left) <= 20 and d.get("candidates_left_total", 0) >= len(left),
                 "control: the candidates left are listed (bounded) and counted", d)
        tried = {(a.get("calling_ae"), a.get("called_ae")) for a in d.get("attempts", [])}
        t.expect(not any((c.get("calling_ae"), c.get("called_ae")) in tried for c in left),
                 "control: no candidate left was tried", left)
        t.expect(d.get("pair_search") is True and d.get("pairs_tried", 0) >= 1,
                 "control: the pair search is said, with its count", d)
        t.expect("--max-ae-attempts (8) ended the search" in pol.get("summary", ""),
                 "control: the summary says the cap ended it", pol.get("summary"))
        srcs = {x.get("source") for x in d.get("titles", [])}
        t.expect(srcs <= {"well_known"} and srcs, "control: only vendor defaults were tried",
                 d.get("titles"))
    c = check(s, "DICOM-AE-DEFAULT-TITLE", f"{IP}:{p1}")
    t.expect(c.get("verdict") == "not_evaluated" and "candidate pair(s) left untried" in
             c.get("reason", ""), "control: DEFAULT-TITLE not evaluated, naming what was left", c)

    # ---- 2. the real clients, captured
    pcap = os.path.join(t.tmp, "site.pcapng")
    tsh = capture(t, [p1, p2], pcap)
    t.require_that(client(t, ["echoscu", "-aet", "FINDSCU", "-aec", "MAINARCH", IP, str(p1)]) == 0,
                   "client FINDSCU -> MAINARCH (echo)")
    t.require_that(client(t, ["findscu", "-S", "-aet", "FINDSCU", "-aec", "MAINARCH",
                              "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID",
                              IP, str(p1)]) == 0, "client FINDSCU -> MAINARCH (find)")
    t.require_that(client(t, ["echoscu", "-aet", "WS7", "-aec", "READROOM", IP, str(p2)]) == 0,
                   "client WS7 -> READROOM (echo)")
    t.require_that(client(t, ["echoscu", "-aet", "WRONGWS", "-aec", "MAINARCH", IP, str(p1)]) != 0,
                   "client WRONGWS -> MAINARCH refused")
    time.sleep(1)
    t.stop(tsh)
    t.require_that(os.path.exists(pcap) and os.path.getsize(pcap) > 0, "capture written",
                   tsh.log_text()[-2000:])

    r = t.scan([IP, "-p", f"{p1},{p2}", "--learn", pcap, "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    notes = " ".join(s["meta"].get("notes", []))
    t.expect("--learn" in notes and "'FINDSCU' -> 'MAINARCH'" in notes and
             "'WS7' -> 'READROOM'" in notes, "meta.notes say what was learnt", notes)
    want = {p1: ("MAINARCH", "FINDSCU", "well_known"), p2: ("READROOM", "WS7", "learned")}
    for port, (called, calling, calling_judged) in want.items():
        pol = h.one_observation(t, s, "dicom_ae_policy", IP, port)
        if not pol:
            continue
        d = pol["data"]
        t.expect_eq(d.get("working_called_ae"), called, f"{port}: called title learnt", d)
        t.expect_eq(d.get("working_called_source"), "learned", f"{port}: judged as learnt", d)
        t.expect_eq(d.get("working_called_found_by"), "learned", f"{port}: found by --learn", d)
        t.expect(d.get("working_called_detail", "").startswith("seen in site.pcapng: 127.0.0.1 "
                                                               f"'{calling}' -> 127.0.0.1:{port}"),
                 f"{port}: the detail names the capture and the association", d)
        t.expect_eq(d.get("admitted_calling_ae"), calling, f"{port}: calling title learnt", d)
        t.expect_eq(d.get("admitted_calling_source"), calling_judged,
                    f"{port}: calling title judged {calling_judged}", d)
        t.expect_eq(d.get("admitted_calling_found_by"), "learned", f"{port}: found by --learn", d)
        att = d.get("attempts", [])
        t.expect(len(att) >= 2 and (att[1].get("calling_ae"), att[1].get("called_ae"),
                                    att[1].get("outcome")) == (calling, called, "ok"),
                 f"{port}: the learnt pair is the first attempt after the random one",
                 [(a.get("calling_ae"), a.get("called_ae"), a.get("outcome")) for a in att])
        t.expect(not any(a.get("calling_ae") == "WRONGWS" and a.get("called_ae") == "MAINARCH"
                         for a in att), f"{port}: the pair refused in the capture is not retried")
        t.expect_eq(d.get("budget_exhausted"), False, f"{port}: well within the cap", d)
    # MAINARCH: the allow-list admits a guessable title; READROOM: a real peer's.
    h.expect_rules(t, s, IP, p1, required=["DICOM-AE-GUESSABLE-CALLING", "DICOM-UNAUTH-FIND"],
                   forbidden=["DICOM-AE-DEFAULT-TITLE", "DICOM-AE-ANY-CALLING"])
    for f in h.findings(s, IP, p1, "DICOM-AE-GUESSABLE-CALLING"):
        t.expect(f.get("discriminator") == "FINDSCU" and
                 any("seen in site.pcapng" in e for e in f.get("evidence", [])),
                 "GUESSABLE-CALLING names FINDSCU and where it was seen", f)
    c = check(s, "DICOM-AE-DEFAULT-TITLE", f"{IP}:{p1}")
    t.expect(c.get("verdict") == "pass" and "site's own traffic" in c.get("reason", ""),
             "DEFAULT-TITLE passes: a learnt title is not guessed", c)
    h.expect_rules(t, s, IP, p2, forbidden=["DICOM-AE-GUESSABLE-CALLING", "DICOM-UNAUTH-FIND",
                                            "DICOM-AE-DEFAULT-TITLE", "DICOM-AE-ANY-CALLING"])
    c = check(s, "DICOM-AE-GUESSABLE-CALLING", f"{IP}:{p2}")
    t.expect(c.get("verdict") == "pass" and "site's own traffic" in c.get("reason", ""),
             "READROOM: WS7 is a real peer's title (pass, said why)", c)
    c = check(s, "DICOM-UNAUTH-FIND", f"{IP}:{p2}")
    t.expect(c.get("verdict") == "not_evaluated" and "seen in the site's own traffic" in
             c.get("reason", ""), "READROOM: FIND through WS7 is not an unknown peer's", c)
    h.expect_finding_shape(t, s)
    schema = os.path.join(t.source, "docs", "scan.schema.json")
    errs = h.schema_errors(s, schema)
    t.expect(not errs, "scan.json valid against docs/scan.schema.json", errs[:5])

    # ---- 3. from a `pacscan pcap` result instead of the capture
    out = t.outdir("pcap")
    rp = t.run_argv([t.pacscan, "pcap", pcap, "-o", out], out)
    t.expect_rc(rp, 0)
    r = t.scan([IP, "-p", str(p1), "--learn", out, "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    pol = h.one_observation(t, r.scan or {}, "dicom_ae_policy", IP, p1)
    if pol:
        t.expect_eq((pol["data"].get("working_called_ae"), pol["data"].get("admitted_calling_ae")),
                    ("MAINARCH", "FINDSCU"), "learnt from the pacscan pcap folder", pol["data"])

    # ---- 4. errors: nothing is scanned
    for bad, why in ((os.path.join(t.tmp, "nope.pcapng"), "does not exist"),
                     (main_srv.config, "neither a pcap/pcapng capture nor a pacscan result")):
        out = t.outdir("bad")
        rb = t.run_argv([t.pacscan, "scan", IP, "-p", str(p1), "--learn", bad, "-o", out], out)
        t.expect(rb.rc == 2 and why in rb.stderr, f"--learn {os.path.basename(bad)}: exit 2, "
                 f"'{why}'", rb.describe())
    for srv in (main_srv, read_srv):
        t.expect(srv.alive(), "dcmqrscp still running", srv.log_text()[-2000:])


if __name__ == "__main__":
    h.run(main)
