#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A host whose firewall starts dropping in the middle of a scan (issue 13), in a namespace lab
of its own: psfrag<pid>-scan (the scanner, 198.19.201.2) and psfrag<pid>-dev (a storescp at
198.19.201.10), one veth pair, no route out, torn down by the test. nftables in the device's
namespace counts the scanner's new connections; after the third (sweep, dicom_associate, the first
AE-policy association) the test adds a rule, so the scan meets it midway:

1. `drop`: every later connect goes unanswered. The host that answered is now silent: probes
   stop at once, one re-check after the pause gets no answer, DEVICE-STOPPED-ANSWERING (high,
   "silent"); tcpdump in the device's namespace sees no new connection after the drop but the one
   that showed it and the re-check.
2. `reject with tcp reset`, removed as soon as it has refused one connect: the re-check finds the
   host back. Without --resume-fragile it is left alone for the rest of the scan; with it, the
   remaining probes run."""
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

PREFIX = f"psfrag{os.getpid()}-"
SCAN_NS, DEV_NS = PREFIX + "scan", PREFIX + "dev"
SCANNER, DEVICE = "198.19.201.2", "198.19.201.10"
PORT = 11112


def sh(*argv, check=True):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=20)
    if check and r.returncode != 0:
        raise h.Fatal(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r.stdout


def nft(*args, check=True):
    return sh("ip", "netns", "exec", DEV_NS, "nft", *args, check=check)


def lab_down():
    for ns in (SCAN_NS, DEV_NS):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


def lab_up():
    lab_down()
    for ns in (SCAN_NS, DEV_NS):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", SCAN_NS, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
       "netns", DEV_NS)
    sh("ip", "-n", SCAN_NS, "addr", "add", f"{SCANNER}/24", "dev", "eth0")
    sh("ip", "-n", DEV_NS, "addr", "add", f"{DEVICE}/24", "dev", "eth0")
    for ns in (SCAN_NS, DEV_NS):
        sh("ip", "-n", ns, "link", "set", "eth0", "up")


def new_connections():
    """SYNs to PORT counted by the device's firewall so far."""
    out = json.loads(nft("-j", "list", "chain", "inet", "psfrag", "input"))
    for item in out.get("nftables", []):
        rule = item.get("rule")
        if rule and rule.get("comment") == "count":
            for e in rule.get("expr", []):
                if "counter" in e:
                    return e["counter"]["packets"]
    return 0


def firewall_reset():
    nft("delete", "table", "inet", "psfrag", check=False)
    nft("add", "table", "inet", "psfrag")
    nft("add", "chain", "inet", "psfrag", "input",
        "{ type filter hook input priority 0 ; policy accept ; }")
    nft("add", "rule", "inet", "psfrag", "input", "tcp", "dport", str(PORT), "tcp", "flags",
        "&", "(syn|ack)", "==", "syn", "counter", "comment", '"count"')


class Switch(threading.Thread):
    """Adds `verdict` after `after` new connections; with `remove_after_hit`, deletes it again
    once it has matched one packet. Records when it acted."""

    def __init__(self, verdict, after=3, remove_after_hit=False):
        super().__init__(daemon=True)
        self.verdict, self.after, self.remove = verdict, after, remove_after_hit
        self.added_at = self.removed_at = None
        self.stop = False

    def run(self):
        while not self.stop and new_connections() < self.after:
            time.sleep(0.01)
        if self.stop:
            return
        out = nft("--echo", "--handle", "add", "rule", "inet", "psfrag", "input", "tcp", "dport",
                  str(PORT), "counter", *self.verdict.split())
        self.added_at = time.time()
        handle = re.search(r"# handle (\d+)", out)
        if not self.remove or not handle:
            return
        while not self.stop:
            listing = nft("-a", "list", "chain", "inet", "psfrag", "input")
            m = re.search(r"counter packets (\d+) .*" + re.escape(self.verdict) +
                          r" # handle " + handle[1], listing)
            if m and int(m[1]) > 0:
                nft("delete", "rule", "inet", "psfrag", "input", "handle", handle[1])
                self.removed_at = time.time()
                return
            time.sleep(0.01)


def main(t):
    if os.geteuid() != 0:
        raise h.Fatal("the lab needs root (network namespaces)")
    h.require("nft")
    h.require("storescp")
    h.require("tcpdump")
    try:
        lab_up()
        run(t)
    finally:
        t.cleanup()
        lab_down()
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        t.expect(PREFIX not in left, "lab namespaces deleted", left)


def scan(t, switch, extra=()):
    firewall_reset()
    switch.start()
    try:
        return t.scan([DEVICE, "-p", str(PORT), "--discovery", "tcp", "--connect-timeout", "1s",
                       "--acse-timeout", "2s", "--assoc-deadline", "4s", "--recheck-pause",
                       "1s", *extra],
                      prefix=["ip", "netns", "exec", SCAN_NS], quiet=False, timeout=180)
    finally:
        switch.stop = True
        switch.join(5)


def watch_events(t, s):
    ev = {}
    for o in h.observations(s, "host_watch", DEVICE):
        ev.setdefault(o["data"].get("event"), []).append(o["data"])
    return ev


def run(t):
    out = os.path.join(t.tmp, "storescp")
    os.makedirs(out, exist_ok=True)
    srv = t.start("storescp", ["ip", "netns", "exec", DEV_NS, "storescp", "--fork", "-aet",
                               "STORESCP", "-od", out, str(PORT)])
    t.wait_until("storescp listening", lambda: f":{PORT}" in sh(
        "ip", "netns", "exec", DEV_NS, "ss", "-ltn", check=False), srv=srv)
    cap = t.start("tcpdump", ["ip", "netns", "exec", DEV_NS, "tcpdump", "-i", "eth0", "-nn", "-l",
                              "-tt", "--immediate-mode",
                              f"tcp dst port {PORT} and tcp[tcpflags] & tcp-syn != 0 and "
                              "tcp[tcpflags] & tcp-ack == 0"])
    t.wait_until("tcpdump listening", lambda: "listening on" in cap.log_text(), srv=cap)

    # 1. The firewall starts dropping.
    sw = Switch("drop")
    r = scan(t, sw)
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    t.require_that(sw.added_at is not None, "the drop rule went in during the scan")
    ev = watch_events(t, s)
    t.require_that(len(ev.get("stopped", [])) == 1, "one 'stopped' event", ev)
    d = ev["stopped"][0]
    t.expect_eq(d.get("symptom"), "silent", "symptom: silent where it answered before", d)
    t.expect(d.get("last_sent", {}).get("sent") == "A-ASSOCIATE-RQ",
             "last exchange it answered: an association", d)
    rc = ev.get("recheck", [{}])[0]
    t.expect(rc.get("result") == "no answer" and rc.get("came_back") is False,
             "re-check: no answer", rc)
    f = h.findings(s, DEVICE, rule="DEVICE-STOPPED-ANSWERING")
    t.expect(len(f) == 1 and f[0]["severity"] == "high", "DEVICE-STOPPED-ANSWERING, high", f)
    syns = {}  # client port -> first SYN time (retransmissions of one connect count once)
    for line in cap.log_text().splitlines():
        m = re.match(rf"^(\d+\.\d+) IP {re.escape(SCANNER)}\.(\d+) > ", line)
        if m:
            syns.setdefault(int(m[2]), float(m[1]))
    after = sorted(ts for ts in syns.values() if ts > sw.added_at)
    t.expect(len(after) == 2, f"after the drop: {len(after)} new connection(s), expected 2 (the "
             "one that showed it, the re-check)", after)
    t.expect(f"{DEVICE} stopped answering during the scan" in r.stderr, "stderr as it happens",
             r.stderr)

    # 2. A short outage: refused once, back at the re-check; left alone.
    sw = Switch("reject with tcp reset", remove_after_hit=True)
    r = scan(t, sw)
    s = r.scan
    t.require_that(sw.removed_at is not None, "the reject rule refused a connect, then went")
    ev = watch_events(t, s)
    t.expect(len(ev.get("stopped", [])) == 1 and ev["stopped"][0].get("symptom") == "refused",
             "stopped: refused", ev)
    rc = ev.get("recheck", [{}])[0]
    t.expect(rc.get("came_back") is True and rc.get("resumed") is False,
             "re-check: came back, not resumed", rc)
    f = h.findings(s, DEVICE, rule="DEVICE-STOPPED-ANSWERING")
    t.expect(len(f) == 1 and "came back and was left alone" in f[0].get("summary", ""),
             "finding: came back, left alone", f)
    # The probe that met the outage is dicom_echo (the fourth connect); what follows it is not run.
    sv = h.observations(s, "dicom_services", DEVICE)
    t.expect(sv and all(o["outcome"] == "skipped" for o in sv),
             "dicom_services not run after it came back", sv)

    # 3. The same with --resume-fragile: probed again after it came back.
    sw = Switch("reject with tcp reset", remove_after_hit=True)
    r = scan(t, sw, ["--resume-fragile"])
    s = r.scan
    ev = watch_events(t, s)
    rc = ev.get("recheck", [{}])[0]
    t.expect(rc.get("came_back") is True and rc.get("resumed") is True,
             "re-check: came back, resumed", rc)
    sv = h.observations(s, "dicom_services", DEVICE)
    t.expect(sv and sv[-1]["outcome"] == "ok",
             "--resume-fragile: dicom_services ran after it came back", sv)
    f = h.findings(s, DEVICE, rule="DEVICE-STOPPED-ANSWERING")
    t.expect(len(f) == 1 and "probed again" in f[0].get("summary", ""),
             "finding: came back, probed again", f)


if __name__ == "__main__":
    h.run(main, sandbox_it=False)
