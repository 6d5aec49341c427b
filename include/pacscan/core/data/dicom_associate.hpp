// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_associate": one A-ASSOCIATE-RQ with Verification and a random called AE
// title; the answer (AC / RJ / A-ABORT / garbage / silence) decides whether a port speaks DICOM.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct AssociateData {
  AssocAttempt attempt;
  bool speaks_dicom = false;  // a valid PDU came back (AC, RJ or A-ABORT)
};
PACSCAN_JSON_TYPE(AssociateData, attempt, speaks_dicom)

template <>
struct ProbeDataTraits<AssociateData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_associate";
};

}  // namespace pacscan
