// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared by the DICOM probes: one association under a gate permit, with the policy's bounds.
#include <optional>
#include <string>
#include <vector>

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
  bool present_cert = false;  // present --tls-cert even before facts.tls_credential (dicom_tls)
  std::string application_context;  // empty: DICOM's (probe dicom_app_context sends another)
};

// Waits for the gate, then requests the association. The attempt always says what happened.
Session open_session(const ProbeContext& ctx, const Endpoint& ep, const std::string& calling,
                     const std::string& called, std::vector<dicom::ProposedContext> contexts,
                     const SessionOptions& options = {});

std::string describe_attempt(const AssocAttempt& a);

// One association for several probes of an endpoint: dicom_echo opens it proposing the service
// contexts (dicom::service_contexts()) and keeps it; dicom_services reads its negotiation and
// dicom_null_query sends its requests on it. Nothing a probe judges changes: the same calling and
// called titles, the same contexts, an association already open instead of a new one.
void keep_service_session(const ProbeContext& ctx, Session s);
// The kept association when it is still usable for the chain's unknown peer (same titles, TLS and
// certificate) with at least half the association deadline left; else nullopt, and whatever was
// kept is released.
std::optional<Session> take_service_session(const ProbeContext& ctx);

// For probes that send several requests in a row: reuses `session` while it is usable, else opens
// a fresh one proposing `contexts` as the unknown peer of ctx.facts (a server may abort after a
// refused request: Orthanc does). Returns the association when it accepted `sop_class`; or
// nullptr, with `why` saying what is missing.
dicom::Association* ready_session(const ProbeContext& ctx, const Endpoint& ep,
                                  std::optional<Session>& session,
                                  const std::vector<dicom::ProposedContext>& contexts,
                                  std::string_view sop_class, std::string& why);

// A UID nobody ever issued: "2.25." + a random 37-digit decimal below 2^128 (PS3.5 B.2).
std::string random_uid();

// The DIMSE timeout this step of the endpoint's budget allows.
Millis dimse_timeout(const ProbeContext& ctx);

// A probe's verdict on a DIMSE result: `accepted` (the probe's reading of the final status) makes
// it success, a final status it does not accept makes it refused; no final response keeps the
// adapter's reason (aborted, timed_out, interrupted, not_sent, error).
DimseOutcome judged(const dicom::DimseResult& r, bool accepted);

// `detail` with the response's Error Comment appended when the peer sent one.
std::string with_error_comment(std::string detail, const dicom::DimseResult& r);

}  // namespace pacscan::probes
