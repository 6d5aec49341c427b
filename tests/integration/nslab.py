"""A small namespace lab of its own for one integration test (python3 stdlib, needs root).

Several real hosts are what the inventory rules compare, and DCMTK 3.6.7's servers cannot bind
one address: each host here is a network namespace with its own address, hung off a bridge in a
hub namespace, and the scanner runs in a namespace of its own. Names start with `psinv<pid>-`
(unique to this test run, never the shared lab's `pslab-`), addresses are in 198.19.77.0/24
(benchmarking range, no default route anywhere), and `close()` deletes every namespace and its
/etc/netns folder whatever happened.
"""
import os
import shutil
import subprocess

SUBNET = "198.19.77"
SCANNER_IP = f"{SUBNET}.2"


def sh(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True, check=check)


class NsLab:
    def __init__(self):
        if os.geteuid() != 0:
            raise PermissionError("the namespace lab needs root (CI runs as root)")
        self.prefix = f"psinv{os.getpid()}-"
        self.names = []
        self.hub = self._add_ns("hub")
        sh("ip", "-n", self.hub, "link", "add", "br0", "type", "bridge", "stp_state", "0",
           "forward_delay", "0")
        sh("ip", "-n", self.hub, "link", "set", "br0", "up")
        self.scanner = self.add_host("scan", SCANNER_IP)

    def _add_ns(self, short):
        ns = self.prefix + short
        sh("ip", "netns", "add", ns)
        self.names.append(ns)
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        # name resolution: files only (dcmqrscp looks peers up), no DNS server to wait for
        d = f"/etc/netns/{ns}"
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/hosts", "w") as f:
            f.write("127.0.0.1 localhost\n")
        with open(f"{d}/resolv.conf", "w") as f:
            f.write("options timeout:1 attempts:1\n")
        return ns

    def add_host(self, short, ip):
        ns = self._add_ns(short)
        veth = f"v{len(self.names)}-{os.getpid()}"[:15]
        sh("ip", "-n", self.hub, "link", "add", veth, "type", "veth", "peer", "name", "eth0",
           "netns", ns)
        sh("ip", "-n", self.hub, "link", "set", veth, "master", "br0", "up")
        sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        return ns

    def run_in(self, ns):
        """argv prefix that runs a command inside namespace ns."""
        return ["ip", "netns", "exec", ns]

    def close(self):
        for ns in reversed(self.names):
            sh("ip", "netns", "del", ns, check=False)
            shutil.rmtree(f"/etc/netns/{ns}", ignore_errors=True)
        self.names = []
