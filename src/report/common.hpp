// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared pieces of the report formats (internal to pacscan_report).
#include <array>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <pacscan/report/report.hpp>
#include <pacscan/rules/rules.hpp>

namespace pacscan::report::detail {

// Most severe first: the order every report lists severities in.
inline constexpr std::array<Severity, 5> k_severities_desc = {
    Severity::critical, Severity::high, Severity::medium, Severity::low, Severity::info};

std::string severity_label(Severity s);        // "Critical"
std::string severity_upper(Severity s);        // "CRITICAL"
std::string evidence_label(const Finding& f);  // "confirmed (confidence: confirmed)"
std::string change_label(Change c);            // "new", "still open", "fixed"
std::string change_key(Change c);              // "new", "still_open", "fixed"

// Valid UTF-8 with control characters (C0 except the kept ones, DEL, C1) and bidirectional
// overrides removed; invalid bytes become U+FFFD.
std::string clean_text(std::string_view s, bool keep_newlines);
// One line: clean_text, newlines and tabs collapsed into single spaces, trimmed.
std::string one_line(std::string_view s);
// A CSV cell (csv.cpp): cleaned, neutralised against formula injection, quoted.
std::string csv_cell(std::string_view raw);

// Orders IP address strings numerically (falls back to text order for non-addresses).
bool ip_less(const std::string& a, const std::string& b);

// Findings grouped by host (address order), each group most severe first.
struct HostFindings {
  std::string ip;
  std::vector<const Finding*> findings;
};
std::vector<HostFindings> findings_by_host(const ScanResult& scan);
// Only the findings of one view: what a known peer can do (rules judged on observations made
// with the site's client certificate, --tls-cert) or what anyone can do.
std::vector<HostFindings> findings_by_host(const ScanResult& scan, bool known_peer);
bool known_peer_finding(const Finding& f);
// Where the scan measured as a known peer: the certificate presented and what the server did.
struct CredentialView {
  std::string asset;              // ip:port
  std::string subject, sha256;    // the site's certificate (never anything of the key)
  std::string result, detail;     // "accepted", "refused", "not_requested", "unknown"
  std::vector<std::string> probes;  // probes that ran inside as the known peer
};

// Findings sorted most severe first, then by rule, then by asset.
std::vector<const Finding*> findings_by_severity(const std::vector<Finding>& findings);

std::map<Severity, int> count_by_severity(const std::vector<Finding>& findings);
std::map<int, int> count_by_hicp(const std::vector<Finding>& findings);  // practice -> findings

struct RuleCount {
  std::string rule_id;
  std::string title;
  Severity severity = Severity::info;  // the highest among the rule's findings
  std::vector<std::string> assets;
};
std::vector<RuleCount> findings_by_rule(const std::vector<Finding>& findings);

struct PassCount {
  std::string rule_id;
  std::string title;
  int assets = 0;
};
std::vector<PassCount> passes_by_rule(const ScanResult& scan);
std::vector<const Check*> not_evaluated(const ScanResult& scan);

std::string hicp_list(const std::vector<int>& practices);  // "3 Access management; 9 ..."

// Objects the scan wrote to targets (intrusive dicom_store_test), for the clean-up section:
// stored, or possibly stored (no reply came).
struct WrittenObject {
  std::string asset;    // ip:port
  std::string called_ae;
  std::string state;    // "stored" or "possibly stored (<outcome>)"
  SyntheticObject object;
};

// Findings of DEVICE-STOPPED-ANSWERING (a host that stopped answering during the scan): every
// report shows them first, before anything else.
inline constexpr std::string_view k_stopped_rule = "DEVICE-STOPPED-ANSWERING";
std::vector<const Finding*> stopped_devices(const ScanResult& scan);
// The text every format shows on a finding of a suspected decoy host.
std::string decoy_note(const Finding& f);

const EndpointRecord* find_endpoint(const ScanResult& scan, const std::string& ip, int port);

// The diff status of a finding of the new scan, when a baseline was given.
std::optional<Change> status_of(const Context& ctx, const Finding& f);
// "new" / "still_open" / "fixed" with a diff, else "open".
std::string status_key(const Context& ctx, const Finding& f);

// Lookups by address over one scan (and its diff), built once per Context.
struct ScanIndex {
  explicit ScanIndex(const ScanResult& scan, const Diff* diff = nullptr);
  const ScanResult& scan;
  std::map<std::pair<std::string, int>, const EndpointRecord*> endpoints;
  std::multimap<std::string, const HostRecord*> hosts;
  std::set<std::pair<std::string, int>> any_called;  // DICOM-AE-ANY-CALLED endpoints
  std::map<std::string, Change> open_changes;        // finding id -> added / still_open
  // Per finding (by index): a name unique in this scan, safe as a file name and an HTML id
  // (the ticket file, the report's anchor). A scan.json we did not write may repeat an ID, or
  // hold an ID safe_id keeps next to one it alters into the same name: a name already taken gets
  // the finding's index and a counter (bounded, unlike re-suffixing). Mostly the ID itself; only
  // the others are stored.
  std::string_view name(std::size_t finding) const;
  std::unordered_map<std::size_t, std::string> renamed;
  // Finding id (viewed in scan.findings) -> index of its first finding.
  std::unordered_map<std::string_view, std::size_t> first_with_id;
  std::set<std::string> decoy_ips;  // hosts with a finding marked suspected_decoy
  // From the observations, in one pass (a large scan keeps them on disk: every pass parses them).
  std::vector<CredentialView> credentials;  // where the scan measured as a known peer
  std::vector<WrittenObject> written;       // objects the scan wrote to targets
};
const ScanIndex& index_of(const Context& ctx);
// "archive (Q/R and storage); ... — high" for the inventory, with "suspected decoy" when a
// finding of the host is marked so.
std::string role_text(const ScanIndex& idx, const HostRecord& h);

// Shell command that re-tests the finding's endpoint (shell-quoted where needed).
std::string retest_command(const ScanIndex& idx, const Finding& f);
std::string retest_command(const ScanResult& scan, const Finding& f);
std::string shell_quote(std::string_view s);
// A called AE title `pacscan scan --called-aet` accepts (1-16 printable ASCII, no '\\' or '#').
bool usable_called_ae(std::string_view ae);

// A finding ID made safe as a file name and an HTML id.
std::string safe_id(std::string_view id, std::size_t index);

// "key: value" lines of the options object.
std::vector<std::string> option_lines(const nlohmann::json& options);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// An escaped string (or list, comma-separated), or a dash when empty; esc is the format's escaper.
std::string or_dash(std::string_view s, std::string (*esc)(std::string_view));
std::string list_or_dash(const std::vector<std::string>& items,
                         std::string (*esc)(std::string_view));
// "104, 11112", or a dash when there is none (numbers need no escaping in any format).
std::string ports_text(const std::vector<int>& ports);
std::string yes_no(bool b);
// "2026-12-01T10:00:00Z" -> "2026-12-01 10:00:00 UTC" (other text is returned as it is).
std::string display_time(std::string_view iso);

// Writes a file (through a temporary and a rename).
Expected<bool> write_file(const std::filesystem::path& file, std::string_view content);
// Writes a file that did not exist (no temporary: one file system operation instead of three,
// for the thousands of tickets). A failed write leaves no file.
Expected<bool> write_new_file(const std::filesystem::path& file, std::string_view content);
// The same, with the content written piece by piece by `fill`: a report of thousands of
// endpoints never sits whole in memory (a scan of a /16 stays within its memory bound).
Expected<bool> write_file_with(const std::filesystem::path& file,
                               const std::function<void(std::ostream&)>& fill);

// Text being rendered: kept whole (render_*, for tests and `pacscan diff`) or handed to a file in
// chunks of 64 KiB (write_*).
class Sink {
 public:
  Sink() = default;
  explicit Sink(std::ostream& out) : m_out(&out) {}
  Sink(const Sink&) = delete;
  ~Sink() { flush(); }
  Sink& operator+=(std::string_view s) {
    m_buf.append(s);
    if (m_out && m_buf.size() >= k_chunk) flush();
    return *this;
  }
  Sink& operator+=(char c) { return *this += std::string_view(&c, 1); }
  void flush() {
    if (m_out && !m_buf.empty()) {
      m_out->write(m_buf.data(), static_cast<std::streamsize>(m_buf.size()));
      m_buf.clear();
    }
  }
  std::string take() { return std::move(m_buf); }

 private:
  static constexpr std::size_t k_chunk = 64 * 1024;
  std::ostream* m_out = nullptr;
  std::string m_buf;
};

// Writes JSON in exactly the layout of nlohmann's dump(2) (keys are given in the order dump
// would sort them), one element at a time, so a long array (observations, findings, SARIF
// results) is written without building the document's tree.
class JsonStream {
 public:
  explicit JsonStream(std::ostream& out) : m_out(out) {}
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view k);       // inside an object, before its value
  void value(const nlohmann::json& j);  // a whole (small) value
  // The text of a value already dumped compactly or with dump(2) layout at depth 0.
  void raw_value(std::string_view dumped);
  // An object or array as nlohmann's compact dump() wrote it, laid out as dump(2) would, without
  // building its tree. false (nothing written): not one whole object or array, e.g. a torn line.
  bool compact_value(std::string_view compact);

 private:
  void open(char c);
  void close(char c);
  void before_value();
  void indent(std::size_t depth);
  std::string m_scratch;  // compact_value's output, written once the value is known whole
  struct Level {
    bool object;
    std::size_t count = 0;
  };
  std::ostream& m_out;
  std::vector<Level> m_levels;
  bool m_after_key = false;
};

// Renderers (pure) and writers, one per format.
std::string render_json(const Context& ctx);
std::string render_markdown(const Context& ctx);
std::string render_html(const Context& ctx);
std::string render_csv(const Context& ctx);
std::string render_sarif(const Context& ctx);
std::string render_ticket(const Context& ctx, const Finding& f);

Expected<bool> write_json(const Context& ctx, const std::filesystem::path& dir);
Expected<bool> write_markdown(const Context& ctx, const std::filesystem::path& dir);
Expected<bool> write_html(const Context& ctx, const std::filesystem::path& dir);
Expected<bool> write_csv(const Context& ctx, const std::filesystem::path& dir);
Expected<bool> write_sarif(const Context& ctx, const std::filesystem::path& dir);
Expected<bool> write_tickets(const Context& ctx, const std::filesystem::path& dir);

// A JSON file we did not write in this run (scan.json, observations.jsonl): size and nesting
// bounded, every string escaped (escape_json_strings). A clear error instead of a crash.
inline constexpr std::uintmax_t k_max_scan_bytes = 512ull << 20;
inline constexpr int k_max_json_depth = 64;
Expected<nlohmann::json> read_untrusted_json(const std::filesystem::path& file,
                                             std::uintmax_t max_bytes);

// JSON text that never throws on invalid UTF-8 in device strings.
std::string dump_json(const nlohmann::json& j);

}  // namespace pacscan::report::detail
