// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_move_self" (intrusive profile only): C-MOVE of the synthetic study (stored by
// dicom_store_test) to the scanner's own listening AE, and what arrived at the listener.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/dimse.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

#include <pacscan/core/data/dicom_store_test.hpp>  // SyntheticObject

namespace pacscan {

// A connection from the host under test that the listener admitted (others are refused, below).
struct ReceivedAssociation {
  std::string peer;        // address:port the PACS connected from
  std::string calling_ae;  // the PACS's calling AE title ("" when no association was read)
  std::string called_ae;
  int objects = 0;         // C-STORE requests received (datasets dropped, never written)
  int ours = 0;            // of which the synthetic SOP instance pacscan stored
  // How it ended: ok (A-RELEASE), aborted, closed, timed_out, deadline (the hard deadline, or
  // the listener closing at the end of the test), interrupted, error (a message cut by the
  // nesting guard or the byte cap: detail says which).
  Outcome outcome = Outcome::ok;
  std::string detail;
  std::uint64_t bytes_in = 0;
  std::int64_t elapsed_ms = 0;
};
PACSCAN_JSON_TYPE(ReceivedAssociation, peer, calling_ae, called_ae, objects, ours, outcome, detail,
                  bytes_in, elapsed_ms)

struct MoveSelfData {
  std::string calling_ae, called_ae;
  std::string destination_ae;  // the scanner's own AE title
  int listen_port = 0;
  std::string study_instance_uid;  // the synthetic study asked for
  DimseOutcome outcome = DimseOutcome::not_sent;  // success, refused, aborted, timed_out, ...
  int status = -1;
  std::string status_text;
  int completed = -1, failed = -1, warning = -1;  // sub-operation counts of the final response
  std::vector<ReceivedAssociation> received;      // associations that reached the listener
  // Connections to the listener from any address but the host under test's: closed at once,
  // unread. A PACS that sends from another of its addresses shows here.
  int refused = 0;
  std::vector<std::string> refused_from;  // "address:port", the first 16
  bool listener_busy = false;  // the listener stayed busy (another endpoint's test) all the budget
  std::string detail;
};
PACSCAN_JSON_TYPE(MoveSelfData, calling_ae, called_ae, destination_ae, listen_port,
                  study_instance_uid, outcome, status, status_text, completed, failed, warning,
                  received, refused, refused_from, listener_busy, detail)

template <>
struct ProbeDataTraits<MoveSelfData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_move_self";
};

}  // namespace pacscan
