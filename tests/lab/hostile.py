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
    head = (f"HTTP/1.1 {status}\r\nServer: {text}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    conn.sendall(head.encode("utf-8") + body)


def handle(mode, conn, peer, local_port, rec, text="", http=False):
    try:
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
                conn.sendall(text.encode("utf-8") + b"\r\n")
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


def serve(mode, addr, port, rec, stop, text="", http=False):
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
        t = threading.Thread(target=handle, args=(mode, conn, peer, local_port, rec, text, http),
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
                                     "banner", "recorder", "sniff"])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", default="0", help="port or comma-separated ports (0 = ephemeral)")
    ap.add_argument("--log", default=None, help="file that recorder/sniff append to")
    ap.add_argument("--iface", default="eth0", help="interface for sniff")
    ap.add_argument("--text", default="HELLO", help="what banner answers")
    ap.add_argument("--http", action="store_true", help="banner: answer HTTP, --text as Server")
    a = ap.parse_args()
    if a.mode in ("recorder", "sniff") and not a.log:
        ap.error(f"{a.mode} needs --log")
    rec = Recorder(a.log)
    stop = threading.Event()

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
                                                  a.http),
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
