// SPDX-License-Identifier: Apache-2.0
#pragma once
// A probe is one file in probes/ that defines one ProbeSpec with PACSCAN_PROBE(name); the build
// lists them (cmake/probe_data.cmake) and the engine runs them in `order` on every endpoint they
// apply to. A probe returns what it observed (data type declared under core/data/, JSON name =
// probe name) and never throws through the scan.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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

class SiteAeTitles;

enum class ProbeLevel { safe, intrusive };

// Facts learned about one endpoint by the probes before (ZGrab2's per-target chain).
struct ServiceFacts {
  bool port_open = false;
  bool speaks_dicom = false;       // a valid PDU was received
  bool tls = false;                // DICOM answered over TLS (dicom_tls): later probes use TLS
  // Over TLS, DICOM answered only with the site's client certificate (--tls-cert): later probes
  // present it, and their observations are the known peer's view (identity "tls_client_cert").
  bool tls_credential = false;
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
  // Orthanc's GET /modalities?expand: the AE titles of its configured peers (its calling-AE
  // allow-list), read only when the API answered without credentials (never with the default).
  std::vector<std::string> orthanc_modality_aets;
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

// Told of every association attempt as it ends: the engine's watch on hosts that stop answering
// (src/scan/host_watch.hpp) holds a host at the first failed attempt, not at the probe's end.
class AttemptListener {
 public:
  virtual void attempt(const Endpoint& ep, std::string_view probe, const AssocAttempt& a) = 0;

 protected:
  ~AttemptListener() = default;
};

struct ProbeContext {
  const ScanPolicy& policy;
  Gate& gate;
  const Budget& budget;
  std::stop_token stop;
  const ServiceFacts& facts;
  const HostFacts* host = nullptr;  // facts about the endpoint's host; nullptr: none kept
  SiteAeTitles* site = nullptr;     // AE titles of the scan's other hosts; nullptr: none kept
  AttemptListener* listener = nullptr;  // nullptr: nobody watches
  std::string_view probe = {};          // the probe running (for the listener)
  // An association a probe left open for the next probes of the same endpoint (C-ECHO, the
  // services' negotiation and the null-match queries share one: fewer associations per device).
  // Owned by the chain; what it holds is the probes' business (it releases the association, then
  // the gate permit, when reset). nullptr: nothing is kept.
  std::shared_ptr<void>* kept = nullptr;
};

// What an endpoint must have shown before a probe runs there.
enum class Needs {
  open_port,         // any open port
  non_dicom_port,    // an open port that did not answer DICOM in cleartext
  dicom_port,        // a valid DICOM answer (dicom_associate, or dicom_tls over TLS)
  accepted_ae_pair,  // a called/calling AE title pair the server accepts (dicom_ae_policy)
};

struct ProbeSpec {
  std::string_view name;     // CLI name; also the JSON name of its data (data_name<T>())
  std::string_view summary;
  ProbeLevel level = ProbeLevel::safe;
  int order = 0;             // place in an endpoint's chain: lower runs first
  Needs needs = Needs::open_port;
  // A further condition beyond `needs` (nullptr: none), and what the "not applicable" note says
  // it needs (empty: the text of `needs`).
  bool (*also)(const ServiceFacts&) = nullptr;
  std::string_view precondition = {};
  // A probe meant for DICOM endpoints: where an endpoint answered DICOM and this probe could not
  // run, an observation says why (rules cite it).
  bool dicom_probe = true;
  int max_associations = 1;         // worst case, for --dry-run
  bool guesses_ae_titles = false;   // worst case is --max-ae-attempts instead
  int credential_associations = 0;  // more, worst case, with --tls-cert (the known peer's view)
  // It may use the association the previous probe kept open (ProbeContext::kept); before any
  // other probe the chain ends a kept association.
  bool reuses_association = false;
  std::vector<Observation> (*run)(const ProbeContext&, const Endpoint&) = nullptr;
  void (*learn)(const Observation&, ServiceFacts&) = nullptr;       // facts for later probes
  void (*learn_host)(const Observation&, HostFacts&) = nullptr;     // facts for the host's ports
};

// Defines a probe's spec (in namespace pacscan::probes) under the name the build lists.
#define PACSCAN_PROBE(name)                 \
  extern const ProbeSpec k_probe_##name;    \
  const ProbeSpec k_probe_##name

bool applies(const ProbeSpec& p, const ServiceFacts& f);
std::string_view precondition(const ProbeSpec& p);  // for "not applicable: needs ..."
int max_associations(const ProbeSpec& p, const ScanPolicy& policy);

std::span<const ProbeSpec* const> registered_probes();  // generated, in no particular order
std::span<const ProbeSpec* const> all_probes();         // by order
const ProbeSpec* find_probe(std::string_view name);

// Builds an observation envelope with the current time.
Observation make_observation(std::string_view probe, const Endpoint& ep);

}  // namespace pacscan
