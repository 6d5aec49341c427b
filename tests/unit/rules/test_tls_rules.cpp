// SPDX-License-Identifier: Apache-2.0
// TLS rules on hand-built dicom_tls observations (tests/integration/test_tls.py checks the same
// rules on scans of storescp +tls and openssl s_server).
#include <doctest/doctest.h>

#include <algorithm>

#include <pacscan/rules/rules.hpp>

using namespace pacscan;

namespace {

const Ipv4 k_ip = *Ipv4::parse("198.18.0.30");
const Endpoint k_tls_ep{k_ip, 2762};
const Endpoint k_clear_ep{k_ip, 104};
constexpr const char* k_scan_time = "2026-11-29T09:40:33.123Z";

TlsCertificate cert(std::string not_before = "2026-01-01T00:00:00Z",
                    std::string not_after = "2027-01-01T00:00:00Z", int bits = 2048,
                    std::string sig = "sha256WithRSAEncryption") {
  TlsCertificate c;
  c.subject = "CN=pacs.lab.invalid";
  c.issuer = c.subject;
  c.serial = "0A1B";
  c.not_before = std::move(not_before);
  c.not_after = std::move(not_after);
  c.self_signed = true;
  c.key_type = "RSA";
  c.key_bits = bits;
  c.signature_algorithm = std::move(sig);
  return c;
}

AssocAttempt accepted_over_tls() {
  AssocAttempt a;
  a.calling_ae = "PACSCAN";
  a.called_ae = "PSRANDOM00000001";
  a.outcome = Outcome::ok;
  a.impl_class_uid = "1.2.276.0.7230010.3.0.3.6.7";
  a.impl_version = "OFFIS_DCMTK_367";
  return a;
}

TlsVersionResult ver(std::string v, std::string result) {
  return TlsVersionResult{std::move(v), std::move(result), ""};
}

// storescp +tls -ic with a self-signed RSA-2048 certificate (what the integration test sees).
TlsData storescp_tls() {
  TlsData d;
  d.tls = true;
  d.handshake_ok = true;
  d.protocol = "TLSv1.3";
  d.cipher = "TLS_AES_256_GCM_SHA384";
  d.cipher_bits = 256;
  d.versions = {ver("TLSv1", "refused"), ver("TLSv1.1", "refused"), ver("TLSv1.2", "accepted"),
                ver("TLSv1.3", "accepted")};
  d.weak_result = "refused";
  d.weak_offered = {"ECDHE-RSA-NULL-SHA", "NULL-SHA256", "ADH-AES256-GCM-SHA384"};
  d.weak_detail = "fatal alert 40 (handshake failure)";
  d.chain = {cert()};
  d.verify_code = 18;
  d.verify_result = "self-signed certificate";
  d.verify_errors = {"depth 0: self-signed certificate"};
  d.client_cert = "not_requested";
  d.association = accepted_over_tls();
  return d;
}

void add(ScanResult& r, const Endpoint& ep, std::string probe, ProbeData data,
         Outcome outcome = Outcome::ok) {
  Observation o;
  o.probe = std::move(probe);
  o.ep = ep;
  o.outcome = outcome;
  o.at = k_scan_time;
  o.data = std::move(data);
  r.observations.push_back(std::move(o));
}

void add_port(ScanResult& r, const Endpoint& ep) {
  PortData p;
  p.state = PortState::open;
  add(r, ep, "tcp_connect", p);
}

// A TLS-only port: a cleartext A-ASSOCIATE-RQ was closed on, dicom_tls found DICOM over TLS.
ScanResult tls_scan(TlsData d) {
  ScanResult r;
  add_port(r, k_tls_ep);
  AssociateData a;
  a.attempt.outcome = Outcome::closed;
  a.speaks_dicom = false;
  add(r, k_tls_ep, "dicom_associate", a, Outcome::closed);
  add(r, k_tls_ep, "dicom_tls", std::move(d));
  build_inventory(r);
  rules::evaluate(r);
  return r;
}

const Check* check(const ScanResult& r, std::string_view rule, const Endpoint& ep = k_tls_ep) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(), [&](const Check& c) {
    return c.rule_id == rule && c.asset == ep.str();
  });
  return it == r.checks.end() ? nullptr : &*it;
}

Verdict verdict(const ScanResult& r, std::string_view rule, const Endpoint& ep = k_tls_ep) {
  const Check* c = check(r, rule, ep);
  REQUIRE_MESSAGE(c != nullptr, "no check for ", rule);
  return c->verdict;
}

const Finding* finding(const ScanResult& r, std::string_view rule, const Endpoint& ep = k_tls_ep) {
  auto it = std::find_if(r.findings.begin(), r.findings.end(), [&](const Finding& f) {
    return f.rule_id == rule && f.asset == ep.str();
  });
  return it == r.findings.end() ? nullptr : &*it;
}

bool evidence_has(const Finding* f, std::string_view text) {
  return f && std::any_of(f->evidence.begin(), f->evidence.end(), [&](const std::string& e) {
           return e.find(text) != std::string::npos;
         });
}

}  // namespace

TEST_CASE("every TLS rule has an evaluator and reads dicom_tls only") {
  for (const auto& rule : rules::catalogue()) {
    if (!rule.id.starts_with("TLS-")) continue;
    const bool has_evaluator = rule.evaluate != nullptr;
    CHECK_MESSAGE(has_evaluator, rule.id);
    REQUIRE(rule.needs.size() == 1);
    CHECK(rule.needs[0] == "dicom_tls");
  }
}

TEST_CASE("storescp +tls -ic: self-signed, no client certificate, DICOM over TLS") {
  const auto r = tls_scan(storescp_tls());
  CHECK(verdict(r, "TLS-LEGACY-PROTOCOL") == Verdict::pass);
  CHECK(verdict(r, "TLS-WEAK-CIPHER") == Verdict::pass);
  CHECK(check(r, "TLS-WEAK-CIPHER")->reason.find("not tested") != std::string::npos);
  CHECK(verdict(r, "TLS-CERT-UNTRUSTED") == Verdict::fail);
  CHECK(evidence_has(finding(r, "TLS-CERT-UNTRUSTED"), "self-signed"));
  CHECK(verdict(r, "TLS-CERT-EXPIRED") == Verdict::pass);
  CHECK(verdict(r, "TLS-CERT-WEAK") == Verdict::pass);
  CHECK(verdict(r, "TLS-NO-CLIENT-CERT") == Verdict::fail);
  // DICOM over TLS counts as a DICOM service; cleartext passes on this port.
  CHECK(verdict(r, "ASSET-DICOM-SCP") == Verdict::fail);
  CHECK(verdict(r, "ASSET-DICOM-FINGERPRINT") == Verdict::fail);
  CHECK(verdict(r, "DICOM-CLEARTEXT") == Verdict::pass);
  CHECK(check(r, "DICOM-CLEARTEXT")->reason.find("only over TLS") != std::string::npos);
  REQUIRE(r.endpoints.size() == 1);
  CHECK(r.endpoints[0].tls);
  CHECK(r.endpoints[0].service == "dicom-tls");
  CHECK(r.endpoints[0].speaks_dicom);
  CHECK(r.endpoints[0].impl_version == "OFFIS_DCMTK_367");
}

TEST_CASE("client certificate required: no TLS-NO-CLIENT-CERT") {
  auto d = storescp_tls();
  d.client_cert_requested = true;
  d.client_cert = "required";
  d.client_cert_detail = "alert 116 (certificate required)";
  d.association->outcome = Outcome::closed;
  const auto r = tls_scan(d);
  CHECK(verdict(r, "TLS-NO-CLIENT-CERT") == Verdict::pass);
  CHECK(r.endpoints[0].service == "tls");
  // no DICOM answer at all: the TLS rules are still judged, DICOM ones are not applicable
  CHECK(check(r, "DICOM-AE-ANY-CALLED") == nullptr);
}

TEST_CASE("optional client certificate still fails TLS-NO-CLIENT-CERT") {
  auto d = storescp_tls();
  d.client_cert_requested = true;
  d.client_cert = "optional";
  const auto r = tls_scan(d);
  CHECK(verdict(r, "TLS-NO-CLIENT-CERT") == Verdict::fail);
}

TEST_CASE("association over TLS failed for another reason: not evaluated, never pass") {
  auto d = storescp_tls();
  d.association->outcome = Outcome::timed_out;
  const auto r = tls_scan(d);
  CHECK(verdict(r, "TLS-NO-CLIENT-CERT") == Verdict::not_evaluated);
  d.association.reset();
  CHECK(verdict(tls_scan(d), "TLS-NO-CLIENT-CERT") == Verdict::not_evaluated);
}

TEST_CASE("expired and not-yet-valid certificates, judged at the observation's time") {
  auto d = storescp_tls();
  d.chain = {cert("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z")};
  auto r = tls_scan(d);
  CHECK(verdict(r, "TLS-CERT-EXPIRED") == Verdict::fail);
  CHECK(evidence_has(finding(r, "TLS-CERT-EXPIRED"), "expired"));
  d.chain = {cert("2026-11-29T09:41:00Z", "2030-01-01T00:00:00Z")};  // one minute after the scan
  r = tls_scan(d);
  CHECK(verdict(r, "TLS-CERT-EXPIRED") == Verdict::fail);
  CHECK(evidence_has(finding(r, "TLS-CERT-EXPIRED"), "not yet valid"));
  d.chain = {cert("2026-11-29T09:40:00Z", "2026-11-29T09:41:00Z")};
  CHECK(verdict(tls_scan(d), "TLS-CERT-EXPIRED") == Verdict::pass);
  d.chain.clear();
  CHECK(verdict(tls_scan(d), "TLS-CERT-EXPIRED") == Verdict::not_evaluated);
}

TEST_CASE("weak certificate: short RSA key, SHA-1 signature, small EC key") {
  auto d = storescp_tls();
  d.chain = {cert("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", 1024, "sha1WithRSAEncryption")};
  auto r = tls_scan(d);
  CHECK(verdict(r, "TLS-CERT-WEAK") == Verdict::fail);
  CHECK(evidence_has(finding(r, "TLS-CERT-WEAK"), "1024 bits"));
  CHECK(evidence_has(finding(r, "TLS-CERT-WEAK"), "sha1WithRSAEncryption"));
  auto ec = cert();
  ec.key_type = "EC";
  ec.key_bits = 224;
  ec.signature_algorithm = "ecdsa-with-SHA256";
  d.chain = {ec};
  CHECK(verdict(tls_scan(d), "TLS-CERT-WEAK") == Verdict::fail);
  ec.key_bits = 256;
  d.chain = {ec};
  CHECK(verdict(tls_scan(d), "TLS-CERT-WEAK") == Verdict::pass);
}

TEST_CASE("legacy protocols: TLS 1.0 accepted fails, untested is not a pass") {
  auto d = storescp_tls();
  d.versions = {ver("TLSv1", "accepted"), ver("TLSv1.1", "refused"), ver("TLSv1.2", "refused"),
                ver("TLSv1.3", "refused")};
  auto r = tls_scan(d);
  CHECK(verdict(r, "TLS-LEGACY-PROTOCOL") == Verdict::fail);
  REQUIRE(finding(r, "TLS-LEGACY-PROTOCOL") != nullptr);
  CHECK(finding(r, "TLS-LEGACY-PROTOCOL")->severity == Severity::medium);
  d.versions = {ver("TLSv1", "not_tested"), ver("TLSv1.1", "refused")};
  CHECK(verdict(tls_scan(d), "TLS-LEGACY-PROTOCOL") == Verdict::not_evaluated);
}

TEST_CASE("weak cipher accepted: NULL is high; untested is not a pass") {
  auto d = storescp_tls();
  d.weak_result = "accepted";
  d.weak_cipher = "NULL-SHA256";
  auto r = tls_scan(d);
  REQUIRE(finding(r, "TLS-WEAK-CIPHER") != nullptr);
  CHECK(finding(r, "TLS-WEAK-CIPHER")->severity == Severity::high);
  d.weak_cipher = "DES-CBC3-SHA";
  r = tls_scan(d);
  REQUIRE(finding(r, "TLS-WEAK-CIPHER") != nullptr);
  CHECK(finding(r, "TLS-WEAK-CIPHER")->severity == Severity::low);
  d.weak_result = "not_tested";
  CHECK(verdict(tls_scan(d), "TLS-WEAK-CIPHER") == Verdict::not_evaluated);
}

TEST_CASE("trusted chain passes TLS-CERT-UNTRUSTED; unknown verification is not evaluated") {
  auto d = storescp_tls();
  d.chain[0].self_signed = false;
  d.verify_code = 0;
  d.verify_result = "ok";
  d.verify_errors.clear();
  d.verified = true;
  CHECK(verdict(tls_scan(d), "TLS-CERT-UNTRUSTED") == Verdict::pass);
  d.verify_code = -1;
  d.verified = false;
  CHECK(verdict(tls_scan(d), "TLS-CERT-UNTRUSTED") == Verdict::not_evaluated);
}

TEST_CASE("site CA (--tls-ca): the evidence names the trust anchors used") {
  // Orthanc 1.10.1 with a certificate from a test CA: the CA is sent in the chain (code 19).
  auto d = storescp_tls();
  TlsCertificate ca = cert();
  ca.subject = ca.issuer = "CN=Site Imaging CA";
  ca.serial = "01";
  d.chain = {cert(), ca};
  d.chain[0].self_signed = false;
  d.chain[0].issuer = "CN=Site Imaging CA";
  d.verify_code = 19;
  d.verify_result = "self-signed certificate in certificate chain";
  d.verify_errors = {"depth 1: self-signed certificate in certificate chain"};

  SUBCASE("no site CA given: fail, verified against the system store, --tls-ca suggested") {
    d.trust_anchors = {"system"};
    const auto r = tls_scan(d);
    CHECK(verdict(r, "TLS-CERT-UNTRUSTED") == Verdict::fail);
    const Finding* f = finding(r, "TLS-CERT-UNTRUSTED");
    CHECK(evidence_has(f, "verification against the system trust store: self-signed certificate "
                          "in certificate chain (code 19)"));
    CHECK(evidence_has(f, "no site CA given"));
    CHECK_FALSE(evidence_has(f, "the leaf certificate is self-signed"));
    REQUIRE(f != nullptr);
    CHECK(f->summary == "certificate does not chain to a trusted CA");
  }
  SUBCASE("observations written before trust_anchors existed read as the system store") {
    d.trust_anchors.clear();
    const auto r = tls_scan(d);
    CHECK(evidence_has(finding(r, "TLS-CERT-UNTRUSTED"), "against the system trust store:"));
  }
  SUBCASE("a site CA that is not the issuer: still fail, the file is named") {
    d.trust_anchors = {"system", "site CA /audit/other-ca.pem (1 certificate)"};
    const auto r = tls_scan(d);
    CHECK(verdict(r, "TLS-CERT-UNTRUSTED") == Verdict::fail);
    const Finding* f = finding(r, "TLS-CERT-UNTRUSTED");
    CHECK(evidence_has(f, "the system trust store + site CA /audit/other-ca.pem (1 certificate)"));
    CHECK(evidence_has(f, "does not end in the site CA given with --tls-ca"));
  }
  SUBCASE("a site CA file that could not be loaded at scan time is not a trust anchor") {
    d.trust_anchors = {"system", "site CA /audit/ca.pem: not loaded (no certificate in the file)"};
    const auto r = tls_scan(d);
    CHECK(verdict(r, "TLS-CERT-UNTRUSTED") == Verdict::fail);
    CHECK(evidence_has(finding(r, "TLS-CERT-UNTRUSTED"), "not loaded"));
    CHECK(evidence_has(finding(r, "TLS-CERT-UNTRUSTED"), "could not be loaded at scan time"));
    CHECK_FALSE(evidence_has(finding(r, "TLS-CERT-UNTRUSTED"), "does not end in the site CA"));
  }
  SUBCASE("verified through the site CA: pass, naming it") {
    d.trust_anchors = {"system", "site CA /audit/site-ca.pem (2 certificates)"};
    d.verify_code = 0;
    d.verify_result = "ok";
    d.verify_errors.clear();
    d.verified = true;
    d.trusted_by = "site CA";
    const auto r = tls_scan(d);
    CHECK(verdict(r, "TLS-CERT-UNTRUSTED") == Verdict::pass);
    const std::string reason = check(r, "TLS-CERT-UNTRUSTED")->reason;
    CHECK(reason.find("site CA /audit/site-ca.pem") != std::string::npos);
    CHECK(reason.find("its root is in the site CA bundle") != std::string::npos);
    CHECK(finding(r, "TLS-CERT-UNTRUSTED") == nullptr);
  }
}

TEST_CASE("trust anchors and trusted_by survive JSON") {
  auto d = storescp_tls();
  d.trust_anchors = {"system", "site CA ca.pem (1 certificate)"};
  d.verified = true;
  d.trusted_by = "site CA";
  const nlohmann::json j = d;
  const auto back = j.get<TlsData>();
  CHECK(back.trust_anchors == d.trust_anchors);
  CHECK(back.trusted_by == "site CA");
}

TEST_CASE("TLS rules are not judged on a port that did not answer TLS") {
  TlsData d;
  d.tls = false;
  d.error = "wrong version number";
  const auto r = tls_scan(d);
  CHECK(check(r, "TLS-CERT-UNTRUSTED") == nullptr);
  CHECK(check(r, "DICOM-CLEARTEXT") == nullptr);  // no DICOM here at all
  CHECK(verdict(r, "ASSET-DICOM-SCP") == Verdict::pass);
  CHECK_FALSE(r.endpoints[0].tls);
}

TEST_CASE("DICOM-CLEARTEXT on a cleartext port names the host's TLS port") {
  ScanResult r;
  add_port(r, k_clear_ep);
  AssociateData clear;
  clear.attempt = accepted_over_tls();
  clear.speaks_dicom = true;
  add(r, k_clear_ep, "dicom_associate", clear);
  add_port(r, k_tls_ep);
  AssociateData closed;
  closed.attempt.outcome = Outcome::closed;
  add(r, k_tls_ep, "dicom_associate", closed, Outcome::closed);
  add(r, k_tls_ep, "dicom_tls", storescp_tls());
  build_inventory(r);
  rules::evaluate(r);
  CHECK(verdict(r, "DICOM-CLEARTEXT", k_clear_ep) == Verdict::fail);
  CHECK(evidence_has(finding(r, "DICOM-CLEARTEXT", k_clear_ep), "TLS on port(s) 2762"));
  CHECK(verdict(r, "DICOM-CLEARTEXT", k_tls_ep) == Verdict::pass);
  CHECK(check(r, "TLS-CERT-UNTRUSTED", k_clear_ep) == nullptr);  // no TLS rules on cleartext
}

TEST_CASE("dicom_tls observations survive observations.jsonl (from_json dispatch)") {
  Observation o;
  o.probe = "dicom_tls";
  o.ep = k_tls_ep;
  o.outcome = Outcome::ok;
  o.at = k_scan_time;
  o.data = storescp_tls();
  const nlohmann::json j = o;
  const Observation back = j.get<Observation>();
  const auto* d = data_as<TlsData>(back);
  REQUIRE(d != nullptr);
  CHECK(d->protocol == "TLSv1.3");
  REQUIRE(d->chain.size() == 1);
  CHECK(d->chain[0].key_bits == 2048);
  REQUIRE(d->association.has_value());
  CHECK(d->association->outcome == Outcome::ok);
  CHECK(d->versions.size() == 4);
  CHECK(j.dump() == nlohmann::json(back).dump());
}
