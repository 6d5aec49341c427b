#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the committed seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the
sample captures (samples/pcaps/*.pcap) and small hostile captures (samples/pcaps/make-hostile.py):

  fuzz_pcap         the capture files themselves
  fuzz_pdu_reader   each TCP connection's payload as the target's records (side bit, length)
  fuzz_flow_table   each capture's TCP segments as the target's 12-byte records
  fuzz_escapers     strings that reach reports: markup, formulas, controls, bad UTF-8
  fuzz_scan_json    hostile-*.json: the sample scan (198.18.0.11.json, kept as it is) with
                    markup, formulas, path names, bidi and NUL escapes in the device-controlled
                    fields every report prints (hosts, AE titles, product strings, findings)
  fuzz_observation  type-NN: data type NN (mod the number of types) with every string field
                    hostile (the target's input layout: a type byte, length-prefixed strings)

    tests/fuzz/make-seeds.py            (rewrites the corpora above; others are left alone)
"""
import copy
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")


def pcap_segments(path):
    """(time_us, src, dst, sport, dport, seq, flags, payload) of each IPv4 TCP packet (Ethernet)."""
    d = open(path, "rb").read()
    if d[:4] != b"\xd4\xc3\xb2\xa1":
        return []
    off, out = 24, []
    while off + 16 <= len(d):
        sec, usec, cl, _ = struct.unpack("<IIII", d[off:off + 16])
        pkt = d[off + 16:off + 16 + cl]
        off += 16 + cl
        if len(pkt) < 54 or pkt[12:14] != b"\x08\x00":
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        if ip[9] != 6:
            continue
        src, dst = struct.unpack(">II", ip[12:20])
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        thl = (tcp[12] >> 4) * 4
        out.append((sec * 1000000 + usec, src, dst, sport, dport, seq, tcp[13], tcp[thl:]))
    return out


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def reader_records(segs, limit=1 << 20):
    """Payload chunks of the first connection, as fuzz_pdu_reader records."""
    if not segs:
        return b""
    a = (segs[0][1], segs[0][3])
    out = bytearray()
    for s in segs:
        if s[6] & 0x02 or not s[7]:
            continue
        side = 1 if (s[1], s[3]) == a else 0
        p = s[7]
        for i in range(0, len(p), 128):
            part = p[i:i + 128]
            out += bytes([((len(part) - 1) << 1) | side]) + part
        if len(out) > limit:
            break
    return bytes(out)


def table_records(segs, limit=1 << 20):
    """Segments as fuzz_flow_table records (server side = the lower port)."""
    out = bytearray()
    last = segs[0][0] if segs else 0
    clients = {}
    for t, src, dst, sport, dport, seq, fl, payload in segs:
        b_to_a = sport < dport
        client = (dst, dport) if b_to_a else (src, sport)
        cid = clients.setdefault(client, len(clients) % 256)
        flags = (1 if fl & 2 else 0) | (2 if fl & 1 else 0) | (4 if fl & 4 else 0)
        flags |= 0x10 if b_to_a else 0
        step = max(-(2**31), min(2**31 - 1, (t - last) // 1000))
        last = t
        out += struct.pack("<BBIiH", flags, cid, seq, step, len(payload)) + payload
        if len(out) > limit:
            break
    return bytes(out)


# Corpora this script owns (the others, fuzz_observation and the sample scans of fuzz_scan_json,
# are committed as they are).
GENERATED = ["fuzz_pcap", "fuzz_pdu_reader", "fuzz_flow_table", "fuzz_escapers"]

# Device-controlled text that must reach every report inert.
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
          "</td><svg onload=alert(1)>", "<iframe src=\"javascript:alert(1)\">",
          "\"><b id=x>", "<SCRIPT>x</SCRIPT>", "a & b &amp; <!-- c -->", "<a href='//x'>y</a>"]
FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1-2", "-@SUM(A1)", "@cmd", "\t=cmd", "\r=cmd"]
CONTROLS = ["nul\u0000byte", "\u202eevil\u202c", "line\u2028sep", "\u001b[31mred", "\u0085c1",
            "zero\u200bwidth", "\ufeffbom"]
PATHS = ["../../etc/passwd", "..", ".", ".hidden", "a/b", "/abs", "..\\..\\win", "x" * 300, ""]


def hostile_scans():
    """Hostile variants of the sample scan: one per kind of hostile text, and one with every
    finding ID and address a path."""
    base = json.load(open(os.path.join(OUT, "fuzz_scan_json", "198.18.0.11.json")))

    def plant(scan, texts):
        s = copy.deepcopy(scan)
        t = iter(texts * 40)
        e = s["endpoints"][0]
        for k in ("called_ae", "impl_version", "impl_class_uid", "service", "association"):
            e[k] = next(t)
        e["accepted_services"] = [next(t), next(t)]
        h = s["hosts"][0]
        h["vendor"], h["mac"], h["via"] = next(t), next(t), next(t)
        h["role"]["evidence"].append(next(t))
        for f in s["findings"]:
            for k in ("title", "summary", "remediation", "asset", "rule_id"):
                f[k] = next(t)
            f["evidence"].append(next(t))
        for c in s["checks"]:
            c["reason"] = next(t)
        m = s["meta"]
        m["targets"], m["notes"] = [next(t)], [next(t), next(t)]
        m["options"] = {next(t): next(t)}
        m["pacscan_version"] = next(t)
        for o in s["observations"]:
            o["summary"] = next(t)
            d = o["data"]
            for k in ("working_called_ae", "admitted_calling_ae", "server", "vendor"):
                if k in d:
                    d[k] = next(t)
            if "attempt" in d:
                d["attempt"]["impl_version"] = next(t)
                d["attempt"]["called_ae"] = next(t)
        return s

    out = {"markup": plant(base, MARKUP), "formulas": plant(base, FORMULAS),
           "controls": plant(base, CONTROLS)}
    paths = copy.deepcopy(base)
    for i, f in enumerate(paths["findings"]):
        f["id"] = PATHS[i % len(PATHS)]
        f["ip"] = "../../etc/passwd"
        f["asset"] = "../../etc/passwd:104"
        f["related"] = ["../x:1", "198.18.0.11:104"]
    # Names that could collide after safe_id: a duplicate ID, and an altered ID ("a/b" at index
    # 4 -> "a_b-5") next to the unaltered one it would become.
    paths["findings"][9]["id"] = paths["findings"][11]["id"] = "PSF-dup"
    paths["findings"][10]["id"] = "a_b-5"
    paths["hosts"][0]["ip"] = "../../etc/passwd"
    paths["endpoints"][0]["ip"] = "../../etc/passwd"
    out["paths"] = paths
    for name, scan in out.items():
        write("fuzz_scan_json", f"hostile-{name}.json",
              json.dumps(scan, sort_keys=True, ensure_ascii=False).encode())


def main():
    # What this script wrote before goes; regression inputs (regress-*, added by hand from a
    # crash) and the sample scans stay.
    for target in GENERATED + ["fuzz_scan_json", "fuzz_observation"]:
        folder = os.path.join(OUT, target)
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            if not name.startswith("regress-") and (target in GENERATED or
                                                   name.startswith(("hostile-", "type-"))):
                os.remove(os.path.join(folder, name))
    samples = os.path.join(ROOT, "samples", "pcaps")
    captures = sorted(os.path.join(samples, n) for n in os.listdir(samples) if n.endswith(".pcap"))
    tmp = tempfile.mkdtemp()
    try:
        subprocess.run([sys.executable, os.path.join(samples, "make-hostile.py"), tmp,
                        "--scale", "0.0005"], check=True)
        hostile = sorted(os.path.join(tmp, n) for n in os.listdir(tmp))
        for path in captures + hostile:
            name = os.path.basename(path)
            if os.path.getsize(path) <= 256 * 1024:
                write("fuzz_pcap", name, open(path, "rb").read())
            segs = pcap_segments(path)
            if segs:
                write("fuzz_pdu_reader", name + ".rec", reader_records(segs, 64 * 1024))
                write("fuzz_flow_table", name + ".rec", table_records(segs, 128 * 1024))
    finally:
        shutil.rmtree(tmp)
    strings = [b"plain", b"<script>alert(1)</script>", b"=HYPERLINK(\"http://x\")", b"+1-2",
               b"-@SUM(A1)", b"\t=cmd", b"a|b*c_d[e](f)`g`~h~#i$j&k", b"line1\r\nline2\u2028",
               b"\xff\xfe\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80", b"\xe2\x80\xaeevil\xe2\x80\xac",
               b"\"quoted\" 'single' &amp;", b"\x00\x01\x1b[31m\x7f\xc2\x85"]
    for i, s in enumerate(strings):
        write("fuzz_escapers", f"seed{i:02}", s)
    hostile_scans()
    # More seeds than data types (16 today), so that a new type is covered too.
    for t in range(24):
        data = bytearray([t])
        for i in range(80):
            piece = strings[(t + i) % len(strings)]
            data += bytes([len(piece)]) + piece
        write("fuzz_observation", f"type-{t:02}", bytes(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
