#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""--tls-ca FILE: the site's own CA for TLS-CERT-UNTRUSTED, against storescp +tls on loopback.

Certificates made here: a site CA (root) and a server certificate it signed, plus an unrelated
"other" CA. storescp +tls -ic serves the server certificate (leaf only).
- no --tls-ca: trust anchors ["system"], not verified (unable to get local issuer certificate),
  TLS-CERT-UNTRUSTED fails and its evidence says no site CA was given;
- --tls-ca site-ca.pem (a bundle: the other CA, then the site CA): verified, trusted_by "site CA",
  TLS-CERT-UNTRUSTED passes and says so;
- --tls-ca other-ca.pem: still untrusted, and the evidence says the chain does not end in it;
- --tls-ca on a garbage file, an empty file, a missing file: usage error (exit 2) naming the
  option, and no scan output."""
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


def make_ca(t, p, name, cn):
    openssl(t, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
            "-keyout", p(f"{name}.key"), "-out", p(f"{name}.crt"), "-subj", f"/CN={cn}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def make_certs(t):
    d = os.path.join(t.tmp, "pki")
    os.makedirs(d, exist_ok=True)
    p = lambda n: os.path.join(d, n)
    make_ca(t, p, "site-ca", "Site Imaging CA")
    make_ca(t, p, "other-ca", "Some Other CA")
    openssl(t, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server.key"),
            "-out", p("server.csr"), "-subj", "/CN=pacs.site.invalid")
    with open(p("server.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\n")
    openssl(t, "x509", "-req", "-in", p("server.csr"), "-CA", p("site-ca.crt"), "-CAkey",
            p("site-ca.key"), "-CAcreateserial", "-days", "30", "-sha256", "-extfile",
            p("server.ext"), "-out", p("server.crt"))
    # the bundle the auditor gives: another CA first, the site CA second (both must be read)
    with open(p("bundle.pem"), "w") as out:
        for n in ("other-ca.crt", "site-ca.crt"):
            with open(p(n)) as f:
                out.write("# " + n + "\n" + f.read())
    with open(p("garbage.pem"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    open(p("empty.pem"), "w").close()
    return p


def check_of(scan, rule, port):
    for c in scan.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == f"{IP}:{port}":
            return c
    return None


def tls_scan(t, port, extra=()):
    r = t.scan([IP, "-p", str(port), "--probes", "dicom_tls", "--assoc-deadline", "5s",
                "--acse-timeout", "2s", "--io-timeout", "3s", *extra])
    t.expect_rc(r, 0)
    o = h.one_observation(t, r.scan, "dicom_tls", IP, port)
    t.require_that(o is not None and o["data"].get("handshake_ok") is True,
                   f"handshake with storescp +tls :{port}", o)
    return r.scan, o["data"]


def main(t):
    h.require("openssl")
    h.require("storescp")
    p = make_certs(t)
    port = h.free_port()
    out = os.path.join(t.tmp, "storescp-out")
    os.makedirs(out)
    srv = t.start("storescp-tls", ["storescp", "--fork", "-aet", "STORESCP", "-od", out,
                                   "+tls", p("server.key"), p("server.crt"), "-ic", str(port)])
    t.wait_until(f"storescp +tls :{port}", lambda: t.tcp_open(IP, port), srv=srv)
    # control: another client verifies the server against the site CA and not without it
    ok = subprocess.run(["openssl", "s_client", "-connect", f"{IP}:{port}", "-CAfile",
                         p("site-ca.crt"), "-verify_return_error"], input="",
                        capture_output=True, text=True, timeout=20)
    t.require_that(ok.returncode == 0 and "Verify return code: 0 (ok)" in ok.stdout,
                   "control: openssl s_client verifies storescp against the site CA",
                   ok.stdout[-1500:] + ok.stderr[-1500:])

    # --- no --tls-ca
    s, d = tls_scan(t, port)
    t.expect_eq(d.get("trust_anchors"), ["system"], "no --tls-ca: trust anchors", d)
    t.expect_eq((d.get("verified"), d.get("trusted_by")), (False, ""),
                "no --tls-ca: not verified", d)
    # 20 unable to get local issuer certificate / 21 unable to verify the first certificate
    t.expect(d.get("verify_code") in (20, 21),
             f"no --tls-ca: verify code {d.get('verify_code')} ({d.get('verify_result')})", d)
    f = h.findings(s, IP, port, "TLS-CERT-UNTRUSTED")
    t.expect(len(f) == 1 and f[0].get("summary") == "certificate does not chain to a trusted CA",
             "no --tls-ca: TLS-CERT-UNTRUSTED fails (not self-signed)", f)
    ev = f[0].get("evidence", []) if f else []
    t.expect(any(e.startswith("verification against the system trust store:") for e in ev) and
             any("no site CA given" in e and "--tls-ca" in e for e in ev),
             "no --tls-ca: evidence names the system store and suggests --tls-ca", ev)

    # --- --tls-ca with a bundle holding the site CA
    s, d = tls_scan(t, port, ["--tls-ca", p("bundle.pem")])
    t.expect_eq(d.get("trust_anchors"), ["system", f"site CA {p('bundle.pem')} (2 certificates)"],
                "--tls-ca bundle: trust anchors", d)
    t.expect_eq((d.get("verified"), d.get("trusted_by"), d.get("verify_code")),
                (True, "site CA", 0), "--tls-ca bundle: verified by the site CA", d)
    t.expect(not h.findings(s, IP, port, "TLS-CERT-UNTRUSTED"),
             "--tls-ca bundle: no TLS-CERT-UNTRUSTED finding", h.findings(s, IP, port))
    c = check_of(s, "TLS-CERT-UNTRUSTED", port)
    t.expect(c is not None and c.get("verdict") == "pass" and
             p("bundle.pem") in c.get("reason", "") and "site CA bundle" in c.get("reason", ""),
             "--tls-ca bundle: TLS-CERT-UNTRUSTED passes, naming the site CA file", c)

    # --- --tls-ca with an unrelated CA
    s, d = tls_scan(t, port, ["--tls-ca", p("other-ca.crt")])
    t.expect_eq(d.get("verified"), False, "--tls-ca other CA: not verified", d)
    f = h.findings(s, IP, port, "TLS-CERT-UNTRUSTED")
    ev = f[0].get("evidence", []) if f else []
    t.expect(len(f) == 1 and any(p("other-ca.crt") in e for e in ev) and
             any("does not end in the site CA" in e for e in ev),
             "--tls-ca other CA: TLS-CERT-UNTRUSTED fails, evidence names the file", f)

    # --- unusable --tls-ca files: usage errors, nothing sent
    for name, why in (("garbage.pem", "no PEM certificate"), ("empty.pem", "no PEM certificate"),
                      ("missing.pem", "cannot read")):
        r = t.scan([IP, "-p", str(port), "--tls-ca", p(name)])
        t.expect_rc(r, 2, fatal=False)
        t.expect("--tls-ca" in r.stderr and why in r.stderr and p(name) in r.stderr,
                 f"--tls-ca {name}: clear error on stderr", r.stderr[-1000:])
        t.expect(r.scan is None, f"--tls-ca {name}: no scan.json written", r.outdir)
    t.expect(srv.alive(), "storescp still running", srv.log_text()[-1500:])


if __name__ == "__main__":
    h.run(main)
