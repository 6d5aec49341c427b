// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_store_test" (intrusive profile only): one clearly labelled synthetic object sent with
// C-STORE; its UIDs are kept so the site can delete it.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/dimse.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

// The synthetic object pacscan writes: every identifying attribute says what it is.
struct SyntheticObject {
  std::string sop_class_uid, sop_instance_uid, study_instance_uid, series_instance_uid;
  std::string patient_name, patient_id, study_description;
};
PACSCAN_JSON_TYPE(SyntheticObject, sop_class_uid, sop_instance_uid, study_instance_uid,
                  series_instance_uid, patient_name, patient_id, study_description)

struct StoreTestData {
  SyntheticObject object;
  std::string calling_ae, called_ae;
  std::string transfer_syntax;
  DimseOutcome outcome = DimseOutcome::not_sent;  // stored (0x0000 or warning), refused, ...
  int status = -1;
  std::string status_text;
  std::string detail;
};
PACSCAN_JSON_TYPE(StoreTestData, object, calling_ae, called_ae, transfer_syntax, outcome, status,
                  status_text, detail)

template <>
struct ProbeDataTraits<StoreTestData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_store_test";
};

}  // namespace pacscan
