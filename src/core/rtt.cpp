// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/rtt.hpp>

#include <algorithm>
#include <cmath>

namespace pacscan {

void RttEstimate::sample(std::chrono::microseconds rtt) {
  const double r = static_cast<double>(std::max<std::int64_t>(rtt.count(), 1));
  if (m_samples++ == 0) {
    m_srtt_us = r;
    m_rttvar_us = r / 2;
  } else {
    const double delta = r - m_srtt_us;
    m_srtt_us += delta / 8;
    m_rttvar_us += (std::abs(delta) - m_rttvar_us) / 4;
  }
}

std::chrono::milliseconds RttEstimate::timeout(std::chrono::milliseconds floor,
                                               std::chrono::milliseconds ceiling) const {
  if (m_samples == 0) return ceiling;
  const auto ms = static_cast<std::int64_t>(std::ceil((m_srtt_us + 4 * m_rttvar_us) / 1000));
  return std::clamp(std::chrono::milliseconds(ms), std::min(floor, ceiling), ceiling);
}

}  // namespace pacscan
