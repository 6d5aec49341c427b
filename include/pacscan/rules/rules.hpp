// SPDX-License-Identifier: Apache-2.0
#pragma once
// The rules catalogue: one table of data (rules/catalogue.cpp) plus one evaluator per rule.
// Rules are pure functions of the observations; they never touch the network.
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <string_view>
#include <vector>

#include <pacscan/core/scan_result.hpp>

namespace pacscan::rules {

namespace detail {
template <typename T, ViewKind K = ProbeDataTraits<T>::view>
struct Slot;
template <typename T>
struct Slot<T, ViewKind::latest> {
  const T* data = nullptr;
  std::string at;  // UTC time of that observation
};
template <typename T>
struct Slot<T, ViewKind::all> {
  std::vector<const T*> data;
};
template <typename List>
struct SlotsOf;
template <typename... T>
struct SlotsOf<TypeList<T...>> {
  using type = std::tuple<Slot<T>...>;
};
}  // namespace detail

// The observations of one endpoint, one slot per data type (derived from the declared data types:
// core/probe_data.hpp).
struct EndpointView {
  Endpoint ep;
  // The latest data of type T seen here (nullptr: none).
  template <typename T>
  const T* get() const {
    return std::get<detail::Slot<T>>(m_slots).data;
  }
  // Every datum of a type kept in full (ViewKind::all: one per association in a capture).
  template <typename T>
  const std::vector<const T*>& all() const {
    return std::get<detail::Slot<T>>(m_slots).data;
  }
  // UTC time of the latest observation of type T (certificate validity is judged then).
  template <typename T>
  const std::string& at() const {
    return std::get<detail::Slot<T>>(m_slots).at;
  }
  // Files an observation's data into its slot (the latest one wins) and records its outcome.
  void add(const Observation& o);

  // The known peer's view (observations made with the site's client certificate), not what an
  // unknown peer saw.
  bool known_peer = false;
  // Host-level: other endpoints of the same host where DICOM answered over TLS (for
  // DICOM-CLEARTEXT's evidence; rules otherwise see one endpoint at a time).
  bool host_offers_tls = false;
  std::vector<std::uint16_t> host_tls_ports;
  // Outcome of each probe that left an observation (skipped / interrupted tell why data is missing)
  std::vector<std::pair<std::string, Outcome>> probes;
  const Outcome* outcome_of(std::string_view probe) const;
  // A valid DICOM PDU answered here: in cleartext (dicom_associate) or over TLS (dicom_tls).
  bool dicom_over_tls() const;
  bool speaks_dicom() const {
    const auto* a = get<AssociateData>();
    return (a && a->speaks_dicom) || dicom_over_tls();
  }

 private:
  detail::SlotsOf<AllProbeData>::type m_slots;
};
// The unknown peer's views (observations without an identity), one per endpoint; with
// `known_peer`, the views of what the scanner saw with the site's client certificate instead.
std::vector<EndpointView> endpoint_views(const ScanResult& result, bool known_peer = false);

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
  std::vector<std::string> related;  // other assets involved (whole-scan rules), "ip:port"
};

// The whole scan, for rules that compare endpoints with each other (the same AE title on two
// hosts, cloned configurations, a host with several identities). Built once per evaluation.
struct ScanView {
  std::vector<EndpointView> endpoints;          // every judged endpoint, in address order
  const std::vector<Observation>* observations = nullptr;  // all of them (roles, captures)
  // Indices into `endpoints`, grouped by host.
  std::map<Ipv4, std::vector<std::size_t>> by_host;
};
ScanView scan_view(const ScanResult& result);
// False for the data types no scan-level rule reads (application context, user identity and the
// intrusive probes' results): judge_by_host keeps every other observation for the ScanView, before
// the per-host pass, without its summary and raw bytes (no scan-level rule reads them either). A
// scan-level rule that starts reading one of them takes it out of this list (test_judge_by_host
// compares with judging everything at once).
bool read_by_scan_rules(const Observation& o);

// What a scan-level rule says about one asset: "ip:port" (port > 0) or a whole host (port 0).
struct AssetHit {
  Endpoint ep;
  RuleHit hit;
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
  // Data (by JSON name: probes, "tcp_connect", "passive_dicom") whose observations it reads. A
  // rule is judged on an endpoint where any of them says so (ProbeDataTraits<T>::judged); every
  // name must be a declared data type (a unit test checks the catalogue).
  std::vector<std::string_view> needs;
  std::string_view levels;      // how evidence levels raise severity
  RuleHit (*evaluate)(const EndpointView&);  // nullptr: evaluated elsewhere (not yet implemented)
  // Scan-level rules: one call sees every endpoint and returns a verdict per asset it judged
  // (assets it is silent about get no check). A rule has this or `evaluate`, not both.
  std::vector<AssetHit> (*evaluate_scan)(const ScanView&) = nullptr;
  // A fail of this rule makes its host a suspected decoy: every finding on that host is kept
  // but marked (Finding::suspected_decoy), so nobody files tickets against a trap.
  bool marks_decoy = false;
  // Judged on the known peer's view only: observations made with the site's client certificate
  // (--tls-cert; Observation::identity). Every other rule sees only what an unknown peer saw.
  bool known_peer = false;
};

// Has an evaluator of either kind (else always "not evaluated").
inline bool implemented(const RuleSpec& r) { return r.evaluate || r.evaluate_scan; }

const std::vector<RuleSpec>& catalogue();
const RuleSpec* find_rule(std::string_view id);

// Does this observation make an endpoint worth judging on its own? An open port of the sweep, or
// an association seen in a capture (captures have no sweep). Other observations only add to an
// endpoint already there (active probes only run on open ports); the known peer's view starts at
// any observation made with the site's certificate.
bool opens_endpoint(const Observation& o);

// Is the rule judged on this endpoint (see RuleSpec::needs)?
bool rule_applies(const RuleSpec& rule, const EndpointView& v);

// Runs every rule on every endpoint of the result: fills result.checks and result.findings.
void evaluate(ScanResult& result);
// evaluate() in parts, for a scan judged one host at a time (an endpoint's rules see only that
// endpoint and its host): judge() appends a part's checks and findings; once every part is in,
// in address order, finish() orders them as evaluate() would and adds its notes. Equal texts of
// the checks and findings share one copy from `texts`.
void judge(const ScanResult& part, std::vector<Finding>& findings, std::vector<Check>& checks,
           TextPool& texts);
// The scan-level rules (RuleSpec::evaluate_scan), which see every endpoint of the scan at once.
void judge_scan(const ScanView& sv, std::vector<Finding>& findings, std::vector<Check>& checks,
                TextPool& texts);
void finish(ScanResult& result);

std::string hicp_name(int practice);

}  // namespace pacscan::rules
