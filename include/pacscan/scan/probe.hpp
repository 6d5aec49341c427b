#pragma once
// A probe is one file in probes/, exporting one ProbeSpec, listed in probes/registry.cpp.
// It runs against one endpoint, returns what it observed and never throws through the scan.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/gate.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/policy.hpp>

namespace pacscan {

enum class ProbeLevel { safe, intrusive };

// Facts learned about one endpoint by the probes before (ZGrab2's per-target chain).
struct ServiceFacts {
  bool port_open = false;
  bool speaks_dicom = false;       // a valid PDU was received
  bool tls = false;                // DICOM answered over TLS (dicom_tls): later probes use TLS
  std::string working_called_ae;   // a called AE title the server accepts
  AeSource working_called_source = AeSource::none;
  std::string calling_ae;          // the calling AE to use for service probes
  AeSource calling_source = AeSource::none;
  std::optional<AssocAttempt> first_attempt;  // dicom_associate's attempt (random called AE)
  std::vector<std::string> accepted_services;  // context names dicom_services saw accepted
  std::optional<SyntheticObject> synthetic;     // stored by dicom_store_test (intrusive)
};

// Facts learned about one HOST on one of its endpoints, for probes on its other endpoints (the
// engine owns one per address, probes a host's web ports before its others, and runs a host's
// endpoints one at a time, so probes read and learn_host writes it without a lock).
struct HostFacts {
  // Orthanc's REST GET /system (http_imaging): the DICOM AE title and port it says it serves.
  std::string orthanc_dicom_aet;
  int orthanc_dicom_port = 0;
  std::uint16_t orthanc_web_port = 0;  // the port /system was read on
};

// Time left for one endpoint's probe chain.
class Budget {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Budget(Millis total) : m_deadline(Clock::now() + total) {}
  Millis remaining() const;
  bool exhausted() const { return remaining().count() <= 0; }
  Millis step(Millis want) const { return std::min(want, remaining()); }

 private:
  Clock::time_point m_deadline;
};

struct ProbeContext {
  const ScanPolicy& policy;
  Gate& gate;
  const Budget& budget;
  std::stop_token stop;
  const ServiceFacts& facts;
  const HostFacts* host = nullptr;  // facts about the endpoint's host; nullptr: none kept
};

struct ProbeSpec {
  std::string_view name;     // file stem in probes/, CLI name
  std::string_view summary;
  ProbeLevel level;
  int max_associations;      // worst case, for --dry-run
  bool (*applies)(const ServiceFacts&);
  std::vector<Observation> (*run)(const ProbeContext&, const Endpoint&);
  void (*learn)(const Observation&, ServiceFacts&);  // may be nullptr
  std::string_view precondition = {};  // what `applies` needs, for "not applicable" notes
  void (*learn_host)(const Observation&, HostFacts&) = nullptr;  // facts for the host's other ports
};

std::span<const ProbeSpec* const> all_probes();
const ProbeSpec* find_probe(std::string_view name);

// Builds an observation envelope with the current time.
Observation make_observation(std::string_view probe, const Endpoint& ep);

}  // namespace pacscan
