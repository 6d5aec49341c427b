#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile bytes in everything a device says: the scan finishes, every output parses, and no raw
control byte, invalid UTF-8 or bidi override reaches a file or the terminal.

Peers (tests/lab/hostile.py, each on its own 127.x address):
- badbytes --variant ac: an A-ASSOCIATE-AC whose AE fields, application context name, transfer
  syntax UIDs, implementation class UID and version name, role selection UIDs and user identity
  response hold invalid UTF-8, NUL, ESC sequences, C1 controls, bidi overrides and CR/LF; every
  DIMSE request gets a failure status whose Error Comment and Affected SOP Class UID hold them;
- badbytes --variant rj / abort: an A-ASSOCIATE-RJ and an A-ABORT with out-of-range fields and
  hostile trailing bytes;
- banner: a non-DICOM service answering raw hostile bytes; banner --http: an HTTP service whose
  Server header holds them.

Checked: exit code 0/1 (not 134), scan.json / observations.jsonl / SARIF parse as strict UTF-8
JSON, findings.csv parses, report.html parses; no file and neither stdout nor stderr (with -vv,
which prints DCMTK's PDU dumps, and --progress) holds a byte that is invalid UTF-8, a C0 control
other than TAB/LF/CR, DEL, a C1 control or a bidi control; the hostile strings arrive escaped
(visible \\xNN / \\u{NNNN}) with their raw bytes as hex beside them; `pacscan report` and
`pacscan diff` on that scan.json are as clean.
"""
import csv
import html.parser
import io
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

AC, RJ, ABORT, BANNER, HTTP = "127.0.0.31", "127.0.0.32", "127.0.0.33", "127.0.0.34", "127.0.0.35"
BANNER_BYTES = b"\xff\xfe\x00\x1b[2J\x1b]0;title\x07\xe2\x80\xaeevil\xc2\x9b\r\nX\x7f"
HTTP_SERVER = b"Evil/1.0 \xff\xfe\x00\x1b[31m\xe2\x80\xae\xe2\x81\xa6gnp.exe\xc2\x85"  # no CR/LF

BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}


def problems(data, where, allow_cr=True):
    """Why these bytes are unsafe for a terminal or a report (empty list: safe)."""
    out = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return [f"{where}: invalid UTF-8 at byte {e.start}: {data[max(0, e.start - 20):e.start + 20]!r}"]
    for i, ch in enumerate(text):
        cp = ord(ch)
        bad = ((cp < 0x20 and ch not in "\t\n" and not (allow_cr and ch == "\r")) or cp == 0x7F
               or 0x80 <= cp <= 0x9F or cp in BIDI)
        if bad:
            out.append(f"{where}: raw U+{cp:04X} at char {i}: {text[max(0, i - 30):i + 30]!r}")
            if len(out) > 5:
                break
    return out


def run_bytes(t, argv, timeout=120):
    print(f"$ {' '.join(argv)}", flush=True)
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, timeout=timeout, env=t.env)
    print(f"  -> exit {p.returncode} in {time.monotonic() - t0:.1f}s", flush=True)
    return p


def check_tree(t, root):
    bad = []
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            with open(p, "rb") as f:
                bad += problems(f.read(), os.path.relpath(p, root))
    t.expect(not bad, f"no unsafe byte in any file under {os.path.basename(root)}", bad[:20])


def check_parsers(t, out):
    for name in ("scan.json", "findings.sarif"):
        with open(os.path.join(out, name), "rb") as f:
            try:
                json.loads(f.read().decode("utf-8"))
                t.expect(True, f"{name} is strict UTF-8 JSON")
            except (UnicodeDecodeError, ValueError) as e:
                t.expect(False, f"{name} is strict UTF-8 JSON", str(e))
    with open(os.path.join(out, "observations.jsonl"), "rb") as f:
        lines = f.read().decode("utf-8").splitlines()
    bad = []
    for i, line in enumerate(lines, 1):
        try:
            json.loads(line)
        except ValueError as e:
            bad.append(f"line {i}: {e}")
    t.expect(lines and not bad, f"observations.jsonl: {len(lines)} lines, each one JSON", bad)
    with open(os.path.join(out, "findings.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    t.expect(len(rows) >= 1 and all(len(r) == len(rows[0]) for r in rows),
             f"findings.csv parses ({len(rows)} rows, equal widths)")
    parser = html.parser.HTMLParser()
    with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
        parser.feed(f.read())
    parser.close()
    t.expect(True, "report.html parses")


def main(t):
    port = h.free_port()
    t.start_hostile("badbytes", AC, [port])
    for ip, variant in ((RJ, "rj"), (ABORT, "abort")):
        srv = t.start(f"badbytes-{variant}", [h.PY, "-u", t.hostile, "badbytes", "--variant",
                                               variant, "--bind", ip, "--port", str(port)])
        t.wait_until(f"badbytes {variant}", lambda: "listening on" in srv.log_text(), srv=srv)
    for ip, raw, extra in ((BANNER, BANNER_BYTES, []), (HTTP, HTTP_SERVER, ["--http"])):
        srv = t.start(f"banner-{ip}", [h.PY, "-u", t.hostile, "banner", "--bind", ip, "--port",
                                       str(port), "--text-hex", raw.hex()] + extra)
        t.wait_until(f"banner {ip}", lambda: "listening on" in srv.log_text(), srv=srv)

    out = t.outdir("hostile-bytes")
    argv = [t.pacscan, "scan", "127.0.0.31-35", "-p", str(port), "-o", out, "-vv", "--progress",
            "--acse-timeout", "2s", "--dimse-timeout", "2s", "--assoc-deadline", "5s",
            "--endpoint-budget", "40s", "--fail-on", "critical"]
    p = run_bytes(t, argv)
    t.expect(p.returncode in (0, 1), f"scan exit code {p.returncode} is 0 or 1 (not a crash)",
             p.stderr[-3000:].decode("utf-8", "replace"))
    t.expect(not problems(p.stdout, "stdout"), "stdout has no unsafe byte", problems(p.stdout, "stdout"))
    t.expect(not problems(p.stderr, "stderr"), "stderr (-vv: DCMTK PDU dumps) has no unsafe byte",
             problems(p.stderr, "stderr"))
    t.require_that(os.path.exists(os.path.join(out, "scan.json")), "scan.json written")
    check_parsers(t, out)
    check_tree(t, out)

    with open(os.path.join(out, "scan.json"), encoding="utf-8") as f:
        scan = json.load(f)
    errors = h.schema_errors(scan, os.path.join(t.source, "docs", "scan.schema.json"))
    t.expect(not errors, "scan.json (with raw_hex evidence) validates against the schema", errors[:5])
    assoc = h.one_observation(t, scan, "dicom_associate", AC, port)
    a = (assoc or {}).get("data", {}).get("attempt", {})
    t.expect(a.get("outcome") == "ok", "the hostile A-ASSOCIATE-AC was read as an association",
             a)
    version = a.get("impl_version", "")
    t.expect("\\u{202E}" in version or "\\xFF" in version,
             f"the version name's bytes are escaped visibly: {version!r}", a)
    raw = (assoc or {}).get("raw_hex", {})
    key = "/data/attempt/impl_version"
    t.expect(key in raw and "e280ae" in raw[key].lower(),
             "the version name's raw bytes are kept as hex beside the text (raw_hex)", raw)
    t.expect("/data/attempt/impl_class_uid" in raw,
             "the implementation class UID's raw bytes are kept", raw)
    echo = h.one_observation(t, scan, "dicom_echo", AC, port)
    text = json.dumps(echo or {})
    t.expect("denied" in text and "\\\\u{202e}" in text.lower(),
             "the C-ECHO-RSP Error Comment is recorded, its bidi override escaped", echo)
    for ip, want in ((RJ, {"rejected", "non_dicom"}), (ABORT, {"aborted", "non_dicom"})):
        o = h.one_observation(t, scan, "dicom_associate", ip, port)
        got = (o or {}).get("data", {}).get("attempt", {}).get("outcome")
        t.expect(got in want, f"{ip}: hostile RJ/ABORT classified ({got} in {sorted(want)})", o)
    ban = h.one_observation(t, scan, "dicom_associate", BANNER, port)
    t.expect("ff" in (ban or {}).get("data", {}).get("attempt", {}).get("reply_hex", ""),
             "the banner's raw reply is kept as hex", ban)

    # Re-rendering and diffing the hostile scan.json: same guarantees.
    rerender = t.outdir("rerender")
    p2 = run_bytes(t, [t.pacscan, "report", os.path.join(out, "scan.json"), "-o", rerender])
    t.expect(p2.returncode == 0, f"pacscan report exit {p2.returncode}", p2.stderr.decode("utf-8", "replace"))
    check_tree(t, rerender)
    for fmt in ("md", "json"):
        p3 = run_bytes(t, [t.pacscan, "diff", os.path.join(out, "scan.json"),
                           os.path.join(rerender, "scan.json"), "--format", fmt])
        t.expect(p3.returncode == 0, f"pacscan diff --format {fmt} exit {p3.returncode}")
        t.expect(not problems(p3.stdout + p3.stderr, f"diff {fmt}"),
                 f"pacscan diff --format {fmt} prints no unsafe byte",
                 problems(p3.stdout + p3.stderr, "diff"))


if __name__ == "__main__":
    h.run(main)
