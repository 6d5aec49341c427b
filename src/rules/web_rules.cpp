// SPDX-License-Identifier: Apache-2.0
// Evaluators for the imaging web rules (probe http_imaging). Each reads the HttpData of one
// endpoint and says fail (evidence: paths, status codes, header names, counts — never bodies),
// pass (with the reason) or not evaluated (with the reason).
#include <array>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "evaluators.hpp"

namespace pacscan::rules {
namespace {

constexpr std::string_view k_probe = "http_imaging";

RuleHit fail(Severity sev, std::string summary, std::vector<std::string> evidence,
             EvidenceLevel level, Confidence conf = Confidence::confirmed) {
  return rules::fail(sev, std::move(summary), std::move(evidence), {std::string(k_probe)}, level,
                     conf);
}

std::string missing(const EndpointView& v) { return rules::missing(v, k_probe); }

std::string incomplete(const HttpData& d) {
  return fmt::format("probe {} did not finish its requests ({})", k_probe,
                     d.incomplete_reason.empty() ? "unknown reason" : d.incomplete_reason);
}

bool is_imaging(const HttpData& d) {
  return d.product == "orthanc" || d.product == "dicomweb" || d.product == "dcm4chee";
}

std::string product_label(const std::string& p) {
  if (p == "orthanc") return "Orthanc";
  if (p == "dicomweb") return "DICOMweb";
  if (p == "dcm4chee") return "dcm4chee-arc";
  return p;
}

const HttpExchange* exchange(const HttpData& d, std::string_view path_prefix, bool creds) {
  const HttpExchange* found = nullptr;
  for (const auto& x : d.requests) {
    if (x.with_credentials != creds || !x.path.starts_with(path_prefix)) continue;
    if (!found || (found->status == 0 && x.status != 0)) found = &x;  // prefer the one answered
  }
  return found;
}

// First token of WWW-Authenticate ("Basic", "Bearer" ...): the scheme, not the device's realm.
std::string auth_scheme(const std::string& www_authenticate) {
  return www_authenticate.substr(0, www_authenticate.find(' '));
}

std::string describe(const HttpExchange& x) {
  std::string s = fmt::format("GET {} over {} {}: ", x.path, x.scheme,
                              x.with_credentials ? "with Basic orthanc:orthanc"
                                                 : "without credentials");
  if (x.status == 0) return s + "no HTTP reply" + (x.error.empty() ? "" : " (" + x.error + ")");
  s += fmt::format("HTTP {}", x.status);
  if (!x.content_type.empty()) s += fmt::format(", Content-Type {}", x.content_type);
  if (!x.www_authenticate.empty()) {
    s += fmt::format(", WWW-Authenticate {}", auth_scheme(x.www_authenticate));
  }
  if (!x.location.empty()) s += fmt::format(", Location {}", x.location);
  return s;
}

std::string describe_all(const HttpData& d) {
  std::string s;
  for (const auto& x : d.requests) {
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", x.path.substr(0, x.path.find('?')),
                     x.status ? std::to_string(x.status) : "no reply");
  }
  return s;
}

// Judged only where the web probe left HttpData; the rules below need Orthanc to be identified.
std::optional<RuleHit> need_orthanc(const EndpointView& v) {
  if (!v.get<HttpData>()) return not_evaluated(missing(v));
  if (v.get<HttpData>()->product == "orthanc") return std::nullopt;
  if (!v.get<HttpData>()->complete) return not_evaluated(incomplete(*v.get<HttpData>()));
  return pass(fmt::format("no Orthanc web interface on this port ({}: {})", v.get<HttpData>()->product,
                          describe_all(*v.get<HttpData>())));
}

std::optional<std::array<int, 3>> parse_version(std::string_view text) {
  std::array<int, 3> out{0, 0, 0};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    int n = 0;
    auto [next, ec] = std::from_chars(p, end, n);
    if (ec != std::errc() || next == p) {
      if (i < 2) return std::nullopt;  // at least major.minor
      break;
    }
    out[static_cast<std::size_t>(i)] = n;
    p = next;
    if (p == end || *p != '.') break;
    ++p;
  }
  return out;
}

}  // namespace

RuleHit eval_asset_imaging_web(const EndpointView& v) {
  if (!v.get<HttpData>()) return not_evaluated(missing(v));
  const HttpData& d = *v.get<HttpData>();
  if (!is_imaging(d)) {
    if (!d.complete) return not_evaluated(incomplete(d));
    if (d.product == "not-http") return pass("no HTTP or HTTPS reply on this port");
    return pass(fmt::format("HTTP service not identified as Orthanc, DICOMweb or dcm4chee ({})",
                            describe_all(d)));
  }
  std::vector<std::string> ev;
  std::string version;
  if (d.orthanc.readable) {
    version = fmt::format(" {}", d.orthanc.version);
    ev.push_back(fmt::format("/system returned Orthanc's system JSON{}: Version '{}', DicomAet "
                             "'{}', DicomPort {}, ApiVersion {}",
                             d.orthanc.via_credentials ? " (with the default credentials)" : "",
                             d.orthanc.version, d.orthanc.dicom_aet, d.orthanc.dicom_port,
                             d.orthanc.api_version));
  }
  if (d.explorer_found) ev.push_back("/app/explorer.html is the Orthanc Explorer page (200)");
  const HttpExchange* sys = exchange(d, "/system", false);
  if (sys && sys->status == 401 && d.product == "orthanc" && !d.orthanc.readable) {
    ev.push_back(fmt::format("/system answered 401 with Orthanc's WWW-Authenticate {} realm",
                             auth_scheme(sys->www_authenticate)));
  }
  if (!d.dicomweb_root.empty()) {
    ev.push_back(fmt::format("DICOMweb QIDO root {} answered {}", d.dicomweb_root,
                             d.dicomweb_status));
  } else if (d.product == "dcm4chee") {
    ev.push_back("the dcm4chee-arc QIDO path asks for authentication while /system is unknown");
  }
  if (!d.server.empty()) ev.push_back(fmt::format("Server header '{}'", d.server));
  ev.push_back(fmt::format("requests over {}: {}", d.scheme, describe_all(d)));
  auto h = fail(Severity::info,
                fmt::format("{}{} web interface over {}", product_label(d.product), version,
                            d.scheme == "https" ? "HTTPS" : "HTTP"),
                std::move(ev), EvidenceLevel::observed);
  h.discriminator = d.product;
  return h;
}

RuleHit eval_web_orthanc_noauth(const EndpointView& v) {
  if (auto h = need_orthanc(v)) return *h;
  const HttpData& d = *v.get<HttpData>();
  const HttpExchange* sys = exchange(d, "/system", false);
  if (!sys || sys->status == 0) {
    return not_evaluated(d.complete ? "GET /system gave no HTTP reply" : incomplete(d));
  }
  if (sys->status == 200 && d.orthanc.readable && !d.orthanc.via_credentials) {
    std::vector<std::string> ev{
        describe(*sys) + " (Orthanc system JSON; body discarded)",
        fmt::format("Orthanc Version '{}', DicomAet '{}'", d.orthanc.version, d.orthanc.dicom_aet)};
    if (const auto* e = exchange(d, "/app/explorer.html", false); e && d.explorer_found) {
      ev.push_back(describe(*e) + " (Orthanc Explorer page)");
    }
    return fail(Severity::critical,
                "Orthanc REST API answers /system without any credentials: the archive can be "
                "read, modified and deleted by anyone who reaches this port",
                std::move(ev), EvidenceLevel::confirmed);
  }
  if (sys->status == 401 || sys->status == 403) {
    return pass(fmt::format("authentication required: {}", describe(*sys)));
  }
  return not_evaluated(fmt::format("Orthanc identified but /system answered {}", sys->status));
}

RuleHit eval_web_orthanc_default_creds(const EndpointView& v) {
  if (auto h = need_orthanc(v)) return *h;
  const HttpData& d = *v.get<HttpData>();
  const HttpExchange* sys = exchange(d, "/system", false);
  const HttpExchange* cred = exchange(d, "/system", true);
  if (d.default_creds_tried && cred) {
    if (d.default_creds_work) {
      std::vector<std::string> ev;
      if (sys) ev.push_back(describe(*sys));
      ev.push_back(describe(*cred) + (d.orthanc.via_credentials ? " (Orthanc system JSON; body "
                                                                  "discarded)"
                                                                : ""));
      ev.push_back("one login attempt with Orthanc's documented default user; no other "
                   "password was tried");
      return fail(Severity::critical,
                  "Orthanc accepts its documented default login orthanc / orthanc",
                  std::move(ev), EvidenceLevel::confirmed);
    }
    return pass(fmt::format("default login refused: {}", describe(*cred)));
  }
  if (sys && sys->status == 200 && !d.system_auth_required) {
    return pass("no login is asked at all (see WEB-ORTHANC-NOAUTH), so no default login was "
                "tried");
  }
  if (sys && (sys->status == 401 || sys->status == 403)) {
    return not_evaluated(fmt::format("no default-credential attempt: {} (only a 401 with a Basic "
                                     "challenge is answered with orthanc:orthanc)",
                                     describe(*sys)));
  }
  return not_evaluated(d.complete ? "GET /system gave no usable reply" : incomplete(d));
}

RuleHit eval_web_dicomweb_noauth(const EndpointView& v) {
  if (!v.get<HttpData>()) return not_evaluated(missing(v));
  const HttpData& d = *v.get<HttpData>();
  if (d.product == "not-http") {
    return d.complete ? pass("no HTTP or HTTPS reply on this port")
                      : not_evaluated(incomplete(d));
  }
  if (!d.dicomweb_root.empty()) {
    const HttpExchange* q = exchange(d, d.dicomweb_root + "/studies", false);
    std::vector<std::string> ev;
    if (q) ev.push_back(describe(*q));
    ev.push_back(d.dicomweb_study_count > 0
                     ? fmt::format("{} study entr{} returned for limit=1 (counted; body "
                                   "discarded): anyone can list the archive's studies; "
                                   "retrieval (WADO-RS) was not attempted",
                                   d.dicomweb_study_count,
                                   d.dicomweb_study_count == 1 ? "y" : "ies")
                     : std::string("an empty study list returned (counted; body discarded): the "
                                   "query is authorised, the archive is empty or filtered"));
    auto h = fail(Severity::critical,
                  fmt::format("DICOMweb QIDO at {} answers study queries without credentials",
                              d.dicomweb_root),
                  std::move(ev),
                  d.dicomweb_study_count > 0 ? EvidenceLevel::data : EvidenceLevel::confirmed);
    h.discriminator = d.dicomweb_root;
    return h;
  }
  const HttpExchange* q1 = exchange(d, "/dicom-web/studies", false);
  const HttpExchange* q2 = exchange(d, "/dcm4chee-arc/", false);
  if (!q1 || !q2) return not_evaluated(d.complete ? "QIDO roots not queried" : incomplete(d));
  const auto qido = [](const HttpExchange& x) {
    return describe(x) + (x.status == 200 ? " (not a QIDO JSON answer)" : "");
  };
  return pass(fmt::format("no DICOMweb QIDO root answered without credentials: {}; {}", qido(*q1),
                          qido(*q2)));
}

RuleHit eval_web_cleartext_http(const EndpointView& v) {
  if (!v.get<HttpData>()) return not_evaluated(missing(v));
  const HttpData& d = *v.get<HttpData>();
  if (!is_imaging(d)) {
    if (!d.complete) return not_evaluated(incomplete(d));
    return pass(fmt::format("no imaging web interface on this port ({})", d.product));
  }
  if (d.scheme == "https") return pass("the imaging web interface is served over HTTPS");
  std::vector<std::string> served;
  for (const auto& x : d.requests) {
    if (x.scheme == "http" && x.status > 0 && x.status != 404 && (x.status < 300 ||
                                                                   x.status >= 400)) {
      served.push_back(describe(x));
    }
  }
  if (served.empty()) {
    if (d.redirect_to_https) return pass("plain HTTP requests are redirected to HTTPS");
    return not_evaluated("no imaging path answered over plain HTTP");
  }
  Severity sev = Severity::medium;
  std::vector<std::string> ev = std::move(served);
  if (d.basic_auth_challenge) {
    sev = Severity::high;
    ev.push_back("WWW-Authenticate Basic over plain HTTP: user names and passwords cross the "
                 "network base64-encoded, readable by anyone on the path");
  }
  if (d.redirect_to_https) ev.push_back("some paths redirect to HTTPS, but the ones above do not");
  return fail(sev,
              fmt::format("{} web interface served over plain HTTP", product_label(d.product)),
              std::move(ev), EvidenceLevel::observed);
}

RuleHit eval_vuln_orthanc_version(const EndpointView& v) {
  if (auto h = need_orthanc(v)) return *h;
  const HttpData& d = *v.get<HttpData>();
  if (!d.orthanc.readable) {
    return not_evaluated("Orthanc identified, but /system was not readable (credentials "
                         "required), so its version is unknown");
  }
  const auto ver = parse_version(d.orthanc.version);
  if (!ver) {
    return not_evaluated(fmt::format("Orthanc version '{}' is not a release number",
                                     d.orthanc.version));
  }
  std::vector<std::string> ev{fmt::format(
      "/system Version '{}' (read {})", d.orthanc.version,
      d.orthanc.via_credentials ? "with the default credentials" : "without credentials")};
  // Known-vulnerable releases: the "Orthanc" lines of data/vulnerable-versions.txt.
  const auto table = vulnerable_versions("Orthanc");
  if (table.empty()) return not_evaluated("no Orthanc entry in data/vulnerable-versions.txt");
  Severity sev = Severity::info;
  bool any = false;
  std::string fixed_list;
  for (const auto& k : table) {
    fixed_list += fmt::format("{}{}.{}.{}", fixed_list.empty() ? "" : ", ", k.fixed[0], k.fixed[1],
                              k.fixed[2]);
    if (*ver < k.fixed) {
      any = true;
      sev = std::max(sev, k.severity);
      ev.push_back(fmt::format("{} ({}): fixed in {}.{}.{}; source: {}", k.cves,
                               to_string(k.severity), k.fixed[0], k.fixed[1], k.fixed[2],
                               k.source));
    }
  }
  if (!any) {
    return pass(fmt::format("Orthanc {} is not older than any fixed release in pacscan's table "
                            "({})",
                            d.orthanc.version, fixed_list));
  }
  ev.push_back("version-inferred: distribution packages (for example Debian's "
               "1.10.1+dfsg-2+deb12uN) may carry backported fixes without changing the version "
               "Orthanc reports; check the package changelog before escalating");
  auto h = fail(sev,
                fmt::format("Orthanc {} is older than releases fixing published vulnerabilities",
                            d.orthanc.version),
                std::move(ev), EvidenceLevel::observed, Confidence::version_inferred);
  h.discriminator = d.orthanc.version;
  return h;
}

}  // namespace pacscan::rules
