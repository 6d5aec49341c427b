// SPDX-License-Identifier: Apache-2.0
// Every format produced from the fixture and read back.
#include <doctest/doctest.h>

#include <set>

#include <pacscan/rules/rules.hpp>

#include "fixture.hpp"
#include "report/common.hpp"

using namespace report_test;
using nlohmann::json;

namespace {

std::filesystem::path render_all(const ScanResult& scan, const std::string& name,
                                 const report::Diff* diff = nullptr) {
  const auto dir = temp_dir(name);
  const report::Context ctx{scan, diff};
  const auto r = report::write_all(ctx, dir, {});
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? "" : r.error()));
  return dir;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("formats table lists the six formats and finds them by name") {
  std::vector<std::string> names;
  for (const auto& f : report::formats()) {
    names.emplace_back(f.name);
    CHECK(static_cast<bool>(f.write));
    CHECK(!f.file.empty());
    CHECK(!f.description.empty());
  }
  CHECK(names == std::vector<std::string>{"json", "md", "html", "csv", "sarif", "tickets"});
  REQUIRE(report::find_format("sarif") != nullptr);
  CHECK(report::find_format("sarif")->file == "findings.sarif");
  CHECK(report::find_format("pdf") == nullptr);
}

TEST_CASE("write_all writes every file; an unknown format is an error") {
  const auto scan = make_fixture();
  const auto dir = render_all(scan, "all");
  for (const char* f :
       {"scan.json", "report.md", "report.html", "findings.csv", "findings.sarif"}) {
    CHECK_MESSAGE(std::filesystem::is_regular_file(dir / f), f);
  }
  for (const auto& f : scan.findings) {
    CHECK(std::filesystem::is_regular_file(dir / "tickets" / (f.id + ".md")));
  }
  const report::Context ctx{scan};
  const auto bad = report::write_all(ctx, dir, {"md", "docx"});
  REQUIRE_FALSE(bad.has_value());
  CHECK(contains(bad.error(), "docx"));
  const auto some_dir = temp_dir("some");
  const auto some = report::write_all(ctx, some_dir, {"csv", "csv"});
  CHECK(some.has_value());
  CHECK(std::filesystem::is_regular_file(some_dir / "findings.csv"));
  CHECK_FALSE(std::filesystem::exists(some_dir / "report.md"));
  std::filesystem::remove_all(some_dir);
  std::filesystem::remove_all(dir);
}

TEST_CASE("tickets rendered again in the same folder are the new ones, and only those") {
  auto scan = make_fixture();
  REQUIRE(scan.findings.size() >= 2);
  const auto dir = render_all(scan, "again");
  const auto ticket = [&](const Finding& f) { return dir / "tickets" / (f.id + ".md"); };
  const Finding dropped = scan.findings.back();
  scan.findings.pop_back();
  scan.findings[0].title = "A title of the second rendering";
  REQUIRE(report::write_all(report::Context{scan}, dir, {"tickets"}));
  CHECK(contains(read_file(ticket(scan.findings[0])), "A title of the second rendering"));
  CHECK_FALSE(std::filesystem::exists(ticket(dropped)));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "tickets")) ++files;
  CHECK(files == scan.findings.size());  // no temporary left behind either
  std::filesystem::remove_all(dir);
}

TEST_CASE("a new file that cannot be written is an error, and nothing is left") {
  const auto dir = temp_dir("new-file");
  CHECK(report::detail::write_new_file(dir / "a.md", "text"));
  CHECK(read_file(dir / "a.md") == "text");
  const auto missing = report::detail::write_new_file(dir / "no-such-folder" / "b.md", "text");
  REQUIRE_FALSE(missing.has_value());
  CHECK(contains(missing.error(), "no-such-folder"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("scan.json round trip keeps the key fields") {
  const auto scan = make_fixture();
  const auto dir = render_all(scan, "json");
  const auto text = read_file(dir / "scan.json");
  CHECK(contains(text, "\n  \"meta\": {"));  // pretty, 2-space indent
  const auto loaded = report::load_scan(dir / "scan.json");
  REQUIRE_MESSAGE(loaded.has_value(), (loaded.has_value() ? "" : loaded.error()));
  const auto& back = *loaded;
  CHECK(back.meta.pacscan_version == scan.meta.pacscan_version);
  CHECK(back.meta.started_at == scan.meta.started_at);
  CHECK(back.meta.targets == scan.meta.targets);
  CHECK(back.meta.options == scan.meta.options);
  REQUIRE(back.findings.size() == scan.findings.size());
  for (std::size_t i = 0; i < scan.findings.size(); ++i) {
    CHECK(back.findings[i].id == scan.findings[i].id);
    CHECK(back.findings[i].severity == scan.findings[i].severity);
    CHECK(back.findings[i].evidence == scan.findings[i].evidence);
    CHECK(back.findings[i].hicp == scan.findings[i].hicp);
  }
  REQUIRE(back.endpoints.size() == scan.endpoints.size());
  CHECK(back.endpoints[0].called_ae == "ORTHANC");
  CHECK(back.endpoints[0].accepted_services == scan.endpoints[0].accepted_services);
  REQUIRE(back.checks.size() == scan.checks.size());
  CHECK(back.checks.back().verdict == Verdict::not_evaluated);
  REQUIRE(back.observations.size() == 2);
  const auto* ad = data_as<AssociateData>(back.observations[1]);
  REQUIRE(ad != nullptr);
  CHECK(ad->attempt.impl_version == "OrthancModular");
  CHECK(json(back) == json(scan));
  std::filesystem::remove_all(dir);
}

TEST_CASE("load_scan explains unreadable, invalid and too-new files") {
  const auto dir = temp_dir("load");
  auto missing = report::load_scan(dir / "nope.json");
  REQUIRE_FALSE(missing.has_value());
  CHECK(contains(missing.error(), "cannot read"));

  std::ofstream(dir / "bad.json") << "{\"meta\": {";
  auto bad = report::load_scan(dir / "bad.json");
  REQUIRE_FALSE(bad.has_value());
  CHECK(contains(bad.error(), "not valid JSON"));

  std::ofstream(dir / "other.json") << "[1, 2, 3]";
  auto other = report::load_scan(dir / "other.json");
  REQUIRE_FALSE(other.has_value());
  CHECK(contains(other.error(), "not a pacscan scan.json"));

  json j = make_fixture();
  j["meta"]["schema_version"] = k_schema_version + 1;
  std::ofstream(dir / "new.json") << j.dump();
  auto newer = report::load_scan(dir / "new.json");
  REQUIRE_FALSE(newer.has_value());
  CHECK(contains(newer.error(), "schema version " + std::to_string(k_schema_version + 1)));
  CHECK(contains(newer.error(), "newer pacscan"));

  json wrong = make_fixture();
  wrong["findings"] = "not a list";
  std::ofstream(dir / "wrong.json") << wrong.dump();
  auto wrong_type = report::load_scan(dir / "wrong.json");
  CHECK_FALSE(wrong_type.has_value());
  std::filesystem::remove_all(dir);
}

TEST_CASE("findings.csv parses back: header, one row per finding, priorities, labels") {
  const auto scan = make_fixture();
  const auto dir = render_all(scan, "csv");
  bool ok = false;
  const auto rows = parse_csv(read_file(dir / "findings.csv"), ok);
  REQUIRE(ok);
  REQUIRE(rows.size() == scan.findings.size() + 1);
  const std::vector<std::string> header = {"Summary", "Description", "Priority", "Labels",
                                           "Asset",   "Rule",        "Severity", "Finding ID",
                                           "Status",  "First seen",  "Suspected decoy"};
  CHECK(rows[0] == header);
  for (const auto& row : rows) CHECK(row.size() == header.size());
  // most severe first: DICOM-CLEARTEXT (high) leads
  CHECK(rows[1][5] == "DICOM-CLEARTEXT");
  CHECK(rows[1][2] == "High");
  CHECK(rows[1][3] == "pacscan DICOM-CLEARTEXT hicp-4 hicp-9 vendor-action");
  CHECK(rows[1][8] == "open");
  CHECK(rows[1][9] == "2026-12-01T10:00:00Z");
  CHECK(rows[4][2] == "Lowest");
  const auto& desc = rows[1][1];
  CHECK(contains(desc, "A-ASSOCIATE-AC received without TLS"));
  CHECK(contains(desc, "pacscan scan 198.18.0.10 -p 104 -o retest-" + scan.findings[1].id +
                           " --called-aet ORTHANC"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("findings.sarif has the SARIF 2.1.0 structure") {
  const auto scan = make_fixture();
  const auto dir = render_all(scan, "sarif");
  const auto sarif = json::parse(read_file(dir / "findings.sarif"));
  CHECK(sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json");
  CHECK(sarif["version"] == "2.1.0");
  REQUIRE(sarif["runs"].size() == 1);
  const auto& run = sarif["runs"][0];
  const auto& driver = run["tool"]["driver"];
  CHECK(driver["name"] == "pacscan");
  CHECK(driver["version"] == "0.1.0");
  const auto& rules = driver["rules"];
  CHECK(rules.size() >= rules::catalogue().size());
  std::set<std::string> ids;
  for (const auto& r : rules) {
    CHECK(ids.insert(r["id"].get<std::string>()).second);
    CHECK(r["shortDescription"]["text"].is_string());
    CHECK(r["help"]["text"].is_string());
    CHECK(r["properties"]["tags"].is_array());
  }
  const auto& results = run["results"];
  REQUIRE(results.size() == scan.findings.size());
  std::set<std::string> fingerprints;
  for (const auto& r : results) {
    const auto rule_id = r["ruleId"].get<std::string>();
    CHECK(ids.count(rule_id) == 1);
    CHECK(rules[r["ruleIndex"].get<std::size_t>()]["id"] == rule_id);
    CHECK(r["message"]["text"].is_string());
    const auto uri =
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>();
    CHECK(uri.rfind("dicom://198.18.0.", 0) == 0);
    fingerprints.insert(r["partialFingerprints"]["pacscanFindingId/v1"].get<std::string>());
    CHECK(r["properties"]["evidence"].is_array());
    CHECK(r["properties"]["evidence_level"].is_string());
  }
  for (const auto& f : scan.findings) CHECK(fingerprints.count(f.id) == 1);
  // levels: high -> error, medium -> warning, low/info -> note
  std::map<std::string, std::string> level_by_rule;
  for (const auto& r : results) level_by_rule[r["ruleId"]] = r["level"];
  CHECK(level_by_rule["DICOM-CLEARTEXT"] == "error");
  CHECK(level_by_rule["DICOM-AE-ANY-CALLING"] == "warning");
  CHECK(level_by_rule["DICOM-AE-DEFAULT-TITLE"] == "note");
  CHECK(level_by_rule["ASSET-DICOM-SCP"] == "note");
  CHECK(run["invocations"][0]["executionSuccessful"] == true);
  std::filesystem::remove_all(dir);
}

TEST_CASE("report.html is self-contained and well formed, with every finding") {
  const auto scan = make_fixture();
  const auto dir = render_all(scan, "html");
  const auto html = read_file(dir / "report.html");
  std::vector<std::string> names;
  const auto problem = check_html_tags(html, names);
  CHECK_MESSAGE(problem.empty(), problem);
  for (const char* t : {"html", "head", "body", "table", "section", "article", "svg"}) {
    CHECK_MESSAGE(std::find(names.begin(), names.end(), t) != names.end(), t);
  }
  for (const auto& f : scan.findings) CHECK(contains(html, f.id));
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "http://"));  // nothing to fetch
  CHECK_FALSE(contains(html, "https://"));
  CHECK_FALSE(contains(html, "src="));
  CHECK(contains(html, "@media print"));
  CHECK(contains(html, "Findings by severity"));
  CHECK(contains(html, "Findings by HICP practice"));
  CHECK(contains(html, "Not evaluated"));
  CHECK(contains(html, "the dicom_tls probe did not run"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("report.md has every section, not-evaluated apart from passes") {
  const auto scan = make_fixture();
  const auto dir = render_all(scan, "md");
  const auto md = read_file(dir / "report.md");
  for (const char* s :
       {"## Scan", "## Summary", "## Asset inventory", "## Findings", "## Not evaluated",
        "## Passed checks", "### Host 198.18.0.10", "### Host 198.18.0.11"}) {
    CHECK_MESSAGE(contains(md, s), s);
  }
  CHECK_FALSE(contains(md, "Changes since baseline"));
  for (const auto& f : scan.findings) CHECK(contains(md, f.id));
  // findings of a host most severe first
  CHECK(md.find("[HIGH] DICOM served") < md.find("[MEDIUM] Any calling"));
  CHECK(md.find("[MEDIUM] Any calling") < md.find("[LOW] Server answers"));
  CHECK(contains(md, "- **Vendor action needed**"));
  CHECK(contains(md, "| TLS\\-NO\\-CLIENT\\-CERT") == false);  // IDs are not mangled
  CHECK(
      contains(md, "| TLS-NO-CLIENT-CERT | 198.18.0.10:104 | the dicom\\_tls probe did not run |"));
  CHECK(contains(md, "| DICOM-AE-ANY-CALLED | Any called AE title accepted | 1 |"));
  CHECK(contains(md, "| 52:54:00:12:34:56 | QEMU |"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("tickets carry the re-test command and the rule's explanation") {
  const auto scan = make_fixture();
  const auto dir = render_all(scan, "tickets");
  const auto& f = scan.findings[1];  // DICOM-CLEARTEXT on 198.18.0.10:104
  const auto t = read_file(dir / "tickets" / (f.id + ".md"));
  CHECK(t.rfind("# [HIGH] DICOM served over unencrypted TCP — 198.18.0.10:104\n", 0) == 0);
  CHECK(contains(t, "pacscan scan 198.18.0.10 -p 104 -o retest-" + f.id + " --called-aet ORTHANC"));
  CHECK(contains(t, "## How to fix"));
  CHECK(contains(t, "## Evidence"));
  if (const auto* spec = rules::find_rule(f.rule_id)) {
    CHECK(contains(t, "## Why it matters"));
    if (!spec->references.empty()) CHECK(contains(t, "## References"));
  }
  const auto t4 = read_file(dir / "tickets" / (scan.findings[3].id + ".md"));
  CHECK(contains(t4, "pacscan scan 198.18.0.11 -p 11112 -o retest-" + scan.findings[3].id + "\n"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a finding ID that is not a safe file name stays inside tickets/") {
  auto scan = make_fixture();
  scan.findings[0].id = "../../escape";
  const auto dir = render_all(scan, "unsafe-id");
  CHECK_FALSE(std::filesystem::exists(dir.parent_path() / "escape.md"));
  CHECK_FALSE(std::filesystem::exists(dir / "escape.md"));
  int tickets = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "tickets")) {
    (void)e;
    ++tickets;
  }
  CHECK(tickets == 4);
  std::filesystem::remove_all(dir);
}

// Found by fuzz_scan_json: a scan.json we did not write may repeat an ID, or hold an ID that
// safe_id leaves as it is next to one it alters into the same name ("a/b" at index 2 is
// "a_b-3"); each finding still gets its own ticket.
TEST_CASE("findings whose IDs give one file name each keep their ticket") {
  auto scan = make_fixture();
  REQUIRE(scan.findings.size() == 4);
  scan.findings[1].id = scan.findings[0].id;
  scan.findings[2].id = "a/b";
  scan.findings[3].id = "a_b-3";
  for (std::size_t i = 0; i < scan.findings.size(); ++i) {
    scan.findings[i].title = "Title of finding " + std::to_string(i);
  }
  const auto dir = render_all(scan, "colliding-ids");
  std::vector<std::string> bodies;
  for (const auto& e : std::filesystem::directory_iterator(dir / "tickets")) {
    bodies.push_back(read_file(e.path()));
  }
  CHECK(bodies.size() == 4);
  for (std::size_t i = 0; i < scan.findings.size(); ++i) {
    const auto want = "Title of finding " + std::to_string(i);
    CHECK_MESSAGE(std::count_if(bodies.begin(), bodies.end(),
                                [&](const std::string& b) { return contains(b, want); }) == 1,
                  want);
  }
  // The same names anchor the findings in report.html: four articles, four distinct ids.
  const auto html = read_file(dir / "report.html");
  std::set<std::string> ids;
  std::size_t articles = 0;
  for (std::size_t at = html.find("<article "); at != std::string::npos;
       at = html.find("<article ", at + 1)) {
    const auto b = html.find(" id=\"", at) + 5;
    ids.insert(html.substr(b, html.find('"', b) - b));
    ++articles;
  }
  CHECK(articles == 4);
  CHECK(ids.size() == 4);
  std::filesystem::remove_all(dir);
}

TEST_CASE("render_rules gives the whole catalogue as Markdown and JSON") {
  const auto& cat = rules::catalogue();
  const auto md = report::render_rules("md");
  const auto j = json::parse(report::render_rules("json"));
  REQUIRE(j.is_array());
  CHECK(j.size() == cat.size());
  for (std::size_t i = 0; i < cat.size(); ++i) {
    CHECK(j[i]["id"] == std::string(cat[i].id));
    CHECK(j[i]["remediation"] == std::string(cat[i].remediation));
    CHECK(j[i]["hicp"].is_array());
    CHECK(contains(md, "## " + std::string(cat[i].id) + "\n"));
  }
}

TEST_CASE("an empty scan renders without findings") {
  ScanResult empty;
  empty.meta.pacscan_version = "0.1.0";
  const auto dir = render_all(empty, "empty");
  const auto md = read_file(dir / "report.md");
  CHECK(contains(md, "No findings."));
  bool ok = false;
  CHECK(parse_csv(read_file(dir / "findings.csv"), ok).size() == 1);
  CHECK(ok);
  std::vector<std::string> names;
  CHECK(check_html_tags(read_file(dir / "report.html"), names).empty());
  CHECK(json::parse(read_file(dir / "findings.sarif"))["runs"][0]["results"].empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("the re-test command names the called AE only when it helps and the CLI takes it") {
  auto scan = make_fixture();
  const Finding f = scan.findings[0];  // 198.18.0.10:104, called AE ORTHANC
  auto ticket = [&](const ScanResult& s) {
    const auto dir = render_all(s, "retest");
    const auto t = read_file(dir / "tickets" / (f.id + ".md"));
    std::filesystem::remove_all(dir);
    return t;
  };
  const std::string base = "pacscan scan 198.18.0.10 -p 104 -o retest-" + f.id;
  CHECK(contains(ticket(scan), base + " --called-aet ORTHANC\n"));

  scan.endpoints[0].called_ae = "MY AE'S";  // valid AE title, needs shell quoting
  CHECK(contains(ticket(scan), base + " --called-aet 'MY AE'\\''S'\n"));

  scan.endpoints[0].called_ae = "A_TITLE_LONGER_THAN_16";  // the CLI would refuse it
  CHECK(contains(ticket(scan), base + "\n"));

  scan.endpoints[0].called_ae = "ORTHANC";
  auto any = make_finding("DICOM-AE-ANY-CALLED", Severity::low, "198.18.0.10", 104, {3}, false);
  scan.findings.push_back(any);  // any called AE is accepted: naming one adds nothing
  CHECK(contains(ticket(scan), base + "\n"));
}

TEST_CASE("a suspected decoy's findings are marked in every format, the others are not") {
  auto scan = make_fixture();
  // 198.18.0.10 is the decoy host: its findings are kept and marked, 198.18.0.11's are not
  for (auto& f : scan.findings) {
    if (f.ip != "198.18.0.10") continue;
    f.suspected_decoy = true;
    f.decoy_finding_id = "PSF-00000000decafbad";
  }
  scan.hosts[0].role.roles = {"archive", "worklist-broker"};
  scan.hosts[0].role.confidence = "medium";
  scan.hosts[0].role.evidence = {"198.18.0.10:104: accepted contexts StudyRootFind"};
  const auto dir = render_all(scan, "decoy");
  const auto md = read_file(dir / "report.md");
  CHECK(contains(md, "- **Suspected decoy:** the host shows signs of a DICOM honeypot"));
  CHECK(contains(md, "archive (Q/R and storage); worklist broker (MWL) — medium — suspected decoy"));
  CHECK(contains(md, "198.18.0.10:104: accepted contexts StudyRootFind"));
  const auto html = read_file(dir / "report.html");
  CHECK(contains(html, "<span class=\"tag\">Suspected decoy</span>"));
  CHECK(contains(html, "<li>198.18.0.10:104: accepted contexts StudyRootFind</li>"));
  bool ok = false;
  const auto rows = parse_csv(read_file(dir / "findings.csv"), ok);
  REQUIRE(ok);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const bool decoy_host = rows[i][4].rfind("198.18.0.10:", 0) == 0;
    CHECK(rows[i][10] == (decoy_host ? "yes" : "no"));
    CHECK(contains(rows[i][3], "suspected-decoy") == decoy_host);
    CHECK(contains(rows[i][1], "SUSPECTED DECOY") == decoy_host);
  }
  const auto sarif = json::parse(read_file(dir / "findings.sarif"));
  for (const auto& r : sarif["runs"][0]["results"]) {
    const bool decoy_host = r["properties"]["asset"].get<std::string>().rfind("198.18.0.10:", 0) == 0;
    CHECK(r["properties"]["suspected_decoy"] == decoy_host);
    CHECK(r.contains("suppressions") == decoy_host);
    if (decoy_host) CHECK(r["suppressions"][0]["status"] == "underReview");
  }
  const auto j = json::parse(read_file(dir / "scan.json"));
  CHECK(j["findings"][0]["decoy_finding_id"] == "PSF-00000000decafbad");
  CHECK(j["hosts"][0]["role"]["roles"][1] == "worklist-broker");
  const auto ticket = read_file(dir / "tickets" / (scan.findings[0].id + ".md"));
  CHECK(contains(ticket, "\n> **Suspected decoy.** the host shows signs"));
  CHECK(contains(ticket, "| Suspected decoy | yes |"));
  const auto other = read_file(dir / "tickets" / (scan.findings[3].id + ".md"));
  CHECK(contains(other, "| Suspected decoy | no |"));
}

TEST_CASE("re-test commands of host-level and whole-scan findings scan every asset involved") {
  auto scan = make_fixture();
  auto role = make_finding("ASSET-HOST-ROLE", Severity::info, "198.18.0.10", 0, {5}, false);
  role.asset = "198.18.0.10";
  auto dup = make_finding("ASSET-AE-TITLE-DUPLICATE", Severity::medium, "198.18.0.10", 104,
                          {5, 9}, false);
  dup.related = {"198.18.0.11:11112", "not-an-address:1; rm -rf /"};  // scan.json is untrusted
  CHECK(report::detail::retest_command(scan, role) ==
        "pacscan scan 198.18.0.10 -p 104,8042 -o retest-" + role.id);
  CHECK(report::detail::retest_command(scan, dup) ==
        "pacscan scan 198.18.0.10 198.18.0.11 -p 104,11112 -o retest-" + dup.id);
}
