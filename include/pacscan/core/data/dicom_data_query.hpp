// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_data_query" (intrusive profile only): how many entries a universal C-FIND / worklist
// query returns to an unknown peer. Identifiers are counted in DCMTK's callback, never read (DCMTK
// frees them): no value is ever kept.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/dimse.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct DataQueryResult {
  std::string service;      // "StudyRootFind", "PatientRootFind", "ModalityWorklistFind"
  std::string level;        // query level ("STUDY", "PATIENT") or "WORKLIST"
  std::string calling_ae, called_ae;
  DimseOutcome outcome = DimseOutcome::not_sent;  // success, refused, aborted, timed_out, ...
  int status = -1;          // final DIMSE status, -1 when none
  std::string status_text;
  int count = 0;            // pending responses (identifiers discarded unread)
  bool capped = false;      // the scanner sent C-CANCEL after the cap
  std::string detail;
  long long elapsed_ms = 0;
};
PACSCAN_JSON_TYPE(DataQueryResult, service, level, calling_ae, called_ae, outcome, status,
                  status_text, count, capped, detail, elapsed_ms)

struct DataQueryData {
  int cap = 0;  // --max-data-matches
  std::vector<DataQueryResult> results;
};
PACSCAN_JSON_TYPE(DataQueryData, cap, results)

template <>
struct ProbeDataTraits<DataQueryData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_data_query";
};

}  // namespace pacscan
