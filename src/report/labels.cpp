// SPDX-License-Identifier: Apache-2.0
// Human labels: severities, evidence levels, diff states, HICP practices, times.
#include "report/common.hpp"

#include <fmt/format.h>

namespace pacscan::report {
namespace detail {

std::string severity_label(Severity s) {
  switch (s) {
    case Severity::critical:
      return "Critical";
    case Severity::high:
      return "High";
    case Severity::medium:
      return "Medium";
    case Severity::low:
      return "Low";
    case Severity::info:
      return "Info";
  }
  return "Info";
}

std::string severity_upper(Severity s) {
  std::string out = severity_label(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string evidence_label(const Finding& f) {
  return fmt::format("{} (confidence: {})", nlohmann::json(f.evidence_level).get<std::string>(),
                     nlohmann::json(f.confidence).get<std::string>());
}

std::string change_label(Change c) {
  switch (c) {
    case Change::added:
      return "new";
    case Change::still_open:
      return "still open";
    case Change::fixed:
      return "fixed";
    case Change::not_retested:
      return "not re-tested";
  }
  return "";
}

std::string change_key(Change c) {
  switch (c) {
    case Change::added:
      return "new";
    case Change::still_open:
      return "still_open";
    case Change::fixed:
      return "fixed";
    case Change::not_retested:
      return "not_retested";
  }
  return "";
}

std::string hicp_list(const std::vector<int>& practices) {
  std::vector<std::string> names;
  for (int p : practices) names.push_back(rules::hicp_name(p));
  return join(names, "; ");
}

std::string yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string display_time(std::string_view iso) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (iso.size() >= 20 && iso[10] == 'T' && iso.back() == 'Z') {
    std::string out(iso.substr(0, 19));
    out[10] = ' ';
    return out + " UTC";
  }
  return std::string(iso);
}

}  // namespace detail

}  // namespace pacscan::report
