#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""One adapter opens sockets (issue 11): fails, naming the file and line, when code in src/,
probes/ or include/ calls one of the calls below outside the file(s) allowed to.

  socket(  connect(  pcap_inject(  pcap_sendpacket(   only src/net/socket.cpp (every path takes a
                                                      const Permit&)
  curl_easy_perform(                                  only src/net/http.cpp, which must also pin
                                                      libcurl's sockets (CURLOPT_OPENSOCKETFUNCTION)
  SSL_connect(                                        only src/tls/handshake.cpp
  ASC_requestAssociation(                             only src/dicom/association.cpp
  ASC_initializeNetwork(                              only src/dicom/ (the adapter)

Comments, string and character literals are blanked first, and a name only counts as the call
when it is a whole word (`disconnect(`, `start_connect(`, `createConnection(` are not calls of
connect). --self-test plants offenders in a scratch tree and checks each is reported.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

RULES = [
    (r"socket", {"src/net/socket.cpp"}),
    (r"connect", {"src/net/socket.cpp"}),
    (r"pcap_inject", {"src/net/socket.cpp"}),
    (r"pcap_sendpacket", {"src/net/socket.cpp"}),
    (r"curl_easy_perform", {"src/net/http.cpp"}),
    (r"SSL_connect", {"src/tls/handshake.cpp"}),
    (r"ASC_requestAssociation", {"src/dicom/association.cpp"}),
    (r"ASC_initializeNetwork", "src/dicom/"),
]
DIRS = ("src", "probes", "include")
EXTS = (".cpp", ".hpp", ".h", ".cc", ".c")


def blank_code(text):
    """Comments and literals replaced by spaces (newlines kept, so line numbers stay right)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if m:
                end = text.find(")" + m.group(1) + '"', i)
                end = n if end < 0 else end + len(m.group(1)) + 2
                out.append(re.sub(r"[^\n]", " ", text[i:end]))
                i = end
            else:
                out.append(c)
                i += 1
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (min(j + 1, n) - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def allowed(rel, where):
    return rel.startswith(where) if isinstance(where, str) else rel in where


def check(root):
    offenders = []
    for d in DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, d)):
            for name in sorted(files):
                if not name.endswith(EXTS):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as f:
                    code = blank_code(f.read())
                for call, where in RULES:
                    if allowed(rel, where):
                        continue
                    for m in re.finditer(r"(?<![\w.>])(?:::)?" + call + r"\s*\(", code):
                        # `a.connect(` / `p->connect(` are methods, not the call; `::connect(` is.
                        line = code.count("\n", 0, m.start()) + 1
                        offenders.append(f"{rel}:{line}: {call}() outside the socket adapter "
                                         f"(allowed: {where if isinstance(where, str) else ', '.join(sorted(where))})")
    http = os.path.join(root, "src/net/http.cpp")
    if os.path.exists(http):
        with open(http, encoding="utf-8") as f:
            if "CURLOPT_OPENSOCKETFUNCTION" not in blank_code(f.read()):
                offenders.append("src/net/http.cpp: libcurl's sockets are not pinned to the permit "
                                 "(no CURLOPT_OPENSOCKETFUNCTION)")
    else:
        offenders.append("src/net/http.cpp missing: where does libcurl run?")
    return offenders


def self_test(source):
    tmp = tempfile.mkdtemp(prefix="socket-gate-")
    try:
        for d in DIRS:
            shutil.copytree(os.path.join(source, d), os.path.join(tmp, d))
        clean = check(tmp)
        if clean:
            print("self-test: the copied tree is not clean:\n  " + "\n  ".join(clean))
            return 1
        plants = {
            "probes/planted_a.cpp": "int f(){ return ::socket(2, 1, 0); }\n",
            "src/sweep/planted_b.cpp": "int g(int s){ return connect (s, 0, 0); }\n",
            "src/discovery/planted_c.cpp": "void h(pcap_t* p){ pcap_inject(p, 0, 0); }\n",
            "src/scan/planted_d.cpp": "void i(CURL* c){ curl_easy_perform(c); }\n",
            "src/cli/planted_e.cpp": "void j(){ ASC_requestAssociation(0,0,0,0,0); }\n",
        }
        harmless = ("// ::socket( in a comment\nconst char* s = \"connect(\";\n"
                    "void k(X& x, Y* y){ x.connect(1); y->connect(2); disconnect(3); "
                    "start_connect(4); createConnection(5); }\n")
        for rel, text in plants.items():
            with open(os.path.join(tmp, rel), "w") as f:
                f.write(text)
        with open(os.path.join(tmp, "src/scan/harmless.cpp"), "w") as f:
            f.write(harmless)
        got = check(tmp)
        ok = True
        for rel in plants:
            if not any(o.startswith(rel + ":") for o in got):
                print(f"self-test: the planted offender in {rel} was not reported")
                ok = False
        if any(o.startswith("src/scan/harmless.cpp") for o in got):
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
        print(f"{len(offenders)} call(s) outside the socket adapter")
        return 1
    print("every socket, connect, pcap_inject, curl transfer and association is in its adapter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
