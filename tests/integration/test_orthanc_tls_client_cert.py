#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A credentialed scan (--tls-cert / --tls-key) of a real DICOM TLS server that requires client
certificates: Orthanc (Debian 12) with DicomTlsRemoteCertificateRequired, on loopback.

A test CA, a server certificate and a client certificate it signed, and a "rogue" client
certificate from another CA are made here with openssl. Orthanc trusts the test CA only and lets
any calling AE query and retrieve (DicomAlwaysAllowFind/Move/Get): the client certificate is the
only access control, as on a hardened archive that admits known peers by certificate.

- Without --tls-cert: the handshake is refused (client certificate required, the association over
  TLS closed before any PDU), no DICOM probe runs, no observation claims an identity, and none of
  the known peer's rules is judged.
- With the site's certificate: the unknown peer's view is unchanged (TLS-NO-CLIENT-CERT passes,
  no DICOM-UNAUTH-* finding), and a second dicom_tls observation (identity tls_client_cert) shows
  the certificate sent and accepted from the scanner's address; echo, services and null queries
  ran inside over TLS as the known peer; DICOM-KNOWN-PEER-ACCESS (info) and
  TLS-CLIENT-CERT-ANY-ADDRESS (tentative) fail with evidence; the weak-suite handshake with the
  certificate is refused by Orthanc's OpenSSL, so TLS-CLIENT-CERT-WEAK-CIPHER passes. No line of
  the key appears in any output; report.md shows the known peer's view apart.
- With the rogue certificate: sent, refused by Orthanc; TLS-CLIENT-CERT-ANY-ADDRESS passes and no
  probe ran inside."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h
from test_orthanc_dicom_tls import IP, check_of, echo_tls, make_certs, openssl
import test_orthanc_dicom_tls as base

KNOWN_RULES = ["DICOM-KNOWN-PEER-ACCESS", "TLS-CLIENT-CERT-ANY-ADDRESS",
               "TLS-CLIENT-CERT-WEAK-CIPHER"]


def start_orthanc(t, p):
    """test_orthanc_dicom_tls's Orthanc (certificate required), query/retrieve allowed to all."""
    real = t.orthanc_config

    def allow_all(template, **kw):
        cfg = real(template, **kw)
        cfg.update(DicomAlwaysAllowFind=True, DicomAlwaysAllowMove=True, DicomAlwaysAllowGet=True)
        return cfg
    t.orthanc_config = allow_all
    try:
        return base.start_orthanc_tls(t, p, required=True)
    finally:
        t.orthanc_config = real


def rogue_cert(t, p):
    openssl(t, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
            "-keyout", p("rogue.key"), "-out", p("rogue.crt"), "-subj", "/CN=rogue.test.invalid")


def key_lines(path):
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("-----")]


def all_output(run):
    text = run.stdout + run.stderr
    for root, _, files in os.walk(run.outdir):
        for f in files:
            with open(os.path.join(root, f), errors="replace") as fh:
                text += fh.read()
    return text


def tls_obs(t, s, port, identity):
    o = [x for x in h.observations(s, "dicom_tls", IP, port) if x.get("identity") == identity]
    t.expect(len(o) == 1, f"one dicom_tls observation with identity {identity!r} (got {len(o)})",
             h.observations(s, "dicom_tls", IP, port))
    return o[0] if o else None


def main(t):
    h.require("openssl")
    h.require("Orthanc")
    p = make_certs(t)
    rogue_cert(t, p)
    srv = start_orthanc(t, p)
    port = srv.port
    # controls: the same server, another client
    t.require_that(not echo_tls(t, p, port, False),
                   "control: echoscu +tls without a client certificate is refused")
    t.require_that(echo_tls(t, p, port, True),
                   "control: echoscu +tls with the client certificate gets in")
    timing = ["--assoc-deadline", "6s", "--acse-timeout", "3s", "--io-timeout", "3s"]

    # --- an unknown peer (no --tls-cert)
    r = t.scan([IP, "-p", str(port), *timing], timeout=300)
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    o = tls_obs(t, s, port, None)
    if o:
        d = o["data"]
        t.expect_eq(d.get("client_cert"), "required", "no cert: client certificate required", d)
        t.expect_eq((d.get("association") or {}).get("outcome"), "closed",
                    "no cert: the association over TLS was refused before any PDU", d)
    t.expect(not any(x.get("identity") for x in s["observations"]),
             "no cert: no observation claims an identity")
    for probe in ("dicom_echo", "dicom_services", "dicom_null_query"):
        t.expect(all(x.get("outcome") != "ok" for x in h.observations(s, probe, IP, port)),
                 f"no cert: {probe} did not get in")
    for rule in KNOWN_RULES:
        t.expect(check_of(s, rule, port) is None, f"no cert: {rule} not judged")
    c = check_of(s, "TLS-NO-CLIENT-CERT", port)
    t.expect(c is not None and c.get("verdict") == "pass", "no cert: TLS-NO-CLIENT-CERT passes", c)

    # --- the site's certificate
    r = t.scan([IP, "-p", str(port), "--tls-cert", p("client.crt"), "--tls-key", p("client.key"),
                *timing], timeout=300, quiet=False)
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    s = r.scan
    anon = tls_obs(t, s, port, None)
    if anon:
        t.expect_eq(anon["data"].get("client_cert"), "required",
                    "cert: the unknown peer's view still says required", anon["data"])
        t.expect_eq((anon["data"].get("association") or {}).get("tls_client_cert"), False,
                    "cert: the unknown peer's association presented no certificate")
    known = tls_obs(t, s, port, "tls_client_cert")
    if known:
        d = known["data"]
        t.expect_eq((d.get("credential_sent"), d.get("credential_result")), (True, "accepted"),
                    "cert: sent and accepted", d)
        t.expect("client.test.invalid" in d.get("credential_subject", "") and
                 len(d.get("credential_sha256", "")) == 95, "cert: subject and SHA-256 recorded", d)
        t.expect(d.get("local_address", "").startswith("127.0.0.1:"),
                 "cert: the scanner's address recorded", d.get("local_address"))
        a = d.get("association") or {}
        t.expect_eq((a.get("outcome"), a.get("tls_client_cert")), ("ok", True),
                    "cert: association over TLS with the certificate accepted", a)
        t.expect(d.get("weak_result") in ("refused", "not_tested"),
                 f"cert: weak suites with the certificate {d.get('weak_result')}", d)
    for probe in ("dicom_echo", "dicom_services", "dicom_null_query"):
        ob = h.observations(s, probe, IP, port)
        t.expect(len(ob) == 1 and ob[0].get("identity") == "tls_client_cert" and
                 ob[0].get("outcome") == "ok",
                 f"cert: {probe} ran inside as the known peer", ob)
    nq = h.observations(s, "dicom_null_query", IP, port)
    finds = [x for o in nq for x in o["data"].get("results", []) if x.get("service", "").endswith("Find")]
    t.expect(any(x.get("outcome") == "success" for x in finds),
             "cert: a C-FIND keyed on a random UID succeeded as the known peer", finds)
    h.expect_rules(t, s, IP, port,
                   required=["DICOM-KNOWN-PEER-ACCESS", "TLS-CLIENT-CERT-ANY-ADDRESS"],
                   forbidden=["TLS-CLIENT-CERT-WEAK-CIPHER", "TLS-NO-CLIENT-CERT",
                              "DICOM-UNAUTH-ECHO", "DICOM-UNAUTH-FIND", "DICOM-UNAUTH-MOVE",
                              "DICOM-UNAUTH-GET", "DICOM-AE-ANY-CALLED", "DICOM-AE-ANY-CALLING"])
    for f in h.findings(s, IP, port, "DICOM-KNOWN-PEER-ACCESS"):
        t.expect_eq(f.get("severity"), "info", "DICOM-KNOWN-PEER-ACCESS is info", f)
        t.expect(any("client.test.invalid" in e for e in f.get("evidence", [])),
                 "DICOM-KNOWN-PEER-ACCESS evidence names the certificate", f)
    for f in h.findings(s, IP, port, "TLS-CLIENT-CERT-ANY-ADDRESS"):
        t.expect_eq(f.get("confidence"), "tentative", "TLS-CLIENT-CERT-ANY-ADDRESS tentative", f)
        t.expect("127.0.0.1" in f.get("summary", ""), "it names the scanner's address", f)
    c = check_of(s, "TLS-CLIENT-CERT-WEAK-CIPHER", port)
    t.expect(c is not None and c.get("verdict") == "pass",
             "TLS-CLIENT-CERT-WEAK-CIPHER judged and passes (Orthanc refuses weak suites)", c)
    h.expect_finding_shape(t, s)
    out = all_output(r)
    secret = key_lines(p("client.key"))
    t.expect(not any(x in out for x in secret) and "PRIVATE KEY" not in out,
             "cert: no line of the key in any output or on the terminal")
    md = open(os.path.join(r.outdir, "report.md")).read()
    t.expect("## The known peer's view" in md and "client.test.invalid" in md,
             "report.md has the known peer's section, naming the certificate", md[-3000:])
    html = open(os.path.join(r.outdir, "report.html")).read()
    t.expect('id="known-peer"' in html, "report.html has the known peer's section")

    # --- a certificate the site never issued
    r = t.scan([IP, "-p", str(port), "--tls-cert", p("rogue.crt"), "--tls-key", p("rogue.key"),
                *timing], timeout=300)
    t.expect_rc(r, 0)
    s = r.scan
    known = tls_obs(t, s, port, "tls_client_cert")
    if known:
        d = known["data"]
        t.expect_eq((d.get("credential_sent"), d.get("credential_result")), (True, "refused"),
                    "rogue: sent and refused", d)
    t.expect(not any(x.get("identity") for x in s["observations"] if x.get("probe") != "dicom_tls"),
             "rogue: no probe ran as a known peer")
    c = check_of(s, "TLS-CLIENT-CERT-ANY-ADDRESS", port)
    t.expect(c is not None and c.get("verdict") == "pass", "rogue: ANY-ADDRESS passes", c)
    h.expect_rules(t, s, IP, port, forbidden=KNOWN_RULES)
    t.expect(srv.alive(), "Orthanc still running", srv.log_text()[-1500:])


if __name__ == "__main__":
    h.run(main)
