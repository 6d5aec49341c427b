// SPDX-License-Identifier: Apache-2.0
#pragma once
// TCP connect sweep: one thread, non-blocking connects, bounded by the Gate and the policy.
//
// Hosts arrive through a SweepFeed while the sweep runs (discovery hands each host over as it
// answers), and each host is reported once all its ports are known, so its probes can start
// while other hosts are still being found and swept.
//
// Connect timeouts adapt to the round-trip times measured during the scan, as nmap does
// (RFC 6298: srtt + 4 rttvar, per host once it answered, else over the whole scan), between
// 100 ms and --connect-timeout. A fixed 3 s is a WAN value; on a LAN a port that has not
// answered a SYN in a few round trips is filtered. A connect that times out before
// --connect-timeout is tried once more with twice the time (a lost SYN is not a filtered
// port); only then is the port filtered.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <vector>

#include <pacscan/core/gate.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/policy.hpp>
#include <pacscan/core/rtt.hpp>

namespace pacscan {

// Hosts to sweep, in the order they are found. Thread-safe.
class SweepFeed {
 public:
  void push(Ipv4 ip);
  void close();  // no host will be added any more
  // Sweep side: the next host, or nullopt (none yet, or closed and empty: see done()).
  std::optional<Ipv4> pop();
  bool done() const;  // closed and empty
  std::size_t pushed() const;  // hosts handed over so far
  // Waits up to `max` for a host or the close (the sweep has nothing else to do).
  void wait(std::chrono::milliseconds max, std::stop_token stop);

 private:
  mutable std::mutex m_mu;
  std::condition_variable_any m_cv;
  std::deque<Ipv4> m_hosts;
  std::size_t m_pushed = 0;
  bool m_closed = false;
};

inline constexpr std::chrono::milliseconds k_min_connect_timeout{100};

struct SweptPort {
  std::uint16_t port = 0;
  PortData data;
};
// A host whose ports are all swept (resumed scans: only the ports not swept before).
using HostSweptSink = std::function<void(Ipv4, std::vector<SweptPort>&&)>;

struct SweepStats {
  std::uint64_t connects = 0;   // SYNs sent (connect calls)
  std::uint64_t retries = 0;    // second connects after an adaptive timeout
  std::chrono::milliseconds last_timeout{0};  // the scan-wide adaptive timeout at the end
};

// Connects to every host x port of the feed (a host's ports at most --sweep-per-host at a time,
// hosts interleaved so no host sees a burst). `skip`: endpoints already swept (a resumed scan),
// not connected to again. Returns when the feed is done and every host reported, or on stop
// (then hosts not finished are not reported).
SweepStats run_sweep(SweepFeed& feed, const std::vector<std::uint16_t>& ports, Gate& gate,
                     const ScanPolicy& policy, std::stop_token stop,
                     const std::set<Endpoint>& skip, const HostSweptSink& swept);

}  // namespace pacscan
