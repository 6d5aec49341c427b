// SPDX-License-Identifier: Apache-2.0
#pragma once
// Round-trip time estimate (RFC 6298 smoothing) and the timeout it gives, as nmap adapts its
// timeouts to the round trips measured during a scan: the TCP sweep's connect timeout and ARP
// discovery's wait for a reply.
#include <chrono>
#include <cstdint>

namespace pacscan {

class RttEstimate {
 public:
  void sample(std::chrono::microseconds rtt);
  bool known() const { return m_samples > 0; }
  // srtt + 4 rttvar within [floor, ceiling]; the ceiling while nothing was measured.
  std::chrono::milliseconds timeout(std::chrono::milliseconds floor,
                                    std::chrono::milliseconds ceiling) const;

 private:
  double m_srtt_us = 0, m_rttvar_us = 0;
  std::uint64_t m_samples = 0;
};

}  // namespace pacscan
