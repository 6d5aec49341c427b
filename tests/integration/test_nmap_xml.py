#!/usr/bin/python3
"""-iX: nmap's own XML output as input. In the `unshare -n` sandbox (loopback only): a storescp on
127.0.0.1, Debian's nmap writes -oX for its port, `pacscan scan -iX out.xml` probes exactly that
endpoint without a sweep (a recorder on another port given with -p sees nothing) and findings
come out. Also: XML of an nmap run that found nothing (exit 0, nothing probed), malformed XML
(exit 2, clear error), and -iX hosts that are --exclude'd or on the do-not-probe list (recorders
and per-address sniffers see no packet while the third host is probed). Last, every nmap
spelling pacscan accepts, as nmap users type it (--dry-run: nothing sent)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h


def nmap_xml(t, name, ports, targets):
    """Runs Debian's nmap; returns the path of the XML it wrote."""
    out = os.path.join(t.tmp, name)
    argv = ["nmap", "-n", "-Pn", "-p", ",".join(str(p) for p in ports), "-oX", out] + targets
    print("$ " + " ".join(argv), flush=True)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    t.require_that(r.returncode == 0 and os.path.exists(out), f"nmap wrote {name}",
                   r.stdout[-2000:] + r.stderr[-2000:])
    return out


def main(t):
    h.require("nmap")
    probed_from_xml(t)
    found_nothing(t)
    malformed(t)
    scope_wins(t)
    odd_hosts(t)
    spellings(t)


def probed_from_xml(t):
    scp = t.start_storescp()
    other = t.start_hostile("recorder", "127.0.0.1")  # a port only -p names: must not be swept
    xml = nmap_xml(t, "found.xml", [scp.port], ["127.0.0.1"])
    with open(xml) as f:
        text = f.read()
    t.require_that(f'portid="{scp.port}"><state state="open"' in text,
                   "nmap itself found the storescp port open", text[-1500:])
    r = t.scan(["-iX", xml, "-p", str(other.port)])
    t.expect_rc(r, (0, 1))
    t.expect_outputs(r)
    s = r.scan
    tcp = h.observations(s, "tcp_connect")
    t.expect_eq([(o["ip"], o["port"]) for o in tcp], [("127.0.0.1", scp.port)],
                "one tcp_connect observation: the endpoint from the XML", tcp)
    t.expect(tcp and "nmap XML" in tcp[0]["data"].get("detail", "")
             and tcp[0]["data"].get("state") == "open",
             "its tcp_connect says open, from nmap XML, not swept", tcp)
    t.expect(not h.read_lines(other.record), "no sweep: the -p port saw no connection",
             h.read_lines(other.record))
    ep = h.endpoint(s, "127.0.0.1", scp.port)
    t.expect(ep is not None and ep.get("speaks_dicom"), "the endpoint was probed: speaks DICOM", ep)
    t.expect(len(h.findings(s, "127.0.0.1", scp.port)) > 0, "findings came out",
             h.findings(s)[:3])
    t.expect(not h.observations(s, "arp_discovery"), "no host discovery")
    notes = " ".join(s["meta"]["notes"])
    t.expect("no host discovery and no sweep" in notes and "nmap -n -Pn" in notes,
             "meta.notes: input from nmap XML (with nmap's arguments), no discovery, no sweep",
             s["meta"]["notes"])
    t.expect(s["meta"]["options"].get("input_xml") == xml, "meta.options.input_xml")
    errs = h.schema_errors(s, os.path.join(t.source, "docs", "scan.schema.json"))
    t.expect(not errs, "scan.json valid against docs/scan.schema.json", errs)


def found_nothing(t):
    closed = h.free_port()
    xml = nmap_xml(t, "nothing.xml", [closed], ["127.0.0.1"])
    r = t.scan(["-iX", xml])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    t.expect(not s["endpoints"] and not h.observations(s, "tcp_connect"),
             "nothing open in the XML: nothing probed", s["endpoints"])
    t.expect(s["meta"].get("permits_issued") == 0, "the gate issued no permit", s["meta"])
    t.expect(any("0 open TCP port" in n for n in s["meta"]["notes"]),
             "meta.notes: 0 open port in the file", s["meta"]["notes"])


def malformed(t):
    good = nmap_xml(t, "cut.xml", [h.free_port()], ["127.0.0.1"])
    with open(good) as f:
        text = f.read()
    cases = {"truncated.xml": text[: len(text) // 2], "html.xml": "<html><body>x</body></html>",
             "empty.xml": "", "binary.xml": "\x00\x01\x02garbage"}
    for name, content in cases.items():
        path = os.path.join(t.tmp, name)
        with open(path, "w") as f:
            f.write(content)
        out = t.outdir("bad")
        r = t.run_argv([t.pacscan, "scan", "-iX", path, "-o", out], out)
        t.expect(r.rc == 2, f"{name}: exit code 2 (got {r.rc})", r.describe())
        t.expect(f'nmap XML file "{path}"' in r.stderr and "error" in r.stderr,
                 f"{name}: the error names the file and says why", r.stderr)
        t.expect(not os.path.exists(os.path.join(out, "scan.json")), f"{name}: no scan ran")


def scope_wins(t):
    port = h.free_port()
    ips = ["127.0.0.20", "127.0.0.21", "127.0.0.22"]
    rec = {ip: t.start_hostile("recorder", ip, [port]) for ip in ips}
    xml = nmap_xml(t, "three.xml", [port], ips)
    # nmap's own probes reached the recorders; start the logs afresh
    for ip in ips:
        open(rec[ip].record, "w").close()
    sniff = {ip: t.start_hostile("sniff", ip, log=os.path.join(t.tmp, f"sniff-{ip}.log"))
             for ip in ips[1:]}
    dnp = os.path.join(t.tmp, "dnp.txt")
    with open(dnp, "w") as f:
        f.write("# site list\n127.0.0.22  infusion gateway, vendor forbids scans\n")
    r = t.scan(["-iX", xml, "--exclude", "127.0.0.21", "--do-not-probe", dnp,
                "--connect-timeout", "1s", "--assoc-deadline", "3s"])
    t.expect_rc(r, (0, 1))
    t.expect_outputs(r)
    s = r.scan
    t.expect(len(h.read_lines(rec["127.0.0.20"].record)) >= 1,
             "positive control: 127.0.0.20 from the XML was probed",
             h.read_lines(rec["127.0.0.20"].record))
    for ip in ips[1:]:
        t.expect(not h.read_lines(rec[ip].record), f"{ip}: recorder saw no connection",
                 h.read_lines(rec[ip].record))
        t.expect(not h.read_lines(sniff[ip].record), f"{ip}: no packet at all reached it",
                 h.read_lines(sniff[ip].record)[:10])
        t.expect(not h.observations(s, None, ip), f"{ip}: no observation")
    d = s["meta"].get("do_not_probe", [])
    t.expect(len(d) == 1 and d[0]["target"] == "127.0.0.22"
             and d[0]["reason"] == "infusion gateway, vendor forbids scans"
             and d[0]["in_scope"] == ["127.0.0.22"] and d[0]["origin"] == f"{dnp}:2",
             "meta.do_not_probe: the entry, its reason, line and the host it covered", d)
    md = open(os.path.join(r.outdir, "report.md")).read()
    t.expect("## Listed but not probed" in md and "infusion gateway" in md,
             "report.md: Listed but not probed, with the reason")
    notes = " ".join(s["meta"]["notes"])
    t.expect("1 of them in scope were probed, 2 left out" in notes,
             "meta.notes counts what the file listed and what was left out", s["meta"]["notes"])


def odd_hosts(t):
    """A file listing 0.0.0.0 (which would reach this host) and a multicast address: left out
    with the reason, as if a range had brought them in; 127.0.0.1 beside them is probed."""
    rec = t.start_hostile("recorder", "0.0.0.0")
    with open(os.path.join(t.tmp, "found.xml")) as f:
        real = f.read()
    head = real[: real.index("<host")]
    hosts = "".join(
        f'<host><status state="up"/><address addr="{a}" addrtype="ipv4"/><ports>'
        f'<port protocol="tcp" portid="{rec.port}"><state state="open"/></port></ports></host>\n'
        for a in ("0.0.0.0", "224.0.0.251", "127.0.0.1"))
    path = os.path.join(t.tmp, "odd.xml")
    with open(path, "w") as f:
        f.write(head + hosts + "</nmaprun>\n")
    r = t.scan(["-iX", path, "--connect-timeout", "1s", "--assoc-deadline", "3s"])
    t.expect_rc(r, (0, 1))
    s = r.scan
    peers = h.read_lines(rec.record)
    t.expect(len(peers) >= 1, "127.0.0.1 from the file was probed", peers)
    t.expect({(o["ip"], o["port"]) for o in h.observations(s, "tcp_connect")}
             == {("127.0.0.1", rec.port)}, "only 127.0.0.1 was probed",
             h.observations(s, "tcp_connect"))
    dropped = {x["addresses"][0]: x["reason"] for x in s["meta"].get("dropped", [])}
    t.expect("this host" in dropped.get("0.0.0.0", "") and "multicast" in
             dropped.get("224.0.0.251", ""), "meta.dropped: 0.0.0.0 and 224.0.0.251, with why",
             s["meta"].get("dropped"))


def spellings(t):
    """nmap's spellings of the options pacscan shares with it (--dry-run: nothing is sent)."""
    tl = os.path.join(t.tmp, "targets.txt")
    with open(tl, "w") as f:
        f.write("127.0.0.40\n127.0.0.41\n")
    xf = os.path.join(t.tmp, "never.txt")
    with open(xf, "w") as f:
        f.write("127.0.0.41\n")
    xml = nmap_xml(t, "spell.xml", [h.free_port()], ["127.0.0.1"])

    def plan(args):
        r = subprocess.run([t.pacscan, "scan"] + args + ["--dry-run"], capture_output=True,
                           text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr

    cases = [
        (["-iL", tl], "Scope: 2 host(s)"),
        ([f"-iL={tl}"], "Scope: 2 host(s)"),
        (["--iL", tl], "Scope: 2 host(s)"),
        (["-iL", tl, "--excludefile", xf], "Scope: 1 host(s)"),
        (["-iL", tl, "--exclude-file", xf], "Scope: 1 host(s)"),
        (["-iL", tl, "--exclude", "127.0.0.40,127.0.0.41"], "scope is empty"),
        (["127.0.0.40", "-p", "104,11112"], "Ports: 104,11112 "),
        (["127.0.0.40", "-p104,11112"], "Ports: 104,11112 "),
        (["-iX", xml], "no discovery and no sweep"),
        ([f"-iX={xml}"], "no discovery and no sweep"),
    ]
    for args, want in cases:
        rc, out = plan(args)
        t.expect(want in out and (rc == 0 or want == "scope is empty"),
                 f"pacscan scan {' '.join(args)} --dry-run: {want!r} (exit {rc})", out[-1500:])
    for args, want in [(["-oX", "o.xml", "127.0.0.40"], "-oX is an nmap option"),
                       (["-oA", "o", "127.0.0.40"], "-oA is an nmap option"),
                       (["-iR", "10"], "random targets are never scanned"),
                       (["127.0.0.40", "-p-"], "open range")]:
        rc, out = plan(args)
        t.expect(rc == 2 and want in out, f"pacscan scan {' '.join(args)}: exit 2, {want!r}", out)


if __name__ == "__main__":
    h.run(main)
