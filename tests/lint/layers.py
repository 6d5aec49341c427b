#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The layers and what each may include (README, "Architecture"). Fails, naming file and line,
when a file includes a pacscan header of a layer it may not use, or a third-party network or
DICOM library outside the adapters.

  layer       files                                    may include (pacscan/...)
  core        include/pacscan/core, src/core           core
  rules       include/pacscan/rules, src/rules         core rules
  report      include/pacscan/report, src/report       core rules report
  net         include/pacscan/net, src/net             core net
  tls         include/pacscan/tls, src/tls             core net tls
  dicom       include/pacscan/dicom, src/dicom         core net tls dicom
  sweep       include/pacscan/sweep, src/sweep,        core net sweep
              src/discovery
  passive     include/pacscan/passive, src/passive     core rules dicom passive
  probes      probes                                   core net tls dicom scan
  scan        include/pacscan/scan, src/scan           core rules report net sweep scan
                                                       (+ src/discovery)
  cli         src/cli, src/main.cpp                    anything

Third-party libraries that talk to the network or parse DICOM: DCMTK (dcmtk/) only in dicom and
passive (its data dictionary); OpenSSL (openssl/) only in tls, dicom (dcmtls) and cli (reading
the auditor's key files); libcurl only in net (and dicom, which initialises it once); libpcap
only in net, sweep/discovery and passive. --self-test plants offenders in a scratch copy.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

LAYERS = [  # (layer, path prefixes) - the first prefix that matches a file decides its layer
    ("core", ["include/pacscan/core/", "src/core/"]),
    ("rules", ["include/pacscan/rules/", "src/rules/"]),
    ("report", ["include/pacscan/report/", "src/report/"]),
    ("net", ["include/pacscan/net/", "src/net/"]),
    ("tls", ["include/pacscan/tls/", "src/tls/"]),
    ("dicom", ["include/pacscan/dicom/", "src/dicom/"]),
    ("sweep", ["include/pacscan/sweep/", "src/sweep/", "src/discovery/"]),
    ("passive", ["include/pacscan/passive/", "src/passive/"]),
    ("probes", ["probes/"]),
    ("scan", ["include/pacscan/scan/", "src/scan/"]),
    ("cli", ["include/pacscan/cli/", "src/cli/", "src/main.cpp"]),
]
MAY_USE = {
    "core": {"core"},
    "rules": {"core", "rules"},
    "report": {"core", "rules", "report"},
    "net": {"core", "net"},
    "tls": {"core", "net", "tls"},
    "dicom": {"core", "net", "tls", "dicom"},
    "sweep": {"core", "net", "sweep"},
    "passive": {"core", "rules", "dicom", "passive"},
    "probes": {"core", "net", "tls", "dicom", "scan"},
    "scan": {"core", "rules", "report", "net", "sweep", "scan"},
    "cli": None,  # anything
}
# Private headers of src/<dir>/ count as that layer (src/discovery is part of sweep).
SRC_DIR_LAYER = {"core": "core", "rules": "rules", "report": "report", "net": "net", "tls": "tls",
                 "dicom": "dicom", "sweep": "sweep", "discovery": "sweep", "passive": "passive",
                 "scan": "scan", "cli": "cli"}
THIRD_PARTY = [  # (include regex, layers allowed)
    (r"dcmtk/", {"dicom", "passive"}),
    (r"openssl/", {"tls", "dicom", "cli"}),
    (r"curl/", {"net", "dicom"}),
    (r"pcap(/|\.h)", {"net", "sweep", "passive"}),
]
EXTS = (".cpp", ".hpp", ".h")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def layer_of(rel):
    for name, prefixes in LAYERS:
        if any(rel.startswith(p) for p in prefixes):
            return name
    return None


def used_layer(target, rel):
    """The layer an include names: <pacscan/L/...>, or a private header "dir/x.hpp" under src/."""
    m = re.match(r"pacscan/([a-z_]+)/", target)
    if m:
        return "sweep" if m.group(1) == "discovery" else m.group(1)
    m = re.match(r"([a-z_]+)/", target)
    if m and m.group(1) in SRC_DIR_LAYER:
        return SRC_DIR_LAYER[m.group(1)]
    return None  # same-directory "x.hpp", a standard or other third-party header


def check(root):
    offenders = []
    for top in ("include", "src", "probes"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith(EXTS):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                layer = layer_of(rel)
                if layer is None:
                    continue
                with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for m in INCLUDE.finditer(text):
                    target = m.group(2)
                    line = text.count("\n", 0, m.start()) + 1
                    used = used_layer(target, rel)
                    allowed = MAY_USE[layer]
                    if used and allowed is not None and used not in allowed:
                        offenders.append(f"{rel}:{line}: layer {layer} includes {target} "
                                         f"(layer {used}; {layer} may use {' '.join(sorted(allowed))})")
                    for pattern, layers in THIRD_PARTY:
                        if re.match(pattern, target) and layer not in layers:
                            offenders.append(f"{rel}:{line}: layer {layer} includes {target} "
                                             f"(only in {' '.join(sorted(layers))})")
    return offenders


def self_test(source):
    tmp = tempfile.mkdtemp(prefix="layers-")
    try:
        for d in ("include", "src", "probes"):
            shutil.copytree(os.path.join(source, d), os.path.join(tmp, d))
        clean = check(tmp)
        if clean:
            print("self-test: the copied tree is not clean:\n  " + "\n  ".join(clean))
            return 1
        plants = {
            "probes/planted_a.cpp": "#include <dcmtk/dcmnet/assoc.h>\n",
            "src/core/planted_b.cpp": "#include <pacscan/scan/probe.hpp>\n",
            "src/rules/planted_c.cpp": '#include "report/common.hpp"\n',
            "src/report/planted_d.cpp": "#include <openssl/ssl.h>\n",
            "include/pacscan/core/planted_e.hpp": "#  include <pacscan/dicom/association.hpp>\n",
        }
        harmless = ('#include <vector>\n#include "common.hpp"\n#include <pacscan/core/text.hpp>\n'
                    "// #include <dcmtk/dcmnet/assoc.h> is said in a comment, not included\n")
        for rel, text in plants.items():
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        with open(os.path.join(tmp, "probes/harmless.cpp"), "w") as f:
            f.write(harmless)
        got = check(tmp)
        ok = True
        for rel in plants:
            if not any(o.startswith(rel + ":") for o in got):
                print(f"self-test: the planted offender in {rel} was not reported")
                ok = False
        if any(o.startswith("probes/harmless.cpp") for o in got):
            print("self-test: false positive in harmless code: " + "; ".join(got))
            ok = False
        print("self-test: " + ("every planted offender reported, no false positive" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--source", required=True)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test(a.source)
    offenders = check(a.source)
    for o in offenders:
        print(o)
    if offenders:
        print(f"{len(offenders)} include(s) across the layers' rules (README, Architecture)")
        return 1
    print("every include follows the layers' rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
