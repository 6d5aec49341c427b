// SPDX-License-Identifier: Apache-2.0
#pragma once
// The scan result: what scan.json holds and every report renders. Built by pure functions from
// observations (inventory) and the rules table (checks, findings).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/json_type.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/shared_text.hpp>

namespace pacscan {

inline constexpr int k_schema_version = 1;

enum class Severity { info, low, medium, high, critical };
NLOHMANN_JSON_SERIALIZE_ENUM(Severity, {{Severity::info, "info"},
                                        {Severity::low, "low"},
                                        {Severity::medium, "medium"},
                                        {Severity::high, "high"},
                                        {Severity::critical, "critical"}})
const char* to_string(Severity s);
bool parse_severity(const std::string& text, Severity& out);

// Evidence level of a finding (how far the scanner went to show it).
enum class EvidenceLevel { observed, negotiated, confirmed, data, written };
NLOHMANN_JSON_SERIALIZE_ENUM(EvidenceLevel, {{EvidenceLevel::observed, "observed"},
                                             {EvidenceLevel::negotiated, "negotiated"},
                                             {EvidenceLevel::confirmed, "confirmed"},
                                             {EvidenceLevel::data, "data"},
                                             {EvidenceLevel::written, "written"}})

enum class Confidence { tentative, confirmed, version_inferred };
NLOHMANN_JSON_SERIALIZE_ENUM(Confidence, {{Confidence::tentative, "tentative"},
                                          {Confidence::confirmed, "confirmed"},
                                          {Confidence::version_inferred, "version_inferred"}})

// Addresses a target brought in that were left out without being excluded (Scope::dropped).
struct DroppedRecord {
  std::string target;                  // the target token
  std::string reason;
  std::uint64_t count = 0;
  std::vector<std::string> addresses;  // addresses or ranges, the first 64
};
PACSCAN_JSON_TYPE(DroppedRecord, target, reason, count, addresses)

// A --do-not-probe entry: listed, not probed (no packet at all), with the site's reason.
struct DoNotProbeRecord {
  std::string target;                  // as written in the file
  std::string reason;
  std::string origin;                  // file:line
  std::uint64_t in_scope_count = 0;    // addresses of the targets it covered
  std::vector<std::string> in_scope;   // those addresses or ranges, the first 64
};
PACSCAN_JSON_TYPE(DoNotProbeRecord, target, reason, origin, in_scope_count, in_scope)

struct ScanMeta {
  int schema_version = k_schema_version;
  std::string tool = "pacscan";
  std::string pacscan_version;
  std::string mode = "scan";  // "scan" (active), "pcap" / "listen" (passive), "merge"
  std::vector<std::string> command_line;
  std::string started_at, finished_at;        // UTC ISO 8601
  bool interrupted = false;
  std::string profile = "safe";
  std::vector<std::string> targets, excludes, resolved;
  std::uint64_t scope_size = 0;
  std::vector<int> ports;
  std::vector<std::string> probes;
  nlohmann::json options = nlohmann::json::object();  // every bound in force
  std::uint64_t permits_issued = 0;
  std::uint64_t refused_out_of_scope = 0;
  std::vector<std::string> notes;             // things the auditor should know (not evaluated ...)
  std::vector<DroppedRecord> dropped;         // odd addresses of the targets, not probed
  std::vector<DoNotProbeRecord> do_not_probe; // listed but not probed
  std::string shard;                          // "K/N" when the scan took one shard of the scope
  // pacscan merge: the scans this one joins (file, shard, start time, hosts), in input order.
  std::vector<std::string> merged_from;
};
PACSCAN_JSON_TYPE(ScanMeta, schema_version, tool, pacscan_version, mode, command_line, started_at,
                  finished_at, interrupted, profile, targets, excludes, resolved, scope_size, ports,
                  probes, options, permits_issued, refused_out_of_scope, notes, dropped,
                  do_not_probe, shard, merged_from)

struct EndpointRecord {
  std::string ip;
  int port = 0;
  PortState state = PortState::filtered;
  std::string service;            // "dicom", "dicom-tls", "http", "unknown", "silent"
  bool speaks_dicom = false;
  bool tls = false;
  std::string association;        // outcome of the first association test
  std::string called_ae;          // a called AE title the server accepts, if found
  std::string impl_class_uid, impl_version;
  std::uint32_t peer_max_pdu = 0;
  std::vector<std::string> accepted_services;  // short names of accepted contexts
};
PACSCAN_JSON_TYPE(EndpointRecord, ip, port, state, service, speaks_dicom, tls, association,
                  called_ae, impl_class_uid, impl_version, peer_max_pdu, accepted_services)

// What a host is for, guessed from what it offers (core/asset_role.cpp): an archive answers
// Q/R and accepts storage, a worklist broker answers MWL queries ... with the facts behind the
// guess, so an auditor can check it against the site's own asset list.
struct AssetRole {
  // Most specific first: "archive", "worklist-broker", "router", "viewer-or-router",
  // "web-viewer", "modality", "verification-only", "dicom-unknown", "not-imaging". One host can
  // hold several (an archive that is also the worklist broker).
  std::vector<std::string> roles;
  std::string confidence = "low";  // "high", "medium", "low"
  std::vector<std::string> evidence;  // one fact per line, with where it was seen
};
PACSCAN_JSON_TYPE(AssetRole, roles, confidence, evidence)

struct HostRecord {
  std::string ip;
  bool up = false;                 // answered ARP or at least one connect (open or closed)
  std::string via = "tcp";         // how it was found
  std::string mac, vendor;         // when known (ARP discovery)
  std::vector<int> open_ports;
  std::vector<int> closed_ports;
  int filtered_ports = 0;
  AssetRole role;                  // what the host is for, guessed from what it offers
};
PACSCAN_JSON_TYPE(HostRecord, ip, up, via, mac, vendor, open_ports, closed_ports, filtered_ports,
                  role)

enum class Verdict { fail, pass, not_evaluated };
NLOHMANN_JSON_SERIALIZE_ENUM(Verdict, {{Verdict::fail, "fail"},
                                       {Verdict::pass, "pass"},
                                       {Verdict::not_evaluated, "not_evaluated"}})

// One rule judged on one asset: fail (a finding exists), pass, or not evaluated (and why).
// Texts repeated across assets (rule ids, reasons) are SharedText.
struct Check {
  SharedText rule_id;
  std::string asset;   // "ip:port" or "ip"
  Verdict verdict = Verdict::not_evaluated;
  SharedText reason;
};
PACSCAN_JSON_TYPE(Check, rule_id, asset, verdict, reason)

// The texts a rule repeats on every asset it fails (title, remediation, and often the summary and
// evidence lines) are SharedText.
struct Finding {
  std::string id;             // stable: hash of rule, asset and discriminator
  SharedText rule_id;
  SharedText title;
  Severity severity = Severity::info;
  std::string ip;
  int port = 0;               // 0 for host-level findings
  std::string asset;          // "ip:port"
  std::string discriminator;  // what tells two findings of one rule on one asset apart
  EvidenceLevel evidence_level = EvidenceLevel::observed;
  Confidence confidence = Confidence::confirmed;
  SharedText summary;                  // one sentence: what was seen
  std::vector<SharedText> evidence;    // facts, each one line, as observed
  std::vector<std::string> probes;     // probes whose observations back it
  std::vector<int> hicp;               // HICP practices
  bool vendor_action = false;
  SharedText remediation;
  // The host shows signs of a DICOM honeypot or decoy (a rule marked `marks_decoy` failed on
  // it): the finding is kept, but an auditor should verify the device before filing a ticket.
  bool suspected_decoy = false;
  std::string decoy_finding_id;  // the finding that holds the decoy evidence
  // Other assets the finding involves ("ip:port"; whole-scan rules: the other endpoints with the
  // same AE title or configuration, at most 10). The re-test command scans them too.
  std::vector<std::string> related;
};
PACSCAN_JSON_TYPE(Finding, id, rule_id, title, severity, ip, port, asset, discriminator,
                  evidence_level, confidence, summary, evidence, probes, hicp, vendor_action,
                  remediation, suspected_decoy, decoy_finding_id, related)

// Observations kept on disk (a scan's observations.jsonl) instead of in memory: a scan of
// thousands of endpoints reads them back one at a time when a report needs them.
class ObservationStore {
 public:
  virtual ~ObservationStore() = default;
  // Every stored observation, in the order they were recorded.
  virtual void for_each(const std::function<void(const Observation&)>& fn) const = 0;
  // At least every stored observation whose JSON line (compact, as observations.jsonl holds it)
  // contains one of `needles`, in order; it may give others too. A store on disk skips the
  // other lines without parsing them.
  virtual void for_each_containing(std::span<const std::string_view> needles,
                                   const std::function<void(const Observation&)>& fn) const {
    (void)needles;
    for_each(fn);
  }
  // The stored observations as compact JSON lines, in order, when the store holds them so:
  // each is `nlohmann::json(o).dump()` of the observation for_each gives (scan.json copies them
  // instead of rebuilding each one). false: this store has no lines; use for_each.
  virtual bool for_each_line(const std::function<void(std::string_view)>& fn) const {
    (void)fn;
    return false;
  }
};

struct ScanResult {
  ScanMeta meta;
  std::vector<HostRecord> hosts;
  std::vector<EndpointRecord> endpoints;
  std::vector<Finding> findings;
  std::vector<Check> checks;
  std::vector<Observation> observations;
  // Not serialised: observations that stay on disk (a scan); they come after `observations`.
  std::shared_ptr<const ObservationStore> stored;
  // Not serialised: an output file could not be written during the run (a full disk). The run
  // exits with the runtime-error code once the reports are written from what was observed.
  std::string output_error;
};
void to_json(nlohmann::json& j, const ScanResult& r);  // in-memory observations only
void from_json(const nlohmann::json& j, ScanResult& r);

// Every observation of the result: `observations`, then the stored ones.
void for_each_observation(const ScanResult& r, const std::function<void(const Observation&)>& fn);
// The same, but the stored observations whose line contains none of `needles` may be skipped
// (ObservationStore::for_each_containing): the caller still checks what it is given.
void for_each_observation(const ScanResult& r, std::span<const std::string_view> needles,
                          const std::function<void(const Observation&)>& fn);

// Inventory: hosts and endpoints from the observations (pure).
void build_inventory(ScanResult& result);

// The role of every host seen in the observations (core/asset_role.cpp; pure). Keys are hosts
// with at least one observation of their own, or seen as a client in a capture.
std::map<Ipv4, AssetRole> guess_roles(const std::vector<Observation>& observations);
// "archive" -> "archive (Q/R and storage)", for reports.
std::string role_label(const std::string& role);

// Stable finding ID: "PSF-" + 16 hex of FNV-1a 64 over rule|asset|discriminator.
std::string finding_id(const std::string& rule_id, const std::string& asset,
                       const std::string& discriminator);

}  // namespace pacscan
