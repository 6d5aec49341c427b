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
RuleHit eval_unauth_find(const EndpointView& v);
RuleHit eval_unauth_move(const EndpointView& v);
RuleHit eval_unauth_get(const EndpointView& v);
RuleHit eval_unauth_store(const EndpointView& v);
RuleHit eval_unauth_mwl(const EndpointView& v);
}  // namespace pacscan::rules
