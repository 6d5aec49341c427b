#pragma once
// Shared by the DICOM probes: one association under a gate permit, with the policy's bounds.
#include <optional>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/ofstd/ofcond.h>

#include <pacscan/dicom/association.hpp>
#include <pacscan/scan/probe.hpp>

namespace pacscan::probes {

struct Session {
  std::optional<Permit> permit;             // declared first: released last
  std::optional<dicom::Association> assoc;  // released before the permit
  AssocAttempt attempt;
  bool ok() const { return assoc && assoc->established(); }
};

struct SessionOptions {
  std::string identity_user, identity_passcode;  // User Identity Negotiation when set
  bool tls = false;  // DICOM TLS even before facts.tls is known (probe dicom_tls)
};

// Waits for the gate, then requests the association. The attempt always says what happened.
Session open_session(const ProbeContext& ctx, const Endpoint& ep, const std::string& calling,
                     const std::string& called, std::vector<dicom::ProposedContext> contexts,
                     const SessionOptions& options = {});

std::string describe_attempt(const AssocAttempt& a);

// For probes that send several requests in a row: reuses `session` while it is usable, else opens
// a fresh one proposing `contexts` as the unknown peer of ctx.facts (a server may abort after a
// refused request: Orthanc does). Returns the association and sets `pc` to the context accepted
// for `sop_class`; or nullptr, with `why` saying what is missing.
T_ASC_Association* ready_session(const ProbeContext& ctx, const Endpoint& ep,
                                 std::optional<Session>& session,
                                 const std::vector<dicom::ProposedContext>& contexts,
                                 const char* sop_class, T_ASC_PresentationContextID& pc,
                                 std::string& why);

// A UID nobody ever issued: "2.25." + a random 37-digit decimal below 2^128 (PS3.5 B.2).
std::string random_uid();

enum class Dimse { find, retrieve, store };  // C-FIND, C-MOVE / C-GET, C-STORE
// PS3.4 / PS3.7 meaning of a DIMSE status for that kind of request.
std::string dimse_status_text(int status, Dimse kind);

// The DIMSE timeout (seconds, at least 1) this step of the endpoint's budget allows.
int dimse_timeout_s(const ProbeContext& ctx);

// Why a DIMSE exchange on the session failed: "interrupted", "timed_out", "aborted" or "error".
std::string failed_outcome(const Session& s, const ProbeContext& ctx, const OFCondition& cond);

}  // namespace pacscan::probes
