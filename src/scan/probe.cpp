// SPDX-License-Identifier: Apache-2.0
#include <pacscan/scan/probe.hpp>

#include <algorithm>
#include <vector>

namespace pacscan {

bool applies(const ProbeSpec& p, const ServiceFacts& f) {
  bool ok = false;
  switch (p.needs) {
    case Needs::open_port: ok = f.port_open; break;
    case Needs::non_dicom_port: ok = f.port_open && !f.speaks_dicom; break;
    case Needs::dicom_port: ok = f.speaks_dicom; break;
    case Needs::accepted_ae_pair: ok = !f.working_called_ae.empty() && !f.calling_ae.empty(); break;
  }
  return ok && (!p.also || p.also(f));
}

std::string_view precondition(const ProbeSpec& p) {
  if (!p.precondition.empty()) return p.precondition;
  switch (p.needs) {
    case Needs::open_port: return {};
    case Needs::non_dicom_port: return "an open port that did not answer DICOM in cleartext";
    case Needs::dicom_port: return "a DICOM answer to the first association";
    case Needs::accepted_ae_pair: return "a called/calling AE title pair the server accepts";
  }
  return {};
}

int max_associations(const ProbeSpec& p, const ScanPolicy& policy) {
  if (p.guesses_ae_titles) return policy.max_ae_attempts;
  return p.max_associations + (policy.tls_cert_file.empty() ? 0 : p.credential_associations);
}

std::span<const ProbeSpec* const> all_probes() {
  static const std::vector<const ProbeSpec*> k_ordered = [] {
    const auto r = registered_probes();
    std::vector<const ProbeSpec*> v(r.begin(), r.end());
    std::stable_sort(v.begin(), v.end(), [](const ProbeSpec* a, const ProbeSpec* b) {
      return a->order != b->order ? a->order < b->order : a->name < b->name;
    });
    return v;
  }();
  return k_ordered;
}

const ProbeSpec* find_probe(std::string_view name) {
  for (const ProbeSpec* p : all_probes()) {
    if (p->name == name) return p;
  }
  return nullptr;
}

Observation make_observation(std::string_view probe, const Endpoint& ep) {
  Observation o;
  o.probe = std::string(probe);
  o.ep = ep;
  o.at = utc_now_iso();
  return o;
}

Millis Budget::remaining() const {
  return std::chrono::duration_cast<Millis>(m_deadline - Clock::now());
}

}  // namespace pacscan
