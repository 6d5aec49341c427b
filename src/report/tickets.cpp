// SPDX-License-Identifier: Apache-2.0
// tickets/<finding-id>.md: one ticket body per finding, ready to paste or attach.
#include <set>

#include <fmt/format.h>

#include "report/common.hpp"

namespace pacscan::report::detail {
namespace {

std::string md_or_dash(std::string_view s) {
  return s.empty() ? "—" : escape_md(s);
}

// A fence longer than any run of backticks in the content.
std::string fence_for(std::string_view content) {
  std::size_t longest = 0, run = 0;
  for (char c : content) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

}  // namespace

std::string render_ticket(const Context& ctx, const Finding& f) {
  const auto* spec = rules::find_rule(f.rule_id);
  std::string out;
  out += fmt::format("# [{}] {} — {}\n\n", severity_upper(f.severity), escape_md(f.title),
                     escape_md(f.asset));
  if (f.suspected_decoy) {
    out += "> **Suspected decoy.** " + escape_md(decoy_note(f)) + "\n\n";
  }
  out += "| Field | Value |\n| --- | --- |\n";
  auto row = [&](std::string_view k, const std::string& v) {
    out += fmt::format("| {} | {} |\n", k, v);
  };
  row("Severity", severity_label(f.severity));
  row("Asset", md_or_dash(f.asset));
  row("Rule", md_or_dash(f.rule_id));
  row("Finding ID", md_or_dash(f.id));
  row("Evidence level", escape_md(evidence_label(f)));
  if (!f.hicp.empty()) row("HICP practices", escape_md(hicp_list(f.hicp)));
  row("Vendor action needed", yes_no(f.vendor_action));
  row("Suspected decoy", yes_no(f.suspected_decoy));
  if (const auto s = status_of(ctx, f)) row("Status", change_label(*s));
  row("Scan started", md_or_dash(display_time(ctx.scan.meta.started_at)));
  out += "\n## What was found\n\n" + md_or_dash(f.summary) + "\n\n";
  out += "## Evidence\n\n";
  if (f.evidence.empty()) {
    out += "No detail recorded.\n";
  } else {
    for (const auto& e : f.evidence) out += "- " + escape_md(e) + "\n";
  }
  if (spec && !spec->description.empty()) {
    out += "\n## Why it matters\n\n" + escape_md(spec->description) + "\n";
  }
  out += "\n## How to fix\n\n" + md_or_dash(f.remediation) + "\n";
  if (f.vendor_action) {
    out += "\nThis fix needs the device vendor: send them this ticket.\n";
  }
  const std::string cmd = retest_command(index_of(ctx), f);
  const std::string fence = fence_for(cmd);
  out +=
      "\n## How to verify the fix\n\nAfter the change, re-test this endpoint from the same "
      "network:\n\n";
  out += fence + "sh\n" + cmd + "\n" + fence + "\n\n";
  out += "The fix is verified when finding " + md_or_dash(f.id) +
         " no longer appears in the new report (`pacscan diff` with this scan's scan.json lists "
         "it as fixed).\n";
  if (spec && !spec->references.empty()) {
    out += "\n## References\n\n";
    for (const auto& r : spec->references) out += "- " + escape_md(r) + "\n";
  }
  return out;
}

Expected<bool> write_tickets(const Context& ctx, const std::filesystem::path& dir) {
  const auto folder = dir / "tickets";
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) return error(fmt::format("cannot create {}: {}", folder.string(), ec.message()));
  // Re-rendering into the same folder: tickets of findings that are gone must not survive.
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".md") {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  // One file per finding under its unique name: a repeated ID never overwrites a ticket, and
  // with the old ones gone each is a new file.
  const auto& index = index_of(ctx);
  for (std::size_t i = 0; i < ctx.scan.findings.size(); ++i) {
    auto r = write_new_file(folder / fmt::format("{}.md", index.name(i)),
                            render_ticket(ctx, ctx.scan.findings[i]));
    if (!r) return r;
  }
  return true;
}

}  // namespace pacscan::report::detail
