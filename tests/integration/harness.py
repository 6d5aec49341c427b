# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for pacscan's integration tests (python3 stdlib only).

Each test file does:

    import harness
    def main(t):          # t: harness.Test
        srv = t.start_storescp()
        r = t.scan(["127.0.0.1", "-p", str(srv.port)])
        t.expect_rc(r, 0)
        ...
    if __name__ == "__main__":
        harness.run(main)                  # sandboxed in `unshare -n` (only `lo`)
        # harness.run(main, sandbox=False) # tests that build their own namespaces (the lab)

Invocation (what CTest does): python3 test_x.py --pacscan BUILD/pacscan --source REPO

Rules kept here:
- sandbox() re-executes the test under `unshare -n` and brings `lo` up: the test and every
  server it starts can reach nothing but loopback addresses of a private namespace.
- Every process a test starts is started in its own session and killed (its whole process
  group: storescp/dcmqrscp fork children too) when the test ends, whatever the outcome.
- Exit code 77 (skip) only when a server binary is missing; a failed expectation exits 1.
- Expectations are collected (t.expect...) so one run reports every mismatch, each with the
  JSON it was judged on.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

# DICOM UIDs (PS3.4, PS3.6) used to judge per-context results without relying on short names.
UID_VERIFICATION = "1.2.840.10008.1.1"
UID_STORAGE_PREFIX = "1.2.840.10008.5.1.4.1.1."
UID_FIND = {"1.2.840.10008.5.1.4.1.2.1.1", "1.2.840.10008.5.1.4.1.2.2.1"}
UID_MOVE = {"1.2.840.10008.5.1.4.1.2.1.2", "1.2.840.10008.5.1.4.1.2.2.2"}
UID_GET = {"1.2.840.10008.5.1.4.1.2.1.3", "1.2.840.10008.5.1.4.1.2.2.3"}
UID_MWL = {"1.2.840.10008.5.1.4.31"}

DICOM_PROBES = ("dicom_associate", "dicom_echo", "dicom_ae_policy", "dicom_services")
CANARY_NAME = "PACSCAN^CANARY^DO-NOT-LEAK"   # patient name of the synthetic canary object
CANARY_MARKERS = (b"DO-NOT-LEAK", b"CANARY-000", b"CANARY^")  # name parts and patient IDs


class Skip(Exception):
    pass


class Fatal(Exception):
    """A failure after which the rest of the test makes no sense."""


# ------------------------------------------------------------------------------------------
# isolation

def isolated():
    try:
        out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    names = [l.split(":")[1].strip().split("@")[0] for l in out.splitlines() if ":" in l]
    return names == ["lo"]


def sandbox():
    """Re-exec the current test under `unshare -n` unless already isolated; bring lo up."""
    if os.environ.get("PACSCAN_TEST_SANDBOX") != "1":
        if shutil.which("unshare") is None:
            raise Fatal("unshare(1) not found: cannot isolate the test (util-linux)")
        env = dict(os.environ, PACSCAN_TEST_SANDBOX="1")
        argv = ["unshare", "-n", "--", PY, os.path.abspath(sys.argv[0])] + sys.argv[1:]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execvpe("unshare", argv, env)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    if not isolated():
        raise Fatal("sandbox: expected a network namespace with only `lo`")


# ------------------------------------------------------------------------------------------
# small utilities

def free_port(addr="127.0.0.1"):
    s = socket.socket()
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def require(binary):
    path = shutil.which(binary) or (binary if os.path.exists(binary) else None)
    if path is None:
        raise Skip(f"{binary} not installed")
    return path


def short(obj, limit=6000):
    text = json.dumps(obj, indent=1, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more chars)"


def fmt_ms(s):
    return f"{s * 1000:.0f} ms"


def dur_ms(text):
    """'3s' / '500ms' / '2' (seconds) -> milliseconds."""
    text = str(text)
    if text.endswith("ms"):
        return int(float(text[:-2]))
    if text.endswith("s"):
        return int(float(text[:-1]) * 1000)
    if text.endswith("m"):
        return int(float(text[:-1]) * 60000)
    return int(float(text) * 1000)


# ------------------------------------------------------------------------------------------
# servers

class Server:
    def __init__(self, name, proc, log, port=None, **info):
        self.name, self.proc, self.log, self.port = name, proc, log, port
        self.__dict__.update(info)

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class ScanRun:
    def __init__(self, argv, rc, stdout, stderr, elapsed, outdir):
        self.argv, self.rc, self.stdout, self.stderr = argv, rc, stdout, stderr
        self.elapsed, self.outdir = elapsed, outdir
        self.scan = None
        self.jsonl = None
        self.load_error = None
        p = os.path.join(outdir, "scan.json") if outdir else None
        if p and os.path.exists(p):
            try:
                with open(p) as f:
                    self.scan = json.load(f)
            except ValueError as e:
                self.load_error = f"scan.json: {e}"
        q = os.path.join(outdir, "observations.jsonl") if outdir else None
        if q and os.path.exists(q):
            self.jsonl = []
            with open(q) as f:
                for i, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        self.jsonl.append(json.loads(line))
                    except ValueError as e:
                        self.load_error = f"observations.jsonl line {i}: {e}"

    def describe(self):
        return (f"$ {' '.join(self.argv)}\nexit {self.rc} after {self.elapsed:.1f}s\n"
                f"--- stdout (tail)\n{self.stdout[-3000:]}\n--- stderr (tail)\n{self.stderr[-3000:]}")


class Test:
    def __init__(self, args, tmp):
        self.pacscan = os.path.abspath(args.pacscan)
        self.source = os.path.abspath(args.source)
        self.tmp = tmp
        self.procs = []
        self.failures = []
        self.lab = os.path.join(self.source, "tests", "lab")
        self.hostile = os.path.join(self.lab, "hostile.py")
        self.env = dict(os.environ, TCP_NODELAY="1")
        self._n = 0

    # --- expectations ---------------------------------------------------------------------
    def expect(self, cond, msg, context=None):
        if cond:
            print(f"ok    {msg}")
            return True
        print(f"FAIL  {msg}")
        if context is not None:
            text = context if isinstance(context, str) else short(context)
            print("      " + text.replace("\n", "\n      "))
        self.failures.append(msg)
        return False

    def require_that(self, cond, msg, context=None):
        if not self.expect(cond, msg, context):
            raise Fatal(msg)

    def expect_eq(self, got, want, msg, context=None):
        return self.expect(got == want, f"{msg}: {got!r} == {want!r}", context)

    def expect_rc(self, run, want, fatal=True):
        ok = run.rc == want if not isinstance(want, (set, tuple, list)) else run.rc in want
        if not ok:
            self.expect(False, f"pacscan exit code {run.rc}, expected {want}", run.describe())
            if fatal:
                raise Fatal("pacscan exit code")
        else:
            print(f"ok    pacscan exit code {run.rc} ({run.elapsed:.1f}s)")
        return ok

    def expect_outputs(self, run):
        """scan.json and observations.jsonl exist and parse; each streamed observation is in
        scan.json too."""
        self.require_that(run.load_error is None and run.scan is not None,
                          f"scan.json readable in {run.outdir}", run.load_error or run.describe())
        self.expect(run.jsonl is not None, "observations.jsonl written", run.describe())
        for key in ("meta", "hosts", "endpoints", "findings", "checks", "observations"):
            self.expect(key in run.scan, f"scan.json has key {key}", list(run.scan.keys()))
        if run.jsonl is not None:
            self.expect(len(run.jsonl) == len(run.scan.get("observations", [])),
                        f"observations.jsonl has as many lines ({len(run.jsonl)}) as "
                        f"scan.json observations ({len(run.scan.get('observations', []))})")

    # --- processes ------------------------------------------------------------------------
    def start(self, name, argv, cwd=None, env=None):
        self._n += 1
        log = os.path.join(self.tmp, f"{self._n:02d}-{name}.log")
        f = open(log, "w")
        proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd or self.tmp, env=env or self.env, start_new_session=True)
        f.close()
        srv = Server(name, proc, log)
        self.procs.append(srv)
        return srv

    def stop(self, srv, sig=signal.SIGTERM):
        if srv.proc.poll() is None:
            try:
                os.killpg(srv.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                srv.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        # the group may still hold fork children (storescp --fork, dcmqrscp)
        try:
            os.killpg(srv.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            srv.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def cleanup(self):
        for srv in reversed(self.procs):
            self.stop(srv)
        self.procs = []

    def wait_until(self, what, fn, timeout=20.0, srv=None):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if srv is not None and not srv.alive():
                raise Fatal(f"{what}: server exited (rc {srv.proc.returncode}):\n{srv.log_text()[-3000:]}")
            try:
                if fn():
                    return
            except Exception:
                pass
            time.sleep(0.1)
        raise Fatal(f"{what}: not ready after {timeout}s" +
                    (f"\n{srv.log_text()[-3000:]}" if srv else ""))

    def echo_ok(self, host, port, calling="ECHOSCU", called="ANY-SCP"):
        r = subprocess.run(["echoscu", "-to", "2", "-ta", "2", "-td", "2", "-aet", calling,
                            "-aec", called, host, str(port)], capture_output=True, text=True,
                           env=self.env, timeout=15)
        return r.returncode == 0

    def echo_reject_reason(self, host, port, calling, called):
        r = subprocess.run(["echoscu", "-to", "2", "-ta", "2", "-td", "2", "-aet", calling,
                            "-aec", called, host, str(port)], capture_output=True, text=True,
                           env=self.env, timeout=15)
        m = re.search(r"Reason: (.*)", r.stdout + r.stderr)
        return m.group(1).strip() if m else None

    def storescu(self, host, port, files, calling="STORESCU", called="ANY-SCP"):
        r = subprocess.run(["storescu", "-to", "2", "-ta", "2", "-td", "2", "-aet", calling,
                            "-aec", called, host, str(port)] + list(files),
                           capture_output=True, text=True, env=self.env, timeout=30)
        return r.returncode == 0

    def start_storescp(self, port=None, aet="STORESCP", extra=()):
        require("storescp")
        require("echoscu")
        port = port or free_port()
        out = os.path.join(self.tmp, f"storescp-{port}")
        os.makedirs(out, exist_ok=True)
        srv = self.start(f"storescp-{port}", ["storescp", "--fork", "-aet", aet, "-od", out,
                                              *extra, str(port)])
        srv.port, srv.outdir = port, out
        self.wait_until(f"storescp :{port}", lambda: self.echo_ok("127.0.0.1", port), srv=srv)
        return srv

    def start_dcmqrscp(self, port=None, aet="QRSCP", peers=(("FINDSCU", "localhost"),),
                       files=(), destinations=()):
        """dcmqrscp (default fork mode: --single-process crashes in Debian 12's 3.6.7) with an
        AE allow-list. peers: (AE title, hostname as reverse DNS gives it) pairs; dcmqrscp
        never matches IP addresses; no peers: any calling AE. destinations: (AE title, host,
        port) C-MOVE destinations, not allowed as peers."""
        require("dcmqrscp")
        require("echoscu")
        port = port or free_port()
        d = os.path.join(self.tmp, f"dcmqrscp-{port}")
        db = os.path.join(d, "db")
        os.makedirs(db, exist_ok=True)
        hosts = "\n".join([f"peer{i} = ({ae}, {host}, 0)" for i, (ae, host) in enumerate(peers)] +
                          [f"dest{i} = ({ae}, {host}, {p})"
                           for i, (ae, host, p) in enumerate(destinations)])
        names = " ".join(f"peer{i}" for i in range(len(peers))) or "ANY"
        cfg = os.path.join(d, "dcmqrscp.cfg")
        with open(cfg, "w") as f:
            f.write(f"NetworkTCPPort  = {port}\nMaxPDUSize      = 16384\nMaxAssociations = 16\n"
                    f"HostTable BEGIN\n{hosts}\nHostTable END\n"
                    f"VendorTable BEGIN\nVendorTable END\n"
                    f"AETable BEGIN\n{aet}  {db}  RW  (50, 64mb)  {names}\nAETable END\n")
        for fpath in files:
            subprocess.run(["dcmqridx", db, fpath], check=True, capture_output=True)
        srv = self.start(f"dcmqrscp-{port}", ["dcmqrscp", "--fork", "-c", cfg])
        srv.port, srv.aet, srv.config = port, aet, cfg
        ready_ae = peers[0][0] if peers else "ECHOSCU"
        self.wait_until(f"dcmqrscp :{port}", lambda: self.echo_ok("127.0.0.1", port, ready_ae, aet),
                        srv=srv)
        return srv

    def orthanc_config(self, template, **overrides):
        with open(os.path.join(self.lab, f"orthanc-{template}.json")) as f:
            text = f.read()
        text = (text.replace("@STORAGE@", "/nonexistent").replace("@HTTP_PORT@", "0")
                .replace("@DICOM_PORT@", "0"))
        cfg = json.loads(text)
        cfg.update(overrides)
        return cfg

    def start_orthanc(self, template="permissive", dicom_port=None, http_port=None,
                      ready_calling="ECHOSCU", **overrides):
        exe = require("Orthanc")
        require("echoscu")
        dicom_port = dicom_port or free_port()
        http_port = http_port or free_port()
        d = os.path.join(self.tmp, f"orthanc-{dicom_port}")
        os.makedirs(os.path.join(d, "storage"), exist_ok=True)
        cfg = self.orthanc_config(template, **overrides)
        cfg.update(StorageDirectory=os.path.join(d, "storage"),
                   IndexDirectory=os.path.join(d, "storage"), DicomPort=dicom_port,
                   HttpPort=http_port)
        path = os.path.join(d, "orthanc.json")
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)
        srv = self.start(f"orthanc-{dicom_port}", [exe, path])
        srv.port, srv.http_port, srv.aet, srv.config = dicom_port, http_port, cfg["DicomAet"], cfg
        self.wait_until(f"orthanc :{dicom_port}",
                        lambda: self.echo_ok("127.0.0.1", dicom_port, ready_calling, cfg["DicomAet"]),
                        timeout=30, srv=srv)
        self.wait_until(f"orthanc http :{http_port}", lambda: self.tcp_open("127.0.0.1", http_port),
                        srv=srv)
        return srv

    def tcp_open(self, host, port, timeout=1.0):
        try:
            socket.create_connection((host, port), timeout).close()
            return True
        except OSError:
            return False

    def start_hostile(self, mode, bind="127.0.0.1", ports=None, log=None, iface="lo"):
        """tests/lab/hostile.py in MODE. Recorders/sniffers write LOG (default in tmp)."""
        if mode in ("recorder", "sniff") and log is None:
            log = os.path.join(self.tmp, f"{mode}-{bind}.log")
        argv = [PY, "-u", self.hostile, mode, "--bind", bind]
        if mode == "sniff":
            argv += ["--iface", iface]
            expect_lines = 1
        else:
            ports = ports or [free_port(bind if bind != "0.0.0.0" else "127.0.0.1")]
            argv += ["--port", ",".join(str(p) for p in ports)]
            expect_lines = len(ports)
        if log:
            argv += ["--log", log]
        srv = self.start(f"{mode}-{bind}", argv)
        srv.ports, srv.port, srv.record = ports, (ports[0] if ports else None), log
        pat = "sniffing" if mode == "sniff" else "listening on"
        self.wait_until(f"hostile {mode} {bind}",
                        lambda: srv.log_text().count(pat) >= expect_lines, srv=srv)
        return srv

    def start_http(self, bind="127.0.0.1", port=None):
        port = port or free_port(bind)
        www = os.path.join(self.tmp, "www")
        os.makedirs(www, exist_ok=True)
        srv = self.start(f"http-{bind}-{port}", [PY, "-u", "-m", "http.server", "--bind", bind,
                                                  str(port)], cwd=www)
        srv.port = port
        self.wait_until(f"http.server {bind}:{port}", lambda: "Serving HTTP" in srv.log_text(),
                        srv=srv)
        return srv

    def canary_file(self, name="canary.dcm", patient=1, study=1):
        """A synthetic DICOM object whose patient name/ID are canaries (never to be output).
        patient, study (1..9): distinct patients and studies for counting tests."""
        require("dump2dcm")
        dump = os.path.join(self.tmp, name + ".dump")
        out = os.path.join(self.tmp, name)
        with open(dump, "w") as f:
            f.write(f"""(0008,0016) UI =SecondaryCaptureImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.10.1138.9.{study}.1.1]
(0008,0020) DA [20200101]
(0008,0060) CS [OT]
(0010,0010) PN [{CANARY_NAME}]
(0010,0020) LO [CANARY-000{patient}]
(0020,000d) UI [1.2.826.0.1.3680043.10.1138.9.{study}]
(0020,000e) UI [1.2.826.0.1.3680043.10.1138.9.{study}.1]
(0020,0010) SH [CANARY]
(0020,0011) IS [1]
(0020,0013) IS [1]
""")
        subprocess.run(["dump2dcm", "-q", dump, out], check=True)
        return out

    # --- pacscan --------------------------------------------------------------------------
    def outdir(self, name="scan"):
        self._n += 1
        return os.path.join(self.tmp, f"{self._n:02d}-{name}")

    def scan(self, args, out=None, timeout=120, prefix=(), quiet=True):
        """Run `pacscan scan ARGS -o OUT`; returns a ScanRun with the loaded outputs."""
        out = out or self.outdir()
        argv = list(prefix) + [self.pacscan, "scan"] + list(args) + ["-o", out]
        if quiet:
            argv.append("-q")
        return self.run_argv(argv, out, timeout)

    def run_argv(self, argv, out, timeout=120):
        print(f"$ {' '.join(argv)}", flush=True)
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=self.env)
            rc, so, se = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc = "timeout"
            so = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            se = (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        elapsed = time.monotonic() - t0
        run = ScanRun(argv, rc, so, se, elapsed, out)
        print(f"  -> exit {rc} in {elapsed:.1f}s", flush=True)
        if rc == "timeout":
            self.expect(False, f"pacscan finished within {timeout}s", run.describe())
            raise Fatal("pacscan timed out")
        return run


# ------------------------------------------------------------------------------------------
# reading scan.json

def endpoint(scan, ip, port):
    for e in scan.get("endpoints", []):
        if e.get("ip") == ip and e.get("port") == port:
            return e
    return None


def host(scan, ip):
    for h in scan.get("hosts", []):
        if h.get("ip") == ip:
            return h
    return None


def findings(scan, ip=None, port=None, rule=None):
    out = []
    for f in scan.get("findings", []):
        if ip is not None and f.get("ip") != ip:
            continue
        if port is not None and f.get("port") != port:
            continue
        if rule is not None and f.get("rule_id") != rule:
            continue
        out.append(f)
    return out


def rules_at(scan, ip, port=None):
    return sorted({f["rule_id"] for f in findings(scan, ip, port)})


def observations(scan, probe=None, ip=None, port=None):
    out = []
    for o in scan.get("observations", []):
        if probe is not None and o.get("probe") != probe:
            continue
        if ip is not None and o.get("ip") != ip:
            continue
        if port is not None and o.get("port") != port:
            continue
        out.append(o)
    return out


def one_observation(t, scan, probe, ip, port):
    obs = observations(scan, probe, ip, port)
    t.expect(len(obs) == 1, f"exactly one {probe} observation for {ip}:{port} (got {len(obs)})",
             observations(scan, None, ip, port) if len(obs) != 1 else None)
    return obs[0] if obs else None


def attempts_in(obs):
    """Every AssocAttempt inside an observation's data."""
    d = obs.get("data") or {}
    out = []
    if isinstance(d.get("attempt"), dict):
        out.append(d["attempt"])
    for a in d.get("attempts") or []:
        if isinstance(a, dict):
            out.append(a)
    return out


def accepted_uids(attempt):
    return {c.get("abstract_syntax") for c in attempt.get("contexts") or [] if c.get("result") == 0}


def proposed_uids(attempt):
    return {c.get("abstract_syntax") for c in attempt.get("contexts") or []}


def expect_rules(t, scan, ip, port, required=(), forbidden=()):
    have = set(rules_at(scan, ip, port))
    ctx = {"findings_here": [
        {k: f.get(k) for k in ("rule_id", "id", "asset", "summary", "evidence", "evidence_level",
                               "confidence")} for f in findings(scan, ip, port)],
           "checks_here": [c for c in scan.get("checks", [])
                           if c.get("asset") in (f"{ip}:{port}", ip)]}
    for r in required:
        t.expect(r in have, f"{ip}:{port} has finding {r}", ctx)
    for r in forbidden:
        t.expect(r not in have, f"{ip}:{port} has no finding {r}",
                 [f for f in findings(scan, ip, port, r)])


def expect_finding_shape(t, scan):
    ids = [f.get("id") for f in scan.get("findings", [])]
    t.expect(len(ids) == len(set(ids)), "finding IDs are unique", ids)
    def asset_ok(f):
        want = f"{f.get('ip')}:{f.get('port')}" if f.get("port") else f.get("ip")
        return f.get("asset") == want
    bad = [f for f in scan.get("findings", [])
           if not re.fullmatch(r"PSF-[0-9a-f]{16}", str(f.get("id"))) or not asset_ok(f)]
    t.expect(not bad, "every finding has an ID PSF-<16 hex> and asset ip:port", bad[:3])


def jsonschema_module():
    try:
        import jsonschema  # Debian: python3-jsonschema (scripts/install-deps.sh)
        return jsonschema
    except ImportError:
        raise h.Fatal("python module jsonschema missing: install Debian's python3-jsonschema "
                      "(scripts/install-deps.sh does)")


def schema_errors(doc, schema_path):
    js = jsonschema_module()
    with open(schema_path) as f:
        schema = json.load(f)
    cls = js.validators.validator_for(schema)
    cls.check_schema(schema)
    v = cls(schema, format_checker=js.FormatChecker())
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:400]}"
            for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def expect_no_canary(t, outdir):
    hits = []
    for root, _, files in os.walk(outdir):
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                data = f.read()
            found = [m.decode() for m in CANARY_MARKERS if m in data.upper()]
            if found:
                hits.append(f"{p}: {found}")
    t.expect(not hits, f"no canary patient data in any output file under {outdir}", hits)


def expect_bounded(t, scan, deadline_ms, budget_ms, margin_ms=1500):
    """Every association attempt ended within the per-association deadline and every DICOM
    observation within the endpoint budget (plus a scheduling margin)."""
    late = []
    for o in scan.get("observations", []):
        if o.get("probe") in DICOM_PROBES and o.get("elapsed_ms", 0) > budget_ms + margin_ms:
            late.append({"probe": o["probe"], "ep": f"{o['ip']}:{o['port']}",
                         "elapsed_ms": o["elapsed_ms"], "limit": budget_ms + margin_ms})
        for a in attempts_in(o):
            if a.get("elapsed_ms", 0) > deadline_ms + margin_ms:
                late.append({"probe": o["probe"], "ep": f"{o['ip']}:{o['port']}",
                             "attempt_elapsed_ms": a["elapsed_ms"],
                             "limit": deadline_ms + margin_ms, "outcome": a.get("outcome")})
    t.expect(not late, f"every wait bounded (association <= {deadline_ms}+{margin_ms} ms, "
                       f"endpoint <= {budget_ms}+{margin_ms} ms)", late)


def read_lines(path):
    try:
        with open(path) as f:
            return [l.rstrip("\n") for l in f if l.strip()]
    except FileNotFoundError:
        return []


# ------------------------------------------------------------------------------------------
# entry point

def run(main, sandbox_it=True):
    ap = argparse.ArgumentParser()
    ap.add_argument("--pacscan", required=True)
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    rc = 1
    t = None
    tmp = None
    try:
        if sandbox_it:
            sandbox()
        if not os.access(args.pacscan, os.X_OK):
            raise Fatal(f"pacscan binary not found or not executable: {args.pacscan}")
        tmp = tempfile.mkdtemp(prefix="pacscan-it-" + os.path.basename(sys.argv[0])[:-3] + "-")
        t = Test(args, tmp)

        def on_term(signum, frame):
            raise KeyboardInterrupt()
        signal.signal(signal.SIGTERM, on_term)
        main(t)
        rc = 1 if t.failures else 0
    except Skip as e:
        print(f"SKIP: {e}")
        rc = SKIP
    except Fatal as e:
        print(f"FATAL: {e}")
        rc = 1
    except KeyboardInterrupt:
        print("interrupted")
        rc = 1
    except Exception:
        traceback.print_exc()
        rc = 1
    finally:
        if t is not None:
            t.cleanup()
    if t is not None and t.failures:
        print(f"\n{len(t.failures)} expectation(s) failed:")
        for f in t.failures:
            print(f"  - {f}")
    if tmp:
        if rc == 0 and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"(test files kept in {tmp})")
    print("PASS" if rc == 0 else ("SKIP" if rc == SKIP else "FAIL"))
    sys.stdout.flush()
    sys.exit(rc)
