# SPDX-License-Identifier: Apache-2.0
# Sourced by the README's two commands. They need root (apt, network namespaces); a root shell
# often has no sudo at all, and a user shell usually has it: run as we are when root, else re-run
# the same script through sudo, else say what to do.
ensure_root() {
  [[ $(id -u) -eq 0 ]] && return 0
  if command -v sudo >/dev/null 2>&1; then
    echo "$(basename "$0"): not root: re-running through sudo" >&2
    exec sudo --preserve-env=PACSCAN_BUILD_DIR,PACSCAN_DEMO_OUT,PSLAB_DIR bash "$(readlink -f "$0")" "$@"
  fi
  echo "$(basename "$0"): needs root (apt-get, network namespaces) and sudo is not installed: run it from a root shell" >&2
  exit 2
}
