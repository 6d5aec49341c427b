#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile and non-DICOM ports: an HTTP server, a closed port, a tarpit (accepts, never answers),
a garbage responder, a well-formed PDU header with an absurd length, a peer that trickles an
A-ASSOCIATE-AC one byte per second, and one that answers A-ABORT. No false DICOM finding (the
A-ABORT is a valid DICOM answer but grants nothing), every wait bounded by the configured
deadlines, and the scan completes. Each responder sits on its own 127.x address (its own
"host"), all on one port, so hosts are probed in parallel."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

CONNECT, ACSE, DIMSE, DEADLINE, BUDGET = "1s", "2s", "2s", "4s", "12s"
HOSTS = {
    "127.0.0.20": "http",
    "127.0.0.21": "tarpit",
    "127.0.0.22": "garbage",
    "127.0.0.23": "hugepdu",
    "127.0.0.24": "drip",
    "127.0.0.25": "abort",
    "127.0.0.26": "closed",
}
NOT_DICOM_OUTCOMES = {
    "http": {"non_dicom", "timed_out", "deadline", "closed"},
    "tarpit": {"timed_out", "deadline"},
    "garbage": {"non_dicom"},
    "hugepdu": {"non_dicom", "deadline", "closed", "error"},
    "drip": {"deadline", "timed_out", "non_dicom"},
}


def main(t):
    port = h.free_port()
    for ip, mode in HOSTS.items():
        if mode == "http":
            t.start_http(ip, port)
        elif mode != "closed":
            t.start_hostile(mode, ip, [port])

    r = t.scan(["127.0.0.20-26", "-p", str(port), "--connect-timeout", CONNECT,
                "--acse-timeout", ACSE, "--dimse-timeout", DIMSE, "--assoc-deadline", DEADLINE,
                "--endpoint-budget", BUDGET], timeout=110)
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    budget_ms = h.dur_ms(BUDGET)
    t.expect(r.elapsed * 1000 < budget_ms + 10000,
             f"scan wall time {r.elapsed:.1f}s < endpoint budget {BUDGET} + 10s "
             "(hosts probed in parallel, every wait bounded)")
    h.expect_bounded(t, s, h.dur_ms(DEADLINE), budget_ms)

    for ip, mode in HOSTS.items():
        ep = h.endpoint(s, ip, port)
        if mode == "closed":
            tcp = h.observations(s, "tcp_connect", ip, port)
            t.expect(tcp and tcp[0]["data"].get("state") == "closed", f"{mode}: port closed", tcp)
            t.expect(not h.observations(s, "dicom_associate", ip, port) or
                     all(o.get("outcome") == "skipped" for o in
                         h.observations(s, "dicom_associate", ip, port)),
                     f"{mode}: no association attempted on a closed port",
                     h.observations(s, "dicom_associate", ip, port))
            t.expect(not h.findings(s, ip), f"{mode}: no finding", h.findings(s, ip))
            continue
        t.expect(ep is not None and ep.get("state") == "open", f"{mode} ({ip}): endpoint open", ep)
        if ep is None:
            continue
        a = h.one_observation(t, s, "dicom_associate", ip, port)
        if mode == "abort":
            t.expect_eq(ep.get("speaks_dicom"), True, f"{mode}: an A-ABORT is a DICOM answer", ep)
            if a:
                t.expect_eq(a.get("outcome"), "aborted", f"{mode}: association outcome", a)
                ab = a["data"].get("attempt", {}).get("abort") or {}
                t.expect((ab.get("source"), ab.get("reason")) == (2, 0),
                         f"{mode}: A-ABORT source/reason 2/0 read from the wire", a["data"])
            h.expect_rules(t, s, ip, port, forbidden=[
                "DICOM-AE-ANY-CALLED", "DICOM-AE-ANY-CALLING", "DICOM-AE-DEFAULT-TITLE",
                "DICOM-AE-GUESSABLE-CALLING", "DICOM-UNAUTH-ECHO", "DICOM-UNAUTH-FIND",
                "DICOM-UNAUTH-MOVE", "DICOM-UNAUTH-GET", "DICOM-UNAUTH-STORE", "DICOM-UNAUTH-MWL"])
            continue
        t.expect_eq(ep.get("speaks_dicom"), False, f"{mode} ({ip}): not DICOM", ep)
        if a:
            t.expect(a.get("outcome") in NOT_DICOM_OUTCOMES[mode],
                     f"{mode}: association outcome {a.get('outcome')!r} in "
                     f"{sorted(NOT_DICOM_OUTCOMES[mode])}", a)
            t.expect_eq(a["data"].get("speaks_dicom"), False, f"{mode}: dicom_associate speaks_dicom", a)
        if mode == "garbage" and a:
            t.expect(bool(a["data"].get("attempt", {}).get("reply_hex")),
                     f"{mode}: first reply bytes recorded (reply_hex)", a["data"])
        later = [o for o in h.observations(s, None, ip, port)
                 if o["probe"] in ("dicom_echo", "dicom_ae_policy", "dicom_services")
                 and o.get("outcome") not in ("skipped",)]
        t.expect(not later, f"{mode}: no further DICOM probe after a non-DICOM answer", later)
        t.expect(not h.findings(s, ip), f"{mode}: no finding at all", h.findings(s, ip))
        if mode == "tarpit":  # silent to plain HTTP: no HTTPS try (a TLS server answers at once)
            web = h.observations(s, "http_imaging", ip, port)
            t.expect(len(web) == 1 and web[0]["data"].get("https_tried") is False
                     and len(web[0]["data"].get("requests", [])) == 1,
                     f"{mode}: one plain HTTP request that timed out, no HTTPS try", web)

    stalled_after_answer(t)

    # the responders are still alive (the scanner did not crash them) and the scan closed its
    # sockets: nothing of ours is still connected to a tarpit
    for srv in t.procs:
        t.expect(srv.alive(), f"{srv.name} still running")


def stalled_after_answer(t):
    """A host with a real DICOM server and a tarpit, default timeouts: the tarpit's first probe
    waits the full ACSE timeout; once the host has stalled, its other probes get four times the
    slowest answer the host gave (storescp: milliseconds), so the 1 s floor, not 2 s."""
    ip = "127.0.0.27"
    dicom = t.start_storescp()  # listens on every loopback address
    tarpit = t.start_hostile("tarpit", ip, [h.free_port(ip)])
    r = t.scan([ip, "-p", f"{dicom.port},{tarpit.port}"], timeout=110)
    t.expect_rc(r, 0)
    s = r.scan
    notes = [n for n in s["meta"].get("notes", []) if n.startswith(f"{ip} stalled")]
    t.expect(len(notes) == 1 and "ACSE 1 s" in notes[0] and "association 2 s" in notes[0]
             and "four times its slowest answer" in notes[0],
             "the stalled host's note gives the timeouts measured from its answers", notes)
    first = h.one_observation(t, s, "dicom_associate", ip, tarpit.port)
    t.expect(first and first.get("outcome") == "timed_out" and "5000 ms" in first.get("summary", ""),
             "the tarpit's first probe waited the full ACSE timeout (5 s)", first)
    web = h.observations(s, "http_imaging", ip, tarpit.port)
    # The shorter timeout governs the tarpit's HTTP request: 1 s, not the 2 s of a host that gave
    # no answer (the upper bound leaves room for a loaded machine).
    t.expect(len(web) == 1 and 1000 <= web[0].get("elapsed_ms", 0) < 1900,
             "the tarpit's HTTP request, after the stall, was cut at 1 s", web)
    t.expect(h.endpoint(s, ip, dicom.port).get("speaks_dicom") is True,
             "the host's DICOM server was probed as usual", h.endpoint(s, ip, dicom.port))


if __name__ == "__main__":
    h.run(main)
