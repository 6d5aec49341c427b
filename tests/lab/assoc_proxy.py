#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A TCP relay in front of one real DICOM server that records overlapping associations per host.

  assoc_proxy.py --hosts 127.0.1.1-64 --ports 4104,4105 --to 127.0.0.1:11112 --log FILE

Listens on every --hosts address x --ports port (each address stands for one device) and relays
every connection to --to (e.g. storescp --fork). A connection counts as an association from the
first byte the client sends (a sweep's connect-and-close sends none) to its close. Each start
and end is appended to --log as "start|end <host> <port> <active on that host> <active on all
hosts> <monotonic time> <scanner's source port>", so a test can tell whether a host ever saw two
associations at once and whether hosts were served side by side. Prints "assoc_proxy: ready"
when listening.

One thread, one selector: events are taken in the order the kernel has them, and within one
wake-up the closes are counted before the new associations (a scanner closes its previous
association before it connects again, so by the time a new association's first bytes are
readable the old one's FIN is too; threads would race and report overlaps that never were).
"""
import argparse
import ipaddress
import selectors
import signal
import socket
import time

per_host = {}
total = 0
log = None
sel = selectors.DefaultSelector()


class Conn:
    def __init__(self, client, upstream, host, port):
        self.client, self.upstream, self.host, self.port = client, upstream, host, port
        self.cid = client.getpeername()[1]
        self.started = False
        self.closed = False


def event(kind, c):
    global total
    if kind == "start":
        per_host[c.host] = per_host.get(c.host, 0) + 1
        total += 1
    else:
        per_host[c.host] -= 1
        total -= 1
    log.write(f"{kind} {c.host} {c.port} {per_host[c.host]} {total} {time.monotonic():.6f} "
              f"{c.cid}\n")
    log.flush()


def close(c):
    if c.closed:
        return
    c.closed = True
    if c.started:
        event("end", c)
    for s in (c.client, c.upstream):
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()


def hosts_of(spec):
    first, _, last = spec.partition("-")
    ipaddress.IPv4Address(first)
    if not last:
        return [first]
    prefix, lo = first.rsplit(".", 1)
    return [f"{prefix}.{i}" for i in range(int(lo), int(last) + 1)]


def main():
    global log
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--ports", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    th, _, tp = a.to.rpartition(":")
    target = (th, int(tp))
    log = open(a.log, "w")
    for h in hosts_of(a.hosts):
        for p in a.ports.split(","):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((h, int(p)))
            s.listen(128)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, ("listen", h, int(p)))
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.clear())
    signal.signal(signal.SIGINT, lambda *_: running.clear())
    print("assoc_proxy: ready", flush=True)
    while running:
        ready = sel.select(timeout=0.5)
        reads, accepts = [], []
        for key, _ in ready:
            if key.data[0] == "listen":
                accepts.append(key)
            else:
                reads.append(key)
        got = []
        for key in reads:
            kind, c = key.data
            if c.closed:
                continue
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            got.append((kind, c, data))
        # Ends first, then starts and relayed bytes (see the module docstring).
        for kind, c, data in got:
            if not data:
                close(c)
        for kind, c, data in got:
            if not data or c.closed:
                continue
            if kind == "client" and not c.started:
                c.started = True
                event("start", c)
            try:
                (c.upstream if kind == "client" else c.client).sendall(data)
            except OSError:
                close(c)
        for key in accepts:
            _, h, p = key.data
            try:
                client, _ = key.fileobj.accept()
            except OSError:
                continue
            try:
                upstream = socket.create_connection(target, timeout=5)
            except OSError:
                client.close()
                continue
            c = Conn(client, upstream, h, p)
            sel.register(client, selectors.EVENT_READ, ("client", c))
            sel.register(upstream, selectors.EVENT_READ, ("upstream", c))


if __name__ == "__main__":
    main()
