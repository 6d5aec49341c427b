// The one table of probes, in the order they run on an endpoint. ADD NEW PROBES HERE.
#include <algorithm>

#include <pacscan/scan/probe.hpp>

namespace pacscan {
namespace probes {
extern const ProbeSpec k_dicom_associate;
extern const ProbeSpec k_http_imaging;
extern const ProbeSpec k_dicom_tls;
extern const ProbeSpec k_dicom_ae_policy;
extern const ProbeSpec k_dicom_echo;
extern const ProbeSpec k_dicom_services;
extern const ProbeSpec k_dicom_null_query;
extern const ProbeSpec k_dicom_user_identity;
extern const ProbeSpec k_dicom_data_query;
extern const ProbeSpec k_dicom_store_test;
extern const ProbeSpec k_dicom_move_self;
}  // namespace probes

namespace {
const ProbeSpec* const k_all_probes[] = {
    &probes::k_dicom_associate,
    &probes::k_http_imaging,
    &probes::k_dicom_tls,
    &probes::k_dicom_ae_policy,
    &probes::k_dicom_echo,
    &probes::k_dicom_services,
    &probes::k_dicom_null_query,
    &probes::k_dicom_user_identity,
    // intrusive profile only
    &probes::k_dicom_data_query,
    &probes::k_dicom_store_test,
    &probes::k_dicom_move_self,  // needs dicom_store_test's object
};
}  // namespace

std::span<const ProbeSpec* const> all_probes() { return k_all_probes; }

const ProbeSpec* find_probe(std::string_view name) {
  for (const ProbeSpec* p : k_all_probes) {
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
