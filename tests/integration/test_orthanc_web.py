#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Probe http_imaging and the web rules against real servers, on loopback inside `unshare -n`:
Debian's Orthanc (1.10.1) with HTTP authentication off, on with its implicit default user, and on
with a declared user; a plain `python3 -m http.server`; and `openssl s_server -www` with a
self-signed certificate as an HTTPS-only peer (Orthanc 1.10.1 itself crashes on its first HTTPS
connection when SslEnabled is true, so its HTTPS is not tested); and, because Debian 12 ships no
DICOMweb plugin for Orthanc, a minimal stand-in written here that answers QIDO-RS studies queries
with one study whose patient name is the canary (the count must be kept, the name never).

Also checked: no response body reaches any output (markers from /system's JSON and from the
Explorer page), at most 8 requests per endpoint, exactly one default-credential attempt and only
after a 401 with a Basic challenge."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h

IP = "127.0.0.1"
PROBES = "dicom_associate,http_imaging"
WEB_RULES = ("ASSET-IMAGING-WEB", "WEB-ORTHANC-NOAUTH", "WEB-ORTHANC-DEFAULT-CREDS",
             "WEB-DICOMWEB-NOAUTH", "WEB-CLEARTEXT-HTTP", "VULN-ORTHANC-VERSION")
# Strings that only a stored body could carry: /system keys pacscan does not keep, Explorer page.
BODY_MARKERS = (b"DatabaseVersion", b"StorageAreaPlugin", b"CheckRevisions", b"jquery",
                b"Directory listing")
MAX_REQUESTS = 8


def version_tuple(text):
    out = []
    for part in str(text).split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        out.append(int(digits))
    return tuple(out + [0] * (3 - len(out)))


def verdict(scan, rule, port):
    for c in scan.get("checks", []):
        if c.get("rule_id") == rule and c.get("asset") == f"{IP}:{port}":
            return c.get("verdict")
    return None


def web_obs(t, scan, port):
    o = h.one_observation(t, scan, "http_imaging", IP, port)
    return (o or {}).get("data") or {}


def expect_no_body(t, outdir):
    hits = []
    for root, _, files in os.walk(outdir):
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                data = f.read()
            hits += [f"{p}: {m.decode()}" for m in BODY_MARKERS if m in data]
    t.expect(not hits, f"no response body text in any output under {outdir}", hits)


def expect_bounded_requests(t, d, port):
    reqs = d.get("requests") or []
    t.expect(0 < len(reqs) <= MAX_REQUESTS, f":{port} made 1..{MAX_REQUESTS} requests "
             f"(made {len(reqs)})", reqs)
    creds = [r for r in reqs if r.get("with_credentials")]
    t.expect(len(creds) <= 1, f":{port} at most one default-credential attempt", creds)
    if creds:
        first = next((r for r in reqs if r.get("path") == "/system"
                      and not r.get("with_credentials")), {})
        t.expect(first.get("status") == 401 and
                 str(first.get("www_authenticate", "")).lower().startswith("basic"),
                 f":{port} the default login was tried only after a 401 Basic challenge", reqs)


def scan_web(t, ports):
    r = t.scan([IP, "-p", ",".join(str(p) for p in ports), "--probes", PROBES,
                "--assoc-deadline", "5s"])
    t.expect_rc(r, 0)
    t.expect_outputs(r)
    return r


def case_noauth(t):
    print("--- Orthanc, RemoteAccessAllowed true, AuthenticationEnabled false")
    srv = t.start_orthanc("permissive", RemoteAccessAllowed=True, AuthenticationEnabled=False)
    r = scan_web(t, [srv.port, srv.http_port])
    s = r.scan
    d = web_obs(t, s, srv.http_port)
    t.expect_eq(d.get("product"), "orthanc", "product", d)
    t.expect_eq(d.get("scheme"), "http", "scheme", d)
    t.expect_eq(d.get("system_status"), 200, "/system without credentials", d)
    t.expect_eq(d.get("default_creds_tried"), False, "no default login needed", d)
    t.expect_eq(d.get("explorer_found"), True, "Orthanc Explorer found", d)
    orth = d.get("orthanc") or {}
    t.expect_eq(orth.get("dicom_aet"), "ORTHANC", "DicomAet from /system", orth)
    t.expect_eq(orth.get("dicom_port"), srv.port, "DicomPort from /system", orth)
    t.expect(bool(orth.get("version")), f"Version from /system: {orth.get('version')!r}", orth)
    print(f"      (Orthanc /system: Version {orth.get('version')!r}, ApiVersion "
          f"{orth.get('api_version')}, Name {orth.get('name')!r}; requests: "
          + ", ".join(f"{x.get('path')} {x.get('status')}" for x in d.get("requests", [])) + ")")
    expect_bounded_requests(t, d, srv.http_port)
    required = ["ASSET-IMAGING-WEB", "WEB-ORTHANC-NOAUTH", "WEB-CLEARTEXT-HTTP"]
    if version_tuple(orth.get("version")) < (1, 12, 11):
        required.append("VULN-ORTHANC-VERSION")
    h.expect_rules(t, s, IP, srv.http_port, required=required,
                   forbidden=["WEB-ORTHANC-DEFAULT-CREDS", "WEB-DICOMWEB-NOAUTH"])
    vuln = h.findings(s, IP, srv.http_port, "VULN-ORTHANC-VERSION")
    if vuln:
        t.expect_eq(vuln[0].get("confidence"), "version_inferred", "VULN confidence", vuln[0])
    t.expect_eq(verdict(s, "WEB-ORTHANC-DEFAULT-CREDS", srv.http_port), "pass",
                "default-creds verdict", s.get("checks"))
    t.expect(not h.observations(s, "http_imaging", IP, srv.port) or
             all(o.get("outcome") == "skipped"
                 for o in h.observations(s, "http_imaging", IP, srv.port)),
             "http_imaging does not run on the DICOM port",
             h.observations(s, "http_imaging", IP, srv.port))
    web_on_dicom = [x for x in h.rules_at(s, IP, srv.port) if x in WEB_RULES]
    t.expect(not web_on_dicom, "no web finding on the DICOM port", web_on_dicom)
    expect_no_body(t, r.outdir)
    h.expect_finding_shape(t, s)
    t.expect(srv.alive(), "Orthanc still running", srv.log_text()[-2000:])
    t.stop(srv)


def case_default_user(t):
    print("--- Orthanc, AuthenticationEnabled true, no RegisteredUsers (implicit default user)")
    srv = t.start_orthanc("permissive", RemoteAccessAllowed=True, AuthenticationEnabled=True)
    t.expect("Creating a default user" in srv.log_text(),
             "Orthanc logged that it created its default user", srv.log_text()[-2000:])
    r = scan_web(t, [srv.http_port])
    s = r.scan
    d = web_obs(t, s, srv.http_port)
    t.expect_eq(d.get("product"), "orthanc", "product", d)
    t.expect_eq(d.get("system_status"), 401, "/system without credentials", d)
    t.expect_eq(d.get("basic_auth_challenge"), True, "Basic challenge seen", d)
    t.expect_eq(d.get("default_creds_tried"), True, "one default login tried", d)
    t.expect_eq(d.get("default_creds_work"), True, "default login orthanc:orthanc accepted", d)
    t.expect_eq((d.get("orthanc") or {}).get("via_credentials"), True,
                "/system read with the default login", d.get("orthanc"))
    expect_bounded_requests(t, d, srv.http_port)
    t.expect_eq(len([x for x in d.get("requests", []) if x.get("with_credentials")]), 1,
                "exactly one request with credentials", d.get("requests"))
    h.expect_rules(t, s, IP, srv.http_port,
                   required=["ASSET-IMAGING-WEB", "WEB-ORTHANC-DEFAULT-CREDS",
                             "WEB-CLEARTEXT-HTTP"],
                   forbidden=["WEB-ORTHANC-NOAUTH", "WEB-DICOMWEB-NOAUTH"])
    clear = h.findings(s, IP, srv.http_port, "WEB-CLEARTEXT-HTTP")
    if clear:
        t.expect_eq(clear[0].get("severity"), "high", "Basic auth over HTTP raises cleartext",
                    clear[0])
    expect_no_body(t, r.outdir)
    t.expect(srv.alive(), "Orthanc still running", srv.log_text()[-2000:])
    t.stop(srv)


def case_declared_user(t):
    print("--- Orthanc, AuthenticationEnabled true, one declared user")
    srv = t.start_orthanc("permissive", RemoteAccessAllowed=True, AuthenticationEnabled=True,
                          RegisteredUsers={"labadmin": "Lab-only-7f3a9c2e"})
    r = scan_web(t, [srv.http_port])
    s = r.scan
    d = web_obs(t, s, srv.http_port)
    t.expect_eq(d.get("product"), "orthanc", "product (from the Basic realm)", d)
    t.expect_eq(d.get("default_creds_tried"), True, "one default login tried", d)
    t.expect_eq(d.get("default_creds_work"), False, "default login refused", d)
    t.expect_eq((d.get("orthanc") or {}).get("readable"), False, "/system not readable", d)
    expect_bounded_requests(t, d, srv.http_port)
    for rule in ("WEB-ORTHANC-NOAUTH", "WEB-ORTHANC-DEFAULT-CREDS", "WEB-DICOMWEB-NOAUTH"):
        t.expect_eq(verdict(s, rule, srv.http_port), "pass", f"{rule} verdict", s.get("checks"))
    t.expect_eq(verdict(s, "VULN-ORTHANC-VERSION", srv.http_port), "not_evaluated",
                "version unknown without credentials", s.get("checks"))
    h.expect_rules(t, s, IP, srv.http_port, required=["ASSET-IMAGING-WEB"],
                   forbidden=["WEB-ORTHANC-NOAUTH", "WEB-ORTHANC-DEFAULT-CREDS"])
    expect_no_body(t, r.outdir)
    t.stop(srv)


def case_plain_http(t):
    print("--- python3 -m http.server")
    srv = t.start_http()
    r = scan_web(t, [srv.port])
    s = r.scan
    d = web_obs(t, s, srv.port)
    t.expect_eq(d.get("product"), "unknown-http", "product", d)
    t.expect_eq(d.get("default_creds_tried"), False, "no default login tried", d)
    t.expect("SimpleHTTP" in str(d.get("server")), f"Server header kept: {d.get('server')!r}", d)
    expect_bounded_requests(t, d, srv.port)
    t.expect_eq(h.rules_at(s, IP, srv.port), [], "no finding on a plain HTTP server",
                h.findings(s, IP, srv.port))
    for rule in WEB_RULES:
        t.expect_eq(verdict(s, rule, srv.port), "pass", f"{rule} verdict", s.get("checks"))
    expect_no_body(t, r.outdir)


def case_https_only(t):
    print("--- openssl s_server -www (HTTPS only, self-signed)")
    openssl = h.require("openssl")
    key, crt = os.path.join(t.tmp, "web.key"), os.path.join(t.tmp, "web.crt")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "2", "-subj", "/CN=pacscan-test"], check=True,
                   capture_output=True)
    port = h.free_port()
    srv = t.start("s_server", [openssl, "s_server", "-quiet", "-www", "-accept", f"{IP}:{port}",
                               "-cert", crt, "-key", key])
    t.wait_until("s_server", lambda: t.tcp_open(IP, port), srv=srv)
    r = scan_web(t, [port])
    s = r.scan
    d = web_obs(t, s, port)
    t.expect_eq(d.get("https_tried"), True, "HTTPS tried after a non-HTTP reply", d)
    t.expect_eq(d.get("https_works"), True, "HTTPS works", d)
    t.expect_eq(d.get("scheme"), "https", "scheme", d)
    t.expect_eq(d.get("product"), "unknown-http", "product", d)
    first = (d.get("requests") or [{}])[0]
    t.expect(first.get("scheme") == "http" and first.get("status") == 0,
             f"plain HTTP got no HTTP reply ({first.get('error')!r})", d.get("requests"))
    expect_bounded_requests(t, d, port)
    t.expect_eq(h.rules_at(s, IP, port), [], "no finding on a non-imaging HTTPS server",
                h.findings(s, IP, port))
    t.expect(srv.alive(), "s_server still running", srv.log_text()[-2000:])


DICOMWEB_STANDIN = r"""
import http.server, json, sys
ENTRY = {"0020000D": {"vr": "UI", "Value": ["1.2.826.0.1.3680043.10.1138.9.1"]},
         "00100010": {"vr": "PN", "Value": [{"Alphabetic": "PACSCAN^CANARY^DO-NOT-LEAK"}]},
         "00100020": {"vr": "LO", "Value": ["CANARY-0001"]}}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = "AUTH" if self.headers.get("Authorization") else "-"
        print("REQUEST", self.path, auth, flush=True)
        if self.path.startswith("/dicom-web/studies"):
            body, ctype, code = json.dumps([ENTRY]).encode(), "application/dicom+json", 200
        else:
            body, ctype, code = b"not here", "text/plain", 404
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
print("listening", flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""
ALLOWED_PATHS = {"/system", "/app/explorer.html",
                 "/dicom-web/studies?limit=1&includefield=0020000D",
                 "/dcm4chee-arc/aets/DCM4CHEE/rs/studies?limit=1"}


def case_dicomweb(t):
    print("--- DICOMweb stand-in (QIDO-RS at /dicom-web, no authentication)")
    script = os.path.join(t.tmp, "dicomweb_standin.py")
    with open(script, "w") as f:
        f.write(DICOMWEB_STANDIN)
    port = h.free_port()
    srv = t.start("dicomweb", [h.PY, "-u", script, str(port)])
    t.wait_until("dicomweb stand-in", lambda: "listening" in srv.log_text(), srv=srv)
    r = scan_web(t, [port])
    s = r.scan
    d = web_obs(t, s, port)
    t.expect_eq(d.get("product"), "dicomweb", "product", d)
    t.expect_eq(d.get("dicomweb_root"), "/dicom-web", "DICOMweb root", d)
    t.expect_eq(d.get("dicomweb_status"), 200, "QIDO status", d)
    t.expect_eq(d.get("dicomweb_study_count"), 1, "studies counted", d)
    expect_bounded_requests(t, d, port)
    h.expect_rules(t, s, IP, port,
                   required=["ASSET-IMAGING-WEB", "WEB-DICOMWEB-NOAUTH", "WEB-CLEARTEXT-HTTP"],
                   forbidden=["WEB-ORTHANC-NOAUTH", "WEB-ORTHANC-DEFAULT-CREDS",
                              "VULN-ORTHANC-VERSION"])
    dw = h.findings(s, IP, port, "WEB-DICOMWEB-NOAUTH")
    if dw:
        t.expect_eq(dw[0].get("evidence_level"), "data", "evidence level (count only)", dw[0])
    h.expect_no_canary(t, r.outdir)
    t.expect(b"1.2.826.0.1.3680043.10.1138.9.1" not in
             open(os.path.join(r.outdir, "scan.json"), "rb").read(), "study UID not kept")
    sent = [l.split()[1] for l in srv.log_text().splitlines() if l.startswith("REQUEST")]
    t.expect(sent and set(sent) <= ALLOWED_PATHS and len(sent) <= MAX_REQUESTS,
             f"the server saw only the listed requests ({len(sent)})", sent)
    t.expect(not any("AUTH" in l for l in srv.log_text().splitlines()),
             "no credentials sent to a server that asked for none", srv.log_text())


def main(t):
    h.require("Orthanc")
    case_noauth(t)
    case_default_user(t)
    case_declared_user(t)
    case_plain_http(t)
    case_https_only(t)
    case_dicomweb(t)


if __name__ == "__main__":
    h.run(main)
