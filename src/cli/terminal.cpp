// SPDX-License-Identifier: Apache-2.0
#include "cli/terminal.hpp"

#include <fmt/format.h>

#include <pacscan/cli/cli.hpp>
#include <pacscan/core/text.hpp>

namespace pacscan::cli {

void log_error(const std::string& msg) {
  fmt::print(stderr, "pacscan: error: {}\n", escape_untrusted(msg));
}

void log_info(bool quiet, const std::string& msg) {
  if (!quiet) fmt::print(stderr, "pacscan: {}\n", escape_untrusted(msg));
}

int fail_on_exit(const ScanResult& r, const std::string& fail_on) {
  if (fail_on.empty()) return k_exit_ok;
  Severity threshold{};
  parse_severity(fail_on, threshold);
  for (const auto& f : r.findings) {
    if (f.severity >= threshold) return k_exit_findings;
  }
  return k_exit_ok;
}

}  // namespace pacscan::cli
