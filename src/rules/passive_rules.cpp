// SPDX-License-Identifier: Apache-2.0
// Evaluators of the rules judged on captures ("passive_dicom" observations). Evidence is made of
// protocol facts and attribute TAG names only; no observation holds a dataset value.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "evaluators.hpp"

namespace pacscan::rules {
namespace {

constexpr std::size_t k_max_associations_listed = 8;

bool carries_patient_data(const std::string& command) {
  return command == "C-STORE-RQ" || command == "C-FIND-RQ" || command == "C-MOVE-RQ" ||
         command == "C-GET-RQ";
}

bool has_patient_commands(const PassiveData& d) {
  if (d.encrypted) return false;
  return std::any_of(d.commands.begin(), d.commands.end(), [](const PassiveCommand& c) {
    return c.count > 0 && carries_patient_data(c.command);
  });
}

}  // namespace

RuleHit eval_dicom_cleartext_observed(const EndpointView& v) {
  RuleHit h;
  std::vector<const PassiveData*> hits;
  std::size_t clear = 0, encrypted = 0;
  for (const PassiveData* d : v.all<PassiveData>()) {
    (d->encrypted ? encrypted : clear)++;
    if (has_patient_commands(*d)) hits.push_back(d);
  }
  if (hits.empty()) {
    h.verdict = Verdict::pass;
    if (clear == 0) {
      h.reason = fmt::format("{} connection(s) seen, all encrypted (TLS)", encrypted);
    } else {
      h.reason = fmt::format(
          "{} cleartext association(s) seen, none carrying C-STORE/C-FIND/C-MOVE/C-GET "
          "(negotiation or C-ECHO only)",
          clear);
    }
    return h;
  }
  std::set<std::string> clients, phi;
  std::uint64_t messages = 0;
  for (const PassiveData* d : hits) {
    clients.insert(d->client_ip);
    phi.insert(d->phi_tags.begin(), d->phi_tags.end());
    for (const auto& c : d->commands) {
      if (carries_patient_data(c.command)) messages += c.count;
    }
  }
  h.verdict = Verdict::fail;
  h.severity = Severity::high;
  h.level = EvidenceLevel::observed;
  h.confidence = Confidence::confirmed;
  h.probes = {"passive_dicom"};
  h.summary = fmt::format(
      "{} unencrypted association(s) from {} client(s) carried {} patient-data DICOM request(s)",
      hits.size(), clients.size(), messages);
  for (std::size_t i = 0; i < hits.size() && i < k_max_associations_listed; ++i) {
    const PassiveData& d = *hits[i];
    std::string cmds;
    for (const auto& c : d.commands) {
      if (!carries_patient_data(c.command)) continue;
      cmds += fmt::format("{}{} x{} ({})", cmds.empty() ? "" : ", ", c.command, c.count,
                          c.sop_class_name.empty() ? c.sop_class : c.sop_class_name);
    }
    h.evidence.push_back(fmt::format("{}:{} -> {}:{} calling AE '{}' called AE '{}': {}",
                                     d.client_ip, d.client_port, d.server_ip, d.server_port,
                                     d.calling_ae, d.called_ae, cmds));
  }
  if (hits.size() > k_max_associations_listed) {
    h.evidence.push_back(
        fmt::format("... and {} more association(s)", hits.size() - k_max_associations_listed));
  }
  if (!phi.empty()) {
    std::string list;
    for (const auto& t : phi) list += (list.empty() ? "" : ", ") + t;
    h.evidence.push_back("patient-identifying attributes crossed in clear: " + list);
  }
  if (encrypted > 0) {
    h.evidence.push_back(
        fmt::format("{} TLS connection(s) to this server were also seen", encrypted));
  }
  return h;
}

}  // namespace pacscan::rules
