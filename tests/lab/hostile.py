#!/usr/bin/python3
"""Tiny mock TCP responders for the behaviour no real DICOM server shows (stdlib only).

Modes (one listener per --port; --port may be a comma-separated list):
  tarpit    accept, never answer; hold the socket until the peer closes
  garbage   after the first bytes from the peer, answer 64 random bytes (never a valid PDU type)
  hugepdu   after the first bytes, answer a PDU header 0x02 0x00 + length 0xFFFFFFF0, then stall
  drip      after the first bytes, answer an A-ASSOCIATE-AC header announcing 200 bytes, then one
            body byte per second (a peer that trickles: only a hard deadline ends it)
  abort     after the first bytes, answer an A-ABORT PDU (source 2, reason 0) and close
  close     accept and close at once (no PDU)
  banner    after the first bytes (or 2 s of silence), answer the --text string (UTF-8; default
            "HELLO") followed by CRLF, then close: a non-DICOM service whose reply is
            device-controlled text (report-injection tests put payloads there). With --http it
            answers each HTTP request instead: 200 "[]" (application/dicom+json, an empty
            DICOMweb study list) for /dicom-web/studies, 404 for any other path, with the --text
            string as the Server header
  badbytes  a minimal DICOM SCP whose every string is hostile: invalid UTF-8 (0xFF 0xFE, a lone
            continuation byte), NUL, ESC colour sequences, C1 controls, bidi overrides (U+202E)
            and CR/LF. --variant ac (default): an A-ASSOCIATE-AC with such bytes in the called
            and calling AE fields, the application context name, every transfer syntax UID, the
            implementation class UID and version name, SCP/SCU role selection UIDs and a user
            identity server response; then every DIMSE request gets a failure response whose
            Error Comment and Affected SOP Class UID hold them; A-RELEASE-RQ gets A-RELEASE-RP.
            --variant rj: an A-ASSOCIATE-RJ with out-of-range result/source/reason and hostile
            trailing bytes. --variant abort: an A-ABORT with out-of-range source/reason.
  decoy     a DICOM honeypot as dicompot (github.com/nsmfoo/dicompot, default settings) answers,
            per its source: every called and calling AE title accepted and echoed, every
            presentation context accepted with the first transfer syntax proposed (unknown SOP
            classes too), an A-ASSOCIATE-AC whose user information holds only the maximum
            length (4194304) and no Implementation Class UID; C-ECHO, C-FIND, C-MOVE and C-GET
            answered with success and no match, C-STORE with 0x0211 (it refuses to store);
            A-RELEASE-RQ gets A-RELEASE-RP. No real honeypot is packaged for Debian or npm: this
            is a mock of its protocol behaviour, not the honeypot itself.
  recorder  accept, append "<peer-ip> <peer-port> <local-port>\n" to --log, close. This is how a
            test proves that a connection did or did not happen.
  sniff     no listener: an AF_PACKET socket on --iface appends one line per received IPv4
            packet addressed to --bind ("ip <src> <dst> proto <n> [dport <p>]") and per ARP
            request for --bind ("arp <sender> who-has <target>") to --log. Needs root; a stronger
            proof than "recorder" (it also sees SYNs to closed ports and ARP).

Every mode prints "hostile: <mode> listening on ADDR:PORT" (or "sniffing") on stdout once it is
ready, and exits cleanly on SIGTERM/SIGINT. --log is created empty at start-up.
"""
import argparse
import os
import random
import signal
import socket
import struct
import sys
import threading
import time

HOLD_MAX_S = 600  # no connection is held longer than this, whatever the peer does


def log(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        if path:
            with open(path, "a"):
                pass

    def write(self, line):
        if not self.path:
            return
        with self.lock:
            with open(self.path, "a") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())


def wait_first_bytes(conn, timeout=30.0):
    conn.settimeout(timeout)
    try:
        return conn.recv(65536)
    except (socket.timeout, OSError):
        return b""


def hold(conn, seconds=HOLD_MAX_S):
    """Keep the connection open, discarding input, until the peer closes or time runs out."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        conn.settimeout(max(0.1, min(5.0, end - time.monotonic())))
        try:
            data = conn.recv(65536)
            if not data:
                return
        except socket.timeout:
            continue
        except OSError:
            return


def garbage_bytes(n=64):
    b = bytearray(random.getrandbits(8) for _ in range(n))
    b[0] = random.randint(0x08, 0xFF)  # never a DICOM PDU type (0x01..0x07)
    return bytes(b)


def http_banner(conn, first, text):
    """One HTTP/1.1 exchange: an empty DICOMweb study list or a 404, Server: TEXT."""
    req = first
    while b"\r\n\r\n" not in req and len(req) < 65536:
        more = wait_first_bytes(conn, 5.0)
        if not more:
            break
        req += more
    line = req.split(b"\r\n", 1)[0].decode("latin-1", "replace").split(" ")
    path = line[1] if len(line) > 1 else "/"
    if path.split("?")[0] == "/dicom-web/studies":
        status, body, ctype = "200 OK", b"[]", "application/dicom+json"
    else:
        status, body, ctype = "404 Not Found", b"not found", "text/plain"
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    head = (f"HTTP/1.1 {status}\r\nServer: ").encode() + raw + (
        f"\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    conn.sendall(head + body)


# Hostile byte strings for badbytes. Each is at most 16 bytes (AE title and version name fields).
BAD16 = [b"\xff\xfeAE\x00\x1b[31mX\xe2\x80\xae", b"\x80\xc3(\x07\x9b2J\r\nZ\x7f",
         b"OFFIS\xe2\x80\xaeKCTMD\x00\x00\xff"]
BAD_UID = b"1.2.\xff\xfe\x00.3\x1b]0;pwned\x07\xe2\x80\xae.9\r\n\x85\xc0\xaf"
BAD_TEXT = (b"denied \xff\xfe\x00 \x1b[2J\x1b[31mRED \xe2\x80\xaeevil\xe2\x80\xac \r\nInjected: x "
            b"\xc2\x9b31m \xf0\x28\x8c\x28 \xed\xa0\x80 end")


def pad16(b):
    return (b + b" " * 16)[:16]


def item(t, body):
    return bytes([t, 0]) + struct.pack(">H", len(body)) + body


def read_pdu(conn):
    """One PDU (type, body) or None. Bounded: at most 1 MiB."""
    head = b""
    while len(head) < 6:
        chunk = conn.recv(6 - len(head))
        if not chunk:
            return None
        head += chunk
    t, n = head[0], struct.unpack(">I", head[2:6])[0]
    if n > (1 << 20):
        return None
    body = b""
    while len(body) < n:
        chunk = conn.recv(min(65536, n - len(body)))
        if not chunk:
            return None
        body += chunk
    return t, body


def parse_rq_contexts(body):
    """[(pc id, abstract syntax uid bytes)] of an A-ASSOCIATE-RQ body; user identity asked?"""
    out, ident = [], False
    i = 68
    while i + 4 <= len(body):
        t, n = body[i], struct.unpack(">H", body[i + 2:i + 4])[0]
        v = body[i + 4:i + 4 + n]
        if t == 0x20 and len(v) >= 4:
            pcid, j, asx = v[0], 4, b""
            while j + 4 <= len(v):
                st, sn = v[j], struct.unpack(">H", v[j + 2:j + 4])[0]
                if st == 0x30:
                    asx = v[j + 4:j + 4 + sn]
                j += 4 + sn
            out.append((pcid, asx))
        elif t == 0x50:
            j = 0
            while j + 4 <= len(v):
                st, sn = v[j], struct.unpack(">H", v[j + 2:j + 4])[0]
                if st == 0x58:
                    ident = True
                j += 4 + sn
        i += 4 + n
    return out, ident


def hostile_ac(contexts, ident):
    body = b"\x00\x01\x00\x00" + pad16(BAD16[0]) + pad16(BAD16[1]) + b"\x00" * 32
    body += item(0x10, b"1.2.840.10008.3.1.1.1\xff\x1b[0m\xe2\x80\xae")
    for pcid, _ in contexts:
        # accepted, with a hostile transfer syntax UID after the real one's digits
        body += item(0x21, bytes([pcid, 0, 0, 0]) + item(0x40, b"1.2.840.10008.1.2\x00\xff"))
    user = item(0x51, struct.pack(">I", 16384))
    user += item(0x52, BAD_UID[:64])
    user += item(0x55, BAD16[2])
    for _, asx in contexts[:2]:
        uid = asx + b"\xff\x1b[5m"
        user += item(0x54, struct.pack(">H", len(uid)) + uid + b"\x01\x01")
    if ident:
        user += item(0x59, struct.pack(">H", len(BAD_TEXT)) + BAD_TEXT)
    body += item(0x50, user)
    return b"\x02\x00" + struct.pack(">I", len(body)) + body


def elem(group, el, value):
    if len(value) % 2:
        value += b" " if group == 0 and el == 0x0902 else b"\x00"
    return struct.pack("<HHI", group, el, len(value)) + value


def command_fields(data):
    """CommandField and MessageID of an implicit VR little endian command set."""
    f, i = {}, 0
    while i + 8 <= len(data):
        g, e, n = struct.unpack("<HHI", data[i:i + 8])
        f[(g, e)] = data[i + 8:i + 8 + n]
        i += 8 + n
    u16 = lambda k: struct.unpack("<H", f[k][:2])[0] if k in f and len(f[k]) >= 2 else 0
    return u16((0, 0x0100)), u16((0, 0x0110)), u16((0, 0x0800))


def hostile_rsp(pcid, field, msgid):
    cmd = elem(0, 0x0002, BAD_UID)
    cmd += elem(0, 0x0100, struct.pack("<H", field | 0x8000))
    cmd += elem(0, 0x0120, struct.pack("<H", msgid))
    cmd += elem(0, 0x0800, struct.pack("<H", 0x0101))
    cmd += elem(0, 0x0900, struct.pack("<H", 0xC001))   # failure: unable to process
    cmd += elem(0, 0x0902, BAD_TEXT)                       # Error Comment
    cmd = elem(0, 0x0000, struct.pack("<I", len(cmd))) + cmd
    pdv = struct.pack(">I", len(cmd) + 2) + bytes([pcid, 0x03]) + cmd
    return b"\x04\x00" + struct.pack(">I", len(pdv)) + pdv


def badbytes(conn, variant):
    pdu = read_pdu(conn)
    if pdu is None or pdu[0] != 0x01:
        return
    if variant == "rj":
        body = b"\x00\xff\xff\xff" + BAD_TEXT
        conn.sendall(b"\x03\x00" + struct.pack(">I", len(body)) + body)
        time.sleep(0.3)
        return
    if variant == "abort":
        conn.sendall(b"\x07\x00" + struct.pack(">I", 4) + b"\x00\x00\xff\xff")
        time.sleep(0.3)
        return
    contexts, ident = parse_rq_contexts(pdu[1])
    conn.sendall(hostile_ac(contexts, ident))
    pending = {}
    end = time.monotonic() + 60
    while time.monotonic() < end:
        pdu = read_pdu(conn)
        if pdu is None:
            return
        t, body = pdu
        if t == 0x05:
            conn.sendall(b"\x06\x00" + struct.pack(">I", 4) + b"\x00" * 4)
            time.sleep(0.2)
            return
        if t != 0x04:
            return
        i = 0
        while i + 6 <= len(body):
            n = struct.unpack(">I", body[i:i + 4])[0]
            pcid, mch = body[i + 4], body[i + 5]
            data = body[i + 6:i + 4 + n]
            i += 4 + n
            if not mch & 0x01:
                continue  # data set fragments: ignored
            pending[pcid] = pending.get(pcid, b"") + data
            if mch & 0x02:
                field, msgid, dstype = command_fields(pending.pop(pcid))
                conn.sendall(hostile_rsp(pcid, field, msgid))


def rq_fields(body):
    """(called AE, calling AE, [(pc id, first transfer syntax)]) of an A-ASSOCIATE-RQ body."""
    called, calling = body[4:20], body[20:36]
    pcs, i = [], 68
    while i + 4 <= len(body):
        t, n = body[i], struct.unpack(">H", body[i + 2:i + 4])[0]
        v = body[i + 4:i + 4 + n]
        if t == 0x20 and len(v) >= 4:
            pcid, j, ts = v[0], 4, None
            while j + 4 <= len(v):
                st, sn = v[j], struct.unpack(">H", v[j + 2:j + 4])[0]
                if st == 0x40 and ts is None:
                    ts = v[j + 4:j + 4 + sn]
                j += 4 + sn
            pcs.append((pcid, ts or b"1.2.840.10008.1.2"))
        i += 4 + n
    return called, calling, pcs


def command_set(elems):
    cmd = b"".join(elem(0, e, v) for e, v in elems)
    return elem(0, 0x0000, struct.pack("<I", len(cmd))) + cmd


def decoy_rsp(pcid, fields, status):
    """A DIMSE response to the request whose command elements are `fields`."""
    u16 = lambda k: struct.unpack("<H", fields[k][:2])[0] if len(fields.get(k, b"")) >= 2 else 0
    sop = fields.get((0, 0x0002), fields.get((0, 0x0003), b"")).rstrip(b"\x00")
    elems = [(0x0002, sop), (0x0100, struct.pack("<H", u16((0, 0x0100)) | 0x8000)),
             (0x0120, struct.pack("<H", u16((0, 0x0110)))), (0x0800, struct.pack("<H", 0x0101)),
             (0x0900, struct.pack("<H", status))]
    if (0, 0x1000) in fields:
        elems.append((0x1000, fields[(0, 0x1000)].rstrip(b"\x00")))
    cmd = command_set(elems)
    pdv = struct.pack(">I", len(cmd) + 2) + bytes([pcid, 0x03]) + cmd
    return b"\x04\x00" + struct.pack(">I", len(pdv)) + pdv


def decoy(conn):
    pdu = read_pdu(conn)
    if pdu is None or pdu[0] != 0x01:
        return
    called, calling, pcs = rq_fields(pdu[1])
    body = b"\x00\x01\x00\x00" + called + calling + b"\x00" * 32
    body += item(0x10, b"1.2.840.10008.3.1.1.1")
    for pcid, ts in pcs:
        body += item(0x21, bytes([pcid, 0, 0, 0]) + item(0x40, ts))
    body += item(0x50, item(0x51, struct.pack(">I", 4 << 20)))  # no 0x52 class UID, no 0x55
    conn.sendall(b"\x02\x00" + struct.pack(">I", len(body)) + body)
    cmd, data, want_data = {}, {}, {}
    end = time.monotonic() + 60
    while time.monotonic() < end:
        pdu = read_pdu(conn)
        if pdu is None:
            return
        t, body = pdu
        if t == 0x05:
            conn.sendall(b"\x06\x00" + struct.pack(">I", 4) + b"\x00" * 4)
            time.sleep(0.2)
            return
        if t != 0x04:
            return
        i = 0
        while i + 6 <= len(body):
            n = struct.unpack(">I", body[i:i + 4])[0]
            pcid, mch = body[i + 4], body[i + 5]
            frag = body[i + 6:i + 4 + n]
            i += 4 + n
            if mch & 0x01:
                cmd[pcid] = cmd.get(pcid, b"") + frag
                if not mch & 0x02:
                    continue
                raw, fields, j = cmd.pop(pcid), {}, 0
                while j + 8 <= len(raw):
                    g, e, ln = struct.unpack("<HHI", raw[j:j + 8])
                    fields[(g, e)] = raw[j + 8:j + 8 + ln]
                    j += 8 + ln
                want_data[pcid] = fields
                dstype = struct.unpack("<H", fields.get((0, 0x0800), b"\x01\x01")[:2])[0]
                if dstype != 0x0101:
                    continue  # a data set follows: answer once it is in
            else:
                data[pcid] = data.get(pcid, b"") + frag
                if not mch & 0x02:
                    continue
                data.pop(pcid, None)
            fields = want_data.pop(pcid, None)
            if fields is None:
                continue
            field = struct.unpack("<H", fields.get((0, 0x0100), b"\x00\x00")[:2])[0]
            # C-STORE-RQ (0x0001) refused as dicompot does (0x0211 unrecognized operation);
            # C-ECHO (0x0030), C-FIND (0x0020), C-MOVE (0x0021), C-GET (0x0010): success.
            conn.sendall(decoy_rsp(pcid, fields, 0x0211 if field == 0x0001 else 0x0000))


def handle(mode, conn, peer, local_port, rec, text="", http=False, variant="ac"):
    try:
        if mode == "decoy":
            decoy(conn)
            return
        if mode == "badbytes":
            badbytes(conn, variant)
            return
        if mode == "recorder":
            rec.write(f"{peer[0]} {peer[1]} {local_port}")
            return
        if mode == "close":
            return
        if mode == "tarpit":
            hold(conn)
            return
        if mode == "banner":
            first = wait_first_bytes(conn, 2.0)  # a client that speaks first, or not
            if http:
                if first:
                    http_banner(conn, first, text)
            else:
                conn.sendall((text if isinstance(text, bytes) else text.encode("utf-8")) + b"\r\n")
            time.sleep(0.2)
            return
        first = wait_first_bytes(conn)
        if not first:
            return
        if mode == "garbage":
            conn.sendall(garbage_bytes())
            hold(conn, 30)
        elif mode == "hugepdu":
            conn.sendall(b"\x02\x00" + struct.pack(">I", 0xFFFFFFF0))
            hold(conn)
        elif mode == "drip":
            conn.sendall(b"\x02\x00" + struct.pack(">I", 200))
            # body of a plausible A-ASSOCIATE-AC: protocol version 1, reserved, AE titles ...
            body = b"\x00\x01\x00\x00" + b"ANY-SCP         " + b"PACSCAN         " + b"\x00" * 32
            body += b"\x10\x00\x00\x15" + b"1.2.840.10008.3.1.1.1"
            body = (body + b"\x00" * 200)[:200]
            for i in range(200):
                conn.sendall(body[i:i + 1])
                time.sleep(1.0)
            hold(conn)
        elif mode == "abort":
            conn.sendall(b"\x07\x00" + struct.pack(">I", 4) + b"\x00\x00\x02\x00")
            time.sleep(0.2)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


FAILED = []


def serve(mode, addr, port, rec, stop, text="", http=False, variant="ac"):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        srv.bind((addr, port))
        srv.listen(128)
    except OSError as e:
        sys.stderr.write(f"hostile: cannot listen on {addr}:{port}: {e}\n")
        FAILED.append(port)
        stop.set()
        return
    srv.settimeout(0.5)
    local_port = srv.getsockname()[1]
    log(f"hostile: {mode} listening on {addr}:{local_port}")
    while not stop.is_set():
        try:
            conn, peer = srv.accept()
        except socket.timeout:
            continue
        except OSError:
            break
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = threading.Thread(target=handle,
                             args=(mode, conn, peer, local_port, rec, text, http, variant),
                             daemon=True)
        t.start()
    srv.close()


def sniff(iface, addr, rec, stop):
    ETH_P_ALL = 0x0003
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.5)
    mine = socket.inet_aton(addr)
    log(f"hostile: sniffing on {iface} for {addr}")
    PACKET_OUTGOING = 4
    while not stop.is_set():
        try:
            frame, meta = s.recvfrom(65535)
        except socket.timeout:
            continue
        except OSError:
            break
        if len(meta) >= 3 and meta[2] == PACKET_OUTGOING:
            continue
        if len(frame) < 14:
            continue
        ethertype = struct.unpack(">H", frame[12:14])[0]
        p = frame[14:]
        if ethertype == 0x0800 and len(p) >= 20:
            ihl = (p[0] & 0x0F) * 4
            proto = p[9]
            src, dst = p[12:16], p[16:20]
            if dst != mine:
                continue
            line = f"ip {socket.inet_ntoa(src)} {socket.inet_ntoa(dst)} proto {proto}"
            if proto in (6, 17) and len(p) >= ihl + 4:
                sport, dport = struct.unpack(">HH", p[ihl:ihl + 4])
                line += f" sport {sport} dport {dport}"
            rec.write(line)
        elif ethertype == 0x0806 and len(p) >= 28:
            op = struct.unpack(">H", p[6:8])[0]
            spa, tpa = p[14:18], p[24:28]
            if op == 1 and tpa == mine:
                rec.write(f"arp {socket.inet_ntoa(spa)} who-has {socket.inet_ntoa(tpa)}")
    s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=["tarpit", "garbage", "hugepdu", "drip", "abort", "close",
                                     "banner", "badbytes", "decoy", "recorder", "sniff"])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", default="0", help="port or comma-separated ports (0 = ephemeral)")
    ap.add_argument("--log", default=None, help="file that recorder/sniff append to")
    ap.add_argument("--iface", default="eth0", help="interface for sniff")
    ap.add_argument("--text", default="HELLO", help="what banner answers")
    ap.add_argument("--text-hex", default=None,
                    help="banner: the answer as hex bytes (any bytes, not only UTF-8)")
    ap.add_argument("--http", action="store_true", help="banner: answer HTTP, --text as Server")
    ap.add_argument("--variant", default="ac", choices=["ac", "rj", "abort"],
                    help="badbytes: which PDU carries the hostile bytes")
    a = ap.parse_args()
    if a.mode in ("recorder", "sniff") and not a.log:
        ap.error(f"{a.mode} needs --log")
    rec = Recorder(a.log)
    stop = threading.Event()
    if a.text_hex is not None:
        a.text = bytes.fromhex(a.text_hex)

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threads = []
    if a.mode == "sniff":
        threads.append(threading.Thread(target=sniff, args=(a.iface, a.bind, rec, stop), daemon=True))
    else:
        for p in a.port.split(","):
            threads.append(threading.Thread(target=serve,
                                            args=(a.mode, a.bind, int(p), rec, stop, a.text,
                                                  a.http, a.variant),
                                            daemon=True))
    for t in threads:
        t.start()
    while not stop.is_set() and any(t.is_alive() for t in threads):
        stop.wait(0.5)
    stop.set()
    for t in threads:
        t.join(2)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
