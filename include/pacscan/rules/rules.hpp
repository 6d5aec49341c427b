#pragma once
// The rules catalogue: one table of data (rules/catalogue.cpp) plus one evaluator per rule.
// Rules are pure functions of the observations; they never touch the network.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/scan_result.hpp>

namespace pacscan::rules {

// The observations of one endpoint, by probe (the latest of each).
struct EndpointView {
  Endpoint ep;
  const PortData* port = nullptr;
  const AssociateData* associate = nullptr;
  const EchoData* echo = nullptr;
  const AePolicyData* ae_policy = nullptr;
  const ServicesData* services = nullptr;
  const NullQueryData* null_query = nullptr;
  const DataQueryData* data_query = nullptr;    // intrusive probes
  const StoreTestData* store_test = nullptr;
  const MoveSelfData* move_self = nullptr;
  const UserIdentityData* user_identity = nullptr;
  const HttpData* http = nullptr;
  const TlsData* tls = nullptr;
  std::string tls_at;  // UTC time of the dicom_tls observation: certificate validity is judged then
  // Host-level: other endpoints of the same host where DICOM answered over TLS (for
  // DICOM-CLEARTEXT's evidence; rules otherwise see one endpoint at a time).
  bool host_offers_tls = false;
  std::vector<std::uint16_t> host_tls_ports;
  std::vector<const PassiveData*> passive;  // associations seen in captures with this server
  // Outcome of each probe that left an observation (skipped / interrupted tell why data is missing)
  std::vector<std::pair<std::string, Outcome>> probes;
  const Outcome* outcome_of(std::string_view probe) const;
  // A valid DICOM PDU answered here: in cleartext (dicom_associate) or over TLS (dicom_tls).
  bool dicom_over_tls() const;
  bool speaks_dicom() const { return (associate && associate->speaks_dicom) || dicom_over_tls(); }
};
std::vector<EndpointView> endpoint_views(const ScanResult& result);

// What one rule says about one asset.
struct RuleHit {
  Verdict verdict = Verdict::not_evaluated;
  std::string reason;  // for pass / not_evaluated
  // for fail:
  std::string summary;
  std::vector<std::string> evidence;
  std::string discriminator;
  EvidenceLevel level = EvidenceLevel::observed;
  Confidence confidence = Confidence::confirmed;
  Severity severity = Severity::info;  // severity of this hit (may rise with level)
  std::vector<std::string> probes;
};

struct RuleSpec {
  std::string_view id;
  std::string_view title;
  std::vector<int> hicp;        // HICP 405(d) practices 1..10
  bool vendor_action;           // fix needs the vendor
  Severity severity;            // default severity
  std::string_view severity_rationale;
  std::string_view description; // why it matters
  std::string_view remediation; // 1-3 sentences a clinic can act on
  std::vector<std::string_view> references;
  std::vector<std::string_view> needs;  // probes whose observations it reads
  std::string_view levels;      // how evidence levels raise severity
  RuleHit (*evaluate)(const EndpointView&);  // nullptr: evaluated elsewhere (not yet implemented)
};

const std::vector<RuleSpec>& catalogue();
const RuleSpec* find_rule(std::string_view id);

// Runs every rule on every endpoint of the result: fills result.checks and result.findings.
void evaluate(ScanResult& result);

std::string hicp_name(int practice);

}  // namespace pacscan::rules
