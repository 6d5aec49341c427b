#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""DICOM TLS against real TLS servers on loopback, certificates generated here:
- storescp +tls -ic (self-signed RSA-2048, no client certificate): TLS facts, TLS 1.2/1.3 accepted,
  TLS-CERT-UNTRUSTED (self-signed), TLS-NO-CLIENT-CERT, association over TLS accepted,
  DICOM-CLEARTEXT passes there, the DICOM probes ran over TLS (DICOM-AE-ANY-CALLED found);
- storescp +tls -rc (client certificate required): required, no TLS-NO-CLIENT-CERT;
- storescp +tls -vc (client certificate requested, optional): optional, TLS-NO-CLIENT-CERT;
- storescp +tls with an expired certificate (openssl ca -startdate/-enddate): TLS-CERT-EXPIRED;
- openssl s_server -tls1 (TLS 1.0 only, RSA-1024/SHA-1 certificate): TLS-LEGACY-PROTOCOL,
  TLS-CERT-WEAK;
- a cleartext storescp on the same host: DICOM-CLEARTEXT evidence names the TLS port."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"


def openssl(t, *args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=t.tmp)
    if r.returncode != 0:
        raise h.Fatal(f"openssl {' '.join(args)} failed:\n{r.stderr[-2000:]}")
    return r


def make_certs(t):
    d = os.path.join(t.tmp, "certs")
    os.makedirs(os.path.join(d, "newcerts"), exist_ok=True)
    p = lambda n: os.path.join(d, n)
    # valid, self-signed, RSA-2048, SHA-256, with SAN
    openssl(t, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
            "-keyout", p("good.key"), "-out", p("good.crt"), "-subj",
            "/CN=pacs.test.invalid/O=pacscan tests", "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1")
    # expired: self-signed through `openssl ca` (OpenSSL 3.0's x509/req have no -not_before)
    with open(p("index.txt"), "w"):
        pass
    with open(p("serial"), "w") as f:
        f.write("1000\n")
    with open(p("ca.cnf"), "w") as f:
        f.write(f"""[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {d}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
[ policy_any ]
commonName = supplied
""")
    openssl(t, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", p("expired.key"),
            "-out", p("expired.csr"), "-subj", "/CN=expired.test.invalid")
    openssl(t, "ca", "-batch", "-config", p("ca.cnf"), "-selfsign", "-keyfile", p("expired.key"),
            "-in", p("expired.csr"), "-out", p("expired.crt"), "-notext",
            "-startdate", "20200101000000Z", "-enddate", "20210101000000Z")
    # weak: RSA-1024 signed with SHA-1
    openssl(t, "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-sha1", "-days", "30",
            "-keyout", p("weak.key"), "-out", p("weak.crt"), "-subj", "/CN=weak.test.invalid")
    return p


def start_tls_storescp(t, key, crt, mode):
    h.require("storescp")
    port = h.free_port()
    out = os.path.join(t.tmp, f"storescp-tls-{port}")
    os.makedirs(out, exist_ok=True)
    srv = t.start(f"storescp-tls-{port}", ["storescp", "--fork", "-aet", "STORESCP", "-od", out,
                                            "+tls", key, crt, mode, str(port)])
    srv.port, srv.outdir = port, out
    t.wait_until(f"storescp +tls :{port}", lambda: t.tcp_open(IP, port), srv=srv)
    return srv


def start_s_server_tls1(t, key, crt):
    port = h.free_port()
    srv = t.start(f"s_server-{port}", ["openssl", "s_server", "-accept", f"{IP}:{port}", "-tls1",
                                       "-cipher", "DEFAULT:@SECLEVEL=0", "-key", key, "-cert", crt,
                                       "-quiet"])
    srv.port = port
    t.wait_until(f"s_server :{port}", lambda: t.tcp_open(IP, port), srv=srv)
    return srv


def versions(obs):
    return {v["version"]: v["result"] for v in obs["data"].get("versions", [])}


def check_of(scan, rule, port):
    for c in scan.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == f"{IP}:{port}":
            return c
    return None


def main(t):
    h.require("openssl")
    p = make_certs(t)
    ic = start_tls_storescp(t, p("good.key"), p("good.crt"), "-ic")
    rc = start_tls_storescp(t, p("good.key"), p("good.crt"), "-rc")
    vc = start_tls_storescp(t, p("good.key"), p("good.crt"), "-vc")
    exp = start_tls_storescp(t, p("expired.key"), p("expired.crt"), "-ic")
    old = start_s_server_tls1(t, p("weak.key"), p("weak.crt"))
    clear = t.start_storescp()
    ports = [ic.port, rc.port, vc.port, exp.port, old.port, clear.port]
    r = t.scan([IP, "-p", ",".join(str(x) for x in ports), "--assoc-deadline", "5s",
                "--acse-timeout", "2s", "--io-timeout", "3s"], timeout=300)
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    ctx = lambda port: {"observations": h.observations(s, None, IP, port),
                        "checks": [c for c in s.get("checks", [])
                                   if c.get("asset") == f"{IP}:{port}"]}

    # --- storescp +tls -ic
    o = h.one_observation(t, s, "dicom_tls", IP, ic.port)
    if o:
        d = o["data"]
        t.expect_eq(d.get("tls"), True, "-ic: TLS server found", o)
        t.expect_eq(d.get("handshake_ok"), True, "-ic: handshake ok", o)
        t.expect(d.get("protocol") in ("TLSv1.2", "TLSv1.3"), f"-ic: protocol {d.get('protocol')}")
        t.expect(bool(d.get("cipher")) and d.get("cipher_bits", 0) >= 128, "-ic: cipher recorded",
                 d.get("cipher"))
        v = versions(o)
        t.expect_eq(v.get("TLSv1.2"), "accepted", "-ic: TLS 1.2 accepted", v)
        t.expect_eq(v.get("TLSv1.3"), "accepted", "-ic: TLS 1.3 accepted", v)
        t.expect(v.get("TLSv1") == "refused" and v.get("TLSv1.1") == "refused",
                 "-ic: TLS 1.0 and 1.1 refused", v)
        chain = d.get("chain", [])
        t.require_that(len(chain) >= 1, "-ic: certificate chain recorded", o)
        leaf = chain[0]
        t.expect("pacs.test.invalid" in leaf.get("subject", ""), "-ic: leaf subject", leaf)
        t.expect_eq(leaf.get("self_signed"), True, "-ic: self-signed", leaf)
        t.expect_eq((leaf.get("key_type"), leaf.get("key_bits")), ("RSA", 2048), "-ic: key", leaf)
        t.expect_eq(leaf.get("signature_algorithm"), "sha256WithRSAEncryption", "-ic: signature")
        t.expect("DNS:localhost" in leaf.get("san", []) and "IP:127.0.0.1" in leaf.get("san", []),
                 "-ic: SAN list", leaf.get("san"))
        t.expect_eq(d.get("verified"), False, "-ic: not verified by the system store", d)
        t.expect_eq(d.get("client_cert"), "not_requested", "-ic: client cert not requested", d)
        a = d.get("association") or {}
        t.expect_eq(a.get("outcome"), "ok", "-ic: association over TLS accepted", a)
        t.expect(d.get("connections", 99) <= 8, f"-ic: {d.get('connections')} connections <= 8")
        t.expect(d.get("weak_result") in ("refused", "not_tested"),
                 f"-ic: weak suites {d.get('weak_result')}", d.get("weak_detail"))
    ep = h.endpoint(s, IP, ic.port)
    t.expect(ep is not None and ep.get("tls") is True and ep.get("service") == "dicom-tls"
             and ep.get("speaks_dicom") is True, "-ic: endpoint dicom-tls", ep)
    for probe in ("dicom_ae_policy", "dicom_echo", "dicom_services"):
        ob = h.observations(s, probe, IP, ic.port)
        t.expect(len(ob) == 1 and ob[0].get("outcome") == "ok",
                 f"-ic: {probe} ran over TLS and succeeded", ob)
    h.expect_rules(t, s, IP, ic.port,
                   required=["ASSET-DICOM-SCP", "ASSET-DICOM-FINGERPRINT", "TLS-CERT-UNTRUSTED",
                             "TLS-NO-CLIENT-CERT", "DICOM-AE-ANY-CALLED", "DICOM-UNAUTH-ECHO"],
                   forbidden=["DICOM-CLEARTEXT", "TLS-LEGACY-PROTOCOL", "TLS-CERT-EXPIRED",
                              "TLS-CERT-WEAK", "TLS-WEAK-CIPHER"])
    c = check_of(s, "DICOM-CLEARTEXT", ic.port)
    t.expect(c is not None and c.get("verdict") == "pass"
             and "only over TLS" in c.get("reason", ""),
             "-ic: DICOM-CLEARTEXT passes ('only over TLS')", c or ctx(ic.port))
    for f in h.findings(s, IP, ic.port, "TLS-CERT-UNTRUSTED"):
        t.expect(any("self-signed" in e for e in f.get("evidence", [])),
                 "TLS-CERT-UNTRUSTED notes self-signed", f)

    # --- storescp +tls -rc
    o = h.one_observation(t, s, "dicom_tls", IP, rc.port)
    if o:
        d = o["data"]
        t.expect_eq(d.get("client_cert_requested"), True, "-rc: CertificateRequest seen", o)
        t.expect_eq(d.get("client_cert"), "required", "-rc: client certificate required", o)
    h.expect_rules(t, s, IP, rc.port, required=["TLS-CERT-UNTRUSTED"],
                   forbidden=["TLS-NO-CLIENT-CERT", "DICOM-CLEARTEXT"])
    c = check_of(s, "TLS-NO-CLIENT-CERT", rc.port)
    t.expect(c is not None and c.get("verdict") == "pass", "-rc: TLS-NO-CLIENT-CERT pass",
             c or ctx(rc.port))

    # --- storescp +tls -vc
    o = h.one_observation(t, s, "dicom_tls", IP, vc.port)
    if o:
        d = o["data"]
        t.expect_eq(d.get("client_cert_requested"), True, "-vc: CertificateRequest seen", o)
        t.expect_eq(d.get("client_cert"), "optional", "-vc: client certificate optional", o)
        t.expect_eq((d.get("association") or {}).get("outcome"), "ok",
                    "-vc: association over TLS accepted without a certificate", o)
    h.expect_rules(t, s, IP, vc.port, required=["TLS-NO-CLIENT-CERT", "DICOM-AE-ANY-CALLED"])

    # --- expired certificate
    o = h.one_observation(t, s, "dicom_tls", IP, exp.port)
    if o:
        leaf = (o["data"].get("chain") or [{}])[0]
        t.expect(leaf.get("not_after", "").startswith("2021-01-01"), "expired: not_after 2021",
                 leaf)
    h.expect_rules(t, s, IP, exp.port, required=["TLS-CERT-EXPIRED", "TLS-NO-CLIENT-CERT"])

    # --- TLS 1.0 only, RSA-1024 / SHA-1
    o = h.one_observation(t, s, "dicom_tls", IP, old.port)
    if o:
        d = o["data"]
        v = versions(o)
        t.expect_eq(v.get("TLSv1"), "accepted", "s_server -tls1: TLS 1.0 accepted", v)
        t.expect(v.get("TLSv1.2") == "refused" and v.get("TLSv1.3") == "refused",
                 "s_server -tls1: TLS 1.2/1.3 refused", v)
        t.expect_eq(d.get("protocol"), "TLSv1", "s_server -tls1: negotiated TLSv1", d)
        leaf = (d.get("chain") or [{}])[0]
        t.expect_eq((leaf.get("key_bits"), leaf.get("signature_algorithm")),
                    (1024, "sha1WithRSAEncryption"), "weak certificate facts", leaf)
    h.expect_rules(t, s, IP, old.port, required=["TLS-LEGACY-PROTOCOL", "TLS-CERT-WEAK"],
                   forbidden=["ASSET-DICOM-SCP", "TLS-NO-CLIENT-CERT"])
    for f in h.findings(s, IP, old.port, "TLS-LEGACY-PROTOCOL"):
        t.expect_eq(f.get("severity"), "medium", "TLS-LEGACY-PROTOCOL severity", f)

    # --- cleartext storescp on the same host
    ob = h.observations(s, "dicom_tls", IP, clear.port)
    t.expect(all(o.get("outcome") == "skipped" and not o.get("data") for o in ob),
             "cleartext DICOM port: dicom_tls not applicable (skipped, no data)", ob)
    h.expect_rules(t, s, IP, clear.port, required=["DICOM-CLEARTEXT"],
                   forbidden=["TLS-NO-CLIENT-CERT", "TLS-CERT-UNTRUSTED"])
    for f in h.findings(s, IP, clear.port, "DICOM-CLEARTEXT"):
        t.expect(any(str(ic.port) in e and "TLS" in e for e in f.get("evidence", [])),
                 f"DICOM-CLEARTEXT evidence names the TLS port {ic.port}", f.get("evidence"))
    h.expect_finding_shape(t, s)
    for srv in (ic, rc, vc, exp, clear):
        t.expect(not os.listdir(srv.outdir), f"nothing stored on :{srv.port}")
        t.expect(srv.alive(), f"storescp :{srv.port} still running", srv.log_text()[-1500:])


if __name__ == "__main__":
    h.run(main)
