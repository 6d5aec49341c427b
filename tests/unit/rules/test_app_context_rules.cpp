// SPDX-License-Identifier: Apache-2.0
// DICOM-APP-CONTEXT-UNCHECKED on hand-built dicom_app_context observations
// (tests/integration/test_app_context.py checks it on scans of storescp and an accept-everything
// decoy).
#include <doctest/doctest.h>

#include <algorithm>

#include <pacscan/rules/rules.hpp>

using namespace pacscan;

namespace {

const Endpoint k_ep{*Ipv4::parse("198.18.0.30"), 104};
constexpr const char* k_rule = "DICOM-APP-CONTEXT-UNCHECKED";
constexpr const char* k_sent = "2.25.1234567890123456789012345678901234567";

Observation obs(std::string probe, ProbeData data, Outcome outcome = Outcome::ok) {
  Observation o;
  o.probe = std::move(probe);
  o.ep = k_ep;
  o.outcome = outcome;
  o.data = std::move(data);
  return o;
}

// A DICOM endpoint (dicom_associate accepted) plus `more`.
ScanResult scan_with(std::vector<Observation> more) {
  ScanResult r;
  PortData open;
  open.state = PortState::open;
  r.observations.push_back(obs("tcp_connect", open));
  AssociateData a;
  a.attempt.calling_ae = "PACSCAN";
  a.attempt.called_ae = "PSRANDOMCALLED01";
  a.attempt.outcome = Outcome::ok;
  a.attempt.impl_class_uid = "1.2.276.0.7230010.3.0.3.6.7";
  a.speaks_dicom = true;
  r.observations.push_back(obs("dicom_associate", a));
  for (auto& o : more) r.observations.push_back(std::move(o));
  build_inventory(r);
  rules::evaluate(r);
  return r;
}

AppContextData with_outcome(Outcome outcome) {
  AppContextData d;
  d.sent_context = k_sent;
  d.attempt.calling_ae = "PSRANDOMCALLING1";
  d.attempt.called_ae = "STORESCP";
  d.attempt.outcome = outcome;
  return d;
}

const Check& check(const ScanResult& r) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(),
                         [](const Check& c) { return c.rule_id == k_rule; });
  REQUIRE_MESSAGE(it != r.checks.end(), "no check for ", k_rule);
  return *it;
}

const Finding* finding(const ScanResult& r) {
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [](const Finding& f) { return f.rule_id == k_rule; });
  return it == r.findings.end() ? nullptr : &*it;
}

bool evidence_has(const Finding& f, std::string_view text) {
  return std::any_of(f.evidence.begin(), f.evidence.end(),
                     [&](const std::string& e) { return e.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("app_context: an accepted unknown application context is a finding with what was sent") {
  auto d = with_outcome(Outcome::ok);
  d.attempt.impl_class_uid = "";  // a dicompot-like decoy announces none
  d.released = true;
  const auto r = scan_with({obs("dicom_app_context", d)});
  CHECK(check(r).verdict == Verdict::fail);
  const Finding* f = finding(r);
  REQUIRE(f);
  CHECK(f->severity == Severity::low);
  CHECK(evidence_has(*f, k_sent));
  CHECK(evidence_has(*f, "1.2.840.10008.3.1.1.1"));
  CHECK(evidence_has(*f, "A-ASSOCIATE-AC"));
  CHECK(evidence_has(*f, "released at once"));
}

TEST_CASE("app_context: a reject with reason 2 passes, and the pass says how it was rejected") {
  auto d = with_outcome(Outcome::rejected);
  d.attempt.reject = RejectInfo{1, 1, 2, "application-context-name-not-supported"};
  const auto r = scan_with({obs("dicom_app_context", d, Outcome::rejected)});
  const Check& c = check(r);
  CHECK(c.verdict == Verdict::pass);
  CHECK(c.reason.find("as PS3.8") != std::string::npos);
  CHECK(c.reason.find("reason 2") != std::string::npos);
  CHECK_FALSE(finding(r));
}

TEST_CASE("app_context: another reject still passes, and says it was not reason 2") {
  auto d = with_outcome(Outcome::rejected);
  d.attempt.reject = RejectInfo{1, 1, 7, "called-AE-title-not-recognized"};
  const auto r = scan_with({obs("dicom_app_context", d, Outcome::rejected)});
  const Check& c = check(r);
  CHECK(c.verdict == Verdict::pass);
  CHECK(c.reason.find("not with reason 2") != std::string::npos);
  CHECK(c.reason.find("reason 7") != std::string::npos);
}

TEST_CASE("app_context: not evaluated when the probe did not run or ended otherwise") {
  SUBCASE("no observation at all") {
    const auto r = scan_with({});
    CHECK(check(r).verdict == Verdict::not_evaluated);
    CHECK(check(r).reason.find("dicom_app_context did not run") != std::string::npos);
  }
  SUBCASE("A-ABORT") {
    auto d = with_outcome(Outcome::aborted);
    d.attempt.abort = AbortInfo{0, 0, "service-user"};
    const auto r = scan_with({obs("dicom_app_context", d, Outcome::aborted)});
    CHECK(check(r).verdict == Verdict::not_evaluated);
    CHECK(check(r).reason.find("aborted") != std::string::npos);
    CHECK_FALSE(finding(r));
  }
  SUBCASE("timed out") {
    const auto r =
        scan_with({obs("dicom_app_context", with_outcome(Outcome::timed_out), Outcome::timed_out)});
    CHECK(check(r).verdict == Verdict::not_evaluated);
    CHECK_FALSE(finding(r));
  }
}
