// The rules catalogue as a document: `pacscan rules --format md|json` and docs/rules.md.
#include <fmt/format.h>

#include "report/common.hpp"

namespace pacscan::report {
namespace {

std::vector<std::string> strings(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

std::string rules_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rules::catalogue()) {
    std::vector<std::string> practices;
    for (int p : r.hicp) practices.push_back(rules::hicp_name(p));
    out.push_back({
        {"id", r.id},
        {"title", r.title},
        {"hicp", r.hicp},
        {"hicp_names", practices},
        {"vendor_action", r.vendor_action},
        {"severity", r.severity},
        {"severity_rationale", r.severity_rationale},
        {"description", r.description},
        {"remediation", r.remediation},
        {"references", strings(r.references)},
        {"needs", strings(r.needs)},
        {"levels", r.levels},
        {"implemented", rules::implemented(r)},
    });
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// GitHub's heading anchor for a rule ID: lower case, only letters, digits and '-'.
std::string anchor(std::string_view id) {
  std::string out;
  for (char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::string code_list(const std::vector<std::string_view>& items) {
  std::vector<std::string> out;
  for (auto i : items) out.push_back(fmt::format("`{}`", i));
  return out.empty() ? "—" : detail::join(out, ", ");
}

std::string rules_md() {
  const auto& cat = rules::catalogue();
  std::string out = "# pacscan rules\n\n";
  out +=
      "Every check pacscan runs, generated from the rules table in the source (`pacscan rules "
      "--format md`). Rule IDs are stable: they are never renumbered or reused. A rule whose "
      "observations are missing reports \"not evaluated\", never \"pass\".\n\n";
  out += fmt::format(
      "{} rules. Severity is the default; the evidence level a finding reaches can "
      "raise it (see each rule).\n\n",
      cat.size());
  out +=
      "| ID | Title | Severity | HICP | Vendor action | Evaluated |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& r : cat) {
    std::vector<std::string> hicp;
    for (int p : r.hicp) hicp.push_back(std::to_string(p));
    out += fmt::format("| [{}](#{}) | {} | {} | {} | {} | {} |\n", escape_md(r.id), anchor(r.id),
                       escape_md(r.title), detail::severity_label(r.severity),
                       detail::join(hicp, ", "), detail::yes_no(r.vendor_action),
                       rules::implemented(r) ? "yes" : "not yet");
  }
  out += "\n";
  for (const auto& r : cat) {
    out += fmt::format("## {}\n\n", escape_md(r.id));
    out += "**" + escape_md(r.title) + "**\n\n";
    out += "- **Severity:** " + detail::severity_label(r.severity) + " — " +
           escape_md(r.severity_rationale) + "\n";
    out += "- **HICP practices:** " + escape_md(detail::hicp_list(r.hicp)) + "\n";
    out += "- **Vendor action needed:** " + detail::yes_no(r.vendor_action) + "\n";
    out += "- **Probes needed:** " + code_list(r.needs) + "\n";
    out += "- **Evidence levels:** " + escape_md(r.levels) + "\n";
    out += std::string("- **Evaluated by this version:** ") +
           (rules::implemented(r) ? "yes" : "not yet (always reported as not evaluated)") + "\n\n";
    out += "**Why it matters.** " + escape_md(r.description) + "\n\n";
    out += "**How to fix.** " + escape_md(r.remediation) + "\n\n";
    if (!r.references.empty()) {
      out += "**References:**\n\n";
      for (auto ref : r.references) out += "- " + escape_md(ref) + "\n";
      out += "\n";
    }
  }
  return out;
}

}  // namespace

std::string render_rules(std::string_view format) {
  if (format == "json") return rules_json();
  return rules_md();
}

}  // namespace pacscan::report
