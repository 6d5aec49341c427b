// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_echo": C-ECHO as the least-privileged identity that was accepted.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct EchoData {
  AssocAttempt attempt;
  Outcome echo_outcome = Outcome::skipped;
  int status = -1;  // C-ECHO-RSP status (0 = success), -1 when none received
  std::string detail;
  // The association proposed the service contexts too and was kept for dicom_services (which
  // records the whole negotiation) and dicom_null_query: `attempt` lists Verification's only.
  bool shared_association = false;
};
PACSCAN_JSON_TYPE(EchoData, attempt, echo_outcome, status, detail, shared_association)

template <>
struct ProbeDataTraits<EchoData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_echo";
};

}  // namespace pacscan
