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
};

// Waits for the gate, then requests the association. The attempt always says what happened.
Session open_session(const ProbeContext& ctx, const Endpoint& ep, const std::string& calling,
                     const std::string& called, std::vector<dicom::ProposedContext> contexts,
                     const SessionOptions& options = {});

std::string describe_attempt(const AssocAttempt& a);

}  // namespace pacscan::probes
