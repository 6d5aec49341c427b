#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""--tls-cert / --tls-key are checked before any packet: each bad pair is a usage error (exit 2)
whose message names the option, the file and the problem, never quotes the key, and nothing is
sent (the target is a recorder on loopback that logs every connection). Certificates and keys are
made here with openssl: a CA, a client certificate it signed, another key, an encrypted copy of
the key, and a file that is not PEM. A good pair is accepted: the scan runs and says which
certificate it holds (subject and SHA-256), not the key."""
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


def key_lines(path):
    """The base64 lines of a PEM key: none may appear in any output."""
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("-----")]


def main(t):
    h.require("openssl")
    d = os.path.join(t.tmp, "pki")
    os.makedirs(d)
    p = lambda n: os.path.join(d, n)
    openssl(t, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
            "-keyout", p("ca.key"), "-out", p("ca.crt"), "-subj", "/CN=pacscan args CA")
    openssl(t, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", p("client.key"),
            "-out", p("client.csr"), "-subj", "/CN=site-modality.test.invalid")
    openssl(t, "x509", "-req", "-in", p("client.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
            "-CAcreateserial", "-days", "30", "-sha256", "-out", p("client.crt"))
    openssl(t, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
            "-out", p("other.key"))
    openssl(t, "pkey", "-in", p("client.key"), "-aes256", "-passout", "pass:audit",
            "-out", p("client.enc.key"))
    with open(p("garbage.pem"), "w") as f:
        f.write("this is not PEM\n")
    unreadable = p("unreadable.key")
    with open(unreadable, "w") as f:
        f.write(open(p("client.key")).read())
    os.chmod(unreadable, 0)
    secret = key_lines(p("client.key")) + key_lines(p("other.key"))

    port = h.free_port()
    rec = t.start_hostile("recorder", IP, [port])

    cases = [
        ("--tls-cert without --tls-key", ["--tls-cert", p("client.crt")],
         ["--tls-cert needs --tls-key"]),
        ("--tls-key without --tls-cert", ["--tls-key", p("client.key")],
         ["--tls-key needs --tls-cert"]),
        ("missing certificate file", ["--tls-cert", p("nope.crt"), "--tls-key", p("client.key")],
         ["--tls-cert: cannot read", "nope.crt"]),
        ("certificate not PEM", ["--tls-cert", p("garbage.pem"), "--tls-key", p("client.key")],
         ["--tls-cert: no PEM certificate", "garbage.pem"]),
        ("missing key file", ["--tls-cert", p("client.crt"), "--tls-key", p("nope.key")],
         ["--tls-key: cannot read", "nope.key"]),
        ("key not PEM", ["--tls-cert", p("client.crt"), "--tls-key", p("garbage.pem")],
         ["--tls-key: no PEM private key", "garbage.pem"]),
        ("key of another certificate", ["--tls-cert", p("client.crt"), "--tls-key", p("other.key")],
         ["does not belong to the certificate", "other.key"]),
        ("encrypted key", ["--tls-cert", p("client.crt"), "--tls-key", p("client.enc.key")],
         ["is encrypted", "never prompts"]),
        ("the key given as the certificate", ["--tls-cert", p("client.key"),
                                              "--tls-key", p("client.key")],
         ["--tls-cert: no PEM certificate"]),
    ]
    if os.geteuid() != 0:  # root reads a mode-000 file anyway
        cases.append(("unreadable key", ["--tls-cert", p("client.crt"), "--tls-key", unreadable],
                      ["--tls-key: cannot read"]))
    for label, args, wants in cases:
        r = t.scan([IP, "-p", str(port), *args], timeout=30, quiet=False)
        t.expect_rc(r, 2, fatal=False)
        for w in wants:
            t.expect(w in r.stderr, f"{label}: stderr says {w!r}", r.stderr)
        t.expect(not any(s in r.stderr + r.stdout for s in secret),
                 f"{label}: no line of a key in the output")
        t.expect(not os.path.exists(os.path.join(r.outdir, "scan.json")),
                 f"{label}: nothing scanned, no scan.json", r.outdir)

    t.expect(not h.read_lines(rec.record), "no bad pair sent a packet: the recorder logged nothing",
             h.read_lines(rec.record))

    # A good pair: accepted; the scan runs (the recorder, not TLS) and names the certificate.
    r = t.scan([IP, "-p", str(port), "--tls-cert", p("client.crt"), "--tls-key", p("client.key"),
                "--assoc-deadline", "4s", "--acse-timeout", "2s", "--io-timeout", "2s"],
               timeout=240, quiet=False)
    t.expect_rc(r, 0)
    t.expect("site-modality.test.invalid" in r.stderr and "SHA-256" in r.stderr,
             "good pair: stderr names the certificate and its fingerprint", r.stderr)
    outputs = ""
    for root, _, files in os.walk(r.outdir):
        for f in files:
            with open(os.path.join(root, f), errors="replace") as fh:
                outputs += fh.read()
    t.expect(outputs != "", "good pair: outputs written")
    t.expect(not any(s in outputs + r.stderr + r.stdout for s in secret) and
             "PRIVATE KEY" not in outputs, "good pair: no line of the key in any output file")
    t.expect(len(h.read_lines(rec.record)) >= 1, "control: the good pair's scan reached the "
             "recorder", h.read_lines(rec.record))


if __name__ == "__main__":
    h.run(main)
