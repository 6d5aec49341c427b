// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <vector>

#include <pacscan/scan/engine.hpp>

namespace pacscan::cli {

// Prints the plan of a scan (scope, ports, probes, limits, worst case) on stdout.
int print_plan(const ScanRequest& req, const std::vector<const ProbeSpec*>& probes);

}  // namespace pacscan::cli
