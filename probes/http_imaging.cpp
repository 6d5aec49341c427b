// SPDX-License-Identifier: Apache-2.0
// http_imaging: imaging web interfaces on open ports that did not answer DICOM. Orthanc REST
// (GET /system), Orthanc Explorer, the DICOMweb QIDO roots of Orthanc's plugin and of
// dcm4chee-arc (count of studies only), HTTP vs HTTPS, and ONE attempt with Orthanc's documented
// default credentials orthanc:orthanc when /system asks for Basic authentication (never a list).
//
// Bounds: at most k_max_requests requests (7 in practice), each under its own gate permit, to the
// permit's numeric address only (no DNS, no proxy, no redirect followed: Location is recorded),
// connect/transfer timeouts from the policy bounded by the endpoint budget, bodies counted and
// capped at k_max_body, inspected in memory to identify the product, then discarded.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <pacscan/core/ae_titles.hpp>
#include <pacscan/net/http.hpp>
#include <pacscan/scan/probe.hpp>
#include <pacscan/scan/site_titles.hpp>

namespace pacscan::probes {
namespace {

constexpr std::size_t k_max_body = 256 * 1024;  // bytes kept in memory per reply
constexpr int k_max_requests = 8;               // hard cap per endpoint

constexpr std::string_view k_system = "/system";
constexpr std::string_view k_explorer = "/app/explorer.html";
// The peers Orthanc is configured for (DicomModalities): its calling-AE allow-list.
constexpr std::string_view k_modalities = "/modalities?expand";
// Orthanc DICOMweb plugin default root "/dicom-web/"; dcm4chee-arc's default archive AE.
constexpr std::string_view k_orthanc_dw_root = "/dicom-web";
constexpr std::string_view k_orthanc_qido = "/dicom-web/studies?limit=1&includefield=0020000D";
constexpr std::string_view k_dcm4chee_root = "/dcm4chee-arc/aets/DCM4CHEE/rs";
constexpr std::string_view k_dcm4chee_qido = "/dcm4chee-arc/aets/DCM4CHEE/rs/studies?limit=1";

bool icontains(std::string_view hay, std::string_view needle) {
  const auto lower = [](char ch) { return std::tolower(static_cast<unsigned char>(ch)); };
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [&](char a, char b) { return lower(a) == lower(b); });
  return it != hay.end();
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && icontains(s.substr(0, prefix.size()), prefix);
}

enum class Stop { none, interrupted, budget, out_of_scope, request_cap };

struct Reply {
  HttpExchange ex;
  std::string body;  // in memory only, to identify the product; never stored
  net::HttpFailure failure = net::HttpFailure::none;
  Stop stop = Stop::none;  // the request was not made, and why
  bool made() const { return stop == Stop::none; }
  bool http() const { return ex.status > 0; }
};

class Requester {
 public:
  Requester(const ProbeContext& ctx, const Endpoint& ep) : m_ctx(ctx), m_ep(ep) {}

  Reply get(std::string_view scheme, std::string_view path, bool default_creds) {
    Reply r;
    r.ex.scheme = std::string(scheme);
    r.ex.path = std::string(path);
    r.ex.with_credentials = default_creds;
    if (m_count >= k_max_requests) return stopped(std::move(r), Stop::request_cap);
    if (m_ctx.stop.stop_requested()) return stopped(std::move(r), Stop::interrupted);
    if (m_ctx.budget.exhausted()) return stopped(std::move(r), Stop::budget);
    std::optional<Permit> permit = m_ctx.gate.acquire(m_ep, m_ctx.stop);
    if (!permit) {
      return stopped(std::move(r),
                     m_ctx.stop.stop_requested() ? Stop::interrupted : Stop::out_of_scope);
    }
    if (m_ctx.budget.exhausted()) return stopped(std::move(r), Stop::budget);
    ++m_count;
    net::HttpRequest req;
    req.scheme = r.ex.scheme;
    req.path = r.ex.path;
    if (default_creds) {  // Orthanc's documented default user, the one attempt
      req.basic_auth = true;
      req.user = req.password = "orthanc";
    }
    req.connect_timeout = m_ctx.budget.step(m_ctx.policy.connect_timeout);
    req.total_timeout = m_ctx.budget.step(m_ctx.policy.io_timeout);
    req.max_body = k_max_body;
    net::HttpReply x = net::http_get(*permit, req, m_ctx.stop);
    r.ex.status = x.status;
    r.ex.elapsed_ms = x.elapsed_ms;
    if (x.status > 0) {
      r.ex.content_type = x.headers.content_type;
      r.ex.location = x.headers.location;
      r.ex.www_authenticate = x.headers.www_authenticate;
      if (m_server.empty()) m_server = x.headers.server;
    }
    r.ex.body_bytes = x.body_bytes;
    r.ex.body_truncated = x.body_truncated;
    r.ex.error = x.error;
    r.failure = x.failure;
    r.body = std::move(x.body);
    return r;
  }

  int count() const { return m_count; }
  const std::string& server() const { return m_server; }  // first Server header seen

 private:
  static Reply stopped(Reply r, Stop why) {
    r.stop = why;
    return r;
  }

  const ProbeContext& m_ctx;
  Endpoint m_ep;
  int m_count = 0;
  std::string m_server;
};

// No HTTP reply, but the TCP connection itself worked and the peer reacted: worth one HTTPS
// try. Not after a timeout: a TLS server fails a plain "GET /" at its first record header, so a
// peer that stayed silent (a tarpit) would only cost a second timeout.
bool connected_but_not_http(const Reply& r) {
  if (!r.made() || r.http()) return false;
  switch (r.failure) {
    case net::HttpFailure::couldnt_connect:
    case net::HttpFailure::couldnt_resolve:
    case net::HttpFailure::aborted:
    case net::HttpFailure::init:
    case net::HttpFailure::timed_out:
      return false;
    default:
      return true;
  }
}

int qido_count(const Reply& r) { return net::qido_count(r.ex.status, r.ex.body_truncated, r.body); }

const char* stop_text(Stop s) {
  switch (s) {
    case Stop::interrupted: return "scan interrupted";
    case Stop::budget: return "endpoint time budget exhausted";
    case Stop::out_of_scope: return "out of scope";
    case Stop::request_cap: return "request cap reached";
    case Stop::none: break;
  }
  return "";
}

void publish(const ProbeContext& ctx, const Endpoint& ep, const HttpData& d);

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("http_imaging", ep);
  const auto t0 = std::chrono::steady_clock::now();
  HttpData d;
  Requester rq(ctx, ep);
  Stop stopped = Stop::none;
  net::HttpFailure first_error = net::HttpFailure::none;

  // Records one exchange and the header facts it carries. false: the request was not made.
  auto note = [&](const Reply& r) {
    if (!r.made()) {
      if (stopped == Stop::none) stopped = r.stop;
      return false;
    }
    d.requests.push_back(r.ex);
    if (r.failure == net::HttpFailure::aborted && stopped == Stop::none) stopped = Stop::interrupted;
    if (istarts_with(r.ex.location, "https://")) d.redirect_to_https = true;
    if (istarts_with(r.ex.www_authenticate, "basic")) d.basic_auth_challenge = true;
    return true;
  };

  // 1. /system over HTTP; if the reply is not HTTP (TLS alert, garbage, nothing), or is a 400 that
  //    an HTTPS-only server gives to plain HTTP, try HTTPS once.
  Reply sys = rq.get("http", k_system, false);
  note(sys);
  if (!sys.http() && sys.made()) first_error = sys.failure;
  if (connected_but_not_http(sys) || sys.ex.status == 400 || sys.ex.status == 497) {
    d.https_tried = true;
    Reply tls = rq.get("https", k_system, false);
    note(tls);
    if (tls.http()) {
      d.https_works = true;
      sys = std::move(tls);
    }
  }

  if (sys.http()) {
    d.scheme = sys.ex.scheme;
    d.system_status = sys.ex.status;
    d.system_auth_required = sys.ex.status == 401 || sys.ex.status == 403;
    if (sys.ex.status == 200) {
      if (auto system = net::parse_orthanc_system(sys.body)) d.orthanc = *system;
    }
    sys.body.clear();

    // 2. The one default-credential attempt: only after a 401 with a Basic challenge.
    if (sys.ex.status == 401 && istarts_with(sys.ex.www_authenticate, "basic")) {
      Reply cred = rq.get(d.scheme, k_system, true);
      if (note(cred)) {
        d.default_creds_tried = true;
        d.default_creds_work = cred.ex.status == 200;
        if (d.default_creds_work) {
          if (auto system = net::parse_orthanc_system(cred.body)) {
            d.orthanc = *system;
            d.orthanc.via_credentials = true;
          }
        }
      }
    }

    // 2b. Orthanc's configured peers, only when /system was open without credentials (the one
    //     default-login request stays the only one with credentials): their AE titles are the
    //     calling titles it admits.
    if (d.orthanc.readable && !d.orthanc.via_credentials) {
      Reply mod = rq.get(d.scheme, k_modalities, false);
      if (note(mod)) {
        d.modalities_status = mod.ex.status;
        if (mod.ex.status == 200 && !mod.ex.body_truncated) {
          d.orthanc_modalities = net::parse_orthanc_modalities(mod.body, HttpData::k_max_modalities);
        }
      }
    }

    // 3. Orthanc Explorer.
    Reply exp = rq.get(d.scheme, k_explorer, false);
    if (note(exp)) {
      d.explorer_status = exp.ex.status;
      d.explorer_found = exp.ex.status == 200 && icontains(exp.body, "Orthanc Explorer");
    }

    // 4. DICOMweb QIDO roots, without credentials; entries counted, bodies discarded.
    Reply q1 = rq.get(d.scheme, k_orthanc_qido, false);
    Reply q2 = rq.get(d.scheme, k_dcm4chee_qido, false);
    const bool made1 = note(q1), made2 = note(q2);
    const int n1 = made1 ? qido_count(q1) : -1, n2 = made2 ? qido_count(q2) : -1;
    if (n2 >= 0) {
      d.dicomweb_root = std::string(k_dcm4chee_root);
      d.dicomweb_status = q2.ex.status;
      d.dicomweb_study_count = n2;
    } else if (n1 >= 0) {
      d.dicomweb_root = std::string(k_orthanc_dw_root);
      d.dicomweb_status = q1.ex.status;
      d.dicomweb_study_count = n1;
    } else if (made1) {
      d.dicomweb_status = q1.ex.status;
    }

    // Product: Orthanc's own signs first (/system JSON, Explorer page, its Basic realm), then a
    // QIDO root that answered, then dcm4chee's path protected while /system is unknown.
    const auto realm_orthanc = [](const Reply& r) {
      return r.ex.status == 401 && icontains(r.ex.www_authenticate, "Orthanc");
    };
    const bool dcm4chee_protected = made2 && (q2.ex.status == 401 || q2.ex.status == 403) &&
                                    d.system_status == 404;
    if (d.orthanc.readable || d.explorer_found || realm_orthanc(sys)) d.product = "orthanc";
    else if (n2 >= 0 || dcm4chee_protected) d.product = "dcm4chee";
    else if (n1 >= 0) d.product = "dicomweb";
    else d.product = "unknown-http";
  } else {
    d.product = "not-http";
  }
  d.server = rq.server();
  d.complete = stopped == Stop::none;
  d.incomplete_reason = stop_text(stopped);
  d.elapsed_ms = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();

  if (stopped == Stop::interrupted) o.outcome = Outcome::interrupted;
  else if (rq.count() == 0) o.outcome = Outcome::skipped;
  else if (d.product != "not-http") o.outcome = Outcome::ok;
  else if (first_error == net::HttpFailure::couldnt_connect) o.outcome = Outcome::refused;
  else if (first_error == net::HttpFailure::timed_out) o.outcome = Outcome::timed_out;
  else o.outcome = Outcome::ok;  // it answered, but neither HTTP nor HTTPS: product says so
  o.elapsed_ms = d.elapsed_ms;

  std::string paths;
  for (const auto& x : d.requests) {
    paths += fmt::format("{}{} {}{}", paths.empty() ? "" : ", ", x.path.substr(0, x.path.find('?')),
                         x.status ? std::to_string(x.status) : "no reply",
                         x.with_credentials ? " (default creds)" : "");
  }
  std::string what = d.product;
  if (d.orthanc.readable) what += fmt::format(" {}", d.orthanc.version);
  o.summary = d.product == "not-http"
                  ? fmt::format("not HTTP{}: {}", d.https_tried ? " nor HTTPS" : "", paths)
                  : fmt::format("{} over {}: {}", what, d.scheme, paths);
  if (!d.complete) o.summary += fmt::format(" [incomplete: {}]", d.incomplete_reason);
  publish(ctx, ep, d);
  o.data = std::move(d);
  return {std::move(o)};
}

// Orthanc's /system names the DICOM AE title it answers to: kept for dicom_ae_policy on the same
// host's DICOM ports (tried before any guess). Only a title DICOM could carry (1-16 characters,
// no backslash) is kept.
void learn_host(const Observation& o, HostFacts& h) {
  const auto* d = data_as<HttpData>(o);
  if (!d || !d->orthanc.readable) return;
  const std::string& aet = d->orthanc.dicom_aet;
  if (aet.empty() || aet.size() > 16 || aet.find('\\') != std::string::npos ||
      aet.find_first_not_of(' ') == std::string::npos) {
    return;
  }
  h.orthanc_dicom_aet = aet;
  h.orthanc_dicom_port = d->orthanc.dicom_port;
  h.orthanc_web_port = o.ep.port;
  h.orthanc_modality_aets.clear();
  for (const auto& m : d->orthanc_modalities) {
    if (valid_ae_title(m.aet)) h.orthanc_modality_aets.push_back(m.aet);
  }
}

// The titles the web API published, for the AE-title search on the scan's other hosts.
void publish(const ProbeContext& ctx, const Endpoint& ep, const HttpData& d) {
  if (!ctx.site || !d.orthanc.readable) return;
  const char* how = d.orthanc.via_credentials ? " with the default credentials" : "";
  if (valid_ae_title(d.orthanc.dicom_aet)) {
    ctx.site->add({d.orthanc.dicom_aet, AeRole::called, "", AeSource::web, AeSource::web,
                   fmt::format("reported by Orthanc REST /system on {}{}", ep.str(), how), ep});
  }
  for (const auto& m : d.orthanc_modalities) {
    if (!valid_ae_title(m.aet)) continue;
    ctx.site->add({m.aet, AeRole::calling, "", AeSource::web, AeSource::web,
                   fmt::format("listed by Orthanc REST /modalities on {}{} (a configured peer)",
                               ep.str(), how),
                   ep});
  }
}

}  // namespace

PACSCAN_PROBE(http_imaging){
    .name = "http_imaging",
    .summary = "HTTP(S) on non-DICOM ports: Orthanc /system and Explorer, DICOMweb QIDO roots "
               "(count only), HTTP vs HTTPS, one orthanc:orthanc attempt after a Basic challenge",
    .order = 20,
    .needs = Needs::non_dicom_port,
    .dicom_probe = false,
    .max_associations = 7,
    .run = &run,
    .learn_host = &learn_host,
};

}  // namespace pacscan::probes
