// SPDX-License-Identifier: Apache-2.0
// Scan-to-scan comparison (pacscan diff, --baseline) and its text for the terminal.
#include <map>
#include <set>

#include <fmt/format.h>

#include "report/common.hpp"

namespace pacscan::report {

Diff compare(const ScanResult& old_scan, const ScanResult& new_scan) {
  Diff d;
  d.baseline_started_at = old_scan.meta.started_at;
  std::set<std::string> old_ids, new_ids;
  for (const auto& f : old_scan.findings) old_ids.insert(f.id);
  for (const auto& f : new_scan.findings) {
    if (!new_ids.insert(f.id).second) continue;  // duplicate ID: count it once
    d.findings.push_back({old_ids.count(f.id) ? Change::still_open : Change::added, f});
  }
  // Gone from the new scan: fixed only where the new scan judged the rule there and it passed.
  auto passed = [&](const Finding& f) {
    for (const auto& c : new_scan.checks) {
      if (c.rule_id == f.rule_id && c.asset == f.asset) return c.verdict == Verdict::pass;
    }
    return false;
  };
  std::set<std::string> fixed_seen;
  for (const auto& f : old_scan.findings) {
    if (new_ids.count(f.id) || !fixed_seen.insert(f.id).second) continue;
    d.findings.push_back({passed(f) ? Change::fixed : Change::not_retested, f});
  }
  auto live = [](const ScanResult& s) {
    std::map<std::string, const EndpointRecord*> out;
    for (const auto& e : s.endpoints) {
      if (e.speaks_dicom || e.state == PortState::open) {
        out.emplace(fmt::format("{}:{}", e.ip, e.port), &e);
      }
    }
    return out;
  };
  const auto old_eps = live(old_scan);
  const auto new_eps = live(new_scan);
  for (const auto& e : new_scan.endpoints) {
    const auto key = fmt::format("{}:{}", e.ip, e.port);
    if (new_eps.count(key) && new_eps.at(key) == &e && !old_eps.count(key)) {
      d.endpoints.push_back({true, e});
    }
  }
  for (const auto& e : old_scan.endpoints) {
    const auto key = fmt::format("{}:{}", e.ip, e.port);
    if (old_eps.count(key) && old_eps.at(key) == &e && !new_eps.count(key)) {
      d.endpoints.push_back({false, e});
    }
  }
  return d;
}

namespace {

const char* change_word(Change c) {
  return c == Change::added        ? "new"
         : c == Change::still_open ? "still_open"
         : c == Change::fixed      ? "fixed"
                                   : "not_retested";
}

}  // namespace

std::string render_diff(const Diff& d, std::string_view format) {
  if (format == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : d.findings) {
      j.push_back({{"change", change_word(c.change)}, {"id", c.finding.id},
                   {"rule_id", c.finding.rule_id}, {"asset", c.finding.asset},
                   {"severity", c.finding.severity}});
    }
    nlohmann::json e = nlohmann::json::array();
    for (const auto& c : d.endpoints) {
      e.push_back({{"change", c.appeared ? "appeared" : "disappeared"},
                   {"endpoint", c.endpoint.ip + ":" + std::to_string(c.endpoint.port)}});
    }
    return nlohmann::json{{"findings", j}, {"endpoints", e}}.dump(
               2, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
  }
  std::string out;
  for (const auto& c : d.findings) {
    out += fmt::format("{:<13} {} {} {} ({})\n",
                       c.change == Change::added        ? "NEW"
                       : c.change == Change::still_open ? "OPEN"
                       : c.change == Change::fixed      ? "FIXED"
                                                        : "NOT-RETESTED",
                       c.finding.id, c.finding.rule_id, c.finding.asset,
                       to_string(c.finding.severity));
  }
  for (const auto& c : d.endpoints) {
    out += fmt::format("{:<10} endpoint {}:{}\n", c.appeared ? "APPEARED" : "GONE", c.endpoint.ip,
                       c.endpoint.port);
  }
  return out;
}

}  // namespace pacscan::report
