// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_null_query": DIMSE requests built to match nothing (a random UID), sent as
// an unknown peer. The answer's status tells whether the peer is authorised; no patient data is
// requested, and any identifier that comes back anyway is counted, never kept.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/dimse.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct NullQueryResult {
  std::string service;       // "StudyRootFind", "PatientRootFind", "ModalityWorklistFind", ...
  std::string sop_class;
  std::string calling_ae, called_ae;
  DimseOutcome outcome = DimseOutcome::not_sent;  // success, refused, aborted, timed_out, ...
  int status = -1;           // final DIMSE status, -1 when none
  std::string status_text;   // PS3.4 / PS3.7 meaning of the status
  int matches = 0;           // pending responses (identifiers discarded unread)
  std::string move_destination;  // C-MOVE only: the random destination asked for
  std::string detail;
  long long elapsed_ms = 0;
};
PACSCAN_JSON_TYPE(NullQueryResult, service, sop_class, calling_ae, called_ae, outcome, status,
                  status_text, matches, move_destination, detail, elapsed_ms)

struct NullQueryData {
  std::vector<NullQueryResult> results;
};
PACSCAN_JSON_TYPE(NullQueryData, results)

template <>
struct ProbeDataTraits<NullQueryData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_null_query";
};
}  // namespace pacscan
