// SPDX-License-Identifier: Apache-2.0
// docs/rules.md is generated from the rules table: this fails when someone edits one and not the
// other. Regenerate with scripts/gen-docs.sh.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <pacscan/report/report.hpp>

TEST_CASE("docs/rules.md matches the rules table") {
  std::ifstream in(std::string(PACSCAN_SOURCE_DIR) + "/docs/rules.md");
  REQUIRE_MESSAGE(in.good(), "docs/rules.md missing: run scripts/gen-docs.sh");
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK_MESSAGE(ss.str() == pacscan::report::render_rules("md"),
                "docs/rules.md is stale: run scripts/gen-docs.sh");
}
