#!/usr/bin/python3
"""Writes the committed seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the
sample captures (samples/pcaps/*.pcap) and small hostile captures (samples/pcaps/make-hostile.py):

  fuzz_pcap         the capture files themselves
  fuzz_pdu_reader   each TCP connection's payload as the target's records (side bit, length)
  fuzz_flow_table   each capture's TCP segments as the target's 12-byte records
  fuzz_escapers     strings that reach reports: markup, formulas, controls, bad UTF-8

    tests/fuzz/make-seeds.py            (rewrites tests/fuzz/corpus/)
"""
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


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
