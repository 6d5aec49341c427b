// SPDX-License-Identifier: Apache-2.0
// VULN-ORTHANC-VERSION reads its table from data/vulnerable-versions.txt (the "Orthanc" lines):
// for every such line, a release just below its fixed version fails with that line's CVEs and
// severity, and the newest fixed release passes.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>

#include <fmt/format.h>

#include <pacscan/core/embedded.hpp>
#include <pacscan/rules/rules.hpp>

#include "rules/evaluators.hpp"

using namespace pacscan;

namespace {

struct Line {
  std::array<int, 3> fixed{};
  std::string severity, cves;
};

std::string trimmed(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// The Orthanc lines of the data file, read here independently of the rule's parser.
std::vector<Line> orthanc_lines() {
  std::vector<Line> out;
  std::istringstream in{std::string(embedded_data("vulnerable-versions.txt"))};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string part;
    while (std::getline(ls, part, '|')) f.push_back(trimmed(part));
    if (f.size() != 5 || f[0] != "Orthanc") continue;
    Line l;
    REQUIRE(std::sscanf(f[1].c_str(), "%d.%d.%d", &l.fixed[0], &l.fixed[1], &l.fixed[2]) == 3);
    l.severity = f[2];
    l.cves = f[3];
    out.push_back(l);
  }
  return out;
}

// The release just before `v`: 1.12.11 -> 1.12.10, 1.5.0 -> 1.4.99.
std::string just_below(const std::array<int, 3>& v) {
  if (v[2] > 0) return fmt::format("{}.{}.{}", v[0], v[1], v[2] - 1);
  if (v[1] > 0) return fmt::format("{}.{}.99", v[0], v[1] - 1);
  return fmt::format("{}.99.99", v[0] - 1);
}

ScanResult orthanc_scan(const std::string& version) {
  const Endpoint ep{*Ipv4::parse("198.18.0.21"), 8042};
  ScanResult r;
  PortData open;
  open.state = PortState::open;
  Observation port;
  port.probe = "tcp_connect";
  port.ep = ep;
  port.outcome = Outcome::ok;
  port.data = open;
  r.observations.push_back(port);
  HttpData d;
  d.product = "orthanc";
  d.scheme = "http";
  HttpExchange sys;
  sys.scheme = "http";
  sys.path = "/system";
  sys.status = 200;
  d.requests = {sys};
  d.system_status = 200;
  d.orthanc.readable = true;
  d.orthanc.version = version;
  d.orthanc.dicom_aet = "ORTHANC";
  d.complete = true;
  Observation o;
  o.probe = "http_imaging";
  o.ep = ep;
  o.outcome = Outcome::ok;
  o.data = std::move(d);
  r.observations.push_back(std::move(o));
  build_inventory(r);
  rules::evaluate(r);
  return r;
}

const Check* vuln_check(const ScanResult& r) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(),
                         [](const Check& c) { return c.rule_id == "VULN-ORTHANC-VERSION"; });
  return it == r.checks.end() ? nullptr : &*it;
}

const Finding* vuln_finding(const ScanResult& r) {
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [](const Finding& f) { return f.rule_id == "VULN-ORTHANC-VERSION"; });
  return it == r.findings.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("the Orthanc lines of data/vulnerable-versions.txt are the rule's table") {
  const auto lines = orthanc_lines();
  REQUIRE(lines.size() >= 2);  // CVE-2025-0896 and the CVE-2026-5437 family
  const auto table = rules::vulnerable_versions("Orthanc");
  REQUIRE(table.size() == lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    CHECK(table[i].fixed == lines[i].fixed);
    CHECK(table[i].cves == lines[i].cves);
    CHECK(to_string(table[i].severity) == lines[i].severity);
  }
  CHECK(rules::vulnerable_versions("DCMTK").size() >= 1);  // the same parser serves both products
  CHECK(rules::vulnerable_versions("NoSuchProduct").empty());
}

TEST_CASE("Orthanc below a fixed release in the data file fails; at the newest fixed one passes") {
  const auto lines = orthanc_lines();
  REQUIRE_FALSE(lines.empty());
  std::array<int, 3> newest{};
  for (const auto& l : lines) {
    newest = std::max(newest, l.fixed);
    const std::string below = just_below(l.fixed);
    CAPTURE(below);
    const auto r = orthanc_scan(below);
    const Check* c = vuln_check(r);
    REQUIRE(c);
    CHECK(c->verdict == Verdict::fail);
    const Finding* f = vuln_finding(r);
    REQUIRE(f);
    Severity want{};
    REQUIRE(parse_severity(l.severity, want));
    CHECK(f->severity >= want);  // at least this line's severity (the worst line wins)
    CHECK(f->confidence == Confidence::version_inferred);
    CHECK(std::any_of(f->evidence.begin(), f->evidence.end(), [&](const std::string& e) {
      return e.find(l.cves) != std::string::npos;
    }));
    // The same release at the fixed version is not affected by this line.
    const auto at = fmt::format("{}.{}.{}", l.fixed[0], l.fixed[1], l.fixed[2]);
    const auto r_at = orthanc_scan(at);
    const Finding* g = vuln_finding(r_at);
    CHECK_FALSE((g && std::any_of(g->evidence.begin(), g->evidence.end(),
                                  [&](const std::string& e) {
                                    return e.find(l.cves) != std::string::npos;
                                  })));
  }
  const auto at_newest = fmt::format("{}.{}.{}", newest[0], newest[1], newest[2]);
  CAPTURE(at_newest);
  const auto r_newest = orthanc_scan(at_newest);
  const Check* c = vuln_check(r_newest);
  REQUIRE(c);
  CHECK(c->verdict == Verdict::pass);
  CHECK(c->reason.find(at_newest) != std::string::npos);  // the fixed list comes from the file
  const auto r_above = orthanc_scan(fmt::format("{}.{}.{}", newest[0], newest[1] + 1, 0));
  const Check* above = vuln_check(r_above);
  REQUIRE(above);
  CHECK(above->verdict == Verdict::pass);
}
