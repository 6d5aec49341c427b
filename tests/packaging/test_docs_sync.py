#!/usr/bin/python3
"""The man page (docs/pacscan.1) and the bash completion (packaging/bash-completion/pacscan) stay
true to the binary: every subcommand and every option that `pacscan <sub> --help` prints must be
described in that subcommand's section of the man page, and the completion must offer every
subcommand and, after `pacscan <sub> -`, every option. The completion is exercised in a real
bash (its function is called as readline would), not grepped. A failure says exactly what is
missing where, so whoever adds an option knows which file to update."""
import argparse
import os
import re
import shutil
import subprocess
import sys


def help_text(pacscan, *sub):
    r = subprocess.run([pacscan, *sub, "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        sys.exit(f"FAIL: {pacscan} {' '.join(sub)} --help exited {r.returncode}: {r.stderr}")
    return r.stdout


def section(text, name):
    """Lines of CLI11's help section NAME (e.g. 'Options:'), up to the next section."""
    out, inside = [], False
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Za-z ]*:$", line):
            inside = line == name
            continue
        if inside:
            out.append(line)
    return out


def options_of(text):
    """Every spelling of every option: '  -i,--iL,--input-list TEXT  ...' -> -i --iL --input-list."""
    opts = []
    for line in section(text, "Options:"):
        m = re.match(r"^  (-[^\s]+)", line)
        if m:
            opts += [o for o in m.group(1).split(",") if o.startswith("-")]
    return opts


def subcommands_of(text):
    return [l.split()[0] for l in section(text, "Subcommands:") if l.startswith("  ") and l.split()]


def man_sections(path):
    """The man page as plain text per part: 'global' (before SUBCOMMANDS) and one per
    subcommand (.SS "pacscan SUB ...")."""
    parts, current = {"global": []}, "global"
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            m = re.match(r'^\.SS\s+"?pacscan (\w+)', line)
            if m:
                current = m.group(1)
                parts.setdefault(current, [])
                continue
            if re.match(r"^\.SH\s", line) and current != "global":
                current = "after"  # sections after SUBCOMMANDS belong to no subcommand
                parts.setdefault(current, [])
            text = re.sub(r"\\f[BIRP]|\\f\(..|\\f\[[^]]*\]", "", line)
            text = text.replace("\\-", "-").replace("\\(em", "-").replace("\\e", "\\")
            parts[current].append(text)
    return {k: "\n".join(v) for k, v in parts.items()}


def mentions(text, opt):
    return re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) is not None


def completion(bash, script, words):
    """COMPREPLY of the completion function for the command line WORDS (last one = cursor)."""
    prog = r'''
        set -u
        _init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]:-};
                             words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; return 0; }
        _filedir() { :; }
        _available_interfaces() { :; }
        source "$1"; shift
        fn=$(complete -p pacscan | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
        [ -n "$fn" ] || { echo "no completion function registered for pacscan" >&2; exit 3; }
        COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
        COMPREPLY=()
        "$fn" pacscan "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\n' "${COMPREPLY[@]}"
    '''
    r = subprocess.run([bash, "-c", prog, "bash", script, *words], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        sys.exit(f"FAIL: bash completion {script} for {' '.join(words)!r}: exit {r.returncode}: "
                 f"{r.stderr}")
    return set(r.stdout.split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pacscan", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    man_path = os.path.join(a.source, "docs", "pacscan.1")
    comp_path = os.path.join(a.source, "packaging", "bash-completion", "pacscan")
    bash = shutil.which("bash") or "/bin/bash"
    problems = []

    top = help_text(a.pacscan)
    subs = subcommands_of(top)
    if len(subs) < 2:
        sys.exit(f"FAIL: found no subcommands in `pacscan --help`:\n{top}")
    man = man_sections(man_path)
    checked = 0
    for opt in options_of(top):
        checked += 1
        if not mentions(man["global"], opt):
            problems.append(f"{man_path}: global option {opt} (from `pacscan --help`) is not in "
                            f"GLOBAL OPTIONS")
    offered = completion(bash, comp_path, ["pacscan", ""])
    for sub in subs:
        if sub not in offered:
            problems.append(f"{comp_path}: subcommand {sub} is not offered after `pacscan `")
    for opt in options_of(top):
        if opt not in completion(bash, comp_path, ["pacscan", "-"]):
            problems.append(f"{comp_path}: option {opt} is not offered after `pacscan -`")

    for sub in subs:
        if sub not in man:
            problems.append(f'{man_path}: no section for subcommand {sub} '
                            f'(add .SS "pacscan {sub} ..." under SUBCOMMANDS)')
        opts = options_of(help_text(a.pacscan, sub))
        offered = completion(bash, comp_path, ["pacscan", sub, "-"])
        for opt in opts:
            checked += 1
            if sub in man and not mentions(man[sub], opt):
                problems.append(f'{man_path}: option {opt} of `pacscan {sub}` is not described in '
                                f'its section .SS "pacscan {sub} ..."')
            if opt not in offered:
                problems.append(f"{comp_path}: option {opt} of `pacscan {sub}` is not offered "
                                f"after `pacscan {sub} -` (add it to the opts of `{sub})` in that file)")
        print(f"ok    pacscan {sub}: {len(opts)} option spelling(s) checked")

    if problems:
        print(f"\n{len(problems)} place(s) to update:")
        for p in problems:
            print(f"  - {p}")
        print("FAIL")
        sys.exit(1)
    print(f"{checked} option spelling(s) and {len(subs)} subcommand(s): man page and completion "
          "agree with --help")
    print("PASS")


if __name__ == "__main__":
    main()
