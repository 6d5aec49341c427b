// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_services": one association proposing many presentation contexts (Q/R,
// worklist, storage and a canary SOP class) and the result of each.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct ServicesData {
  AssocAttempt attempt;                 // one association proposing many contexts
  AeSource calling_source = AeSource::none;  // how "unknown" the calling AE used is
  bool canary_accepted = false;         // a bogus SOP class was accepted: accepts everything
};
PACSCAN_JSON_TYPE(ServicesData, attempt, calling_source, canary_accepted)

template <>
struct ProbeDataTraits<ServicesData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_services";
};

}  // namespace pacscan
