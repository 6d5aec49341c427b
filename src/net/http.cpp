// SPDX-License-Identifier: Apache-2.0
// The HTTP client: libcurl behind a gate permit.
#include <pacscan/net/http.hpp>

#include <pacscan/net/socket.hpp>

#include <chrono>
#include <memory>

#include <curl/curl.h>
#include <fmt/format.h>

namespace pacscan::net {
namespace {

struct Sink {
  std::string body;
  std::size_t seen = 0;
  std::size_t cap = 0;
  bool truncated = false;
  std::string headers;  // raw header lines, capped
};

constexpr std::size_t k_max_headers = 64 * 1024;

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  s->seen += len;
  const std::size_t room = s->cap - std::min(s->cap, s->body.size());
  s->body.append(data, std::min(len, room));
  if (s->seen > s->cap) {
    s->truncated = true;
    return 0;  // stops the transfer (CURLE_WRITE_ERROR)
  }
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  const std::size_t room = k_max_headers - std::min(k_max_headers, s->headers.size());
  s->headers.append(data, std::min(len, room));
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::stop_token*>(user)->stop_requested() ? 1 : 0;
}

// libcurl opens its sockets here, and only to the permit's address and port: a redirect, a
// proxy or a second address could not be reached even if an option let curl try.
curl_socket_t open_socket(void* user, curlsocktype purpose, curl_sockaddr* a) {
  if (purpose != CURLSOCKTYPE_IPCXN || !a) return CURL_SOCKET_BAD;
  const int fd = open_socket_for(*static_cast<const Permit*>(user), a->family, a->socktype,
                                 a->protocol, &a->addr, a->addrlen);
  return fd < 0 ? CURL_SOCKET_BAD : fd;
}

HttpFailure failure_of(CURLcode code) {
  switch (code) {
    case CURLE_OK: return HttpFailure::none;
    case CURLE_COULDNT_CONNECT: return HttpFailure::couldnt_connect;
    case CURLE_COULDNT_RESOLVE_HOST: return HttpFailure::couldnt_resolve;
    case CURLE_ABORTED_BY_CALLBACK: return HttpFailure::aborted;
    case CURLE_FAILED_INIT: return HttpFailure::init;
    case CURLE_OPERATION_TIMEDOUT: return HttpFailure::timed_out;
    default: return HttpFailure::other;
  }
}

}  // namespace

HttpReply http_get(const Permit& permit, const HttpRequest& req, std::stop_token stop) {
  HttpReply r;
  const Endpoint& target = permit.endpoint();  // the only address ever contacted
  const std::string url =
      fmt::format("{}://{}:{}{}", req.scheme, target.ip.str(), target.port, req.path);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> h(curl_easy_init(), &curl_easy_cleanup);
  if (!h) {
    r.failure = HttpFailure::init;
    r.error = "libcurl handle could not be created";
    return r;
  }
  CURL* c = h.get();
  Sink sink;
  sink.cap = req.max_body;
  char errbuf[CURL_ERROR_SIZE] = {};
  const std::string agent = "pacscan/" PACSCAN_VERSION;
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // never: Location is recorded, not followed
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &permit);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never a proxy from the environment
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<long long>(1, req.connect_timeout.count())));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<long long>(1, req.total_timeout.count())));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_body));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &stop);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_USERAGENT, agent.c_str());
  // Detection only: TLS quality is graded by the TLS probe, so the certificate is not checked.
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  if (req.basic_auth) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, req.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, req.password.c_str());
  }
  const auto t0 = std::chrono::steady_clock::now();
  const CURLcode code = curl_easy_perform(c);
  r.elapsed_ms = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  r.status = static_cast<int>(status);
  if (r.status > 0) r.headers = parse_headers(sink.headers);
  r.body_bytes = static_cast<std::int64_t>(sink.seen);
  r.body_truncated = sink.truncated || code == CURLE_FILESIZE_EXCEEDED;
  r.failure = failure_of(code);
  if (code != CURLE_OK) r.error = clip(errbuf[0] ? std::string_view(errbuf) : curl_easy_strerror(code));
  r.body = std::move(sink.body);
  return r;
}

}  // namespace pacscan::net
