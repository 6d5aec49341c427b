#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Orthanc (Debian 12: 1.10.1, DCMTK 3.6.7 inside) as a real DICOM TLS peer on loopback.

Certificates are made here: a test CA (self-signed root, not in the system store) and a server
certificate it signed (RSA-2048, SHA-256, SAN DNS:localhost / IP:127.0.0.1), plus a client
certificate from the same CA, used only to check that each Orthanc is up.

Two Orthancs, DicomTlsEnabled with that certificate and DicomTlsTrustedCertificates = the CA:
- DicomTlsRemoteCertificateRequired false (Orthanc >= 1.9.3; DCMTK --verify-peer-cert): the
  handshake completes without a client certificate, so TLS-NO-CLIENT-CERT fails, the association
  over TLS is accepted and the later DICOM probes ran over TLS (DICOM-CLEARTEXT passes);
- DicomTlsRemoteCertificateRequired true (DCMTK --require-peer-cert): client certificate
  required, TLS-NO-CLIENT-CERT passes, and the refused association is reported as a TLS refusal
  (a TLS alert, never "not DICOM"), so no DICOM probe claims the port speaks DICOM.
Both: TLS 1.2 and 1.3 accepted, the chain is the leaf issued by the test CA, TLS-CERT-UNTRUSTED
fails (the CA is only in the system store of nobody), and with --tls-ca CA it passes."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"
CA_CN = "pacscan test CA"
SRV_CN = "orthanc.test.invalid"


def openssl(t, *args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=t.tmp)
    if r.returncode != 0:
        raise h.Fatal(f"openssl {' '.join(args)} failed:\n{r.stderr[-2000:]}")
    return r


def make_certs(t):
    d = os.path.join(t.tmp, "pki")
    os.makedirs(d, exist_ok=True)
    p = lambda n: os.path.join(d, n)
    openssl(t, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
            "-keyout", p("ca.key"), "-out", p("ca.crt"), "-subj", f"/CN={CA_CN}/O=pacscan tests",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, cn, eku in (("server", SRV_CN, "serverAuth,clientAuth"),
                          ("client", "client.test.invalid", "clientAuth")):
        openssl(t, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", p(f"{name}.key"),
                "-out", p(f"{name}.csr"), "-subj", f"/CN={cn}/O=pacscan tests")
        with open(p(f"{name}.ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
                    f"extendedKeyUsage={eku}\n")
        openssl(t, "x509", "-req", "-in", p(f"{name}.csr"), "-CA", p("ca.crt"), "-CAkey",
                p("ca.key"), "-CAcreateserial", "-days", "30", "-sha256", "-extfile",
                p(f"{name}.ext"), "-out", p(f"{name}.crt"))
    return p


def echo_tls(t, p, port, with_cert):
    """echoscu over TLS, verifying Orthanc against the test CA (readiness, and the control:
    what a correctly configured peer gets)."""
    argv = ["echoscu", "-to", "3", "-ta", "3", "-td", "3", "-aet", "ECHOSCU", "-aec", "ORTHANC"]
    argv += ["+tls", p("client.key"), p("client.crt")] if with_cert else ["+tla"]
    argv += ["+cf", p("ca.crt"), IP, str(port)]
    r = subprocess.run(argv, capture_output=True, text=True, env=t.env, timeout=20)
    return r.returncode == 0


def start_orthanc_tls(t, p, required):
    exe = h.require("Orthanc")
    h.require("echoscu")
    dicom_port, http_port = h.free_port(), h.free_port()
    d = os.path.join(t.tmp, f"orthanc-{dicom_port}")
    os.makedirs(os.path.join(d, "storage"), exist_ok=True)
    cfg = t.orthanc_config("permissive")
    cfg.update(StorageDirectory=os.path.join(d, "storage"),
               IndexDirectory=os.path.join(d, "storage"), DicomPort=dicom_port,
               HttpPort=http_port, SslEnabled=False,  # HTTPS crashes Orthanc 1.10.1
               DicomTlsEnabled=True, DicomTlsCertificate=p("server.crt"),
               DicomTlsPrivateKey=p("server.key"), DicomTlsTrustedCertificates=p("ca.crt"),
               DicomTlsRemoteCertificateRequired=required)
    path = os.path.join(d, "orthanc.json")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    srv = t.start(f"orthanc-tls-{'required' if required else 'optional'}-{dicom_port}",
                  [exe, path])
    srv.port, srv.http_port = dicom_port, http_port
    t.wait_until(f"orthanc DICOM TLS :{dicom_port}", lambda: echo_tls(t, p, dicom_port, True),
                 timeout=30, srv=srv)
    return srv


S_CLIENT_VERSIONS = (("TLSv1", "-tls1"), ("TLSv1.1", "-tls1_1"), ("TLSv1.2", "-tls1_2"),
                     ("TLSv1.3", "-tls1_3"))


def s_client_versions(t, p, port):
    """Ground truth from another client: openssl s_client, one version at a time, with the
    client certificate (so a server that requires one completes the handshake too)."""
    out = {}
    for name, flag in S_CLIENT_VERSIONS:
        r = subprocess.run(["openssl", "s_client", flag, "-cipher", "DEFAULT:@SECLEVEL=0",
                            "-connect", f"{IP}:{port}", "-cert", p("client.crt"), "-key",
                            p("client.key"), "-CAfile", p("ca.crt")],
                           input="", capture_output=True, text=True, timeout=20)
        # "Protocol  : TLSv1" in the session block (TLS <= 1.2), else "New, TLSv1.3, Cipher is"
        m = (re.search(r"^\s*Protocol\s*:\s*(TLSv[0-9.]+)", r.stdout, re.M) or
             re.search(r"^New, (TLSv[0-9.]+), Cipher is ", r.stdout, re.M))
        out[name] = "accepted" if r.returncode == 0 and m and m.group(1) == name else "refused"
    return out


def versions(obs):
    return {v["version"]: v["result"] for v in obs["data"].get("versions", [])}


def check_of(scan, rule, port):
    for c in scan.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == f"{IP}:{port}":
            return c
    return None


def common_tls_facts(t, s, port, label, truth):
    o = h.one_observation(t, s, "dicom_tls", IP, port)
    if not o:
        return None
    d = o["data"]
    t.expect_eq((d.get("tls"), d.get("handshake_ok")), (True, True),
                f"{label}: TLS server, first handshake completed", o)
    t.expect(d.get("protocol") in ("TLSv1.2", "TLSv1.3"), f"{label}: protocol {d.get('protocol')}")
    t.expect(bool(d.get("cipher")) and d.get("cipher_bits", 0) >= 128,
             f"{label}: cipher {d.get('cipher')} ({d.get('cipher_bits')} bits)")
    v = versions(o)
    t.expect_eq(v, truth, f"{label}: versions as openssl s_client measured them",
                d.get("versions"))
    legacy = truth["TLSv1"] == "accepted" or truth["TLSv1.1"] == "accepted"
    h.expect_rules(t, s, IP, port, required=["TLS-LEGACY-PROTOCOL"] if legacy else [],
                   forbidden=[] if legacy else ["TLS-LEGACY-PROTOCOL"])
    chain = d.get("chain") or []
    t.require_that(len(chain) >= 1, f"{label}: certificate chain recorded", o)
    leaf = chain[0]
    t.expect(SRV_CN in leaf.get("subject", "") and CA_CN in leaf.get("issuer", ""),
             f"{label}: leaf {SRV_CN} issued by {CA_CN}", leaf)
    t.expect_eq(leaf.get("self_signed"), False, f"{label}: leaf not self-signed", leaf)
    t.expect_eq((leaf.get("key_type"), leaf.get("key_bits"), leaf.get("signature_algorithm")),
                ("RSA", 2048, "sha256WithRSAEncryption"), f"{label}: key and signature")
    t.expect("IP:127.0.0.1" in leaf.get("san", []), f"{label}: SAN", leaf.get("san"))
    t.expect_eq(d.get("trust_anchors"), ["system"], f"{label}: trust anchors", d)
    t.expect_eq(d.get("verified"), False, f"{label}: not verified by the system store", d)
    # 19: the server sent the CA too (self-signed in chain); 2/20: the issuer was not sent
    t.expect(d.get("verify_code") in (2, 19, 20),
             f"{label}: verify code {d.get('verify_code')} ({d.get('verify_result')})", d)
    t.expect_eq(d.get("client_cert_requested"), True, f"{label}: CertificateRequest seen", d)
    untrusted = h.findings(s, IP, port, "TLS-CERT-UNTRUSTED")
    t.expect(len(untrusted) == 1 and
             any("system trust store" in e for e in untrusted[0].get("evidence", [])) and
             any("--tls-ca" in e for e in untrusted[0].get("evidence", [])),
             f"{label}: TLS-CERT-UNTRUSTED fails, evidence names the system store and --tls-ca",
             untrusted)
    h.expect_rules(t, s, IP, port, forbidden=["TLS-CERT-EXPIRED", "TLS-CERT-WEAK",
                                              "TLS-WEAK-CIPHER", "DICOM-CLEARTEXT"])
    return d


def main(t):
    h.require("openssl")
    h.require("Orthanc")
    p = make_certs(t)
    opt = start_orthanc_tls(t, p, required=False)
    req = start_orthanc_tls(t, p, required=True)
    # the controls: what each Orthanc does to a peer with and without a client certificate
    t.expect(echo_tls(t, p, opt.port, False), "control: echoscu +tls without a client certificate "
                                              "succeeds on the optional Orthanc")
    t.require_that(not echo_tls(t, p, req.port, False),
                   "control: echoscu +tls without a client certificate fails on the required one",
                   req.log_text()[-2000:])
    t.expect("peer did not return a certificate" in req.log_text(),
             "control: Orthanc logs 'peer did not return a certificate'", req.log_text()[-2000:])
    truth = {opt.port: s_client_versions(t, p, opt.port), req.port: s_client_versions(t, p, req.port)}
    print(f"openssl s_client measured: {truth}")
    t.require_that(all(v["TLSv1.2"] == "accepted" for v in truth.values()),
                   "control: s_client completes a TLS 1.2 handshake with each Orthanc", truth)

    timing = ["--assoc-deadline", "6s", "--acse-timeout", "3s", "--io-timeout", "3s"]
    r = t.scan([IP, "-p", f"{opt.port},{req.port}", *timing], timeout=300)
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan

    # --- DicomTlsRemoteCertificateRequired: false
    d = common_tls_facts(t, s, opt.port, "optional", truth[opt.port])
    if d:
        t.expect_eq(d.get("client_cert"), "optional", "optional: client certificate optional", d)
        a = d.get("association") or {}
        t.expect_eq(a.get("outcome"), "ok", "optional: association over TLS accepted", a)
        t.expect(str(a.get("impl_version", "")).startswith("OFFIS_DCMTK"),
                 f"optional: implementation version {a.get('impl_version')!r} (Orthanc = DCMTK)")
    ep = h.endpoint(s, IP, opt.port)
    t.expect(ep is not None and ep.get("tls") is True and ep.get("service") == "dicom-tls"
             and ep.get("speaks_dicom") is True, "optional: endpoint dicom-tls", ep)
    for probe in ("dicom_echo", "dicom_ae_policy", "dicom_services"):
        ob = h.observations(s, probe, IP, opt.port)
        t.expect(len(ob) == 1 and ob[0].get("outcome") == "ok",
                 f"optional: {probe} ran over TLS and succeeded", ob)
    h.expect_rules(t, s, IP, opt.port,
                   required=["ASSET-DICOM-SCP", "TLS-CERT-UNTRUSTED", "TLS-NO-CLIENT-CERT",
                             "DICOM-UNAUTH-ECHO"])
    for f in h.findings(s, IP, opt.port, "TLS-NO-CLIENT-CERT"):
        t.expect_eq(f.get("confidence"), "confirmed", "optional: TLS-NO-CLIENT-CERT confirmed", f)
    c = check_of(s, "DICOM-CLEARTEXT", opt.port)
    t.expect(c is not None and c.get("verdict") == "pass", "optional: DICOM-CLEARTEXT passes", c)

    # --- DicomTlsRemoteCertificateRequired: true
    d = common_tls_facts(t, s, req.port, "required", truth[req.port])
    if d:
        t.expect_eq(d.get("client_cert"), "required", "required: client certificate required", d)
        a = d.get("association") or {}
        t.expect_eq(a.get("outcome"), "closed",
                    "required: association over TLS closed before any PDU (not non_dicom)", a)
        # Orthanc's alert and its RST race our A-ASSOCIATE-RQ (seen in CI): either the alert was
        # read, or the reset came first; both are a refusal after the handshake, not "not DICOM".
        detail = a.get("detail", "")
        t.expect(("refused at the TLS layer" in detail and "alert" in detail) or
                 "reset by the peer after the TLS handshake" in detail,
                 "required: the association detail says refused at the TLS layer (with the alert) "
                 "or reset right after the handshake", a)
        t.expect("alert" in (d.get("alert", "") + d.get("client_cert_detail", "")),
                 "required: the TLS alert is recorded", d)
    o = h.observations(s, "dicom_tls", IP, req.port)
    t.expect(all(x.get("outcome") != "non_dicom" for x in o),
             "required: dicom_tls observation outcome is not non_dicom", o)
    ep = h.endpoint(s, IP, req.port)
    t.expect(ep is not None and ep.get("tls") is not False and ep.get("speaks_dicom") is not True,
             "required: endpoint not claimed to speak DICOM to us", ep)
    c = check_of(s, "TLS-NO-CLIENT-CERT", req.port)
    t.expect(c is not None and c.get("verdict") == "pass", "required: TLS-NO-CLIENT-CERT pass", c)
    h.expect_rules(t, s, IP, req.port, required=["TLS-CERT-UNTRUSTED"],
                   forbidden=["TLS-NO-CLIENT-CERT", "DICOM-UNAUTH-ECHO", "DICOM-AE-ANY-CALLED"])
    h.expect_finding_shape(t, s)

    # --- the same Orthanc, the test CA declared as the site CA: TLS-CERT-UNTRUSTED passes
    r2 = t.scan([IP, "-p", str(opt.port), "--tls-ca", p("ca.crt"), "--probes", "dicom_tls",
                 *timing], timeout=300)
    t.expect_rc(r2, 0)
    o = h.one_observation(t, r2.scan, "dicom_tls", IP, opt.port)
    if o:
        d = o["data"]
        t.expect_eq((d.get("verified"), d.get("trusted_by")), (True, "site CA"),
                    "--tls-ca: chain verified, root from the site CA", d)
        t.expect(len(d.get("trust_anchors", [])) == 2 and
                 d["trust_anchors"][1].startswith(f"site CA {p('ca.crt')}"),
                 "--tls-ca: trust anchors system + site CA FILE", d.get("trust_anchors"))
    c = check_of(r2.scan, "TLS-CERT-UNTRUSTED", opt.port)
    t.expect(c is not None and c.get("verdict") == "pass" and "site CA" in c.get("reason", ""),
             "--tls-ca: TLS-CERT-UNTRUSTED passes, naming the site CA", c)
    for srv in (opt, req):
        t.expect(srv.alive(), f"Orthanc :{srv.port} still running", srv.log_text()[-1500:])


if __name__ == "__main__":
    h.run(main)
