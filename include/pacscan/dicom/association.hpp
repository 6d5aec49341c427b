// SPDX-License-Identifier: Apache-2.0
#pragma once
// The DICOM adapter: RAII over DCMTK's ASC_* and DIMSE_* API. Probes ask for associations and
// DIMSE requests here, with plain types: no DCMTK type crosses this header. Every association has
// a hard deadline enforced by a watchdog that shuts the socket down, so a peer that trickles
// bytes cannot hold a worker longer than that.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/dimse.hpp>
#include <pacscan/core/expected.hpp>
#include <pacscan/core/gate.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/policy.hpp>
#include <pacscan/tls/tls.hpp>

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
  // Application Context Name (PS3.7 A.2.1); empty: DICOM's, 1.2.840.10008.3.1.1.1. Another one
  // tests whether the acceptor validates the request (probe dicom_app_context).
  std::string application_context;
  bool tls = false;  // DICOM TLS (dcmtls; the certificate is not verified: the scanner judges it)
  // What the scanner trusts and presents over TLS (the TLS adapter's; a site client certificate
  // will come from here: Association::request configures DCMTK's layer in one place).
  tls::Config tls_config;
};

struct EchoResult {
  Outcome outcome = Outcome::skipped;
  int status = -1;
  std::string detail;
};

// A data set as probes describe it, without DCMTK: one "Keyword=value" per attribute in DCMTK's
// findscu -k syntax ("Sequence[0].Keyword=value" inside an item; no "=" for an empty key, which
// a query uses for "return this key" / universal match).
struct DataSet {
  std::vector<std::string> keys;
  std::vector<std::uint8_t> pixel_data;  // Pixel Data (7FE0,0010), OB, when not empty
};

// How one DIMSE request ended. Identifiers that come back (C-FIND matches, C-MOVE / C-GET
// pending responses) are counted and discarded unread: no value of a returned data set ever
// leaves the adapter.
struct DimseResult {
  // success: the final response arrived (its status below; the probe judges it). Otherwise why
  // not: aborted, timed_out, interrupted, not_sent (context not accepted ...) or error.
  DimseOutcome outcome = DimseOutcome::not_sent;
  int status = -1;             // status of the final response, -1 when none
  std::string error_comment;   // its Error Comment (0000,0902), raw ("" when none)
  std::string detail;          // why it failed (DCMTK's condition, the adapter's explanation)
  int pending = 0;             // pending responses (C-GET: and a sub-operation), read unread
  bool cancelled = false;      // C-FIND: C-CANCEL was sent at the cap
  bool sub_operation = false;  // C-GET: the peer began a C-STORE sub-operation (see get())
  int completed = -1, failed = -1, warning = -1;  // C-MOVE: sub-operation counts, -1 when absent
  std::string transfer_syntax;  // the accepted transfer syntax of the context used
  bool answered() const { return outcome == DimseOutcome::success; }
};

class Association {
 public:
  // Connects to the permit's endpoint and negotiates. The permit is the only way to name the
  // peer: the adapter hands DCMTK its numeric address, nothing else. Never throws; the attempt
  // says what happened.
  static Association request(const Permit& permit, const AssocRequest& req, std::stop_token stop);
  Association(Association&&) noexcept;
  Association& operator=(Association&&) = delete;
  ~Association();  // releases (or aborts) if still established

  const AssocAttempt& attempt() const { return m_attempt; }
  bool established() const;
  // True when a context for this SOP class was accepted (the DIMSE calls use it).
  bool accepts(std::string_view sop_class) const;

  // DIMSE requests on the accepted context for `sop_class` (not_sent when there is none). Each
  // waits at most `timeout` for every response, within the association's hard deadline. After a
  // failure (no final response) the association is aborted: it is unusable.
  EchoResult echo(Millis timeout);
  // C-FIND; after `cap` pending responses (0: no cap) a C-CANCEL is sent (and later ones still
  // counted).
  DimseResult find(std::string_view sop_class, const DataSet& identifier, Millis timeout,
                   int cap = 0);
  DimseResult move(std::string_view sop_class, std::string_view destination,
                   const DataSet& identifier, Millis timeout);
  // C-GET (DCMTK 3.6.7 has no C-GET user call; ours reads responses until the final one). A
  // C-STORE-RQ from the peer is a sub-operation: counted, not read, and the association is
  // aborted at once (outcome success, status 0xFF00, sub_operation set).
  DimseResult get(std::string_view sop_class, const DataSet& identifier, Millis timeout);
  DimseResult store(std::string_view sop_class, std::string_view sop_instance,
                    const DataSet& dataset, Millis timeout);

  void release();  // A-RELEASE-RQ; aborts if that fails. Idempotent.
  void abort();    // A-ABORT; the association is unusable afterwards. Idempotent.
  bool deadline_fired() const;
  bool interrupted() const;
  // What is left of the association's hard deadline (zero when none, or not established).
  Millis time_left() const;

 private:
  struct Impl;
  explicit Association(std::unique_ptr<Impl> impl);
  template <typename Send>
  DimseResult exchange(std::string_view sop_class, const DataSet& ds, Send&& send);
  std::unique_ptr<Impl> m_impl;
  AssocAttempt m_attempt;
};

// SOP classes the probes ask for (PS3.4; the same strings as DCMTK's dcuid.h, checked by a test).
namespace uid {
inline constexpr const char* verification = "1.2.840.10008.1.1";
inline constexpr const char* patient_root_find = "1.2.840.10008.5.1.4.1.2.1.1";
inline constexpr const char* patient_root_move = "1.2.840.10008.5.1.4.1.2.1.2";
inline constexpr const char* patient_root_get = "1.2.840.10008.5.1.4.1.2.1.3";
inline constexpr const char* study_root_find = "1.2.840.10008.5.1.4.1.2.2.1";
inline constexpr const char* study_root_move = "1.2.840.10008.5.1.4.1.2.2.2";
inline constexpr const char* study_root_get = "1.2.840.10008.5.1.4.1.2.2.3";
inline constexpr const char* worklist_find = "1.2.840.10008.5.1.4.31";
inline constexpr const char* secondary_capture = "1.2.840.10008.5.1.4.1.1.7";
}  // namespace uid

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
