#pragma once
// Evaluators of the rules catalogue (one function per implemented rule).
#include <pacscan/rules/rules.hpp>

namespace pacscan::rules {
RuleHit eval_asset_dicom_scp(const EndpointView& v);
RuleHit eval_asset_dicom_fingerprint(const EndpointView& v);
RuleHit eval_dicom_cleartext(const EndpointView& v);
RuleHit eval_ae_any_called(const EndpointView& v);
RuleHit eval_ae_any_calling(const EndpointView& v);
RuleHit eval_ae_default_title(const EndpointView& v);
RuleHit eval_ae_guessable_calling(const EndpointView& v);
RuleHit eval_unauth_echo(const EndpointView& v);
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
// tls_rules.cpp (probe dicom_tls)
RuleHit eval_tls_legacy_protocol(const EndpointView& v);
RuleHit eval_tls_weak_cipher(const EndpointView& v);
RuleHit eval_tls_cert_untrusted(const EndpointView& v);
RuleHit eval_tls_cert_expired(const EndpointView& v);
RuleHit eval_tls_cert_weak(const EndpointView& v);
RuleHit eval_tls_no_client_cert(const EndpointView& v);
}  // namespace pacscan::rules
