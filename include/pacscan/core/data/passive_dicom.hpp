// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of "passive_dicom" observations: one DICOM association seen in a capture. Protocol facts,
// counts and tag lists only: no field here can hold a value read from a dataset. Strings are AE
// titles and UIDs from the association PDUs and command sets, names from fixed tables, and notes
// built from fixed formats and numbers.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

// How the association ended, as far as the capture shows.
enum class PassiveOutcome {
  accepted,    // A-ASSOCIATE-AC seen; the capture shows no release or abort afterwards
  released,    // accepted, then A-RELEASE-RQ/RP
  rejected,    // A-ASSOCIATE-RJ
  aborted,     // A-ABORT (from either side, at any point)
  incomplete,  // A-ASSOCIATE-RQ seen, no answer in the capture
  encrypted,   // a TLS stream: the association itself cannot be seen
};
NLOHMANN_JSON_SERIALIZE_ENUM(PassiveOutcome, {{PassiveOutcome::accepted, "accepted"},
                                              {PassiveOutcome::released, "released"},
                                              {PassiveOutcome::rejected, "rejected"},
                                              {PassiveOutcome::aborted, "aborted"},
                                              {PassiveOutcome::incomplete, "incomplete"},
                                              {PassiveOutcome::encrypted, "encrypted"}})

// A proposed presentation context and, when the A-ASSOCIATE-AC was seen, its result.
struct PassiveContext {
  int id = 0;
  std::string abstract_syntax;                 // SOP class UID
  std::string name;                            // its name, when known
  std::vector<std::string> transfer_syntaxes;  // proposed
  int result = -1;                             // PS3.8 Table 9-18; -1 when no AC was seen
  std::string accepted_transfer_syntax;
};
PACSCAN_JSON_TYPE(PassiveContext, id, abstract_syntax, name, transfer_syntaxes, result,
                  accepted_transfer_syntax)

// DIMSE messages of one command field and SOP class (requests and responses alike).
struct PassiveCommand {
  std::string command;    // "C-STORE-RQ", "C-FIND-RSP", ... ("0x1234" when unknown)
  std::string sop_class;  // Affected (0000,0002) or Requested (0000,0003) SOP Class UID
  std::string sop_class_name;
  std::uint64_t count = 0;
  std::vector<int> statuses;  // distinct (0000,0900) values of responses, in order seen
};
PACSCAN_JSON_TYPE(PassiveCommand, command, sop_class, sop_class_name, count, statuses)

struct PassiveData {
  std::string client_ip;  // the A-ASSOCIATE-RQ sender (or the TLS ClientHello sender)
  int client_port = 0;
  std::string server_ip;
  int server_port = 0;
  bool encrypted = false;  // the stream is TLS: nothing below the outcome is known
  std::string calling_ae, called_ae;
  std::string application_context;
  std::vector<PassiveContext> contexts;
  bool ac_seen = false;
  std::string client_impl_class_uid, client_impl_version;
  std::string server_impl_class_uid, server_impl_version;
  std::uint32_t client_max_pdu = 0, server_max_pdu = 0;
  // User Identity sub-item (PS3.7 D.3.3.7): its type only, never the username or passcode.
  std::string user_identity;  // "", "username", "username_passcode", "kerberos", "saml", "jwt"
  bool user_identity_response = false;  // the AC carried a User Identity response sub-item
  PassiveOutcome outcome = PassiveOutcome::incomplete;
  int reject_result = 0, reject_source = 0, reject_reason = 0;  // when rejected
  int abort_source = 0, abort_reason = 0;                       // when aborted
  std::string outcome_text;                                     // decoded reject / abort reason
  std::vector<PassiveCommand> commands;
  std::uint64_t bytes_client_to_server = 0, bytes_server_to_client = 0;
  // Patient-identifying attributes present in datasets that crossed in clear: "(0010,0010)
  // PatientName" ... Tags and names only, never the values.
  std::vector<std::string> phi_tags;
  std::uint32_t datasets = 0;             // data-set messages seen
  std::uint32_t datasets_scanned = 0;     // of which read by the conservative tag scan
  std::uint32_t datasets_unreadable = 0;  // of which could not be read (deflated ...)
  std::vector<std::string> notes;         // protocol errors, capture gaps
  // Further associations with the same facts (all but ports, times and counts) folded into this
  // one once the kept summaries reached their budget (--max-summary); their bytes, commands and
  // data sets are added here.
  std::uint64_t repeats = 0;
};
PACSCAN_JSON_TYPE(PassiveData, client_ip, client_port, server_ip, server_port, encrypted,
                  calling_ae, called_ae, application_context, contexts, ac_seen,
                  client_impl_class_uid, client_impl_version, server_impl_class_uid,
                  server_impl_version, client_max_pdu, server_max_pdu, user_identity,
                  user_identity_response, outcome, reject_result, reject_source, reject_reason,
                  abort_source, abort_reason, outcome_text, commands, bytes_client_to_server,
                  bytes_server_to_client, phi_tags, datasets, datasets_scanned, datasets_unreadable,
                  notes, repeats)

template <>
struct ProbeDataTraits<PassiveData> : JudgedWhereObserved {
  static constexpr std::string_view name = "passive_dicom";
  static constexpr ViewKind view = ViewKind::all;  // one per association seen in a capture
};
}  // namespace pacscan
