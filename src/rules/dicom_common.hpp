// SPDX-License-Identifier: Apache-2.0
#pragma once
// Evidence wording shared by the DICOM rule families (dicom_rules, ae_rules, service_rules).
#include <string>

#include "evaluators.hpp"

namespace pacscan::rules::dicom {

// "called 'X' calling 'Y': rejected (result 1, source 1, reason 7: ...)"
std::string describe(const AssocAttempt& a);
// A calling AE title an unknown peer could use: random, guessable (vendor default, word list,
// reverse DNS name) or published by an open web API. Not: the scanner's own title, a title seen in
// the site's traffic (a real peer's allow-list entry), a hint.
bool unknown_peer(AeSource s);
const char* identity_text(AeSource s);
// How the scanner came to know the working called AE title, for evidence lines.
const char* called_source_text(AeSource s);
// Context names (dicom::service_contexts) by service.
bool is_find(const std::string& n);
bool is_move(const std::string& n);
bool is_get(const std::string& n);
bool is_mwl(const std::string& n);
bool is_store(const std::string& n);

}  // namespace pacscan::rules::dicom
