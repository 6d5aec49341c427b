#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates docs/rules.md from the rules table (src/rules/catalogue.cpp). A unit test fails when
# the committed file and the table disagree, so the catalogue is never written twice by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/pacscan}
"$bin" rules --format md > docs/rules.md
echo "docs/rules.md regenerated"
