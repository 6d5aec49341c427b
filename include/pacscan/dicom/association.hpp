#pragma once
// RAII over DCMTK's ASC_* API. Every association has a hard deadline enforced by a watchdog that
// shuts the socket down, so a peer that trickles bytes cannot hold a worker longer than that.
#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/gate.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/policy.hpp>

namespace pacscan::dicom {

// Process-wide DCMTK setup: timeouts, PDU size limit, Nagle off, logging, dictionary, network
// init, OpenSSL. Call once from main before any worker thread starts.
Expected<bool> init_library(const ScanPolicy& policy, int verbosity);

// Shuts every open association socket down (used when the user interrupts the scan).
void shutdown_all_connections();

struct ProposedContext {
  std::string abstract_syntax;  // SOP class UID
  std::string name;             // short name for reports
  // Propose the SCP role too (SCP/SCU Role Selection, PS3.7 D.3.3.4): a C-GET SCU must, for the
  // storage classes it wants to receive on the same association.
  bool scp_role = false;
};

struct AssocRequest {
  std::string calling_ae;
  std::string called_ae;
  std::vector<ProposedContext> contexts;  // at most 128
  Millis acse_timeout{5000};
  Millis deadline{15000};                  // hard limit for the whole association
  std::uint32_t max_pdu = 16384;
  // User Identity Negotiation (PS3.7 D.3.3.7): username + passcode, positive response requested.
  std::string identity_user, identity_passcode;
  bool tls = false;  // DICOM TLS (dcmtls; the certificate is not verified: the scanner judges it)
};

struct EchoResult {
  Outcome outcome = Outcome::skipped;
  int status = -1;
  std::string detail;
};

class Association {
 public:
  // Connects to the permit's endpoint and negotiates. Never throws; the attempt says what happened.
  static Association request(const Permit& permit, const AssocRequest& req, std::stop_token stop);
  Association(Association&&) noexcept;
  Association& operator=(Association&&) = delete;
  ~Association();  // releases (or aborts) if still established

  const AssocAttempt& attempt() const { return m_attempt; }
  bool established() const;
  EchoResult echo(Millis dimse_timeout);
  void release();  // A-RELEASE-RQ; aborts if that fails. Idempotent.
  void abort();    // A-ABORT; the association is unusable afterwards. Idempotent.
  // The DCMTK association (T_ASC_Association*) for DIMSE calls made by probes; nullptr when not
  // established. The watchdog deadline still bounds every call made through it.
  void* native_handle();
  bool deadline_fired() const;
  bool interrupted() const;

 private:
  struct Impl;
  explicit Association(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
  AssocAttempt m_attempt;
};

// Well-known context sets.
std::vector<ProposedContext> verification_context();
std::vector<ProposedContext> service_contexts();  // Q/R, MWL, storage, and a canary
// A syntactically valid SOP class UID that no product implements (UUID-derived, PS3.5 B.2).
inline constexpr const char* k_canary_sop_class = "2.25.314159265358979323846264338327950288";

// Random AE title: 16 characters [A-Z0-9], prefix "PS".
std::string random_ae_title();

// Decoders for evidence text (PS3.8 Tables 9-21 and 9-26).
std::string reject_text(int result, int source, int reason);
std::string abort_text(int source, int reason);

}  // namespace pacscan::dicom
