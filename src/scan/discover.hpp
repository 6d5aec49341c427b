// SPDX-License-Identifier: Apache-2.0
#pragma once
// Host discovery for run_scan (engine.cpp): ARP on an attached segment, or none / TCP, feeding
// the sweep as hosts become known. Private to src/scan.
#include <functional>
#include <stop_token>
#include <vector>

#include <pacscan/core/gate.hpp>
#include <pacscan/scan/engine.hpp>
#include <pacscan/sweep/sweep.hpp>

#include "scan/observation_log.hpp"

namespace pacscan {

// Host discovery, on its own thread: hands each host to sweep to `feed` as soon as it is known.
// With ARP on an attached segment, the hosts of that segment that answer (each as it answers)
// plus every host off the segment; otherwise every host. Returns the hosts handed over.
// `arp_up` is told each host that answered ARP, before the host goes to the feed.
std::vector<Ipv4> discover(const ScanRequest& req, const std::vector<Ipv4>& hosts, Gate& gate,
                           std::stop_token stop, ObservationLog& writer, ScanMeta& meta,
                           SweepFeed& feed, const std::function<void(Ipv4)>& arp_up);

}  // namespace pacscan
