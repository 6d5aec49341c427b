// SPDX-License-Identifier: Apache-2.0
// Scan-to-scan comparison and how the reports show it.
#include <doctest/doctest.h>

#include <algorithm>

#include "fixture.hpp"

using namespace report_test;

namespace {

// The second scan: DICOM-CLEARTEXT fixed, a new finding, port 8042 gone, a new DICOM endpoint.
ScanResult make_rescan() {
  ScanResult s = make_fixture();
  s.meta.started_at = "2027-01-05T09:00:00Z";
  // The rescan judged the removed finding's rule on its asset and it passed: that is "fixed".
  const Finding gone = s.findings.at(1);
  s.checks.erase(std::remove_if(s.checks.begin(), s.checks.end(),
                                [&](const Check& c) {
                                  return c.rule_id == gone.rule_id && c.asset == gone.asset;
                                }),
                 s.checks.end());
  s.checks.push_back(Check{gone.rule_id, gone.asset, Verdict::pass, "now encrypted"});
  s.findings.erase(s.findings.begin() + 1);
  auto f =
      make_finding("DICOM-AE-ANY-CALLING", Severity::medium, "198.18.0.12", 104, {3, 9}, false);
  f.title = "Any calling AE title accepted (no peer allow-list)";
  f.summary = "Accepted a random calling AE.";
  s.findings.push_back(f);
  s.endpoints.erase(s.endpoints.begin() + 1);
  EndpointRecord e;
  e.ip = "198.18.0.12";
  e.port = 104;
  e.state = PortState::open;
  e.service = "dicom";
  e.speaks_dicom = true;
  s.endpoints.push_back(e);
  EndpointRecord closed;  // neither open nor DICOM: not an endpoint that can appear
  closed.ip = "198.18.0.13";
  closed.port = 104;
  closed.state = PortState::closed;
  s.endpoints.push_back(closed);
  return s;
}

int count(const report::Diff& d, report::Change c) {
  int n = 0;
  for (const auto& f : d.findings) n += f.change == c ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("compare classifies findings by ID and endpoints by address and port") {
  const auto old_scan = make_fixture();
  const auto new_scan = make_rescan();
  const auto d = report::compare(old_scan, new_scan);
  CHECK(d.baseline_started_at == "2026-12-01T10:00:00Z");
  CHECK(count(d, report::Change::added) == 1);
  CHECK(count(d, report::Change::still_open) == 3);
  CHECK(count(d, report::Change::fixed) == 1);
  for (const auto& c : d.findings) {
    if (c.change == report::Change::fixed) CHECK(c.finding.rule_id == "DICOM-CLEARTEXT");
    if (c.change == report::Change::added) CHECK(c.finding.ip == "198.18.0.12");
  }
  REQUIRE(d.endpoints.size() == 2);
  int appeared = 0, disappeared = 0;
  for (const auto& e : d.endpoints) {
    if (e.appeared) {
      ++appeared;
      CHECK(e.endpoint.ip == "198.18.0.12");
    } else {
      ++disappeared;
      CHECK(e.endpoint.port == 8042);
    }
  }
  CHECK(appeared == 1);
  CHECK(disappeared == 1);
}

TEST_CASE("a finding gone from a rescan that could not judge it is 'not re-tested', not fixed") {
  const auto old_scan = make_fixture();
  auto new_scan = make_fixture();
  const Finding gone = new_scan.findings.at(1);
  new_scan.findings.erase(new_scan.findings.begin() + 1);
  new_scan.checks.erase(std::remove_if(new_scan.checks.begin(), new_scan.checks.end(),
                                       [&](const Check& c) {
                                         return c.rule_id == gone.rule_id && c.asset == gone.asset;
                                       }),
                        new_scan.checks.end());
  new_scan.checks.push_back(Check{gone.rule_id, gone.asset, Verdict::not_evaluated, "skipped"});
  const auto d = report::compare(old_scan, new_scan);
  CHECK(count(d, report::Change::fixed) == 0);
  CHECK(count(d, report::Change::not_retested) == 1);
  const auto dir = temp_dir("diff-not-retested");
  const report::Context ctx{new_scan, &d};
  REQUIRE(report::write_all(ctx, dir, {"md", "csv"}).has_value());
  CHECK(read_file(dir / "report.md").find("Not re-tested (1)") != std::string::npos);
  CHECK(read_file(dir / "findings.csv").find("not_retested") != std::string::npos);
}

TEST_CASE("compare of a scan with itself: everything still open, nothing moved") {
  const auto s = make_fixture();
  const auto d = report::compare(s, s);
  CHECK(count(d, report::Change::still_open) == static_cast<int>(s.findings.size()));
  CHECK(d.endpoints.empty());
}

TEST_CASE("reports show the diff: md and html sections, csv status, sarif baselineState") {
  const auto old_scan = make_fixture();
  const auto new_scan = make_rescan();
  const auto d = report::compare(old_scan, new_scan);
  const auto dir = temp_dir("diff");
  const report::Context ctx{new_scan, &d};
  REQUIRE(report::write_all(ctx, dir, {}).has_value());

  const auto md = read_file(dir / "report.md");
  CHECK(md.find("## Changes since baseline") != std::string::npos);
  CHECK(md.find("**1 new**, 3 still open, **1 fixed**") != std::string::npos);
  CHECK(md.find("### Fixed (1)") != std::string::npos);
  CHECK(md.find("| appeared | 198.18.0.12:104 |") != std::string::npos);
  CHECK(md.find("| disappeared | 198.18.0.10:8042 |") != std::string::npos);

  const auto html = read_file(dir / "report.html");
  CHECK(html.find("id=\"changes\"") != std::string::npos);
  std::vector<std::string> names;
  CHECK(check_html_tags(html, names).empty());

  bool ok = false;
  const auto rows = parse_csv(read_file(dir / "findings.csv"), ok);
  REQUIRE(ok);
  REQUIRE(rows.size() == 1 + new_scan.findings.size() + 1);  // + the fixed one
  std::map<std::string, std::string> status;
  std::map<std::string, std::string> first_seen;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    status[rows[i][7]] = rows[i][8];
    first_seen[rows[i][7]] = rows[i][9];
  }
  const auto fixed_id = old_scan.findings[1].id;
  const auto new_id = new_scan.findings.back().id;
  const auto open_id = new_scan.findings[0].id;
  CHECK(status[fixed_id] == "fixed");
  CHECK(status[new_id] == "new");
  CHECK(status[open_id] == "still_open");
  CHECK(first_seen[new_id] == "2027-01-05T09:00:00Z");
  CHECK(first_seen[open_id] == "2026-12-01T10:00:00Z");

  const auto sarif = nlohmann::json::parse(read_file(dir / "findings.sarif"));
  for (const auto& r : sarif["runs"][0]["results"]) {
    const auto id = r["partialFingerprints"]["pacscanFindingId/v1"].get<std::string>();
    CHECK(r["baselineState"] == (id == new_id ? "new" : "unchanged"));
  }
  const auto ticket = read_file(dir / "tickets" / (new_id + ".md"));
  CHECK(ticket.find("| Status | new |") != std::string::npos);
  std::filesystem::remove_all(dir);
}
