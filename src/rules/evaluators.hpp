// SPDX-License-Identifier: Apache-2.0
#pragma once
// Evaluators of the rules catalogue (one function per implemented rule).
#include <pacscan/rules/rules.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace pacscan::rules {

// Verdict builders shared by every evaluator.
inline RuleHit not_evaluated(std::string reason) {
  RuleHit h;
  h.verdict = Verdict::not_evaluated;
  h.reason = std::move(reason);
  return h;
}

inline RuleHit pass(std::string reason) {
  RuleHit h;
  h.verdict = Verdict::pass;
  h.reason = std::move(reason);
  return h;
}

inline RuleHit fail(Severity sev, std::string summary, std::vector<std::string> evidence,
                    std::vector<std::string> probes, EvidenceLevel level = EvidenceLevel::observed,
                    Confidence conf = Confidence::confirmed) {
  RuleHit h;
  h.verdict = Verdict::fail;
  h.severity = sev;
  h.summary = std::move(summary);
  h.evidence = std::move(evidence);
  h.probes = std::move(probes);
  h.level = level;
  h.confidence = conf;
  return h;
}

// Why a probe left no usable data.
inline std::string missing(const EndpointView& v, std::string_view probe) {
  if (const Outcome* o = v.outcome_of(probe)) {
    return fmt::format("probe {} ended {}", probe, to_string(*o));
  }
  return fmt::format("probe {} did not run", probe);
}

RuleHit eval_asset_dicom_scp(const EndpointView& v);
RuleHit eval_asset_dicom_fingerprint(const EndpointView& v);
RuleHit eval_dicom_cleartext(const EndpointView& v);
RuleHit eval_ae_any_called(const EndpointView& v);
RuleHit eval_ae_any_calling(const EndpointView& v);
RuleHit eval_ae_default_title(const EndpointView& v);
RuleHit eval_ae_guessable_calling(const EndpointView& v);
RuleHit eval_unauth_echo(const EndpointView& v);
RuleHit eval_app_context_unchecked(const EndpointView& v);  // dicom_rules.cpp
RuleHit eval_public_address(const EndpointView& v);
RuleHit eval_userid_not_enforced(const EndpointView& v);
RuleHit eval_unauth_find(const EndpointView& v);
RuleHit eval_unauth_move(const EndpointView& v);
RuleHit eval_unauth_get(const EndpointView& v);
RuleHit eval_unauth_store(const EndpointView& v);
RuleHit eval_unauth_mwl(const EndpointView& v);
// web_rules.cpp (probe http_imaging)
RuleHit eval_asset_imaging_web(const EndpointView& v);
RuleHit eval_web_orthanc_noauth(const EndpointView& v);
RuleHit eval_web_orthanc_default_creds(const EndpointView& v);
RuleHit eval_web_dicomweb_noauth(const EndpointView& v);
RuleHit eval_web_cleartext_http(const EndpointView& v);
RuleHit eval_vuln_orthanc_version(const EndpointView& v);
RuleHit eval_dicom_cleartext_observed(const EndpointView& v);  // passive_rules.cpp
RuleHit eval_vuln_dcmtk_version(const EndpointView& v);
std::size_t vulnerable_version_entries();  // parsed lines of data/vulnerable-versions.txt
// One line of data/vulnerable-versions.txt: `product` releases below `fixed` are affected.
struct VulnEntry {
  std::string product;  // as written in the file: "DCMTK", "Orthanc"
  std::array<int, 3> fixed{};  // first fixed release
  Severity severity = Severity::info;
  std::string cves, source;
};
std::vector<VulnEntry> vulnerable_versions(std::string_view product);  // in file order
// tls_rules.cpp (probe dicom_tls)
RuleHit eval_tls_legacy_protocol(const EndpointView& v);
RuleHit eval_tls_weak_cipher(const EndpointView& v);
RuleHit eval_tls_cert_untrusted(const EndpointView& v);
RuleHit eval_tls_cert_expired(const EndpointView& v);
RuleHit eval_tls_cert_weak(const EndpointView& v);
RuleHit eval_tls_no_client_cert(const EndpointView& v);
// credential_rules.cpp (the known peer's view: --tls-cert)
RuleHit eval_known_peer_access(const EndpointView& v);
RuleHit eval_tls_client_cert_any_address(const EndpointView& v);
RuleHit eval_tls_client_cert_weak_cipher(const EndpointView& v);
// Scan-level inventory rules (inventory_rules.cpp, inventory_clones.cpp,
// decoy_rules.cpp): they see every endpoint.
std::vector<AssetHit> eval_ae_title_duplicate(const ScanView& sv);
std::vector<AssetHit> eval_impl_mixed(const ScanView& sv);
std::vector<AssetHit> eval_impl_contradiction(const ScanView& sv);
std::vector<AssetHit> eval_cloned_config(const ScanView& sv);
std::vector<AssetHit> eval_decoy_suspected(const ScanView& sv);
std::vector<AssetHit> eval_host_role(const ScanView& sv);
// watch_rules.cpp: the engine's watch on hosts that stop answering.
std::vector<AssetHit> eval_device_stopped(const ScanView& sv);
}  // namespace pacscan::rules
