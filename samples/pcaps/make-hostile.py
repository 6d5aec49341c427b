#!/usr/bin/python3
"""Writes captures crafted to hurt a passive DICOM parser (pacscan pcap, tshark's dissector).

    samples/pcaps/make-hostile.py OUTDIR [--scale S] [--only NAME,...]

Every capture is synthetic: made-up addresses in 198.18.0.0/15, the DICOM server on port 104,
no real patient data (values are filler bytes). --scale 1 gives the sizes of issue 10's report
(bench/hostile.sh); tests use a small scale (tests/unit/passive/test_hostile.cpp,
tests/integration/test_pcap_hostile.py). Captures:

  tag_flood       one C-STORE whose data set holds ~180,000 elements of groups 0010/0032/0040
  backwards       20,000 short C-ECHO associations, timestamps decreasing
  time_jumps      the same flows, timestamps jumping back and forth by up to a day, interleaved
  deep_sequences  data sets of nested undefined-length sequences, endless items, stray delimiters
  tiny_pdus       one association carrying ~100,000 tiny P-DATA PDUs (1-byte PDV fragments)
  command_flood   one association with ~50,000 command sets of distinct SOP classes
  many_flows      ~200,000 SYN-only flows (a scan), then one real association
  memory_hog      ~1,000 flows each with an unfinished 1 MB A-ASSOCIATE-RQ body and out-of-order
                  data held behind a hole
  many_assocs     connections with hundreds of associations, each with 128 proposed contexts
  pcapng_times    pcapng with extreme if_tsoffset / if_tsresol options on its interfaces
"""
import argparse
import os
import struct
import sys

SERVER = (198 << 24) | (18 << 16) | 0 << 8 | 10
CLIENT_BASE = (198 << 24) | (19 << 16)
PORT = 104
APP_CONTEXT = b"1.2.840.10008.3.1.1.1"
VERIFICATION = b"1.2.840.10008.1.1"
SC_IMAGE = b"1.2.840.10008.5.1.4.1.1.7"
IMPLICIT = b"1.2.840.10008.1.2"
EXPLICIT = b"1.2.840.10008.1.2.1"
MSS = 1448


# ---- DICOM upper layer ----

def item(t, value):
    return struct.pack(">BBH", t, 0, len(value)) + value


def pdu(t, body):
    return struct.pack(">BBI", t, 0, len(body)) + body


def uid(u):
    return u + (b"\0" if len(u) % 2 else b"")


def assoc_rq(calling=b"HOSTILESCU", called=b"ANYSCP", contexts=((1, VERIFICATION, (IMPLICIT,)),)):
    body = struct.pack(">HH", 1, 0) + called.ljust(16) + calling.ljust(16) + bytes(32)
    body += item(0x10, APP_CONTEXT)
    for cid, abstract, tss in contexts:
        sub = item(0x30, uid(abstract)) + b"".join(item(0x40, uid(t)) for t in tss)
        body += item(0x20, bytes([cid, 0, 0, 0]) + sub)
    body += item(0x50, item(0x51, struct.pack(">I", 16384)) + item(0x52, b"1.2.3.4"))
    return pdu(0x01, body)


def assoc_ac(contexts=((1, IMPLICIT),)):
    body = struct.pack(">HH", 1, 0) + b"ANYSCP".ljust(16) + b"HOSTILESCU".ljust(16) + bytes(32)
    body += item(0x10, APP_CONTEXT)
    for cid, ts in contexts:
        body += item(0x21, bytes([cid, 0, 0, 0]) + item(0x40, uid(ts)))
    body += item(0x50, item(0x51, struct.pack(">I", 16384)))
    return pdu(0x02, body)


def pdv(ctx, mch, value):
    return struct.pack(">IBB", len(value) + 2, ctx, mch) + value


def pdata(*pdvs):
    return pdu(0x04, b"".join(pdvs))


def el_implicit(g, e, value):
    return struct.pack("<HHI", g, e, len(value)) + value


def command(field, sop, status=None):
    elems = [el_implicit(0, 0x0002, uid(sop)), el_implicit(0, 0x0100, struct.pack("<H", field)),
             el_implicit(0, 0x0800, struct.pack("<H", 0x0101 if status is not None else 0))]
    if status is not None:
        elems.append(el_implicit(0, 0x0900, struct.pack("<H", status)))
    body = b"".join(elems)
    return el_implicit(0, 0, struct.pack("<I", len(body))) + body


RELEASE_RQ = pdu(0x05, bytes(4))
RELEASE_RP = pdu(0x06, bytes(4))


# ---- pcap writing ----

class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.count = 0

    def packet(self, t_us, src, dst, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          5 << 4, flags, 65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack(">BBHHHBBHII", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
        frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp + payload
        t_us = max(t_us, 0)
        self.f.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000, len(frame), len(frame)))
        self.f.write(frame)
        self.count += 1

    def close(self):
        self.f.close()


SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


class Flow:
    """One TCP connection; times come from the caller (each call may give its own)."""

    def __init__(self, cap, client, cport, server=SERVER, sport=PORT, isn=1000):
        self.cap, self.c, self.cp, self.s, self.sp = cap, client, cport, server, sport
        self.cseq, self.sseq = isn, isn * 7 + 13

    def handshake(self, t):
        self.cap.packet(t, self.c, self.s, self.cp, self.sp, self.cseq, 0, SYN)
        self.cap.packet(t, self.s, self.c, self.sp, self.cp, self.sseq, self.cseq + 1, SYN | ACK)
        self.cseq += 1
        self.sseq += 1
        self.cap.packet(t, self.c, self.s, self.cp, self.sp, self.cseq, self.sseq, ACK)

    def send(self, t, from_client, data, skip=0):
        """Sends data in MSS segments; `skip` bytes are left out first (a hole)."""
        if from_client:
            seq = self.cseq + skip
            for off in range(0, len(data), MSS):
                self.cap.packet(t, self.c, self.s, self.cp, self.sp, seq + off, self.sseq,
                                PSH | ACK, data[off:off + MSS])
            self.cseq += skip + len(data)
        else:
            seq = self.sseq + skip
            for off in range(0, len(data), MSS):
                self.cap.packet(t, self.s, self.c, self.sp, self.cp, seq + off, self.cseq,
                                PSH | ACK, data[off:off + MSS])
            self.sseq += skip + len(data)

    def close(self, t):
        self.cap.packet(t, self.c, self.s, self.cp, self.sp, self.cseq, self.sseq, FIN | ACK)
        self.cap.packet(t, self.s, self.c, self.sp, self.cp, self.sseq, self.cseq + 1, FIN | ACK)
        self.cseq += 1
        self.sseq += 1
        self.cap.packet(t, self.c, self.s, self.cp, self.sp, self.cseq, self.sseq, ACK)


T0 = 1_700_000_000 * 1_000_000


def echo_association(flow, t):
    flow.handshake(t)
    flow.send(t, True, assoc_rq())
    flow.send(t, False, assoc_ac())
    flow.send(t, True, pdata(pdv(1, 3, command(0x0030, VERIFICATION))))
    flow.send(t, False, pdata(pdv(1, 3, command(0x8030, VERIFICATION, 0))))
    flow.send(t, True, RELEASE_RQ)
    flow.send(t, False, RELEASE_RP)
    flow.close(t)


def store_with_dataset(cap, dataset, ts=IMPLICIT, fragment=16000, t=T0, cport=40000):
    f = Flow(cap, CLIENT_BASE + 1, cport)
    f.handshake(t)
    f.send(t, True, assoc_rq(contexts=((1, SC_IMAGE, (ts,)),)))
    f.send(t, False, assoc_ac(((1, ts),)))
    f.send(t, True, pdata(pdv(1, 3, command(0x0001, SC_IMAGE))))
    for off in range(0, len(dataset), fragment):
        last = off + fragment >= len(dataset)
        f.send(t, True, pdata(pdv(1, 2 if last else 0, dataset[off:off + fragment])))
    f.send(t, False, pdata(pdv(1, 3, command(0x8001, SC_IMAGE, 0))))
    f.send(t, True, RELEASE_RQ)
    f.send(t, False, RELEASE_RP)
    f.close(t)


# ---- the captures ----

def tag_flood(path, scale):
    n = max(100, int(180_000 * scale))
    elems = []
    per_group = n // 3 + 1
    for g in (0x0010, 0x0032, 0x0040):
        for e in range(1, min(per_group, 0xFFFF) + 1):
            elems.append(el_implicit(g, e, b"XX"))
    cap = Pcap(path)
    store_with_dataset(cap, b"".join(elems[:n]))
    cap.close()


def short_flows(path, scale, times):
    n = max(50, int(20_000 * scale))
    cap = Pcap(path)
    for i in range(n):
        f = Flow(cap, CLIENT_BASE + 2 + i // 60000, 1024 + i % 60000, isn=1000 + i)
        echo_association(f, times(i, n))
    cap.close()


def backwards(path, scale):
    short_flows(path, scale, lambda i, n: T0 + (n - i) * 1_000_000)


def time_jumps(path, scale):
    import random
    rng = random.Random(10)
    short_flows(path, scale, lambda i, n: T0 + rng.randrange(-86_400, 86_400) * 1_000_000)


def deep_sequences(path, scale):
    depth = max(100, int(100_000 * scale))
    ds = b""
    # Nested undefined-length sequences (group 0040 SQ, items of undefined length) ...
    ds += (struct.pack("<HHI", 0x0040, 0x0100, 0xFFFFFFFF) + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)) * depth
    # ... endless items that are never closed, stray delimiters, then elements again.
    ds += struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) * depth
    ds += struct.pack("<HHI", 0xFFFE, 0xE0DD, 0) * depth
    ds += b"".join(el_implicit(0x0010, 0x0010 + (i % 4) * 0x10, b"XX") for i in range(depth))
    cap = Pcap(path)
    store_with_dataset(cap, ds, cport=40001)
    store_with_dataset(cap, ds, ts=EXPLICIT, cport=40002)
    cap.close()


def tiny_pdus(path, scale):
    n = max(200, int(100_000 * scale))
    cap = Pcap(path)
    f = Flow(cap, CLIENT_BASE + 1, 40003)
    f.handshake(T0)
    f.send(T0, True, assoc_rq(contexts=((1, SC_IMAGE, (IMPLICIT,)),)))
    f.send(T0, False, assoc_ac(((1, IMPLICIT),)))
    f.send(T0, True, pdata(pdv(1, 3, command(0x0001, SC_IMAGE))))
    chunk = b"".join(pdata(pdv(1, 0, b"\x10")) for _ in range(1000))
    for _ in range(n // 1000):
        f.send(T0, True, chunk)
    f.send(T0, True, pdata(pdv(1, 2, b"\x00")))
    f.send(T0, True, RELEASE_RQ)
    f.send(T0, False, RELEASE_RP)
    f.close(T0)
    cap.close()


def command_flood(path, scale):
    n = max(200, int(50_000 * scale))
    cap = Pcap(path)
    f = Flow(cap, CLIENT_BASE + 1, 40004)
    f.handshake(T0)
    f.send(T0, True, assoc_rq(contexts=((1, SC_IMAGE, (IMPLICIT,)),)))
    f.send(T0, False, assoc_ac(((1, IMPLICIT),)))
    data = b"".join(pdata(pdv(1, 3, command(0x0001 + (i % 3) * 0x10, b"1.2.3.%d" % i)))
                    for i in range(n))
    f.send(T0, True, data)
    f.send(T0, True, RELEASE_RQ)
    f.send(T0, False, RELEASE_RP)
    f.close(T0)
    cap.close()


def many_flows(path, scale):
    n = max(1000, int(200_000 * scale))
    cap = Pcap(path)
    for i in range(n):
        cap.packet(T0 + i, CLIENT_BASE + 3 + i // 50000, SERVER, 1024 + i % 50000, PORT, i, 0, SYN)
    echo_association(Flow(cap, CLIENT_BASE + 1, 40005), T0 + n)
    cap.close()


def memory_hog(path, scale):
    n = max(20, int(1_000 * scale))
    body = 1_000_000
    rq = assoc_rq()
    # An A-ASSOCIATE-RQ announcing a 1 MB body (the largest the reader buffers), then 64 KB of it.
    head = struct.pack(">BBI", 0x01, 0, body) + rq[6:] + bytes(65536)
    cap = Pcap(path)
    flows = []
    for i in range(n):
        f = Flow(cap, CLIENT_BASE + 4 + i // 50000, 1024 + i % 50000, isn=5000 + i)
        f.handshake(T0 + i)
        f.send(T0 + i, True, head)
        # and 64 KB beyond a 1-byte hole, which a reassembler holds
        f.send(T0 + i, True, bytes(65536), skip=1)
        flows.append(f)
    for i, f in enumerate(flows):
        f.close(T0 + n + i)
    cap.close()


def many_assocs(path, scale):
    conns = max(1, int(4 * scale))
    contexts = tuple((2 * k + 1, SC_IMAGE, (IMPLICIT, EXPLICIT, b"1.2.840.10008.1.2.4.50"))
                     for k in range(128))
    rq = assoc_rq(contexts=contexts)
    ac = assoc_ac(tuple((2 * k + 1, IMPLICIT) for k in range(128)))
    cap = Pcap(path)
    for c in range(conns):
        f = Flow(cap, CLIENT_BASE + 1, 41000 + c)
        f.handshake(T0)
        for _ in range(300):
            f.send(T0, True, rq)
            f.send(T0, False, ac)
            f.send(T0, True, RELEASE_RQ)
            f.send(T0, False, RELEASE_RP)
        f.close(T0)
    cap.close()


def pcapng_times(path, scale):
    """pcapng: one interface per extreme timestamp option, an echo association on each."""
    n = max(4, int(200 * scale))
    out = open(path, "wb")

    def block(btype, body):
        body += bytes((-len(body)) % 4)
        length = 12 + len(body)
        out.write(struct.pack("<II", btype, length) + body + struct.pack("<I", length))

    block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    options = [
        (9, struct.pack("<B", 0x80 | 63)),     # if_tsresol 2^-63 (the finest libpcap reads)
        (9, struct.pack("<B", 0x00)),          # 1 s resolution
        (9, struct.pack("<B", 18)),            # 10^-18
        (9, struct.pack("<B", 0x80)),          # 2^0
        (14, struct.pack("<q", 2**63 - 1)),    # if_tsoffset: huge
        (14, struct.pack("<q", -(2**63))),     # if_tsoffset: most negative
        (14, struct.pack("<q", 2**40)),
    ]
    for code, value in options:
        opt = struct.pack("<HH", code, len(value)) + value + bytes((-len(value)) % 4)
        block(0x00000001, struct.pack("<HHI", 1, 0, 65535) + opt + struct.pack("<HH", 0, 0))

    class Ng:
        def __init__(self):
            self.iface = 0

        def packet(self, t_us, src, dst, sport, dport, seq, ack, flags, payload=b""):
            tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                              5 << 4, flags, 65535, 0, 0)
            total = 40 + len(payload)
            ip = struct.pack(">BBHHHBBHII", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
            frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp + payload
            ts = 0xFFFFFFFFFFFFFFFF - self.iface * 0x0123456789ABCDEF
            block(0x00000006, struct.pack("<IIIII", self.iface, ts >> 32, ts & 0xFFFFFFFF,
                                          len(frame), len(frame)) + frame)

    ng = Ng()
    for i in range(n):
        ng.iface = i % len(options)
        echo_association(Flow(ng, CLIENT_BASE + 1, 42000 + i), 0)
    out.close()


CAPTURES = {
    "tag_flood": tag_flood,
    "backwards": backwards,
    "time_jumps": time_jumps,
    "deep_sequences": deep_sequences,
    "tiny_pdus": tiny_pdus,
    "command_flood": command_flood,
    "many_flows": many_flows,
    "memory_hog": memory_hog,
    "many_assocs": many_assocs,
    "pcapng_times": pcapng_times,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    names = [n for n in a.only.split(",") if n] or list(CAPTURES)
    for n in names:
        ext = ".pcapng" if n == "pcapng_times" else ".pcap"
        CAPTURES[n](os.path.join(a.outdir, n + ext), a.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
