// SPDX-License-Identifier: Apache-2.0
// Rule evaluation on hand-built observations (the integration tests check the same rules on scans
// of real servers). Each case states what was observed and what the auditor must read.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include <pacscan/core/embedded.hpp>

#include <pacscan/rules/rules.hpp>

#include "rules/evaluators.hpp"

using namespace pacscan;

namespace {

const Endpoint k_ep{*Ipv4::parse("198.18.0.10"), 104};

AssocAttempt accepted(std::string calling, std::string called) {
  AssocAttempt a;
  a.calling_ae = std::move(calling);
  a.called_ae = std::move(called);
  a.outcome = Outcome::ok;
  a.impl_class_uid = "1.2.276.0.7230010.3.0.3.6.7";
  a.impl_version = "OFFIS_DCMTK_367";
  a.peer_max_pdu = 16384;
  a.contexts = {{1, "1.2.840.10008.1.1", "Verification", 0, "1.2.840.10008.1.2"}};
  return a;
}

AssocAttempt rejected(std::string calling, std::string called, int reason) {
  AssocAttempt a;
  a.calling_ae = std::move(calling);
  a.called_ae = std::move(called);
  a.outcome = Outcome::rejected;
  a.reject = RejectInfo{1, 1, reason, "rejected"};
  return a;
}

Observation obs(std::string probe, ProbeData data, Outcome outcome = Outcome::ok) {
  Observation o;
  o.probe = std::move(probe);
  o.ep = k_ep;
  o.outcome = outcome;
  o.data = std::move(data);
  return o;
}

ScanResult scan_with(std::vector<Observation> probe_obs) {
  ScanResult r;
  PortData open;
  open.state = PortState::open;
  r.observations.push_back(obs("tcp_connect", open));
  for (auto& o : probe_obs) r.observations.push_back(std::move(o));
  build_inventory(r);
  rules::evaluate(r);
  return r;
}

const Check& check(const ScanResult& r, std::string_view rule) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(),
                         [&](const Check& c) { return c.rule_id == rule; });
  REQUIRE_MESSAGE(it != r.checks.end(), "no check for ", rule);
  return *it;
}

const Finding* finding(const ScanResult& r, std::string_view rule) {
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [&](const Finding& f) { return f.rule_id == rule; });
  return it == r.findings.end() ? nullptr : &*it;
}

// storescp-like: everything accepted.
ScanResult open_server() {
  AssociateData a{accepted("PACSCAN", "PSRANDOMCALLED01"), true};
  AePolicyData p;
  p.random_called_ae = "PSRANDOMCALLED01";
  p.any_called = Tri::yes;
  p.working_called_ae = "PSRANDOMCALLED01";
  p.working_called_source = AeSource::random;
  p.random_calling_ae = "PSRANDOMCALLING1";
  p.any_calling = Tri::yes;
  p.attempts = {a.attempt, accepted("PSRANDOMCALLING1", "PSRANDOMCALLED01")};
  EchoData e{accepted("PSRANDOMCALLING2", "PSRANDOMCALLED01"), Outcome::ok, 0, "success"};
  ServicesData s;
  s.attempt = accepted("PSRANDOMCALLING3", "PSRANDOMCALLED01");
  s.attempt.contexts.push_back({3, "1.2.840.10008.5.1.4.1.2.2.1", "StudyRootFind", 3, ""});
  s.attempt.contexts.push_back({5, "1.2.840.10008.5.1.4.1.1.2", "CTImageStorage", 0,
                                "1.2.840.10008.1.2"});
  s.calling_source = AeSource::random;
  return scan_with({obs("dicom_associate", a), obs("dicom_ae_policy", p), obs("dicom_echo", e),
                    obs("dicom_services", s)});
}

}  // namespace

TEST_CASE("an accept-everything server fails the AE, echo, store and cleartext rules") {
  const auto r = open_server();
  CHECK(finding(r, "ASSET-DICOM-SCP"));
  CHECK(finding(r, "ASSET-DICOM-FINGERPRINT"));
  CHECK(finding(r, "DICOM-AE-ANY-CALLED"));
  CHECK(finding(r, "DICOM-AE-ANY-CALLING"));
  CHECK(finding(r, "DICOM-UNAUTH-ECHO"));
  REQUIRE(finding(r, "DICOM-UNAUTH-STORE"));
  CHECK(finding(r, "DICOM-UNAUTH-STORE")->evidence_level == EvidenceLevel::negotiated);
  CHECK(finding(r, "DICOM-UNAUTH-STORE")->confidence == Confidence::tentative);
  REQUIRE(finding(r, "DICOM-CLEARTEXT"));
  CHECK(finding(r, "DICOM-CLEARTEXT")->severity == Severity::high);  // storage is open too
  CHECK(check(r, "DICOM-UNAUTH-FIND").verdict == Verdict::pass);     // context result 3
  CHECK(check(r, "DICOM-AE-DEFAULT-TITLE").verdict == Verdict::pass);
  CHECK_FALSE(finding(r, "DICOM-UNAUTH-FIND"));
}

TEST_CASE("finding IDs are stable for the same rule and asset, whatever the random titles") {
  const auto a = open_server();
  const auto b = open_server();
  REQUIRE(a.findings.size() == b.findings.size());
  for (std::size_t i = 0; i < a.findings.size(); ++i) CHECK(a.findings[i].id == b.findings[i].id);
  CHECK(finding_id("R", "1.2.3.4:104", "") != finding_id("R", "1.2.3.4:105", ""));
  CHECK(finding_id("R", "1.2.3.4:104", "x") != finding_id("R", "1.2.3.4:104", "y"));
}

TEST_CASE("an allow-list that admits a default tool title is reported, random calling rejected") {
  AssociateData a{rejected("PACSCAN", "PSRANDOMCALLED01", 7), true};
  AePolicyData p;
  p.random_called_ae = "PSRANDOMCALLED01";
  p.any_called = Tri::no;
  p.working_called_ae = "QRSCP";
  p.working_called_source = AeSource::hint;
  p.random_calling_ae = "PSRANDOMCALLING1";
  p.any_calling = Tri::no;
  p.admitted_calling_ae = "FINDSCU";
  p.admitted_calling_source = AeSource::well_known;
  p.attempts = {a.attempt, rejected("PACSCAN", "QRSCP", 7), accepted("FINDSCU", "QRSCP"),
                rejected("PSRANDOMCALLING1", "QRSCP", 7)};
  const auto r = scan_with({obs("dicom_associate", a), obs("dicom_ae_policy", p)});
  CHECK(check(r, "DICOM-AE-ANY-CALLED").verdict == Verdict::pass);
  CHECK(check(r, "DICOM-AE-ANY-CALLING").verdict == Verdict::pass);
  CHECK(check(r, "DICOM-AE-ANY-CALLING").reason.find("rejected") != std::string::npos);
  REQUIRE(finding(r, "DICOM-AE-GUESSABLE-CALLING"));
  CHECK(finding(r, "DICOM-AE-GUESSABLE-CALLING")->discriminator == "FINDSCU");
  CHECK(check(r, "DICOM-AE-DEFAULT-TITLE").verdict == Verdict::pass);  // QRSCP came from a hint
  // dicom_services did not run: missing data is "not evaluated", never "pass"
  CHECK(check(r, "DICOM-UNAUTH-FIND").verdict == Verdict::not_evaluated);
}

TEST_CASE("a default called title accepted after a random one was rejected") {
  AssociateData a{rejected("PACSCAN", "PSRANDOMCALLED01", 7), true};
  AePolicyData p;
  p.random_called_ae = "PSRANDOMCALLED01";
  p.any_called = Tri::no;
  p.working_called_ae = "ORTHANC";
  p.working_called_source = AeSource::well_known;
  p.attempts = {a.attempt, accepted("PACSCAN", "ORTHANC")};
  const auto r = scan_with({obs("dicom_associate", a), obs("dicom_ae_policy", p)});
  REQUIRE(finding(r, "DICOM-AE-DEFAULT-TITLE"));
  CHECK(finding(r, "DICOM-AE-DEFAULT-TITLE")->discriminator == "ORTHANC");
  CHECK(check(r, "DICOM-AE-ANY-CALLED").verdict == Verdict::pass);
}

TEST_CASE("services negotiated only with the scanner's own allow-listed title are not findings") {
  AssociateData a{accepted("PACSCAN", "PSRANDOMCALLED01"), true};
  ServicesData s;
  s.attempt = accepted("PACSCAN", "QRSCP");
  s.attempt.contexts.push_back({3, "1.2.840.10008.5.1.4.1.2.2.1", "StudyRootFind", 0, "x"});
  s.calling_source = AeSource::scanner;
  AePolicyData p;
  p.any_called = Tri::yes;
  p.working_called_ae = "QRSCP";
  const auto r = scan_with({obs("dicom_associate", a), obs("dicom_ae_policy", p),
                            obs("dicom_services", s)});
  CHECK(check(r, "DICOM-UNAUTH-FIND").verdict == Verdict::not_evaluated);
  CHECK_FALSE(finding(r, "DICOM-UNAUTH-FIND"));
}

TEST_CASE("non-DICOM and silent ports give no DICOM finding") {
  for (Outcome o : {Outcome::non_dicom, Outcome::timed_out, Outcome::deadline, Outcome::closed}) {
    AssocAttempt att;
    att.outcome = o;
    att.reply_text = o == Outcome::non_dicom ? "HTTP/1" : "";
    const auto r = scan_with({obs("dicom_associate", AssociateData{att, false}, o)});
    CHECK(r.findings.empty());
    CHECK(check(r, "ASSET-DICOM-SCP").verdict == Verdict::pass);
    // DICOM-only rules are not applied to a non-DICOM port at all
    CHECK(std::none_of(r.checks.begin(), r.checks.end(),
                       [](const Check& c) { return c.rule_id == "DICOM-CLEARTEXT"; }));
  }
}

TEST_CASE("an interrupted probe leaves rules not evaluated, never passed") {
  AssocAttempt att;
  att.outcome = Outcome::interrupted;
  const auto r = scan_with({obs("dicom_associate", AssociateData{att, false}, Outcome::interrupted)});
  CHECK(check(r, "ASSET-DICOM-SCP").verdict == Verdict::not_evaluated);
  const auto r2 = scan_with({});
  CHECK(check(r2, "ASSET-DICOM-SCP").verdict == Verdict::not_evaluated);
  CHECK(check(r2, "ASSET-DICOM-SCP").reason.find("did not run") != std::string::npos);
}

TEST_CASE("the catalogue is consistent") {
  std::vector<std::string_view> ids;
  for (const auto& rule : rules::catalogue()) {
    CHECK_FALSE(rule.id.empty());
    CHECK_FALSE(rule.remediation.empty());
    CHECK_FALSE(rule.hicp.empty());
    for (int h : rule.hicp) CHECK((h >= 1 && h <= 10));
    CHECK(std::find(ids.begin(), ids.end(), rule.id) == ids.end());
    ids.push_back(rule.id);
  }
  CHECK(rules::find_rule("DICOM-AE-ANY-CALLING") != nullptr);
  CHECK(rules::find_rule("NOPE") == nullptr);
}

TEST_CASE("every line of data/vulnerable-versions.txt parses") {
  std::size_t lines = 0;
  std::istringstream in{std::string(embedded_data("vulnerable-versions.txt"))};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') lines++;
  }
  CHECK(lines > 0);
  CHECK(rules::vulnerable_version_entries() == lines);
}

TEST_CASE("DCMTK 3.6.7 is version-inferred vulnerable; a non-DCMTK peer passes") {
  const auto r = open_server();  // announces 1.2.276.0.7230010.3.0.3.6.7 / OFFIS_DCMTK_367
  REQUIRE(finding(r, "VULN-DCMTK-VERSION"));
  CHECK(finding(r, "VULN-DCMTK-VERSION")->confidence == Confidence::version_inferred);
  CHECK(finding(r, "VULN-DCMTK-VERSION")->discriminator == "3.6.7");
  AssociateData a{accepted("PACSCAN", "X"), true};
  a.attempt.impl_class_uid = "1.2.40.0.13.1.3";
  a.attempt.impl_version = "dcm4che-5.31.0";
  const auto r2 = scan_with({obs("dicom_associate", a)});
  CHECK(check(r2, "VULN-DCMTK-VERSION").verdict == Verdict::pass);
}

TEST_CASE("a DICOM service on a public address is reported; private and lab ranges pass") {
  const auto lab = open_server();  // 198.18.0.10: benchmarking range
  CHECK(check(lab, "NET-DICOM-PUBLIC-ADDRESS").verdict == Verdict::pass);
  ScanResult r;
  Observation port = obs("tcp_connect", PortData{PortState::open, 0, ""});
  port.ep.ip = *Ipv4::parse("1.2.3.4");  // data only: nothing is sent in a unit test
  r.observations.push_back(port);
  Observation a = obs("dicom_associate", AssociateData{accepted("PACSCAN", "X"), true});
  a.ep.ip = port.ep.ip;
  r.observations.push_back(a);
  build_inventory(r);
  rules::evaluate(r);
  REQUIRE(finding(r, "NET-DICOM-PUBLIC-ADDRESS"));
  CHECK(finding(r, "NET-DICOM-PUBLIC-ADDRESS")->severity == Severity::high);
}

namespace {

// An open server whose FIND, MOVE and Secondary Capture contexts are accepted for a random
// calling AE, plus what the intrusive probes saw.
ScanResult open_qr_server(std::vector<Observation> intrusive) {
  AssociateData a{accepted("PACSCAN", "QRSCP"), true};
  AePolicyData p;
  p.working_called_ae = "QRSCP";
  p.working_called_source = AeSource::hint;
  p.random_calling_ae = "PSRANDOMCALLING1";
  p.any_calling = Tri::yes;
  p.attempts = {accepted("PSRANDOMCALLING1", "QRSCP")};
  ServicesData s;
  s.attempt = accepted("PSRANDOMCALLING1", "QRSCP");
  s.attempt.contexts.push_back({3, "1.2.840.10008.5.1.4.1.2.2.1", "StudyRootFind", 0,
                                "1.2.840.10008.1.2"});
  s.attempt.contexts.push_back({5, "1.2.840.10008.5.1.4.1.2.2.2", "StudyRootMove", 0,
                                "1.2.840.10008.1.2"});
  s.attempt.contexts.push_back({7, "1.2.840.10008.5.1.4.1.1.7", "SecondaryCaptureImageStorage",
                                0, "1.2.840.10008.1.2"});
  s.calling_source = AeSource::random;
  std::vector<Observation> all{obs("dicom_associate", a), obs("dicom_ae_policy", p),
                               obs("dicom_services", s)};
  for (auto& o : intrusive) all.push_back(std::move(o));
  return scan_with(std::move(all));
}

DataQueryData counted(int studies) {
  DataQueryData d;
  d.cap = 1000;
  DataQueryResult r;
  r.service = "StudyRootFind";
  r.level = "STUDY";
  r.calling_ae = "PSRANDOMCALLING1";
  r.outcome = DimseOutcome::success;
  r.status = 0;
  r.count = studies;
  d.results.push_back(r);
  return d;
}

StoreTestData store(DimseOutcome outcome, int status) {
  StoreTestData d;
  d.object.sop_instance_uid = "2.25.111";
  d.object.study_instance_uid = "2.25.222";
  d.object.patient_id = "PACSCAN-1";
  d.calling_ae = "PSRANDOMCALLING1";
  d.outcome = outcome;
  d.status = status;
  return d;
}

}  // namespace

TEST_CASE("intrusive: entries returned by a universal query make DICOM-UNAUTH-FIND critical") {
  const auto r = open_qr_server({obs("dicom_data_query", counted(3))});
  const Finding* f = finding(r, "DICOM-UNAUTH-FIND");
  REQUIRE(f);
  CHECK(f->severity == Severity::critical);
  CHECK(f->evidence_level == EvidenceLevel::data);
  CHECK(f->summary.find("3 entries") != std::string::npos);
  // zero entries is not data: the negotiated verdict stays
  const auto empty = open_qr_server({obs("dicom_data_query", counted(0))});
  REQUIRE(finding(empty, "DICOM-UNAUTH-FIND"));
  CHECK(finding(empty, "DICOM-UNAUTH-FIND")->severity == Severity::high);
  CHECK(finding(empty, "DICOM-UNAUTH-FIND")->evidence_level == EvidenceLevel::negotiated);
}

TEST_CASE("intrusive: a stored synthetic object is 'written' with its UIDs; a refused one passes") {
  const auto r = open_qr_server({obs("dicom_store_test", store(DimseOutcome::stored, 0))});
  const Finding* f = finding(r, "DICOM-UNAUTH-STORE");
  REQUIRE(f);
  CHECK(f->evidence_level == EvidenceLevel::written);
  CHECK(std::any_of(f->evidence.begin(), f->evidence.end(), [](const std::string& e) {
    return e.find("2.25.111") != std::string::npos && e.find("2.25.222") != std::string::npos;
  }));
  const auto refused = open_qr_server({obs("dicom_store_test", store(DimseOutcome::refused, 0xA700))});
  CHECK(check(refused, "DICOM-UNAUTH-STORE").verdict == Verdict::pass);
  // no reply: not conclusive, the negotiated finding stays
  const auto unknown = open_qr_server({obs("dicom_store_test", store(DimseOutcome::timed_out, -1))});
  REQUIRE(finding(unknown, "DICOM-UNAUTH-STORE"));
  CHECK(finding(unknown, "DICOM-UNAUTH-STORE")->evidence_level == EvidenceLevel::negotiated);
}

TEST_CASE("intrusive: only the synthetic object arriving at the listener is data for C-MOVE") {
  MoveSelfData m;
  m.calling_ae = "PSRANDOMCALLING1";
  m.destination_ae = "PACSCAN";
  m.outcome = DimseOutcome::success;
  m.status = 0;
  m.received.push_back({"127.0.0.1:40000", "QRSCP", "PACSCAN", 1, 1});
  const auto r = open_qr_server({obs("dicom_move_self", m)});
  REQUIRE(finding(r, "DICOM-UNAUTH-MOVE-ANYDEST"));
  CHECK(finding(r, "DICOM-UNAUTH-MOVE-ANYDEST")->evidence_level == EvidenceLevel::data);
  m.received.clear();
  m.outcome = DimseOutcome::refused;
  m.status = 0xA801;
  const auto unknown_dest = open_qr_server({obs("dicom_move_self", m)});
  REQUIRE(finding(unknown_dest, "DICOM-UNAUTH-MOVE-ANYDEST"));
  CHECK(finding(unknown_dest, "DICOM-UNAUTH-MOVE-ANYDEST")->evidence_level ==
        EvidenceLevel::negotiated);
}

TEST_CASE("every rule's needs name a declared data type") {
  // A typo here would leave the rule silently never judged: not even "not evaluated".
  for (const auto& rule : rules::catalogue()) {
    CHECK_MESSAGE(!rule.needs.empty(), rule.id);
    for (auto need : rule.needs) {
      CHECK_MESSAGE(known_data_name(need), rule.id, " needs unknown data \"", need, "\"");
    }
  }
}

TEST_CASE("finish orders findings most severe first, then by address, port and rule, stably") {
  ScanResult r;
  const auto finding = [](Severity s, const char* ip, int port, const char* rule, const char* id) {
    Finding f;
    f.severity = s;
    f.ip = ip;
    f.port = port;
    f.rule_id = rule;
    f.id = id;
    return f;
  };
  // 10.0.0.9 sorts before 10.0.0.10 by address, after it as text.
  r.findings = {finding(Severity::low, "10.0.0.10", 104, "R-A", "1"),
                finding(Severity::high, "10.0.0.10", 104, "R-B", "2"),
                finding(Severity::low, "10.0.0.9", 104, "R-A", "3"),
                finding(Severity::high, "10.0.0.9", 11112, "R-A", "4"),
                finding(Severity::high, "10.0.0.9", 104, "R-B", "5"),
                finding(Severity::low, "10.0.0.9", 104, "R-A", "6"),  // ties with "3"
                finding(Severity::critical, "10.0.0.200", 0, "R-C", "7"),
                finding(Severity::high, "10.0.0.9", 104, "R-A", "8")};
  const auto& rules = rules::catalogue();
  REQUIRE(rules.size() >= 3);
  const auto check = [](std::string_view rule, const char* asset) {
    return Check{SharedText(rule), asset, Verdict::pass, SharedText("r")};
  };
  // catalogue order, each rule's checks in the order they came
  r.checks = {check(rules[2].id, "c"), check(rules[0].id, "a"), check(rules[1].id, "x"),
              check(rules[0].id, "b"), check(rules[2].id, "d"), check(rules[1].id, "y")};
  rules::finish(r);
  std::string ids;
  for (const auto& f : r.findings) ids += f.id;
  CHECK(ids == "78542361");
  std::string assets;
  for (const auto& c : r.checks) assets += c.asset;
  CHECK(assets == "abxycd");
}
