// SPDX-License-Identifier: Apache-2.0
#pragma once
// Reports are pure functions of a ScanResult (and optionally a comparison with a baseline).
// One table of formats; `pacscan report` re-renders any of them from scan.json.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/scan_result.hpp>

namespace pacscan::report {

// Scan-to-scan comparison (pacscan diff, --baseline).
// fixed: the new scan judged the rule on that asset and it passed. not_retested: the finding is
// gone from the new scan but the rule was not evaluated there (probe skipped, endpoint not seen),
// so nothing shows it was fixed.
enum class Change { added, still_open, fixed, not_retested };
struct FindingChange {
  Change change;
  Finding finding;  // from the new scan (added, still_open) or the old one (fixed)
};
struct EndpointChange {
  bool appeared;  // false: disappeared
  EndpointRecord endpoint;
};
struct Diff {
  std::string baseline_started_at;
  std::vector<FindingChange> findings;
  std::vector<EndpointChange> endpoints;
};
Diff compare(const ScanResult& old_scan, const ScanResult& new_scan);
// The diff for a terminal: "md" (one line per change) or "json".
std::string render_diff(const Diff& d, std::string_view format);

struct Context {
  const ScanResult& scan;
  const Diff* diff = nullptr;  // when a baseline was given
  // Report internals: lookups by address built once per Context (a scan of thousands of
  // findings must not look each one up by a walk over all of them).
  mutable std::shared_ptr<const void> index_cache{};
};

struct Format {
  std::string_view name;       // "json", "md", "html", "csv", "sarif", "tickets"
  std::string_view file;       // output file (or folder for tickets)
  std::string_view description;
  // Writes into dir. Errors are returned, not thrown.
  Expected<bool> (*write)(const Context& ctx, const std::filesystem::path& dir);
};
const std::vector<Format>& formats();
const Format* find_format(std::string_view name);

// Writes the chosen formats (all when empty) into dir; returns the first error.
Expected<bool> write_all(const Context& ctx, const std::filesystem::path& dir,
                         const std::vector<std::string>& names);

// The output folder of a scan, pcap or listen run. A folder that holds an earlier run's files
// (observations.jsonl, scan.json, any report, tickets/) is never mixed with a new run: without
// `force` this is an error naming them; with `force` those files (and only those) are removed.
Expected<void> prepare_output_dir(const std::filesystem::path& dir, bool force);

// Loads scan.json (any schema_version this build understands).
Expected<ScanResult> load_scan(const std::filesystem::path& file);

// observations.jsonl, one observation per line: a last line cut by a crash is left out, a line
// that is not an observation is skipped; each is said in `notes`.
Expected<std::vector<Observation>> load_observations(const std::filesystem::path& file,
                                                     std::vector<std::string>& notes);

// What `pacscan report` and `diff` accept: a scan.json; an observations.jsonl (the inventory,
// findings and reports are rebuilt from the observations alone: a scan that died before writing
// scan.json); or an output folder (its scan.json, else its observations.jsonl).
Expected<ScanResult> load_any(const std::filesystem::path& path);

// pacscan merge: one scan from several (shards of a scope, or sites). Observations are joined
// in time order and judged again, so finding IDs are those of a single scan; missing shards,
// overlapping scopes and conflicting observations are said in meta.notes. names: one per input.
ScanResult merge_scans(const std::vector<ScanResult>& inputs,
                       const std::vector<std::string>& names);

// The rules catalogue as a document (`pacscan rules --format md|json`, docs/rules.md).
std::string render_rules(std::string_view format);  // "md" or "json"

// Escaping helpers, one per output language: device-controlled strings pass through them.
std::string escape_md(std::string_view s);
std::string escape_html(std::string_view s);

}  // namespace pacscan::report
