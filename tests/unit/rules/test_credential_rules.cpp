// SPDX-License-Identifier: Apache-2.0
// The known peer's view (--tls-cert) on hand-built observations: rules of the credentialed view
// see only observations made with the site's client certificate, the others never do
// (tests/integration/test_orthanc_tls_client_cert.py checks the same against Orthanc).
#include <doctest/doctest.h>

#include <algorithm>

#include <pacscan/rules/rules.hpp>

using namespace pacscan;

namespace {

const Ipv4 k_ip = *Ipv4::parse("198.18.0.31");
const Endpoint k_ep{k_ip, 2762};
constexpr const char* k_scan_time = "2026-11-29T09:40:33.123Z";

void add(ScanResult& r, std::string probe, ProbeData data, std::string identity = {},
         Outcome outcome = Outcome::ok) {
  Observation o;
  o.probe = std::move(probe);
  o.ep = k_ep;
  o.outcome = outcome;
  o.at = k_scan_time;
  o.identity = std::move(identity);
  o.data = std::move(data);
  r.observations.push_back(std::move(o));
}

AssocAttempt assoc(Outcome outcome) {
  AssocAttempt a;
  a.calling_ae = "PACSCAN";
  a.called_ae = "PSRANDOM00000001";
  a.outcome = outcome;
  return a;
}

// Orthanc with DicomTlsRemoteCertificateRequired: an unknown peer is refused at the TLS layer.
TlsData anonymous_refused() {
  TlsData d;
  d.tls = true;
  d.handshake_ok = true;
  d.protocol = "TLSv1.3";
  d.cipher = "TLS_AES_256_GCM_SHA384";
  d.weak_result = "refused";
  d.client_cert_requested = true;
  d.client_cert = "required";
  d.association = assoc(Outcome::closed);
  return d;
}

TlsData credentialed(std::string result = "accepted") {
  TlsData d;
  d.tls = true;
  d.handshake_ok = result == "accepted";
  d.protocol = "TLSv1.3";
  d.cipher = "TLS_AES_256_GCM_SHA384";
  d.client_cert_requested = true;
  d.credential_sent = true;
  d.credential_subject = "CN=site-modality";
  d.credential_sha256 = "AA:BB";
  d.credential_result = std::move(result);
  d.credential_detail = "detail";
  d.local_address = "127.0.0.1:40000";
  d.weak_result = "refused";
  d.weak_detail = "fatal alert 40 (handshake failure)";
  d.association = assoc(d.credential_result == "accepted" ? Outcome::ok : Outcome::closed);
  return d;
}

ServicesData services_query_accepted() {
  ServicesData s;
  s.attempt = assoc(Outcome::ok);
  s.calling_source = AeSource::scanner;
  for (const char* n : {"Verification", "StudyRootFind", "StudyRootMove", "StudyRootGet"}) {
    ContextResult c;
    c.name = n;
    c.result = 0;
    s.attempt.contexts.push_back(c);
  }
  return s;
}

NullQueryData null_queries_succeed() {
  NullQueryData n;
  for (const char* svc : {"StudyRootFind", "StudyRootMove"}) {
    NullQueryResult r;
    r.service = svc;
    r.calling_ae = "PACSCAN";
    r.outcome = DimseOutcome::success;
    r.status = 0;
    r.status_text = "Success";
    n.results.push_back(r);
  }
  return n;
}

// The scan of a certificate-requiring server with --tls-cert, as the engine records it: the
// anonymous dicom_tls, the credentialed one, then DICOM probes stamped with the identity.
ScanResult scan(TlsData known, bool probes_inside = true) {
  ScanResult r;
  PortData p;
  p.state = PortState::open;
  add(r, "tcp_connect", p);
  AssociateData a;
  a.attempt = assoc(Outcome::closed);
  add(r, "dicom_associate", a, {}, Outcome::closed);
  add(r, "dicom_tls", anonymous_refused(), {}, Outcome::closed);
  add(r, "dicom_tls", std::move(known), "tls_client_cert");
  if (probes_inside) {
    add(r, "dicom_services", services_query_accepted(), "tls_client_cert");
    add(r, "dicom_null_query", null_queries_succeed(), "tls_client_cert");
  }
  build_inventory(r);
  rules::evaluate(r);
  return r;
}

const Check* check(const ScanResult& r, std::string_view rule) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(),
                         [&](const Check& c) { return c.rule_id == rule && c.asset == k_ep.str(); });
  return it == r.checks.end() ? nullptr : &*it;
}

const Finding* finding(const ScanResult& r, std::string_view rule) {
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [&](const Finding& f) { return f.rule_id == rule; });
  return it == r.findings.end() ? nullptr : &*it;
}

bool evidence_has(const Finding* f, std::string_view text) {
  return f && std::any_of(f->evidence.begin(), f->evidence.end(), [&](const std::string& e) {
           return e.find(text) != std::string::npos;
         });
}

}  // namespace

TEST_CASE("the known peer's rules are in the catalogue, judged on the credentialed view only") {
  for (std::string_view id :
       {"DICOM-KNOWN-PEER-ACCESS", "TLS-CLIENT-CERT-ANY-ADDRESS", "TLS-CLIENT-CERT-WEAK-CIPHER"}) {
    const auto* rule = rules::find_rule(id);
    REQUIRE_MESSAGE(rule != nullptr, id);
    CHECK(rule->known_peer);
    const bool has_evaluator = rule->evaluate != nullptr;
    CHECK(has_evaluator);
  }
  CHECK(rules::find_rule("DICOM-KNOWN-PEER-ACCESS")->severity == Severity::info);
  CHECK_FALSE(rules::find_rule("DICOM-UNAUTH-FIND")->known_peer);
}

TEST_CASE("inside with the site's certificate: access recorded as info, never as an unknown peer's") {
  const auto r = scan(credentialed());
  const Finding* access = finding(r, "DICOM-KNOWN-PEER-ACCESS");
  REQUIRE(access != nullptr);
  CHECK(access->severity == Severity::info);
  CHECK(evidence_has(access, "CN=site-modality"));
  CHECK(evidence_has(access, "StudyRootFind keyed on a random UID: success"));
  // The same services, seen only as the known peer, are no unknown peer's finding.
  CHECK(finding(r, "DICOM-UNAUTH-FIND") == nullptr);
  CHECK(finding(r, "DICOM-UNAUTH-MOVE") == nullptr);
  CHECK(finding(r, "DICOM-AE-ANY-CALLED") == nullptr);
  CHECK(check(r, "TLS-NO-CLIENT-CERT")->verdict == Verdict::pass);

  const Finding* any = finding(r, "TLS-CLIENT-CERT-ANY-ADDRESS");
  REQUIRE(any != nullptr);
  CHECK(any->severity == Severity::medium);
  CHECK(any->confidence == Confidence::tentative);
  CHECK(any->summary.find("127.0.0.1") != std::string::npos);
  CHECK(evidence_has(any, "not a host of the site"));
  CHECK(check(r, "TLS-CLIENT-CERT-WEAK-CIPHER")->verdict == Verdict::pass);
}

TEST_CASE("the known peer's requests refused: pass; no probe inside: not evaluated") {
  auto r = scan(credentialed(), false);
  CHECK(check(r, "DICOM-KNOWN-PEER-ACCESS")->verdict == Verdict::not_evaluated);
  auto refused = null_queries_succeed();
  for (auto& q : refused.results) q.outcome = DimseOutcome::refused;
  add(r, "dicom_services", services_query_accepted(), "tls_client_cert");
  add(r, "dicom_null_query", refused, "tls_client_cert");
  rules::evaluate(r);
  CHECK(check(r, "DICOM-KNOWN-PEER-ACCESS")->verdict == Verdict::pass);
  CHECK(finding(r, "DICOM-KNOWN-PEER-ACCESS") == nullptr);
}

TEST_CASE("the site's certificate refused from the scanner's address: no any-address finding") {
  const auto r = scan(credentialed("refused"), false);
  CHECK(check(r, "TLS-CLIENT-CERT-ANY-ADDRESS")->verdict == Verdict::pass);
  CHECK(check(r, "DICOM-KNOWN-PEER-ACCESS")->verdict == Verdict::not_evaluated);
  CHECK(finding(r, "TLS-CLIENT-CERT-ANY-ADDRESS") == nullptr);
}

TEST_CASE("a weak suite completed with the site's certificate") {
  auto d = credentialed();
  d.weak_result = "accepted";
  d.weak_cert_sent = true;
  d.weak_cipher = "DES-CBC3-SHA";
  d.weak_offered = {"DES-CBC3-SHA", "NULL-SHA"};
  d.weak_detail = "TLSv1.2 DES-CBC3-SHA (112 bits), the site's client certificate sent";
  auto r = scan(d);
  const Finding* f = finding(r, "TLS-CLIENT-CERT-WEAK-CIPHER");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::medium);
  CHECK(evidence_has(f, "DES-CBC3-SHA (112 bits)"));
  d.weak_cipher = "NULL-SHA";
  r = scan(d);
  REQUIRE(finding(r, "TLS-CLIENT-CERT-WEAK-CIPHER") != nullptr);
  CHECK(finding(r, "TLS-CLIENT-CERT-WEAK-CIPHER")->severity == Severity::high);
  // Accepted without the certificate being asked for: TLS-WEAK-CIPHER's case, not this rule's.
  d.weak_cert_sent = false;
  r = scan(d);
  CHECK(check(r, "TLS-CLIENT-CERT-WEAK-CIPHER")->verdict == Verdict::pass);
}

TEST_CASE("without --tls-cert there is no known peer's view and no check of its rules") {
  ScanResult r;
  PortData p;
  p.state = PortState::open;
  add(r, "tcp_connect", p);
  add(r, "dicom_tls", anonymous_refused(), {}, Outcome::closed);
  rules::evaluate(r);
  CHECK(check(r, "TLS-CLIENT-CERT-ANY-ADDRESS") == nullptr);
  CHECK(check(r, "DICOM-KNOWN-PEER-ACCESS") == nullptr);
  CHECK(check(r, "TLS-NO-CLIENT-CERT") != nullptr);
}

TEST_CASE("an observation's identity survives scan.json; none is written for an unknown peer") {
  Observation o;
  o.probe = "dicom_tls";
  o.ep = k_ep;
  o.identity = "tls_client_cert";
  nlohmann::json j = o;
  CHECK(j.at("identity") == "tls_client_cert");
  CHECK(j.get<Observation>().identity == "tls_client_cert");
  o.identity.clear();
  j = o;
  CHECK_FALSE(j.contains("identity"));
}
