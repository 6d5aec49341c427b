// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_app_context": one A-ASSOCIATE-RQ whose Application Context Name is not
// DICOM's (PS3.7 A.2.1), and how the acceptor answered it.
#include <string>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct AppContextData {
  std::string sent_context;  // the Application Context Name proposed (a fresh 2.25 UID)
  // attempt.outcome: ok (accepted: released at once), rejected (attempt.reject holds result,
  // source, reason; 2/1-2/2 "application-context-name-not-supported" is the conformant answer),
  // aborted, or why no answer came.
  AssocAttempt attempt;
  bool released = false;  // an accepted association was released (A-RELEASE-RQ) at once
};
PACSCAN_JSON_TYPE(AppContextData, sent_context, attempt, released)

template <>
struct ProbeDataTraits<AppContextData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_app_context";
};

}  // namespace pacscan
