// SPDX-License-Identifier: Apache-2.0
// The table of formats, writing them into the output folder, and the output-folder policy.
#include "report/common.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace pacscan::report {
namespace detail {

Expected<bool> write_file(const std::filesystem::path& file, std::string_view content) {
  auto tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      return error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
    }
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) return error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return error(fmt::format("cannot write {}: {}", file.string(), ec.message()));
  }
  return true;
}

std::string render_json(const Context& ctx) {
  const nlohmann::json j = ctx.scan;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Expected<bool> write_json(const Context& ctx, const std::filesystem::path& dir) {
  try {
    return write_file(dir / "scan.json", render_json(ctx));
  } catch (const std::exception& e) {
    return error(fmt::format("cannot render scan.json: {}", e.what()));
  }
}

}  // namespace detail

const std::vector<Format>& formats() {
  static const std::vector<Format> k_formats = {
      {"json", "scan.json", "the scan result (machine-readable; `pacscan report` re-renders it)",
       &detail::write_json},
      {"md", "report.md", "the full report in Markdown (wikis, ticket systems)",
       &detail::write_markdown},
      {"html", "report.html", "the full report as one self-contained web page (prints to PDF)",
       &detail::write_html},
      {"csv", "findings.csv", "one row per finding, for Jira / ServiceNow / GLPI import",
       &detail::write_csv},
      {"sarif", "findings.sarif", "findings as SARIF 2.1.0 (DefectDojo and other SARIF tools)",
       &detail::write_sarif},
      {"tickets", "tickets", "one Markdown ticket body per finding: tickets/<finding-id>.md",
       &detail::write_tickets},
  };
  return k_formats;
}

const Format* find_format(std::string_view name) {
  for (const auto& f : formats()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Expected<bool> write_all(const Context& ctx, const std::filesystem::path& dir,
                         const std::vector<std::string>& names) {
  std::vector<const Format*> chosen;
  if (names.empty()) {
    for (const auto& f : formats()) chosen.push_back(&f);
  } else {
    for (const auto& n : names) {
      const auto* f = find_format(n);
      if (!f) {
        std::vector<std::string> known;
        for (const auto& k : formats()) known.emplace_back(k.name);
        return error(fmt::format("unknown report format '{}' (known: {})", detail::one_line(n),
                                 detail::join(known, ", ")));
      }
      if (std::find(chosen.begin(), chosen.end(), f) == chosen.end()) chosen.push_back(f);
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  // Write every format even when one fails: an auditor keeps whatever could be written.
  std::optional<std::string> first_error;
  for (const auto* f : chosen) {
    Expected<bool> r = error("");
    try {
      r = f->write(ctx, dir);
    } catch (const std::exception& e) {
      r = error(fmt::format("{}: {}", f->name, e.what()));
    }
    if (!r && !first_error) first_error = r.error();
  }
  if (first_error) return error(*first_error);
  return true;
}

Expected<void> prepare_output_dir(const std::filesystem::path& dir, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return error(fmt::format("output folder {} exists and is not a folder", dir.string()));
  }
  std::vector<std::string> names = {"observations.jsonl", "resume.jsonl"};
  for (const auto& f : formats()) names.emplace_back(f.file);
  std::vector<fs::path> found;
  for (const auto& n : names) {
    if (fs::exists(dir / n, ec)) found.push_back(dir / n);
  }
  if (!found.empty() && !force) {
    std::vector<std::string> shown;
    for (const auto& p : found) shown.push_back(p.filename().string());
    return error(fmt::format(
        "output folder {} already holds a scan ({}): choose a new folder with -o, continue that "
        "scan with --resume {}, or replace it with --force",
        dir.string(), detail::join(shown, ", "), dir.string()));
  }
  for (const auto& p : found) {
    fs::remove_all(p, ec);
    if (ec) return error(fmt::format("cannot remove {}: {}", p.string(), ec.message()));
  }
  fs::create_directories(dir, ec);
  if (ec) return error(fmt::format("cannot create output folder {}: {}", dir.string(), ec.message()));
  return {};
}

}  // namespace pacscan::report
