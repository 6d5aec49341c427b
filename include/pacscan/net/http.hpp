// SPDX-License-Identifier: Apache-2.0
#pragma once
// HTTP for probe http_imaging: one GET under a gate permit (libcurl, behind this adapter), and
// what a reply's header block and JSON body say, as pure functions of the bytes a device sent
// (fuzzed: tests/fuzz/fuzz_http.cpp). Every string kept is capped and made printable here.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/data/http_imaging.hpp>
#include <pacscan/core/gate.hpp>
#include <pacscan/core/policy.hpp>

namespace pacscan::net {

// The header fields the probe records, from the reply's raw header bytes (every line curl
// received for one request, status lines included). As libcurl's curl_easy_header(name, index 0,
// CURLH_HEADER, last request): the first field of that name, case-insensitive, in the last
// response block that is not an interim 1xx one; its value without surrounding blanks, obsolete
// line folding joined with one space. Capped and printable.
struct HeaderFacts {
  std::string content_type, location, www_authenticate, server;
};
HeaderFacts parse_headers(std::string_view raw);

struct HttpRequest {
  std::string scheme;  // "http" or "https"
  std::string path;    // path and query
  bool basic_auth = false;  // send Basic credentials (user, password)
  std::string user, password;
  Millis connect_timeout{3000};
  Millis total_timeout{10000};
  std::size_t max_body = 256 * 1024;  // bytes kept in memory; a longer body stops the transfer
};

enum class HttpFailure { none, couldnt_connect, couldnt_resolve, aborted, init, timed_out, other };

struct HttpReply {
  int status = 0;  // HTTP status, 0 when no HTTP reply was received
  HeaderFacts headers;
  std::string body;  // at most max_body bytes, in memory only: never stored
  std::int64_t body_bytes = 0;  // bytes received (counted past the cap)
  bool body_truncated = false;  // the cap was reached and the transfer stopped
  HttpFailure failure = HttpFailure::none;
  std::string error;  // libcurl's explanation when failure != none (capped, printable)
  std::int64_t elapsed_ms = 0;
};

// GET scheme://ADDRESS:PORT/path where ADDRESS:PORT is the permit's endpoint, numeric: no DNS,
// no proxy (not even from the environment), no redirect followed (Location is in the headers),
// no connection reuse, HTTP/1.1, certificates not checked (the TLS probe judges them). The stop
// token aborts the transfer.
HttpReply http_get(const Permit& permit, const HttpRequest& req, std::stop_token stop);

// Nesting depth of a JSON text (strings skipped): replies deeper than k_max_json_depth are not
// parsed at all.
inline constexpr int k_max_json_depth = 32;
int json_depth(std::string_view s);

// Orthanc's GET /system JSON: only the configuration facts (Version, Name, DicomAet, DicomPort,
// ApiVersion). nullopt when the body is not that document.
std::optional<OrthancSystem> parse_orthanc_system(std::string_view body);

// Orthanc's GET /modalities?expand: {"name": {"AET": ..., "Host": ..., "Port": ...}} (older
// versions: {"name": [AET, Host, Port]}). Only titles, hosts and ports, at most `max` entries.
std::vector<OrthancModality> parse_orthanc_modalities(std::string_view body, std::size_t max);

// A QIDO-RS studies query answered: 204 (no match) or 200 with a JSON array. The number of
// entries, or -1 when the reply is not a QIDO answer. Only counted: nothing of it is kept.
int qido_count(int status, bool truncated, std::string_view body);

// Device-controlled header or JSON text: at most 256 bytes, bytes outside printable ASCII as '?',
// trailing blanks dropped.
std::string clip(std::string_view s);

}  // namespace pacscan::net
