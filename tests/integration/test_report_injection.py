#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Device-controlled strings carrying HTML, Markdown and CSV injection payloads, from real
servers, are inert in every output format.

Where the payloads come from (all on 127.0.0.1, one scan):
- a real Orthanc whose configuration "Name" holds every payload and whose "DicomAet" (at most 16
  characters: Orthanc refuses longer) is `<script>alert(1)`; both come back in GET /system, and
  the DicomAet reaches the findings' evidence;
- tests/lab/hostile.py `banner`: a non-DICOM port that answers `=HYPERLINK("x")<img ...>` to the
  A-ASSOCIATE-RQ (recorded as the reply text: its first 6 bytes, what the scanner reads);
- tests/lab/hostile.py `banner --http`: a DICOMweb-looking HTTP service whose Server header holds
  every payload (reaches the findings' evidence).

First the test proves the payloads did land (scan.json observations and findings), then that:
report.html has no live markup from them (html.parser and headless Chromium: no script or img
element, no console error or CSP violation) and shows them as text; report.md and tickets/*.md,
rendered by cmark-gfm with raw HTML allowed, make no script, image or javascript: link and keep
the payload text; findings.csv cells are neutralised and quote the payload intact; SARIF and JSON
are valid JSON holding the exact strings.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h
import test_reports_real as rr

IP = "127.0.0.1"
P_HTML = "<script>alert(1)</script>"
P_MDLINK = "](javascript:alert(1))"
P_PIPE = "| x |"
P_CSV = "=cmd|' /C calc'!A0"
NAME = P_HTML + P_MDLINK + P_PIPE + P_CSV          # Orthanc "Name"
AET = "<script>alert(1)"                           # Orthanc "DicomAet" (16 characters)
BANNER = '=HYPERLINK("x")<img src=x onerror=alert(1)>'  # raw reply to the A-ASSOCIATE-RQ
SERVER = BANNER + P_MDLINK + P_PIPE + P_HTML       # HTTP Server header
CMARK = "/usr/bin/cmark-gfm"


def start_banner(t, text, http=False):
    port = h.free_port()
    argv = [h.PY, "-u", t.hostile, "banner", "--bind", IP, "--port", str(port), "--text", text]
    if http:
        argv.append("--http")
    srv = t.start(f"banner{'-http' if http else ''}-{port}", argv)
    srv.port = port
    t.wait_until(f"hostile banner :{port}", lambda: "listening on" in srv.log_text(), srv=srv)
    return srv


def strings_in(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings_in(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings_in(v)


def cmark(t, text):
    if not os.path.exists(CMARK):
        t.expect(False, f"{CMARK} installed (Debian package cmark-gfm)")
        raise h.Fatal("cmark-gfm missing")
    p = subprocess.run([CMARK, "--unsafe", "-e", "table", "-e", "strikethrough"], input=text,
                       capture_output=True, text=True, timeout=30)
    t.require_that(p.returncode == 0, "cmark-gfm renders the Markdown", p.stderr)
    return p.stdout


def check_markdown_inert(t, name, text, want_text):
    """NAME's Markdown source and its rendering (raw HTML allowed, as wikis often do)."""
    raw_live = re.findall(r"(?<!\\)\]\(\s*javascript:", text, re.I)
    raw_tags = re.findall(r"(?<!\\)<\s*(?:script|img)\b", text, re.I)
    t.expect(not raw_live and not raw_tags,
             f"{name}: no unescaped `](javascript:` or `<script`/`<img` in the source",
             {"links": raw_live[:3], "tags": raw_tags[:3]})
    html_out = cmark(t, text)
    p = rr.HtmlCheck()
    p.feed(html_out)
    p.close()
    bad_tags = {k: v for k, v in p.count.items() if k in ("script", "img", "iframe", "svg",
                                                           "object", "embed", "style")}
    js = [u for u in p.urls if "javascript:" in (u[2] or "").lower()]
    t.expect(not bad_tags and not p.handlers and not js,
             f"{name} rendered by cmark-gfm: no script/img element, no handler, no javascript: link",
             {"tags": bad_tags, "handlers": p.handlers[:3], "js_links": js[:3]})
    rendered = "".join(p.text)
    lost = [w for w in want_text if w not in rendered]
    t.expect(not lost, f"{name} rendered shows the payloads as text, intact", lost)
    # tables: a '|' from a device must not add a cell
    rows = re.findall(r"<tr>(.*?)</tr>", html_out, re.S)
    widths = {len(re.findall(r"<t[dh][ >]", r)) for r in rows}
    split = [r for r in text.splitlines() if r.startswith("| ") and
             len(re.findall(r"(?<!\\)\|", r)) != len(re.findall(r"(?<!\\)\|",
                                                                 _header_of(text, r) or r))]
    t.expect(not split, f"{name}: no table row with more cells than its header", split[:3])
    return rendered, widths


def _header_of(text, row):
    """The header line of the Markdown table that ROW belongs to."""
    lines = text.splitlines()
    i = lines.index(row)
    while i > 0 and lines[i - 1].startswith("|"):
        i -= 1
    return lines[i] if lines[i].startswith("|") else None


def main(t):
    orth = t.start_orthanc("permissive", Name=NAME, DicomAet=AET)
    raw = start_banner(t, BANNER)
    web = start_banner(t, SERVER, http=True)
    ports = [orth.port, orth.http_port, raw.port, web.port]
    r = t.scan([IP, "-p", ",".join(map(str, ports)), "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    scan = rr.check_scan_json(t, r.outdir)

    # --- the payloads did land (else the rest proves nothing) -----------------------------
    http_obs = {o["port"]: o for o in h.observations(scan, "http_imaging", IP)}
    sysinfo = (http_obs.get(orth.http_port) or {}).get("data", {}).get("orthanc", {})
    t.expect_eq(sysinfo.get("name"), NAME, "Orthanc Name payload recorded in scan.json",
                http_obs.get(orth.http_port))
    t.expect_eq(sysinfo.get("dicom_aet"), AET, "Orthanc DicomAet payload recorded in scan.json")
    assoc = h.observations(scan, "dicom_associate", IP, raw.port)
    reply = assoc[0]["data"].get("attempt", {}).get("reply_text", "") if assoc else ""
    # The scanner keeps only the bytes DCMTK read before giving up: the 6-byte PDU header of
    # the reply ("=HYPER"), so this path carries a short prefix of the payload into scan.json
    # (and no report shows observations). The full payloads reach the reports through the
    # Orthanc and HTTP paths.
    t.expect(len(reply) >= 6 and BANNER.startswith(reply.rstrip()) and
             f'reply "{reply}"' in assoc[0].get("summary", ""),
             f"banner payload recorded as the non-DICOM reply, data and summary ({reply!r})",
             assoc)
    t.expect_eq((http_obs.get(web.port) or {}).get("data", {}).get("server"), SERVER,
                "Server header payload recorded in scan.json", http_obs.get(web.port))
    evid = {f["id"]: " ".join(f.get("evidence", [])) for f in scan["findings"]}
    with_aet = [i for i, e in evid.items() if AET in e]
    with_server = [i for i, e in evid.items() if SERVER in e]
    t.expect(with_aet, "the DicomAet payload reaches a finding's evidence",
             [f for f in scan["findings"] if f["port"] == orth.http_port])
    t.expect(with_server, "the Server header payload reaches a finding's evidence",
             [f for f in scan["findings"] if f["port"] == web.port])
    in_reports = [AET, SERVER] if with_server else [AET]

    # --- every format, parsed back (schema, CSV, SARIF, HTML, Chromium ...) ---------------
    res = rr.check_all(t, r.outdir, scan, screenshot_name="injection.png")

    # JSON / SARIF: exact strings survive
    all_json = set(strings_in(scan))
    t.expect(NAME in all_json and AET in all_json and SERVER in all_json,
             "scan.json holds the payloads as exact JSON strings")
    sarif_text = " ".join(strings_in(res["sarif"] or {}))
    t.expect(all(p in sarif_text for p in in_reports),
             "findings.sarif holds the payloads as exact JSON strings")

    # HTML: escaped, shown as text, no live markup
    src, text = res["html"], res["html_text"]
    live = re.findall(r"<\s*/?\s*(?:script|img)\b", src, re.I)
    t.expect(not live, "report.html source has no <script or <img outside escaped form", live[:5])
    t.expect("&lt;script&gt;alert(1)" in src, "report.html shows the payload escaped (&lt;script&gt;)")
    t.expect(all(p in text for p in in_reports), "report.html text shows the payloads intact",
             [p for p in in_reports if p not in text])
    dom = res["dom"]
    dom_live = re.findall(r"<\s*(?:script|img)\b", dom, re.I)
    t.expect(not dom_live, "Chromium's DOM has no script or img element", dom_live[:5])
    t.expect("&lt;img src=x onerror=alert(1)&gt;" in dom or not with_server,
             "Chromium's DOM holds the img payload as text")

    # Markdown: report.md and every ticket
    check_markdown_inert(t, "report.md", res["md"], in_reports)
    for fid, ticket in res["tickets"].items():
        want = [p for p in in_reports if p in evid.get(fid, "")]
        check_markdown_inert(t, f"tickets/{fid}.md", ticket, want)

    # CSV: neutralised cells (checked by check_csv), payload quoted intact inside a cell
    cells = [c for row in res["csv"] for c in row.values()]
    t.expect(all(any(p in c for c in cells) for p in in_reports),
             "findings.csv quotes the payloads intact inside cells",
             [p for p in in_reports if not any(p in c for c in cells)])
    t.expect(not [c for c in cells if c.lstrip().startswith(("=HYPERLINK", "=cmd"))],
             "no findings.csv cell starts with a payload formula")
    t.expect(orth.alive(), "Orthanc still running", orth.log_text()[-2000:])


if __name__ == "__main__":
    h.run(main)
