// http_imaging: imaging web interfaces on open ports that did not answer DICOM. Orthanc REST
// (GET /system), Orthanc Explorer, the DICOMweb QIDO roots of Orthanc's plugin and of
// dcm4chee-arc (count of studies only), HTTP vs HTTPS, and ONE attempt with Orthanc's documented
// default credentials orthanc:orthanc when /system asks for Basic authentication (never a list).
//
// Bounds: at most k_max_requests requests (7 in practice), each under its own gate permit, to the
// permit's numeric address only (no DNS, no proxy, no redirect followed: Location is recorded),
// connect/transfer timeouts from the policy bounded by the endpoint budget, bodies counted and
// capped at k_max_body, inspected in memory to identify the product, then discarded.
#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <pacscan/core/ae_titles.hpp>
#include <pacscan/scan/probe.hpp>
#include <pacscan/scan/site_titles.hpp>

namespace pacscan::probes {
namespace {

constexpr std::size_t k_max_body = 256 * 1024;  // bytes kept in memory per reply
constexpr std::size_t k_max_field = 256;        // stored header / string length
constexpr int k_max_json_depth = 32;            // deeper replies are not parsed
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

// Device-controlled text: length capped; bytes outside printable ASCII become '?' so the
// observation always serializes as valid JSON. Reports escape the rest for their format.
std::string clip(std::string_view s) {
  std::string out;
  out.reserve(std::min(s.size(), k_max_field));
  for (char c : s.substr(0, k_max_field)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Nesting depth of a JSON text (strings skipped), to refuse bombs before parsing.
int json_depth(std::string_view s) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : s) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
    else if (c == ']' || c == '}') --depth;
  }
  return max_depth;
}

nlohmann::json parse_json(const std::string& body) {
  if (body.empty() || json_depth(body) > k_max_json_depth) return nlohmann::json();
  return nlohmann::json::parse(body, nullptr, false);  // discarded (null/discarded) on error
}

struct Sink {
  std::string body;
  std::size_t seen = 0;
  bool truncated = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  s->seen += len;
  const std::size_t room = k_max_body - std::min(k_max_body, s->body.size());
  s->body.append(data, std::min(len, room));
  if (s->seen > k_max_body) {
    s->truncated = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR)
  }
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::stop_token*>(user)->stop_requested() ? 1 : 0;
}

std::string header(CURL* h, const char* name) {
  struct curl_header* hd = nullptr;
  if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || hd == nullptr) return {};
  return clip(hd->value ? hd->value : "");
}

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
  CURLcode code = CURLE_OK;
  Stop stop = Stop::none;  // the request was not made, and why
  bool made() const { return stop == Stop::none; }
  bool http() const { return ex.status > 0; }
};

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

class Requester {
 public:
  Requester(const ProbeContext& ctx, const Endpoint& ep) : m_ctx(ctx), m_ep(ep), m_stop(ctx.stop) {}

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
    perform(*permit, r);
    return r;
  }

  int count() const { return m_count; }
  const std::string& server() const { return m_server; }  // first Server header seen

 private:
  static Reply stopped(Reply r, Stop why) {
    r.stop = why;
    return r;
  }

  void perform(const Permit& permit, Reply& r) {
    const Endpoint& target = permit.endpoint();  // the only address ever contacted
    const std::string url =
        fmt::format("{}://{}:{}{}", r.ex.scheme, target.ip.str(), target.port, r.ex.path);
    CurlPtr h(curl_easy_init(), &curl_easy_cleanup);
    if (!h) {
      r.code = CURLE_FAILED_INIT;
      r.ex.error = "libcurl handle could not be created";
      return;
    }
    CURL* c = h.get();
    Sink sink;
    char errbuf[CURL_ERROR_SIZE] = {};
    const long connect_ms = static_cast<long>(
        std::max<long long>(1, m_ctx.budget.step(m_ctx.policy.connect_timeout).count()));
    const long total_ms = static_cast<long>(
        std::max<long long>(1, m_ctx.budget.step(m_ctx.policy.io_timeout).count()));
    const std::string agent = "pacscan/" PACSCAN_VERSION;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");  // never a proxy from the environment
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(k_max_body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &m_stop);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, agent.c_str());
    // Detection only: TLS quality is graded by the TLS probe, so the certificate is not checked.
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    if (r.ex.with_credentials) {
      curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
      curl_easy_setopt(c, CURLOPT_USERNAME, "orthanc");  // Orthanc's documented default user
      curl_easy_setopt(c, CURLOPT_PASSWORD, "orthanc");
    }
    const auto t0 = std::chrono::steady_clock::now();
    r.code = curl_easy_perform(c);
    r.ex.elapsed_ms = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0)
                          .count();
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    r.ex.status = static_cast<int>(status);
    if (r.ex.status > 0) {
      r.ex.content_type = header(c, "Content-Type");
      r.ex.location = header(c, "Location");
      r.ex.www_authenticate = header(c, "WWW-Authenticate");
      if (m_server.empty()) m_server = header(c, "Server");
    }
    r.ex.body_bytes = static_cast<std::int64_t>(sink.seen);
    r.ex.body_truncated = sink.truncated || r.code == CURLE_FILESIZE_EXCEEDED;
    if (r.code != CURLE_OK) {
      r.ex.error = clip(errbuf[0] ? std::string_view(errbuf) : curl_easy_strerror(r.code));
    }
    r.body = std::move(sink.body);
  }

  const ProbeContext& m_ctx;
  Endpoint m_ep;
  std::stop_token m_stop;
  int m_count = 0;
  std::string m_server;
};

// No HTTP reply, but the TCP connection itself worked: worth one HTTPS try.
bool connected_but_not_http(const Reply& r) {
  if (!r.made() || r.http()) return false;
  switch (r.code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_FAILED_INIT:
      return false;
    default:
      return true;
  }
}

// Orthanc's GET /system JSON: only the configuration facts are kept.
bool parse_system(const std::string& body, OrthancSystem& out) {
  const auto j = parse_json(body);
  if (!j.is_object() || !j.contains("Version") || !j["Version"].is_string()) return false;
  if (!j.contains("DicomAet") && !j.contains("ApiVersion")) return false;
  out.readable = true;
  out.version = clip(j["Version"].get<std::string>());
  if (j.contains("Name") && j["Name"].is_string()) out.name = clip(j["Name"].get<std::string>());
  if (j.contains("DicomAet") && j["DicomAet"].is_string()) {
    out.dicom_aet = clip(j["DicomAet"].get<std::string>());
  }
  if (j.contains("DicomPort") && j["DicomPort"].is_number_integer()) {
    out.dicom_port = j["DicomPort"].get<int>();
  }
  if (j.contains("ApiVersion") && j["ApiVersion"].is_number_integer()) {
    out.api_version = j["ApiVersion"].get<int>();
  }
  return true;
}

// Orthanc's GET /modalities?expand: {"name": {"AET": ..., "Host": ..., "Port": ...}} (older
// versions: {"name": [AET, Host, Port]}). Only the titles, hosts and ports are kept.
void parse_modalities(const std::string& body, std::vector<OrthancModality>& out) {
  const auto j = parse_json(body);
  if (!j.is_object()) return;
  for (const auto& [name, v] : j.items()) {
    if (out.size() >= HttpData::k_max_modalities) break;
    OrthancModality m;
    if (v.is_object() && v.contains("AET") && v["AET"].is_string()) {
      m.aet = clip(v["AET"].get<std::string>());
      if (v.contains("Host") && v["Host"].is_string()) m.host = clip(v["Host"].get<std::string>());
      if (v.contains("Port") && v["Port"].is_number_integer()) m.port = v["Port"].get<int>();
    } else if (v.is_array() && !v.empty() && v[0].is_string()) {
      m.aet = clip(v[0].get<std::string>());
      if (v.size() > 1 && v[1].is_string()) m.host = clip(v[1].get<std::string>());
      if (v.size() > 2 && v[2].is_number_integer()) m.port = v[2].get<int>();
    } else {
      continue;
    }
    if (!m.aet.empty()) out.push_back(std::move(m));
  }
}

// A QIDO-RS studies query answered: 204 (no match) or 200 with a JSON array. Returns the number of
// entries, or -1 when the reply is not a QIDO answer. The body is not kept.
int qido_count(const Reply& r) {
  if (r.ex.status == 204) return 0;
  if (r.ex.status != 200 || r.ex.body_truncated) return -1;
  const auto j = parse_json(r.body);
  if (!j.is_array()) return -1;
  return static_cast<int>(j.size());
}

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
  CURLcode first_error = CURLE_OK;

  // Records one exchange and the header facts it carries. false: the request was not made.
  auto note = [&](const Reply& r) {
    if (!r.made()) {
      if (stopped == Stop::none) stopped = r.stop;
      return false;
    }
    d.requests.push_back(r.ex);
    if (r.code == CURLE_ABORTED_BY_CALLBACK && stopped == Stop::none) stopped = Stop::interrupted;
    if (istarts_with(r.ex.location, "https://")) d.redirect_to_https = true;
    if (istarts_with(r.ex.www_authenticate, "basic")) d.basic_auth_challenge = true;
    return true;
  };

  // 1. /system over HTTP; if the reply is not HTTP (TLS alert, garbage, nothing), or is a 400 that
  //    an HTTPS-only server gives to plain HTTP, try HTTPS once.
  Reply sys = rq.get("http", k_system, false);
  note(sys);
  if (!sys.http() && sys.made()) first_error = sys.code;
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
    if (sys.ex.status == 200) parse_system(sys.body, d.orthanc);
    sys.body.clear();

    // 2. The one default-credential attempt: only after a 401 with a Basic challenge.
    if (sys.ex.status == 401 && istarts_with(sys.ex.www_authenticate, "basic")) {
      Reply cred = rq.get(d.scheme, k_system, true);
      if (note(cred)) {
        d.default_creds_tried = true;
        d.default_creds_work = cred.ex.status == 200;
        if (d.default_creds_work && parse_system(cred.body, d.orthanc)) {
          d.orthanc.via_credentials = true;
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
          parse_modalities(mod.body, d.orthanc_modalities);
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
  else if (first_error == CURLE_COULDNT_CONNECT) o.outcome = Outcome::refused;
  else if (first_error == CURLE_OPERATION_TIMEDOUT) o.outcome = Outcome::timed_out;
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
