// SPDX-License-Identifier: Apache-2.0
// findings.csv: one row per finding for Jira / ServiceNow / GLPI import. RFC 4180 (every field
// quoted, CRLF between records); cells that a spreadsheet would read as a formula are neutralised.
#include <fmt/format.h>

#include "report/common.hpp"

namespace pacscan::report::detail {

// A cell: cleaned, neutralised against formula injection, quoted.
std::string csv_cell(std::string_view raw) {
  std::string text = clean_text(raw, true);
  if (!text.empty()) {
    const char c = text.front();
    if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') {
      text.insert(text.begin(), '\'');
    }
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

namespace {

std::string priority(Severity s) {
  switch (s) {
    case Severity::critical:
      return "Highest";
    case Severity::high:
      return "High";
    case Severity::medium:
      return "Medium";
    case Severity::low:
      return "Low";
    case Severity::info:
      return "Lowest";
  }
  return "Lowest";
}

std::string description(const Context& ctx, const Finding& f) {
  std::string d;
  if (f.suspected_decoy) d += "SUSPECTED DECOY: " + decoy_note(f) + "\n\n";
  d += one_line(f.summary) + "\n\n";
  d += "Asset: " + one_line(f.asset) + "\n";
  d += "Rule: " + one_line(f.rule_id) + " - " + one_line(f.title) + "\n";
  d += "Severity: " + severity_label(f.severity) + "; evidence: " + evidence_label(f) + "\n";
  if (!f.hicp.empty()) d += "HICP practices: " + hicp_list(f.hicp) + "\n";
  if (f.vendor_action) d += "Vendor action needed: yes\n";
  if (!f.evidence.empty()) {
    d += "\nEvidence:\n";
    for (const auto& e : f.evidence) d += "* " + one_line(e) + "\n";
  }
  d += "\nHow to fix:\n" + one_line(f.remediation) + "\n";
  d += "\nHow to verify the fix:\n" + retest_command(index_of(ctx), f) + "\n";
  d += "\nFinding ID: " + one_line(f.id);
  return d;
}

void add_row(Sink& out, const Context& ctx, const Finding& f, const std::string& status,
             const std::string& first_seen) {
  std::string labels = "pacscan " + one_line(f.rule_id);
  for (int p : f.hicp) labels += fmt::format(" hicp-{}", p);
  if (f.vendor_action) labels += " vendor-action";
  if (f.suspected_decoy) labels += " suspected-decoy";
  const std::vector<std::string> cells = {
      one_line(f.title) + " - " + one_line(f.asset),
      description(ctx, f),
      priority(f.severity),
      labels,
      f.asset,
      f.rule_id,
      to_string(f.severity),
      f.id,
      status,
      first_seen,
      yes_no(f.suspected_decoy),
  };
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ',';
    out += csv_cell(cells[i]);
  }
  out += "\r\n";
}


void render_csv_to(Sink& out, const Context& ctx) {
  const char* header[] = {"Summary",    "Description", "Priority",  "Labels",
                          "Asset",      "Rule",        "Severity",  "Finding ID",
                          "Status",     "First seen",  "Suspected decoy"};
  for (std::size_t i = 0; i < std::size(header); ++i) {
    if (i) out += ',';
    out += csv_cell(header[i]);
  }
  out += "\r\n";
  const auto& started = ctx.scan.meta.started_at;
  for (const auto* f : findings_by_severity(ctx.scan.findings)) {
    const auto status = status_of(ctx, *f);
    const bool older = status && *status == Change::still_open;
    add_row(out, ctx, *f, status_key(ctx, *f), older ? ctx.diff->baseline_started_at : started);
  }
  if (ctx.diff) {
    for (Change gone : {Change::fixed, Change::not_retested}) {
      std::vector<Finding> list;
      for (const auto& c : ctx.diff->findings) {
        if (c.change == gone) list.push_back(c.finding);
      }
      for (const auto* f : findings_by_severity(list)) {
        add_row(out, ctx, *f, change_key(gone), ctx.diff->baseline_started_at);
      }
    }
  }
}

}  // namespace

std::string render_csv(const Context& ctx) {
  Sink out;
  render_csv_to(out, ctx);
  return out.take();
}

Expected<bool> write_csv(const Context& ctx, const std::filesystem::path& dir) {
  return write_file_with(dir / "findings.csv", [&](std::ostream& os) {
    Sink out(os);
    render_csv_to(out, ctx);
  });
}

}  // namespace pacscan::report::detail
