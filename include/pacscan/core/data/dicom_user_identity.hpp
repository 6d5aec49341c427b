// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_user_identity": an association proposing a bogus username + passcode
// (User Identity Negotiation, PS3.7 D.3.3.7, positive response requested), compared with the
// association without identity that dicom_ae_policy already had accepted.
#include <string>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct UserIdentityData {
  std::string username;             // the bogus user name sent (a random string; no real account)
  std::string without_identity;     // calling/called pair accepted without identity, "" if none
  AssocAttempt attempt;             // the association with the bogus identity
};
PACSCAN_JSON_TYPE(UserIdentityData, username, without_identity, attempt)

template <>
struct ProbeDataTraits<UserIdentityData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_user_identity";
};
}  // namespace pacscan
