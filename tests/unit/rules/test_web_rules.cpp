// Web rules on hand-built http_imaging observations (tests/integration/test_orthanc_web.py checks
// the same rules on scans of Debian's Orthanc and a plain HTTP server).
#include <doctest/doctest.h>

#include <algorithm>

#include <pacscan/rules/rules.hpp>

using namespace pacscan;

namespace {

const Endpoint k_web_ep{*Ipv4::parse("198.18.0.20"), 8042};

constexpr const char* k_qido_orthanc = "/dicom-web/studies?limit=1&includefield=0020000D";
constexpr const char* k_qido_dcm4chee = "/dcm4chee-arc/aets/DCM4CHEE/rs/studies?limit=1";
constexpr const char* k_realm = "Basic realm=\"Orthanc Secure Area\"";

HttpExchange ex(std::string path, int status, bool creds = false, std::string www = "",
                std::string scheme = "http") {
  HttpExchange x;
  x.scheme = std::move(scheme);
  x.path = std::move(path);
  x.status = status;
  x.with_credentials = creds;
  x.www_authenticate = std::move(www);
  if (status == 200) x.content_type = "application/json";
  return x;
}

OrthancSystem system_facts(std::string version, bool via_creds = false) {
  OrthancSystem s;
  s.readable = true;
  s.via_credentials = via_creds;
  s.version = std::move(version);
  s.dicom_aet = "ORTHANC";
  s.dicom_port = 4242;
  s.api_version = 16;
  return s;
}

// Orthanc with RemoteAccessAllowed and AuthenticationEnabled false (what Debian's 1.10.1 answers).
HttpData orthanc_open(std::string version = "1.10.1") {
  HttpData d;
  d.product = "orthanc";
  d.scheme = "http";
  d.requests = {ex("/system", 200), ex("/app/explorer.html", 200), ex(k_qido_orthanc, 404),
                ex(k_qido_dcm4chee, 404)};
  d.orthanc = system_facts(std::move(version));
  d.system_status = 200;
  d.explorer_found = true;
  d.explorer_status = 200;
  d.dicomweb_status = 404;
  d.complete = true;
  return d;
}

// AuthenticationEnabled true; `default_user`: no RegisteredUsers, so orthanc/orthanc exists.
HttpData orthanc_auth(bool default_user) {
  HttpData d;
  d.product = "orthanc";
  d.scheme = "http";
  d.requests = {ex("/system", 401, false, k_realm),
                ex("/system", default_user ? 200 : 401, true, default_user ? "" : k_realm),
                ex("/app/explorer.html", 401, false, k_realm),
                ex(k_qido_orthanc, 401, false, k_realm), ex(k_qido_dcm4chee, 401, false, k_realm)};
  d.system_status = 401;
  d.system_auth_required = true;
  d.default_creds_tried = true;
  d.default_creds_work = default_user;
  if (default_user) d.orthanc = system_facts("1.10.1", true);
  d.explorer_status = 401;
  d.dicomweb_status = 401;
  d.basic_auth_challenge = true;
  d.complete = true;
  return d;
}

HttpData plain_http() {
  HttpData d;
  d.product = "unknown-http";
  d.scheme = "http";
  d.server = "SimpleHTTP/0.6 Python/3.11.2";
  d.requests = {ex("/system", 404), ex("/app/explorer.html", 404), ex(k_qido_orthanc, 404),
                ex(k_qido_dcm4chee, 404)};
  d.system_status = 404;
  d.explorer_status = 404;
  d.dicomweb_status = 404;
  d.complete = true;
  return d;
}

ScanResult web_scan(HttpData d, Outcome outcome = Outcome::ok) {
  ScanResult r;
  PortData open;
  open.state = PortState::open;
  Observation port;
  port.probe = "tcp_connect";
  port.ep = k_web_ep;
  port.outcome = Outcome::ok;
  port.data = open;
  r.observations.push_back(port);
  Observation o;
  o.probe = "http_imaging";
  o.ep = k_web_ep;
  o.outcome = outcome;
  o.data = std::move(d);
  r.observations.push_back(std::move(o));
  build_inventory(r);
  rules::evaluate(r);
  return r;
}

const Check& web_check(const ScanResult& r, std::string_view rule) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(),
                         [&](const Check& c) { return c.rule_id == rule; });
  REQUIRE_MESSAGE(it != r.checks.end(), "no check for ", rule);
  return *it;
}

const Finding* web_finding(const ScanResult& r, std::string_view rule) {
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [&](const Finding& f) { return f.rule_id == rule; });
  return it == r.findings.end() ? nullptr : &*it;
}

bool evidence_has(const Finding* f, std::string_view text) {
  return f && std::any_of(f->evidence.begin(), f->evidence.end(), [&](const std::string& e) {
           return e.find(text) != std::string::npos;
         });
}

const std::vector<std::string_view> k_web_rules = {
    "ASSET-IMAGING-WEB",  "WEB-ORTHANC-NOAUTH", "WEB-ORTHANC-DEFAULT-CREDS",
    "WEB-DICOMWEB-NOAUTH", "WEB-CLEARTEXT-HTTP", "VULN-ORTHANC-VERSION"};

}  // namespace

TEST_CASE("every web rule has an evaluator and reads http_imaging") {
  for (auto id : k_web_rules) {
    const auto* rule = rules::find_rule(id);
    REQUIRE_MESSAGE(rule != nullptr, id);
    CHECK_MESSAGE(static_cast<bool>(rule->evaluate), id);
    CHECK(std::find(rule->needs.begin(), rule->needs.end(), "http_imaging") != rule->needs.end());
  }
}

TEST_CASE("open Orthanc 1.10.1 over HTTP: inventory, no-auth, cleartext and version findings") {
  const auto r = web_scan(orthanc_open());
  const auto* asset = web_finding(r, "ASSET-IMAGING-WEB");
  REQUIRE(asset);
  CHECK(asset->severity == Severity::info);
  CHECK(asset->summary.find("Orthanc 1.10.1") != std::string::npos);
  const auto* noauth = web_finding(r, "WEB-ORTHANC-NOAUTH");
  REQUIRE(noauth);
  CHECK(noauth->severity == Severity::critical);
  CHECK(noauth->evidence_level == EvidenceLevel::confirmed);
  CHECK(evidence_has(noauth, "GET /system over http without credentials: HTTP 200"));
  const auto* clear = web_finding(r, "WEB-CLEARTEXT-HTTP");
  REQUIRE(clear);
  CHECK(clear->severity == Severity::medium);  // no Basic challenge: nothing to steal in transit
  const auto* vuln = web_finding(r, "VULN-ORTHANC-VERSION");
  REQUIRE(vuln);
  CHECK(vuln->severity == Severity::high);
  CHECK(vuln->confidence == Confidence::version_inferred);
  CHECK(evidence_has(vuln, "CVE-2026-5437"));
  CHECK_FALSE(evidence_has(vuln, "CVE-2025-0896"));  // 1.10.1 is not below 1.5.8
  CHECK(evidence_has(vuln, "version-inferred"));
  CHECK(web_check(r, "WEB-ORTHANC-DEFAULT-CREDS").verdict == Verdict::pass);
  CHECK(web_check(r, "WEB-DICOMWEB-NOAUTH").verdict == Verdict::pass);
  CHECK(web_finding(r, "WEB-DICOMWEB-NOAUTH") == nullptr);
}

TEST_CASE("Orthanc older than 1.5.8 is critical with both CVE families") {
  const auto r = web_scan(orthanc_open("1.5.7"));
  const auto* vuln = web_finding(r, "VULN-ORTHANC-VERSION");
  REQUIRE(vuln);
  CHECK(vuln->severity == Severity::critical);
  CHECK(evidence_has(vuln, "CVE-2025-0896"));
  CHECK(evidence_has(vuln, "CVE-2026-5437"));
}

TEST_CASE("Orthanc version boundaries") {
  CHECK(web_check(web_scan(orthanc_open("1.12.11")), "VULN-ORTHANC-VERSION").verdict ==
        Verdict::pass);
  CHECK(web_check(web_scan(orthanc_open("1.12.10")), "VULN-ORTHANC-VERSION").verdict ==
        Verdict::fail);
  CHECK(web_check(web_scan(orthanc_open("1.5.8")), "VULN-ORTHANC-VERSION").verdict ==
        Verdict::fail);
  CHECK(web_finding(web_scan(orthanc_open("1.5.8")), "VULN-ORTHANC-VERSION")->severity ==
        Severity::high);
  CHECK(web_check(web_scan(orthanc_open("2.0")), "VULN-ORTHANC-VERSION").verdict ==
        Verdict::pass);
  CHECK(web_check(web_scan(orthanc_open("mainline")), "VULN-ORTHANC-VERSION").verdict ==
        Verdict::not_evaluated);
}

TEST_CASE("Orthanc with the default user: one default login accepted") {
  const auto r = web_scan(orthanc_auth(true));
  const auto* creds = web_finding(r, "WEB-ORTHANC-DEFAULT-CREDS");
  REQUIRE(creds);
  CHECK(creds->severity == Severity::critical);
  CHECK(creds->evidence_level == EvidenceLevel::confirmed);
  CHECK(evidence_has(creds, "without credentials: HTTP 401"));
  CHECK(evidence_has(creds, "with Basic orthanc:orthanc: HTTP 200"));
  CHECK(web_check(r, "WEB-ORTHANC-NOAUTH").verdict == Verdict::pass);
  const auto* clear = web_finding(r, "WEB-CLEARTEXT-HTTP");
  REQUIRE(clear);
  CHECK(clear->severity == Severity::high);  // Basic credentials over plain HTTP
  const auto* vuln = web_finding(r, "VULN-ORTHANC-VERSION");
  REQUIRE(vuln);
  CHECK(evidence_has(vuln, "with the default credentials"));
  CHECK(web_finding(r, "ASSET-IMAGING-WEB") != nullptr);
}

TEST_CASE("Orthanc with a declared user: default login refused, version unknown") {
  const auto r = web_scan(orthanc_auth(false));
  CHECK(web_check(r, "WEB-ORTHANC-NOAUTH").verdict == Verdict::pass);
  CHECK(web_check(r, "WEB-ORTHANC-DEFAULT-CREDS").verdict == Verdict::pass);
  CHECK(web_check(r, "VULN-ORTHANC-VERSION").verdict == Verdict::not_evaluated);
  CHECK(web_check(r, "WEB-DICOMWEB-NOAUTH").verdict == Verdict::pass);
  CHECK(web_finding(r, "ASSET-IMAGING-WEB") != nullptr);  // identified by its realm
  CHECK(web_finding(r, "WEB-CLEARTEXT-HTTP") != nullptr);
}

TEST_CASE("a DICOMweb root answering QIDO without credentials") {
  HttpData d = plain_http();
  d.product = "dicomweb";
  d.requests[2] = ex(k_qido_orthanc, 200);
  d.requests[2].content_type = "application/dicom+json";
  d.dicomweb_root = "/dicom-web";
  d.dicomweb_status = 200;
  d.dicomweb_study_count = 1;
  const auto r = web_scan(d);
  const auto* dw = web_finding(r, "WEB-DICOMWEB-NOAUTH");
  REQUIRE(dw);
  CHECK(dw->severity == Severity::critical);
  CHECK(dw->evidence_level == EvidenceLevel::data);
  CHECK(evidence_has(dw, "1 study entry"));
  CHECK(web_check(r, "WEB-ORTHANC-NOAUTH").verdict == Verdict::pass);
  CHECK(web_check(r, "VULN-ORTHANC-VERSION").verdict == Verdict::pass);
  CHECK(web_finding(r, "ASSET-IMAGING-WEB") != nullptr);

  d.dicomweb_study_count = 0;
  const auto r_empty = web_scan(d);  // kept: web_finding points into it
  const auto* empty = web_finding(r_empty, "WEB-DICOMWEB-NOAUTH");
  REQUIRE(empty);
  CHECK(empty->evidence_level == EvidenceLevel::confirmed);
}

TEST_CASE("a plain HTTP server and a non-HTTP port give no web finding") {
  HttpData not_http;  // neither HTTP nor HTTPS answered, every planned request made
  not_http.https_tried = true;
  not_http.complete = true;
  for (const HttpData& d : {plain_http(), not_http}) {
    const auto r = web_scan(d);
    CHECK(r.findings.empty());
    for (auto id : k_web_rules) CHECK_MESSAGE(web_check(r, id).verdict == Verdict::pass, id);
  }
}

TEST_CASE("HTTPS and HTTPS redirects pass the cleartext rule") {
  HttpData d = orthanc_open();
  d.scheme = "https";
  d.https_tried = d.https_works = true;
  for (auto& x : d.requests) x.scheme = "https";
  CHECK(web_check(web_scan(d), "WEB-CLEARTEXT-HTTP").verdict == Verdict::pass);

  HttpData redir = orthanc_open();
  for (auto& x : redir.requests) {
    x.status = 301;
    x.location = "https://pacs.example/";
  }
  redir.redirect_to_https = true;
  CHECK(web_check(web_scan(redir), "WEB-CLEARTEXT-HTTP").verdict == Verdict::pass);
}

TEST_CASE("an unfinished web probe leaves the web rules not evaluated, never passed") {
  HttpData d = plain_http();
  d.requests.resize(1);
  d.complete = false;
  d.incomplete_reason = "scan interrupted";
  const auto r = web_scan(d, Outcome::interrupted);
  for (auto id : k_web_rules) {
    CHECK_MESSAGE(web_check(r, id).verdict == Verdict::not_evaluated, id);
  }
  CHECK(web_check(r, "WEB-ORTHANC-NOAUTH").reason.find("scan interrupted") != std::string::npos);
}

TEST_CASE("HttpData round-trips through the observation JSON") {
  Observation o;
  o.probe = "http_imaging";
  o.ep = k_web_ep;
  o.outcome = Outcome::ok;
  HttpData d = orthanc_auth(true);
  d.server = "<script>alert(1)</script>";  // stored as received; reports escape it
  o.data = d;
  nlohmann::json j = o;
  const auto back = j.get<Observation>();
  const auto* h = data_as<HttpData>(back);
  REQUIRE(h);
  CHECK(h->product == "orthanc");
  CHECK(h->server == d.server);
  CHECK(h->default_creds_work);
  CHECK(h->orthanc.version == "1.10.1");
  CHECK(h->requests.size() == d.requests.size());
  CHECK(h->requests[1].with_credentials);
  CHECK(j["data"].contains("system_auth_required"));
  CHECK_FALSE(j["data"].contains("body"));
}
