// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the CLI prints on stderr. Messages can quote a file, a target or a device: every line is
// escaped (core/text.hpp) before it reaches the terminal.
#include <string>

#include <pacscan/core/scan_result.hpp>

namespace pacscan::cli {

void log_error(const std::string& msg);
void log_info(bool quiet, const std::string& msg);

// k_exit_findings when a finding is at or above `fail_on` (a severity name), else k_exit_ok.
int fail_on_exit(const ScanResult& r, const std::string& fail_on);

}  // namespace pacscan::cli
