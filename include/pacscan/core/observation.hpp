#pragma once
// What a probe saw. Observations are the only input of rules and reports, and the only thing
// streamed to observations.jsonl. No type here has a field that could hold a value read from a
// returned dataset (patient data): probes record statuses, counts and protocol facts only.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

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
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RejectInfo, result, source, reason, text)

// PS3.8 9.3.8: A-ABORT source / reason (read from the raw bytes: DCMTK drops them).
struct AbortInfo {
  int source = 0;
  int reason = 0;
  std::string text;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AbortInfo, source, reason, text)

// PS3.8 Table 9-18: presentation context result.
struct ContextResult {
  int id = 0;
  std::string abstract_syntax;  // UID
  std::string name;             // short name: "Verification", "StudyRootFind", ...
  int result = -1;              // 0 acceptance, 1 user rejection, 2 no reason, 3 abstract syntax
                                // not supported, 4 transfer syntaxes not supported
  std::string transfer_syntax;  // accepted transfer syntax UID
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContextResult, id, abstract_syntax, name, result,
                                                transfer_syntax)

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
  std::int64_t elapsed_ms = 0;
  bool valid_pdu() const {
    return outcome == Outcome::ok || outcome == Outcome::rejected || outcome == Outcome::aborted;
  }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AssocAttempt, calling_ae, called_ae, outcome, detail,
                                                reject, abort, impl_class_uid, impl_version,
                                                peer_max_pdu, contexts, reply_hex, reply_text,
                                                identity_sent, identity_response, elapsed_ms)

// ---- per-probe data ----

struct PortData {  // probe "tcp_connect" (the sweep)
  PortState state = PortState::filtered;
  std::int64_t rtt_ms = 0;
  std::string detail;  // errno text for closed/filtered
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PortData, state, rtt_ms, detail)

struct AssociateData {  // probe "dicom_associate"
  AssocAttempt attempt;
  bool speaks_dicom = false;  // a valid PDU came back (AC, RJ or A-ABORT)
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AssociateData, attempt, speaks_dicom)

struct EchoData {  // probe "dicom_echo"
  AssocAttempt attempt;
  Outcome echo_outcome = Outcome::skipped;
  int status = -1;  // C-ECHO-RSP status (0 = success), -1 when none received
  std::string detail;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EchoData, attempt, echo_outcome, status, detail)

// Where a working AE title came from. `web`: reported by the same host's Orthanc REST /system
// (DicomAet), so known to anyone who can read that API, not guessed.
enum class AeSource { none, random, hint, well_known, scanner, web };
NLOHMANN_JSON_SERIALIZE_ENUM(AeSource, {{AeSource::none, "none"},
                                        {AeSource::random, "random"},
                                        {AeSource::hint, "hint"},
                                        {AeSource::well_known, "well_known"},
                                        {AeSource::scanner, "scanner"},
                                        {AeSource::web, "web"}})

enum class Tri { unknown, yes, no };
NLOHMANN_JSON_SERIALIZE_ENUM(Tri, {{Tri::unknown, "unknown"}, {Tri::yes, "yes"}, {Tri::no, "no"}})

struct AePolicyData {  // probe "dicom_ae_policy"
  std::string random_called_ae;
  Tri any_called = Tri::unknown;       // a random called AE title was accepted
  std::string working_called_ae;       // a called AE title the server accepts
  AeSource working_called_source = AeSource::none;
  std::string random_calling_ae;
  Tri any_calling = Tri::unknown;      // a random calling AE title was accepted
  std::string admitted_calling_ae;     // a calling AE title the server admits
  AeSource admitted_calling_source = AeSource::none;
  // A called title the server recognised without accepting us: it answered "calling AE title not
  // recognized" (PS3.8 reason 3) where a random called title got another reason.
  std::string recognized_called_ae;
  AeSource recognized_called_source = AeSource::none;
  bool budget_exhausted = false;
  std::vector<AssocAttempt> attempts;  // every association tried, in order
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AePolicyData, random_called_ae, any_called,
                                                working_called_ae, working_called_source,
                                                random_calling_ae, any_calling, admitted_calling_ae,
                                                admitted_calling_source, recognized_called_ae,
                                                recognized_called_source, budget_exhausted,
                                                attempts)

struct ServicesData {  // probe "dicom_services"
  AssocAttempt attempt;                 // one association proposing many contexts
  AeSource calling_source = AeSource::none;  // how "unknown" the calling AE used is
  bool canary_accepted = false;         // a bogus SOP class was accepted: accepts everything
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ServicesData, attempt, calling_source,
                                                canary_accepted)

}  // namespace pacscan

// Data of the probes that live in their own headers.
#include <pacscan/core/data/arp.hpp>
#include <pacscan/core/data/http.hpp>
#include <pacscan/core/data/intrusive.hpp>
#include <pacscan/core/data/null_query.hpp>
#include <pacscan/core/data/passive.hpp>
#include <pacscan/core/data/tls.hpp>
#include <pacscan/core/data/user_identity.hpp>

namespace pacscan {

using ProbeData = std::variant<std::monostate, PortData, AssociateData, EchoData, AePolicyData,
                               ServicesData, HttpData, PassiveData, NullQueryData,
                               UserIdentityData, TlsData, ArpData, DataQueryData,
                               StoreTestData, MoveSelfData>;

struct Observation {
  std::string probe;      // probe name ("tcp_connect", "dicom_associate", ...)
  Endpoint ep;
  Outcome outcome = Outcome::error;
  std::string at;         // UTC start time, ISO 8601
  std::int64_t elapsed_ms = 0;
  std::string summary;    // one line for humans
  ProbeData data;
  // JSON pointer of a string field ("/data/attempt/impl_version") -> the raw bytes the device
  // sent, as hex, for each field whose text admit() had to escape. Empty for clean observations.
  std::map<std::string, std::string> raw_hex;
};

void to_json(nlohmann::json& j, const Observation& o);
void from_json(const nlohmann::json& j, Observation& o);

// The one door into the observation stream. Every string of the observation (envelope and data,
// whatever the probe) is made valid, visibly escaped UTF-8 (escape_untrusted in core/text.hpp);
// where that changed a string, its raw bytes are kept in raw_hex. Never throws.
Observation admit(Observation o);

// Escapes every string (and object key) of a JSON document read from a file we did not write in
// this run (scan.json, observations.jsonl): the same guarantee for reloaded scans.
void escape_json_strings(nlohmann::json& j);

// Helpers for reading observations by type.
template <typename T>
const T* data_as(const Observation& o) {
  return std::get_if<T>(&o.data);
}

std::string utc_now_iso();

}  // namespace pacscan
