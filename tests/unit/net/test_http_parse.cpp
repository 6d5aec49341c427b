// SPDX-License-Identifier: Apache-2.0
// What http_imaging keeps of a reply: header fields as libcurl's curl_easy_header gives them, the
// Orthanc /system facts and the QIDO count, all pure functions of the bytes a device sent.
#include <doctest/doctest.h>

#include <string>

#include <pacscan/net/http.hpp>

using namespace pacscan;

TEST_CASE("headers: first field of the final response block, case-insensitive, trimmed") {
  const auto f = net::parse_headers(
      "HTTP/1.1 401 Unauthorized\r\n"
      "server:   Orthanc  \r\n"
      "WWW-Authenticate: Basic realm=\"Orthanc Secure Area\"\r\n"
      "Www-Authenticate: Digest x\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n");
  CHECK(f.server == "Orthanc");
  CHECK(f.www_authenticate == "Basic realm=\"Orthanc Secure Area\"");
  CHECK(f.content_type == "text/plain");
  CHECK(f.location.empty());
}

TEST_CASE("headers: interim 1xx blocks are not the reply's headers") {
  const auto f = net::parse_headers(
      "HTTP/1.1 100 Continue\r\nServer: interim\r\nLocation: /no\r\n\r\n"
      "HTTP/1.1 302 Found\r\nLocation: https://198.18.0.1/\r\n\r\n");
  CHECK(f.location == "https://198.18.0.1/");
  CHECK(f.server.empty());
  CHECK(net::parse_headers("HTTP/1.1 100 Continue\r\nServer: x\r\n\r\n").server.empty());
}

TEST_CASE("headers: folding, bare LF, missing blank line, hostile bytes") {
  CHECK(net::parse_headers("HTTP/1.1 200 OK\nServer: a\n  b\n\n").server == "a b");
  CHECK(net::parse_headers("HTTP/1.1 200 OK\r\nServer: cut").server == "cut");
  const auto f = net::parse_headers(std::string("HTTP/1.1 200 OK\r\nServer: E\xff\x1b[31m\r\n\r\n"));
  CHECK(f.server == "E??[31m");
  CHECK(net::parse_headers(std::string(100000, 'x')).server.empty());
  CHECK(net::parse_headers("HTTP/1.1 200 OK\r\nServer: " + std::string(5000, 'S') + "\r\n\r\n")
            .server.size() == 256);
}

TEST_CASE("Orthanc /system: configuration facts only, bounded") {
  const auto s = net::parse_orthanc_system(
      R"({"Version":"1.10.1","Name":"MyOrthanc","DicomAet":"ORTHANC","DicomPort":4242,)"
      R"("ApiVersion":18,"PluginsEnabled":true})");
  REQUIRE(s);
  CHECK(s->readable);
  CHECK(s->version == "1.10.1");
  CHECK(s->name == "MyOrthanc");
  CHECK(s->dicom_aet == "ORTHANC");
  CHECK(s->dicom_port == 4242);
  CHECK(s->api_version == 18);
  CHECK_FALSE(net::parse_orthanc_system(R"({"Name":"x"})"));
  CHECK_FALSE(net::parse_orthanc_system("[]"));
  CHECK_FALSE(net::parse_orthanc_system("{\"Version\":"));
  const std::string deep = "{\"Version\":\"1\",\"DicomAet\":\"A\",\"x\":" + std::string(40, '[') +
                           std::string(40, ']') + "}";
  CHECK_FALSE(net::parse_orthanc_system(deep));  // deeper than k_max_json_depth: not parsed
}

TEST_CASE("QIDO: entries counted only for 200 with a JSON array, 204 is zero") {
  CHECK(net::qido_count(204, false, "") == 0);
  CHECK(net::qido_count(200, false, "[{},{},{}]") == 3);
  CHECK(net::qido_count(200, true, "[{}]") == -1);
  CHECK(net::qido_count(200, false, "{}") == -1);
  CHECK(net::qido_count(401, false, "[]") == -1);
  CHECK(net::json_depth(R"(["[[[", {"a": [1]}])") == 3);
}
