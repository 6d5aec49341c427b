// SPDX-License-Identifier: Apache-2.0
#pragma once
// TCP connect sweep: one thread, non-blocking connects, bounded by the Gate and the policy.
#include <cstdint>
#include <functional>
#include <set>
#include <stop_token>
#include <vector>

#include <pacscan/core/gate.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/policy.hpp>

namespace pacscan {

using SweepSink = std::function<void(const Endpoint&, const PortData&)>;

// Connects to every host x port (ports interleaved across hosts: no host sees a burst), reports
// open / closed / filtered for each through `sink` (called on the sweep thread).
// `skip`: endpoints already swept (a resumed scan), not connected to again.
void run_sweep(const std::vector<Ipv4>& hosts, const std::vector<std::uint16_t>& ports, Gate& gate,
               const ScanPolicy& policy, std::stop_token stop, const std::set<Endpoint>& skip,
               const SweepSink& sink);

}  // namespace pacscan
