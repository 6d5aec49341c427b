// SPDX-License-Identifier: Apache-2.0
#pragma once
// How one DIMSE request ended, as the DICOM probes record it (dicom_null_query, dicom_data_query,
// dicom_store_test, dicom_move_self), and what a DIMSE status means (PS3.4 / PS3.7).
#include <string>

#include <nlohmann/json.hpp>

namespace pacscan {

enum class DimseOutcome {
  error,        // local or protocol error (an unexpected response, a message cut before parsing)
  success,      // a final response with a status the probe counts as success
  stored,       // C-STORE: the object was kept (success or warning status)
  refused,      // a final response with a refusal or failure status
  aborted,      // the peer aborted or closed the association instead of answering
  timed_out,    // no response within the DIMSE timeout, or the association deadline cut it
  interrupted,  // the user stopped the scan
  not_sent,     // the request was not sent (no association, context not accepted, no listener)
};
// The JSON words are those of the observations written before this enum existed. A word this
// build does not know reads as "error" (the first pair), never as a success.
NLOHMANN_JSON_SERIALIZE_ENUM(DimseOutcome, {{DimseOutcome::error, "error"},
                                            {DimseOutcome::success, "success"},
                                            {DimseOutcome::stored, "stored"},
                                            {DimseOutcome::refused, "refused"},
                                            {DimseOutcome::aborted, "aborted"},
                                            {DimseOutcome::timed_out, "timed_out"},
                                            {DimseOutcome::interrupted, "interrupted"},
                                            {DimseOutcome::not_sent, "not_sent"}})
const char* to_string(DimseOutcome o);

enum class DimseKind { find, retrieve, store };  // C-FIND, C-MOVE / C-GET, C-STORE
// PS3.4 / PS3.7 meaning of a DIMSE status for that kind of request.
std::string dimse_status_text(int status, DimseKind kind);

}  // namespace pacscan
