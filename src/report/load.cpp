// SPDX-License-Identifier: Apache-2.0
// Reading back what a scan wrote (scan.json, observations.jsonl, an output folder): every file is
// untrusted, bounded and escaped.
#include "report/common.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <pacscan/core/journal.hpp>
#include <pacscan/core/text.hpp>

namespace pacscan::report {
namespace detail {

Expected<nlohmann::json> read_untrusted_json(const std::filesystem::path& file,
                                             std::uintmax_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return error(fmt::format("cannot read {}: {}", file.string(), ec.message()));
  if (size > max_bytes) {
    return error(fmt::format("{} is {} bytes; pacscan reads at most {} bytes", file.string(), size,
                             max_bytes));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return error(fmt::format("cannot read {}", file.string()));
  nlohmann::json j;
  try {
    // Nesting is bounded before anything walks the document recursively.
    j = nlohmann::json::parse(buf.str(), [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > k_max_json_depth) {
        throw std::runtime_error(fmt::format("nested deeper than {} levels", k_max_json_depth));
      }
      return true;
    });
  } catch (const std::exception& e) {
    return error(fmt::format("{} is not valid JSON ({})", file.string(), one_line(e.what())));
  }
  escape_json_strings(j);  // a scan.json is as untrusted as the devices it describes
  return j;
}

}  // namespace detail

Expected<ScanResult> load_scan(const std::filesystem::path& file) {
  auto parsed = detail::read_untrusted_json(file, detail::k_max_scan_bytes);
  if (!parsed) return error(parsed.error());
  nlohmann::json& j = *parsed;
  if (!j.is_object() || !j.contains("meta") || !j["meta"].is_object()) {
    return error(fmt::format("{} is not a pacscan scan.json (no \"meta\" object)", file.string()));
  }
  const auto& meta = j["meta"];
  if (meta.contains("schema_version")) {
    if (!meta["schema_version"].is_number_integer()) {
      return error(fmt::format("{}: meta.schema_version is not an integer", file.string()));
    }
    const auto v = meta["schema_version"].get<long long>();
    if (v > k_schema_version) {
      return error(fmt::format(
          "{} was written with scan.json schema version {}; this pacscan understands up to "
          "version {}. Use a newer pacscan to read it.",
          file.string(), v, k_schema_version));
    }
  }
  try {
    return j.get<ScanResult>();
  } catch (const nlohmann::json::exception& e) {
    return error(fmt::format("{} is not a valid pacscan scan.json ({})", file.string(),
                             detail::one_line(e.what())));
  }
}

Expected<std::vector<Observation>> load_observations(const std::filesystem::path& file,
                                                     std::vector<std::string>& notes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return error(fmt::format("cannot read {}: {}", file.string(), ec.message()));
  if (size > detail::k_max_scan_bytes) {
    return error(fmt::format("{} is {} bytes; pacscan reads at most {} bytes", file.string(), size,
                             detail::k_max_scan_bytes));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  std::vector<Observation> out;
  std::size_t n = 0, skipped = 0;
  std::string line;
  const auto depth_limit = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > detail::k_max_json_depth) throw std::runtime_error("nested too deep");
    return true;
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    const bool last = in.peek() == std::char_traits<char>::eof();
    try {
      auto j = nlohmann::json::parse(line, depth_limit);
      escape_json_strings(j);
      out.push_back(j.get<Observation>());
    } catch (const std::exception&) {
      if (last && in.eof()) {  // no newline after it: the write was cut
        notes.push_back(fmt::format("{}: the last line ({}) was cut (the scan stopped while "
                                    "writing it) and was left out",
                                    file.filename().string(), n));
      } else {
        ++skipped;
      }
    }
  }
  if (skipped > 0) {
    notes.push_back(fmt::format("{}: {} line(s) that are not observations were skipped",
                                file.filename().string(), skipped));
  }
  return out;
}

Expected<ScanResult> load_any(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path file = path;
  if (fs::is_directory(path, ec)) {
    file = fs::exists(path / "scan.json", ec) ? path / "scan.json" : path / "observations.jsonl";
  }
  if (file.extension() != ".jsonl") return load_scan(file);
  ScanResult r;
  auto obs = load_observations(file, r.meta.notes);
  if (!obs) return error(obs.error());
  r.observations = std::move(*obs);
  r.meta.pacscan_version = PACSCAN_VERSION;
  if (auto j = read_journal(file.parent_path() / "resume.jsonl")) {
    r.meta.command_line = j->argv;
    r.meta.started_at = j->started_at;
    r.meta.interrupted = !j->finished;
  } else {
    r.meta.interrupted = true;
  }
  if (r.meta.started_at.empty() && !r.observations.empty()) r.meta.started_at = r.observations.front().at;
  for (const auto& o : r.observations) r.meta.finished_at = std::max(r.meta.finished_at, o.at);
  r.meta.notes.insert(
      r.meta.notes.begin(),
      fmt::format("Rebuilt from {} alone ({} observation(s)): the inventory and findings are "
                  "judged from what was observed; scope, ports and options were not recorded "
                  "there.{}",
                  file.filename().string(), r.observations.size(),
                  r.meta.interrupted ? " The scan did not finish: endpoints it had not reached "
                                       "are absent."
                                     : ""));
  build_inventory(r);
  rules::evaluate(r);
  return r;
}

}  // namespace pacscan::report
