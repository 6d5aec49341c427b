// SPDX-License-Identifier: Apache-2.0
// findings.sarif: SARIF 2.1.0 for tools that ingest it (DefectDojo, code-scanning dashboards).
// Built with nlohmann::json, so every device-controlled string is JSON-escaped.
#include <sstream>

#include <fmt/format.h>

#include "report/common.hpp"

namespace pacscan::report::detail {
namespace {

using nlohmann::json;

const char* level(Severity s) {
  switch (s) {
    case Severity::critical:
    case Severity::high:
      return "error";
    case Severity::medium:
      return "warning";
    case Severity::low:
    case Severity::info:
      return "note";
  }
  return "note";
}

// The 0-10 score code-scanning tools use to rank security results.
const char* security_severity(Severity s) {
  switch (s) {
    case Severity::critical:
      return "9.5";
    case Severity::high:
      return "8.0";
    case Severity::medium:
      return "5.5";
    case Severity::low:
      return "3.0";
    case Severity::info:
      return "0.0";
  }
  return "0.0";
}

// "DICOM-AE-ANY-CALLING" -> "DicomAeAnyCalling"
std::string pascal_name(std::string_view id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                 : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = false;
  }
  return out;
}

std::vector<std::string> hicp_tags(const std::vector<int>& practices, bool vendor) {
  std::vector<std::string> tags = {"security"};
  for (int p : practices) tags.push_back(fmt::format("hicp-{}", p));
  if (vendor) tags.emplace_back("vendor-action");
  return tags;
}

json rule_descriptor(const rules::RuleSpec& r) {
  std::string help = std::string(r.remediation);
  std::string help_md = escape_md(r.remediation);
  if (!r.references.empty()) {
    help += "\nReferences:";
    help_md += "\n\nReferences:\n";
    for (const auto& ref : r.references) {
      help += "\n- " + std::string(ref);
      help_md += "\n- " + escape_md(ref);
    }
  }
  std::vector<std::string> refs(r.references.begin(), r.references.end());
  return json{
      {"id", r.id},
      {"name", pascal_name(r.id)},
      {"shortDescription", {{"text", r.title}}},
      {"fullDescription", {{"text", r.description}}},
      {"help", {{"text", help}, {"markdown", help_md}}},
      {"defaultConfiguration", {{"level", level(r.severity)}}},
      {"properties",
       {{"tags", hicp_tags(r.hicp, r.vendor_action)},
        {"hicp", r.hicp},
        {"severity", to_string(r.severity)},
        {"security-severity", security_severity(r.severity)},
        {"vendor_action", r.vendor_action},
        {"references", refs}}},
  };
}

// A finding whose rule this build does not know (a scan.json from another version).
json rule_from_finding(const Finding& f) {
  return json{
      {"id", f.rule_id},
      {"name", pascal_name(f.rule_id)},
      {"shortDescription", {{"text", f.title.empty() ? f.rule_id : f.title}}},
      {"help", {{"text", f.remediation.empty() ? f.title : f.remediation}}},
      {"defaultConfiguration", {{"level", level(f.severity)}}},
      {"properties",
       {{"tags", hicp_tags(f.hicp, f.vendor_action)},
        {"hicp", f.hicp},
        {"severity", to_string(f.severity)},
        {"security-severity", security_severity(f.severity)}}},
  };
}

std::string location_uri(const ScanIndex& idx, const Finding& f) {
  std::string scheme = "dicom";
  if (const auto it = idx.endpoints.find(std::make_pair(f.ip, f.port));
      it != idx.endpoints.end()) {
    const auto* e = it->second;
    if (e->service == "http" || e->service == "https") scheme = e->service;
  }
  // The asset is an address we formatted; keep only URI-safe characters all the same.
  std::string host;
  for (char c : f.ip.empty() ? f.asset.substr(0, f.asset.find(':')) : f.ip) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') host += c;
  }
  if (host.empty()) host = "unknown";
  return f.port > 0 ? fmt::format("{}://{}:{}", scheme, host, f.port)
                    : fmt::format("{}://{}", scheme, host);
}

// SARIF wants RFC 3339 date-times; anything else is left out rather than made invalid.
bool is_utc_time(std::string_view s) {
  return s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
         s.back() == 'Z';
}

void stream_sarif(const Context& ctx, std::ostream& out) {
  const auto& scan = ctx.scan;
  json rules_json = json::array();
  std::map<std::string, int> rule_index;
  for (const auto& r : rules::catalogue()) {
    rule_index[std::string(r.id)] = static_cast<int>(rules_json.size());
    rules_json.push_back(rule_descriptor(r));
  }
  for (const auto& f : scan.findings) {
    if (rule_index.count(f.rule_id)) continue;
    rule_index[f.rule_id] = static_cast<int>(rules_json.size());
    rules_json.push_back(rule_from_finding(f));
  }

  auto result_of = [&](const Finding* f) {
    std::string message = f->summary.empty() ? f->title : f->summary;
    message += " (" + f->asset + ")";
    json result = {
        {"ruleId", f->rule_id},
        {"ruleIndex", rule_index.at(f->rule_id)},
        {"level", level(f->severity)},
        {"message", {{"text", message}}},
        {"locations",
         json::array({{{"physicalLocation",
                        {{"artifactLocation",
                          {{"uri", location_uri(index_of(ctx), *f)},
                           {"description", {{"text", "network endpoint " + f->asset}}}}}}},
                       {"logicalLocations", json::array({{{"name", f->asset},
                                                          {"fullyQualifiedName", f->asset},
                                                          {"kind", "endpoint"}}})}}})},
        {"partialFingerprints", {{"pacscanFindingId/v1", f->id}}},
        {"properties",
         {{"finding_id", f->id},
          {"severity", to_string(f->severity)},
          {"evidence_level", f->evidence_level},
          {"confidence", f->confidence},
          {"evidence", f->evidence},
          {"asset", f->asset},
          {"hicp", f->hicp},
          {"vendor_action", f->vendor_action},
          {"remediation", f->remediation},
          {"probes", f->probes},
          {"suspected_decoy", f->suspected_decoy},
          {"decoy_finding_id", f->decoy_finding_id}}},
    };
    if (f->suspected_decoy) {
      // Under review, not accepted: the result stays visible, but tools that track suppressions
      // keep it out of the work queue until someone has checked the device.
      result["suppressions"] = json::array(
          {{{"kind", "external"}, {"status", "underReview"}, {"justification", decoy_note(*f)}}});
    }
    if (const auto s = status_of(ctx, *f)) {
      result["baselineState"] = *s == Change::added ? "new" : "unchanged";
    }
    return result;
  };

  json invocation = {{"executionSuccessful", !scan.meta.interrupted}};
  if (!scan.meta.command_line.empty()) {
    invocation["commandLine"] = join(scan.meta.command_line, " ");
    invocation["arguments"] = scan.meta.command_line;
  }
  const auto& started = scan.meta.started_at;
  const auto& finished = scan.meta.finished_at;
  if (is_utc_time(started)) invocation["startTimeUtc"] = started;
  // ISO 8601 UTC strings order as text; an inconsistent pair would make the log invalid.
  if (is_utc_time(finished) && (!is_utc_time(started) || finished >= started)) {
    invocation["endTimeUtc"] = scan.meta.finished_at;
  }
  if (scan.meta.interrupted) {
    invocation["toolExecutionNotifications"] =
        json::array({{{"level", "warning"}, {"message", {{"text", "The scan was interrupted."}}}}});
  }

  json driver = {{"name", "pacscan"},
                 {"fullName", "pacscan DICOM/PACS network exposure scanner"},
                 {"rules", rules_json}};
  if (!scan.meta.pacscan_version.empty()) {
    driver["version"] = scan.meta.pacscan_version;
  }

  json run = {
      {"tool", {{"driver", driver}}},
      {"invocations", json::array({invocation})},
      {"columnKind", "unicodeCodePoints"},
      {"properties",
       {{"profile", scan.meta.profile},
        {"mode", scan.meta.mode},
        {"targets", scan.meta.targets},
        {"excludes", scan.meta.excludes},
        {"ports", scan.meta.ports},
        {"schema_version", scan.meta.schema_version}}},
  };
  if (ctx.diff) run["properties"]["baseline_started_at"] = ctx.diff->baseline_started_at;

  // The log as dump(2) writes it (members in key order), with the results, one per finding,
  // written one at a time.
  JsonStream js(out);
  js.begin_object();
  js.key("$schema");
  js.value("https://json.schemastore.org/sarif-2.1.0.json");
  js.key("runs");
  js.begin_array();
  js.begin_object();
  bool results_done = false;
  auto results = [&] {
    js.key("results");
    js.begin_array();
    for (const auto* f : findings_by_severity(scan.findings)) js.value(result_of(f));
    js.end_array();
    results_done = true;
  };
  for (const auto& [k, v] : run.items()) {
    if (!results_done && k > "results") results();
    js.key(k);
    js.value(v);
  }
  if (!results_done) results();
  js.end_object();
  js.end_array();
  js.key("version");
  js.value("2.1.0");
  js.end_object();
  out << '\n';
}

}  // namespace

std::string render_sarif(const Context& ctx) {
  std::ostringstream out;
  stream_sarif(ctx, out);
  return std::move(out).str();
}

Expected<bool> write_sarif(const Context& ctx, const std::filesystem::path& dir) {
  return write_file_with(dir / "findings.sarif",
                         [&](std::ostream& out) { stream_sarif(ctx, out); });
}

}  // namespace pacscan::report::detail
