#!/usr/bin/env bash
# SPDX licence headers on every tracked source file.
#   scripts/spdx.sh          adds "// SPDX-License-Identifier: Apache-2.0" (C++) or
#                            "# SPDX-License-Identifier: Apache-2.0" (shell, Python, CMake) as
#                            the first line of each file that lacks one; a shebang stays first.
#   scripts/spdx.sh --check  lists the files that lack one and exits 1 if there are any.
# A file "has one" when one of its first 5 lines starts with that comment.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
[ "${1:-}" = "--check" ] && check=1
id="SPDX-License-Identifier: Apache-2.0"

comment_for() {
  case $1 in
    *.cpp | *.hpp | *.h | *.cc | *.c) echo "//" ;;
    *.sh | *.py | *.cmake | */CMakeLists.txt | CMakeLists.txt | .ci/run) echo "#" ;;
    packaging/bash-completion/*) echo "#" ;;
    *) echo "" ;;
  esac
}

missing=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  c=$(comment_for "$f")
  [ -n "$c" ] || continue
  head -n 5 "$f" | grep -Eq '^(//|#) SPDX-License-Identifier: ' && continue
  if [ "$check" -eq 1 ]; then
    echo "missing SPDX header: $f"
    missing=$((missing + 1))
    continue
  fi
  tmp=$(mktemp)
  if head -n 1 "$f" | grep -q '^#!'; then
    { head -n 1 "$f"; echo "$c $id"; tail -n +2 "$f"; } >"$tmp"
  else
    { echo "$c $id"; cat "$f"; } >"$tmp"
  fi
  chmod --reference="$f" "$tmp"
  mv "$tmp" "$f"
  echo "added: $f"
done < <(git ls-files -z)
if [ "$check" -eq 1 ]; then
  if [ "$missing" -gt 0 ]; then
    echo "$missing file(s) without an SPDX header: run scripts/spdx.sh"
    exit 1
  fi
  echo "every source file has an SPDX header"
fi
