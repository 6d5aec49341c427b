// SPDX-License-Identifier: Apache-2.0
#pragma once
// Value types shared by the observations of several probes: how a network step ended (Outcome),
// port states, and one association attempt as seen on the wire (AssocAttempt).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/json_type.hpp>
#include <pacscan/core/net.hpp>

namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& o) {
    if (o) j = *o; else j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& o) {
    if (j.is_null()) o.reset(); else o = j.get<T>();
  }
};
}  // namespace nlohmann

namespace pacscan {

// How a network step ended, from our side. Kept apart from what it found.
enum class Outcome {
  ok,              // the step completed (an association accepted, a port open, an echo answered)
  refused,         // TCP RST on connect
  timed_out,       // no answer within the step's timeout (connect or first PDU)
  unreachable,     // no route / host unreachable
  closed,          // the peer closed the connection without sending a PDU
  rejected,        // A-ASSOCIATE-RJ (a valid DICOM answer)
  aborted,         // A-ABORT (a valid DICOM answer)
  non_dicom,       // bytes that are not a valid DICOM PDU
  deadline,        // the hard per-association deadline ended it (trickling or stalled peer)
  interrupted,     // the user stopped the scan
  skipped,         // not run (budget exhausted, gated by earlier facts, ...)
  error,           // local error (resources, DCMTK refused the parameters, ...)
};
NLOHMANN_JSON_SERIALIZE_ENUM(Outcome, {{Outcome::ok, "ok"},
                                       {Outcome::refused, "refused"},
                                       {Outcome::timed_out, "timed_out"},
                                       {Outcome::unreachable, "unreachable"},
                                       {Outcome::closed, "closed"},
                                       {Outcome::rejected, "rejected"},
                                       {Outcome::aborted, "aborted"},
                                       {Outcome::non_dicom, "non_dicom"},
                                       {Outcome::deadline, "deadline"},
                                       {Outcome::interrupted, "interrupted"},
                                       {Outcome::skipped, "skipped"},
                                       {Outcome::error, "error"}})
const char* to_string(Outcome o);

enum class PortState { open, closed, filtered };
NLOHMANN_JSON_SERIALIZE_ENUM(PortState, {{PortState::open, "open"},
                                         {PortState::closed, "closed"},
                                         {PortState::filtered, "filtered"}})

// PS3.8 9.3.4: A-ASSOCIATE-RJ result / source / reason, as received.
struct RejectInfo {
  int result = 0;
  int source = 0;
  int reason = 0;
  std::string text;  // decoded per PS3.8 Table 9-21
};
PACSCAN_JSON_TYPE(RejectInfo, result, source, reason, text)

// PS3.8 9.3.8: A-ABORT source / reason (read from the raw bytes: DCMTK drops them).
struct AbortInfo {
  int source = 0;
  int reason = 0;
  std::string text;
};
PACSCAN_JSON_TYPE(AbortInfo, source, reason, text)

// PS3.8 Table 9-18: presentation context result.
struct ContextResult {
  int id = 0;
  std::string abstract_syntax;  // UID
  std::string name;             // short name: "Verification", "StudyRootFind", ...
  int result = -1;              // 0 acceptance, 1 user rejection, 2 no reason, 3 abstract syntax
                                // not supported, 4 transfer syntaxes not supported
  std::string transfer_syntax;  // accepted transfer syntax UID
};
PACSCAN_JSON_TYPE(ContextResult, id, abstract_syntax, name, result, transfer_syntax)

// One association attempt, as observed on the wire.
struct AssocAttempt {
  std::string calling_ae;
  std::string called_ae;
  Outcome outcome = Outcome::error;
  std::string detail;                  // DCMTK condition text or our explanation
  std::optional<RejectInfo> reject;
  std::optional<AbortInfo> abort;
  std::string impl_class_uid;          // peer's Implementation Class UID (A-ASSOCIATE-AC)
  std::string impl_version;            // peer's Implementation Version Name
  std::uint32_t peer_max_pdu = 0;
  std::vector<ContextResult> contexts; // proposed contexts and their results
  std::string reply_hex;               // first bytes received when the reply was not DICOM
  std::string reply_text;              // same, printable characters only
  std::string identity_sent;           // user identity type proposed ("" none, "user+passcode")
  bool identity_response = false;      // the A-ASSOCIATE-AC carried a User Identity response
  // DICOM over TLS: the site's client certificate (--tls-cert) was ready to answer the server's
  // CertificateRequest; false: the scanner spoke as an unknown peer, with no certificate.
  bool tls_client_cert = false;
  std::int64_t elapsed_ms = 0;
  bool valid_pdu() const {
    return outcome == Outcome::ok || outcome == Outcome::rejected || outcome == Outcome::aborted;
  }
};
PACSCAN_JSON_TYPE(AssocAttempt, calling_ae, called_ae, outcome, detail, reject, abort,
                  impl_class_uid, impl_version, peer_max_pdu, contexts, reply_hex, reply_text,
                  identity_sent, identity_response, tls_client_cert, elapsed_ms)

// Where an AE title came from, and so how the rules judge it.
//   random       a title made up by the scanner: any title works
//   hint         given by the auditor (--called-aet): known to the site, not guessed
//   well_known   a vendor or tool default (data/ae-titles.tsv), or a title found another way that
//                is also one: GUESSABLE, an unknown attacker finds it the same way
//   scanner      the scanner's own calling title (--calling-aet) when it is not a default
//   web          published by the host's web API (Orthanc REST /system DicomAet, /modalities):
//                known to anyone who can read that API, judged by the WEB-* rules
//   learned      seen in the site's own traffic (--learn capture): a real peer's title, an
//                allow-list entry proven to exist; known to whoever sees that cleartext traffic
//   site         accepted or published on another host of this scan (the judged source is the
//                one it had there: see AePolicyData::*_found_by)
//   reverse_dns  the host's reverse DNS name (first label, upper case): guessable
//   wordlist     the auditor's --ae-wordlist (intrusive profile): guessable
enum class AeSource { none, random, hint, well_known, scanner, web, learned, site, reverse_dns,
                      wordlist };
NLOHMANN_JSON_SERIALIZE_ENUM(AeSource, {{AeSource::none, "none"},
                                        {AeSource::random, "random"},
                                        {AeSource::hint, "hint"},
                                        {AeSource::well_known, "well_known"},
                                        {AeSource::scanner, "scanner"},
                                        {AeSource::web, "web"},
                                        {AeSource::learned, "learned"},
                                        {AeSource::site, "site"},
                                        {AeSource::reverse_dns, "reverse_dns"},
                                        {AeSource::wordlist, "wordlist"}})
const char* to_string(AeSource s);
// A title an unknown attacker could come up with without inside knowledge: random, a vendor
// default, a word list entry, a reverse DNS name.
bool guessable(AeSource s);

enum class Tri { unknown, yes, no };
NLOHMANN_JSON_SERIALIZE_ENUM(Tri, {{Tri::unknown, "unknown"}, {Tri::yes, "yes"}, {Tri::no, "no"}})

}  // namespace pacscan
