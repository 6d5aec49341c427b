#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Issue 3's reports on a real scan (storescp and a permissive Orthanc, DICOM and HTTP ports, one
run): every output is produced and parsed back by an independent reader.

- scan.json validates against docs/scan.schema.json (python3-jsonschema);
- findings.csv is read by python's csv module: the header, one row per finding, the IDs of
  scan.json, no cell a spreadsheet would take for a formula;
- findings.sarif validates against the SARIF 2.1.0 schema (tests/data/sarif-schema-2.1.0.json);
- report.md and tickets/<id>.md name every finding; each ticket's re-test command is run and
  finds the same finding ID again;
- report.html is well formed (html.parser), has no script and no external resource, and is
  rendered by headless Chromium (Debian's `chromium`): the DOM holds every finding, the console
  shows no error or Content-Security-Policy violation, a 1280x2000 screenshot is not blank;
- `pacscan report scan.json -o DIR` re-renders the same scan.json and the same reports.

The checkers here are also used by test_report_injection.py and test_diff_hardened.py.
"""
import csv
import html.parser
import io
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
CSV_HEADER = ["Summary", "Description", "Priority", "Labels", "Asset", "Rule", "Severity",
              "Finding ID", "Status", "First seen", "Suspected decoy"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}
MAIN_TAGS = ("html", "head", "body", "header", "nav", "main", "footer")


# ------------------------------------------------------------------------------------------
# schemas

def expect_same(t, got, want, msg):
    """Compares two collections; on a mismatch shows only what is missing or extra."""
    if got == want:
        return t.expect(True, f"{msg} ({len(want)})")
    if isinstance(want, dict):
        ctx = {"differ": {k: {"got": got.get(k), "want": want.get(k)}
                          for k in set(got) | set(want) if got.get(k) != want.get(k)}}
    else:
        ctx = {"missing": sorted(set(want) - set(got)), "extra": sorted(set(got) - set(want)),
               "got_count": len(got), "want_count": len(want)}
    return t.expect(False, msg, ctx)


def load_json(t, path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        t.expect(False, f"{what} is valid JSON", f"{path}: {e}")
        return None


def check_scan_json(t, outdir):
    scan = load_json(t, os.path.join(outdir, "scan.json"), "scan.json")
    if scan is None:
        raise h.Fatal("scan.json unreadable")
    errs = h.schema_errors(scan, os.path.join(t.source, "docs", "scan.schema.json"))
    t.expect(not errs, f"scan.json validates against docs/scan.schema.json ({outdir})", errs[:10])
    return scan


def check_sarif(t, outdir, scan, fixed_ids=()):
    path = os.path.join(outdir, "findings.sarif")
    sarif = load_json(t, path, "findings.sarif")
    if sarif is None:
        return None
    errs = h.schema_errors(sarif, os.path.join(t.source, "tests", "data", "sarif-schema-2.1.0.json"))
    t.expect(not errs, "findings.sarif validates against the SARIF 2.1.0 schema", errs[:10])
    runs = sarif.get("runs") or [{}]
    t.expect_eq(len(runs), 1, "SARIF runs")
    run = runs[0]
    rules = run.get("tool", {}).get("driver", {}).get("rules", [])
    results = run.get("results", [])
    ids = [r.get("partialFingerprints", {}).get("pacscanFindingId/v1") for r in results]
    want = sorted(f["id"] for f in scan["findings"])
    expect_same(t, sorted(ids), want, "SARIF results are the findings of scan.json (by finding ID)")
    bad = []
    by_id = {f["id"]: f for f in scan["findings"]}
    for r in results:
        fid = r.get("partialFingerprints", {}).get("pacscanFindingId/v1")
        i = r.get("ruleIndex")
        if not isinstance(i, int) or not 0 <= i < len(rules) or rules[i].get("id") != r.get("ruleId"):
            bad.append({"result": fid, "ruleId": r.get("ruleId"), "ruleIndex": i})
        elif fid in by_id and by_id[fid]["rule_id"] != r.get("ruleId"):
            bad.append({"result": fid, "ruleId": r.get("ruleId"), "want": by_id[fid]["rule_id"]})
    t.expect(not bad, "every SARIF result points at its rule (ruleId, ruleIndex)", bad[:5])
    return sarif


# ------------------------------------------------------------------------------------------
# CSV

def check_csv(t, outdir, scan, fixed_ids=(), statuses=None):
    """findings.csv through python's csv module. Returns the rows as dicts."""
    path = os.path.join(outdir, "findings.csv")
    with open(path, newline="", encoding="utf-8") as f:
        raw = f.read()
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    t.require_that(rows, "findings.csv has a header", raw[:500])
    t.expect_eq(rows[0], CSV_HEADER, "findings.csv header")
    body = rows[1:]
    t.expect(all(len(r) == len(CSV_HEADER) for r in body),
             f"every findings.csv row has {len(CSV_HEADER)} cells",
             [len(r) for r in body])
    dicts = [dict(zip(CSV_HEADER, r)) for r in body]
    want = sorted([f["id"] for f in scan["findings"]] + list(fixed_ids))
    got = sorted(d.get("Finding ID") for d in dicts)
    expect_same(t, got, want, "findings.csv: one row per finding, IDs as in scan.json")
    live = [c for r in rows for c in r if c.startswith(FORMULA_START)]
    t.expect(not live, "no findings.csv cell starts with = + - @ (formula injection)", live[:5])
    by_id = {f["id"]: f for f in scan["findings"]}
    wrong = []
    for d in dicts:
        f = by_id.get(d.get("Finding ID"))
        if f is None:
            continue
        if (d["Asset"], d["Rule"], d["Severity"]) != (f["asset"], f["rule_id"], f["severity"]):
            wrong.append({"csv": d, "scan": {k: f[k] for k in ("asset", "rule_id", "severity")}})
        elif f["id"] not in d["Description"] or "pacscan scan " not in d["Description"]:
            wrong.append({"csv_description": d["Description"][:600], "want_id": f["id"]})
    t.expect(not wrong, "findings.csv rows carry asset, rule, severity, ID and re-test command",
             wrong[:3])
    if statuses is not None:
        got_st = {d["Finding ID"]: d["Status"] for d in dicts}
        expect_same(t, got_st, statuses, "findings.csv Status column")
    return dicts


# ------------------------------------------------------------------------------------------
# Markdown and tickets

def check_markdown(t, outdir, scan, fixed_ids=()):
    with open(os.path.join(outdir, "report.md"), encoding="utf-8") as f:
        md = f.read()
    missing = [f["id"] for f in scan["findings"] if f["id"] not in md]
    missing += [i for i in fixed_ids if i not in md]
    t.expect(not missing, "report.md names every finding ID", missing)
    # each finding has its own block under ## Findings
    blocks = md.split("\n## Findings\n", 1)[-1].split("\n## Not evaluated", 1)[0]
    nob = [f["id"] for f in scan["findings"]
           if f"- **Finding ID:** {f['id']}" not in blocks]
    t.expect(not nob, "report.md has a block for every finding under ## Findings", nob)
    return md


def ticket_command(text):
    m = re.search(r"^(`{3,})sh\n(.*?)\n\1$", text, re.S | re.M)
    return m.group(2).strip() if m else None


def check_tickets(t, outdir, scan):
    d = os.path.join(outdir, "tickets")
    names = sorted(os.listdir(d)) if os.path.isdir(d) else []
    want = sorted(f"{f['id']}.md" for f in scan["findings"])
    expect_same(t, names, want, "tickets/: one <finding-id>.md per finding")
    out, bad = {}, []
    for f in scan["findings"]:
        p = os.path.join(d, f"{f['id']}.md")
        if not os.path.exists(p):
            continue
        with open(p, encoding="utf-8") as fh:
            text = fh.read()
        out[f["id"]] = text
        cmd = ticket_command(text)
        want_prefix = f"pacscan scan {f['ip']} -p {f['port']} -o retest-{f['id']}"
        if f["port"] == 0 or f.get("related"):
            # host-level or whole-scan finding: the host's open ports / the other endpoints too
            hosts = {x["ip"]: x for x in scan.get("hosts", [])}
            ports = [f["port"]] if f["port"] else list(hosts.get(f["ip"], {}).get("open_ports", []))
            ips = [f["ip"]]
            for r in f.get("related", []):
                rip, _, rport = r.rpartition(":")
                ips += [rip] if rip not in ips else []
                ports += [int(rport)] if int(rport) not in ports else []
            want_prefix = (f"pacscan scan {' '.join(ips)} -p {','.join(map(str, ports))} "
                           f"-o retest-{f['id']}")
        if f["id"] not in text or not cmd or not cmd.startswith(want_prefix):
            bad.append({"ticket": f["id"], "command": cmd, "want_prefix": want_prefix})
        for section in ("## What was found", "## Evidence", "## How to fix",
                        "## How to verify the fix"):
            if section not in text:
                bad.append({"ticket": f["id"], "missing": section})
    t.expect(not bad, "every ticket names its finding and the re-test command "
                      "`pacscan scan IP -p PORT -o retest-ID`", bad[:5])
    return out


def run_retest(t, ticket_text, finding_id):
    """Runs a ticket's re-test command (binary and output folder swapped) and checks that the
    finding comes back with the same ID. Returns the ScanRun."""
    cmd = ticket_command(ticket_text)
    argv = shlex.split(cmd)
    t.require_that(argv[:2] == ["pacscan", "scan"] and "-o" in argv, "re-test command parses",
                   cmd)
    i = argv.index("-o")
    out = t.outdir("retest")
    argv = [t.pacscan] + argv[1:i] + ["-o", out] + argv[i + 2:] + ["-q"]
    r = t.run_argv(argv, out)
    t.expect_rc(r, 0, fatal=False)
    ids = [f["id"] for f in (r.scan or {}).get("findings", [])]
    t.expect(finding_id in ids, f"the ticket's re-test command finds {finding_id} again",
             {"command": cmd, "found": ids})
    return r


# ------------------------------------------------------------------------------------------
# HTML

class HtmlCheck(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.count = [], [], {}
        self.text = []
        self.ids = set()
        self.scripts, self.handlers, self.urls = [], [], []

    def _attrs(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag == "script":
            self.scripts.append(self.getpos())
        for k, v in attrs:
            if k == "id":
                self.ids.add(v)
            if k.startswith("on"):
                self.handlers.append((tag, k, v))
            if k in ("href", "src", "action", "formaction", "xlink:href", "data", "poster",
                     "srcset") and v is not None and not v.startswith("#"):
                self.urls.append((tag, k, v))

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag not in VOID_TAGS:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes "
                               f"{self.stack[-1] if self.stack else 'nothing'}")
            # recover: pop to the matching open tag, if any
            for i in range(len(self.stack) - 1, -1, -1):
                if self.stack[i][0] == tag:
                    del self.stack[i:]
                    break
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(t, outdir, scan, fixed_ids=()):
    path = os.path.join(outdir, "report.html")
    with open(path, encoding="utf-8") as f:
        src = f.read()
    p = HtmlCheck()
    p.feed(src)
    p.close()
    t.expect(not p.errors and not p.stack, "report.html: every element closed in order",
             {"errors": p.errors[:8], "unclosed": p.stack[:8]})
    t.expect(all(p.count.get(tag) == 1 for tag in MAIN_TAGS),
             "report.html: one each of " + ", ".join(MAIN_TAGS),
             {tag: p.count.get(tag) for tag in MAIN_TAGS})
    t.expect(not p.scripts and not p.handlers, "report.html: no script, no on* handler",
             {"scripts": p.scripts, "handlers": p.handlers[:5]})
    t.expect(not p.urls, "report.html: self-contained (no URL but #anchors)", p.urls[:5])
    t.expect(re.search(r'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'',
                       src) is not None, "report.html: CSP default-src 'none'")
    text = "".join(p.text)
    missing = [f["id"] for f in scan["findings"] if f["id"] not in text]
    missing += [i for i in fixed_ids if i not in text]
    t.expect(not missing, "report.html text names every finding ID", missing)
    noart = [f["id"] for f in scan["findings"] if not any(i.startswith(f"f-{f['id']}")
                                                          for i in p.ids)]
    t.expect(not noart, "report.html: an <article id=f-ID> per finding", noart)
    return src, text


def chromium_run(t, args, timeout=60):
    if not os.path.exists(CHROMIUM):
        t.expect(False, f"{CHROMIUM} installed (Debian package chromium; CI installs it)")
        raise h.Fatal("chromium missing")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=t.tmp)
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
            *args]
    env = dict(t.env, HOME=profile)
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                           start_new_session=True, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        t.expect(False, f"chromium finished within {timeout}s", " ".join(argv))
        raise h.Fatal("chromium timed out")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    # Chromium's own pages log too under load ("Slow network is detected", source chrome://...):
    # only what the report's page logged counts.
    console = [l for l in p.stderr.splitlines()
               if (":CONSOLE" in l or "Uncaught" in l) and "source: chrome://" not in l]
    return p, console


def png_info(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    w, hgt = struct.unpack(">II", data[16:24])
    idat, i = b"", 8
    while i + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        if kind == b"IDAT":
            idat += data[i + 8:i + 8 + n]
        i += 12 + n
    try:
        raw = zlib.decompress(idat)
    except zlib.error:
        raw = b""
    return {"bytes": len(data), "width": w, "height": hgt, "distinct": len(set(raw))}


def check_chromium(t, outdir, scan, fixed_ids=(), screenshot_name="report.png"):
    """Renders report.html in headless Chromium: DOM, console, screenshot. Returns the DOM."""
    url = "file://" + os.path.abspath(os.path.join(outdir, "report.html"))
    p, console = chromium_run(t, ["--dump-dom", url])
    t.expect(p.returncode == 0 and "</html>" in p.stdout, "chromium --dump-dom rendered report.html",
             f"exit {p.returncode}\n{p.stderr[-2000:]}")
    dom = p.stdout
    missing = [f["id"] for f in scan["findings"] if f["id"] not in dom]
    missing += [i for i in fixed_ids if i not in dom]
    t.expect(not missing, "the DOM Chromium built names every finding ID", missing)
    t.expect(not console, "Chromium console: no script error, no CSP violation", console[:5])
    shot = os.path.join(t.tmp, screenshot_name)
    p2, console2 = chromium_run(t, [f"--screenshot={shot}", "--window-size=1280,2000",
                                    "--hide-scrollbars", url])
    info = png_info(shot) if os.path.exists(shot) else None
    t.expect(p2.returncode == 0 and info is not None and info["width"] == 1280 and
             info["height"] == 2000 and info["distinct"] > 16,
             "chromium --screenshot wrote a 1280x2000 PNG that is not blank",
             {"exit": p2.returncode, "png": info, "stderr": p2.stderr[-1500:]})
    t.expect(not console2, "Chromium console (screenshot run): no error", console2[:5])
    print(f"      screenshot: {shot} ({info})")
    return dom


def check_all(t, outdir, scan=None, fixed_ids=(), statuses=None, screenshot_name="report.png"):
    """Every output format of OUTDIR, parsed back. Returns a dict of what was read."""
    scan = scan if scan is not None else check_scan_json(t, outdir)
    res = {"scan": scan}
    res["csv"] = check_csv(t, outdir, scan, fixed_ids, statuses)
    res["sarif"] = check_sarif(t, outdir, scan, fixed_ids)
    res["md"] = check_markdown(t, outdir, scan, fixed_ids)
    res["tickets"] = check_tickets(t, outdir, scan)
    res["html"], res["html_text"] = check_html(t, outdir, scan, fixed_ids)
    res["dom"] = check_chromium(t, outdir, scan, fixed_ids, screenshot_name)
    return res


def json_diff(a, b, path=""):
    """Paths where two JSON documents differ, with both values (shortened)."""
    if type(a) is not type(b):
        return [f"{path}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                side = "written by the scan only" if k in a else "added by the re-render"
                out.append(f"{path}/{k}: {side}: {json.dumps(a.get(k, b.get(k)))[:120]}")
            else:
                out += json_diff(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in json_diff(x, y, f"{path}/{i}")]
    return [] if a == b else [f"{path}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"]


def report_files(outdir):
    out = {}
    for root, _, files in os.walk(outdir):
        for n in files:
            rel = os.path.relpath(os.path.join(root, n), outdir)
            if rel in ("scan.json", "observations.jsonl", "resume.jsonl"):  # not reports
                continue
            with open(os.path.join(root, n), "rb") as f:
                out[rel] = f.read()
    return out


def check_rerender(t, outdir, scan, extra=()):
    """`pacscan report OUTDIR/scan.json -o OUT2` re-renders the same scan.json and reports."""
    out2 = t.outdir("rerender")
    r = t.run_argv([t.pacscan, "report", os.path.join(outdir, "scan.json"), "-o", out2,
                    *extra], out2)
    t.expect_rc(r, 0, fatal=False)
    again = load_json(t, os.path.join(out2, "scan.json"), "re-rendered scan.json")
    t.expect(again == scan, "`pacscan report` re-renders identical scan.json content",
             None if again == scan else json_diff(scan, again or {})[:12])
    a, b = report_files(outdir), report_files(out2)
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    t.expect(not diff, "`pacscan report` re-renders byte-identical reports", diff[:10])
    return out2


# ------------------------------------------------------------------------------------------

def main(t):
    st = t.start_storescp()
    orth = t.start_orthanc("permissive")
    ports = [st.port, orth.port, orth.http_port]
    r = t.scan([IP, "-p", ",".join(map(str, ports)), "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    scan = check_scan_json(t, r.outdir)
    h.expect_finding_shape(t, scan)
    # not vacuous: both servers and the web port produced findings
    for port, rule in ((st.port, "DICOM-UNAUTH-STORE"), (orth.port, "DICOM-UNAUTH-STORE"),
                       (orth.http_port, "WEB-ORTHANC-NOAUTH")):
        h.expect_rules(t, scan, IP, port, required=[rule])
    t.expect(len(scan["findings"]) >= 10, f"{len(scan['findings'])} findings to check")

    res = check_all(t, r.outdir, scan,
                    statuses={f["id"]: "open" for f in scan["findings"]})
    # a ticket's re-test command, run for real, finds the same ID (one per endpoint)
    done = set()
    for f in scan["findings"]:
        if f["port"] in done or f["id"] not in res["tickets"]:
            continue
        done.add(f["port"])
        run_retest(t, res["tickets"][f["id"]], f["id"])
    check_rerender(t, r.outdir, scan)
    h.expect_no_canary(t, r.outdir)


if __name__ == "__main__":
    h.run(main)
