// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of "tcp_connect" observations: the sweep's TCP connect to one port (open / closed /
// filtered). Rules judge inventory facts on every open port.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct PortData {
  PortState state = PortState::filtered;
  std::int64_t rtt_ms = 0;
  std::string detail;  // errno text for closed/filtered
};
PACSCAN_JSON_TYPE(PortData, state, rtt_ms, detail)

template <>
struct ProbeDataTraits<PortData> : JudgedWhereObserved {
  static constexpr std::string_view name = "tcp_connect";
};

}  // namespace pacscan
