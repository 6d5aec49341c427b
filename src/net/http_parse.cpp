// SPDX-License-Identifier: Apache-2.0
#include <pacscan/net/http.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

#include <nlohmann/json.hpp>

namespace pacscan::net {
namespace {

constexpr std::size_t k_max_field = 256;  // stored header / string length

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (blank(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (blank(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// "HTTP/1.1 100 Continue" -> 100; 0 when the line is not a status line.
int status_of(std::string_view line) {
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/") return 0;
  const auto sp = line.find(' ');
  if (sp == std::string_view::npos || sp + 4 > line.size()) return 0;
  int code = 0;
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return 0;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

nlohmann::json parse_json(std::string_view body) {
  if (body.empty() || json_depth(body) > k_max_json_depth) return nlohmann::json();
  return nlohmann::json::parse(body.begin(), body.end(), nullptr, false);  // discarded on error
}

}  // namespace

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

HeaderFacts parse_headers(std::string_view raw) {
  // Split into lines; each status line starts a response block.
  struct Field {
    std::string_view name;
    std::string value;
  };
  std::vector<Field> block, last;
  bool in_final = false, have_final = false;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    auto nl = raw.find('\n', pos);
    const std::string_view line = raw.substr(pos, nl == std::string_view::npos ? raw.size() - pos
                                                                              : nl - pos + 1);
    pos += line.size();
    if (const int code = status_of(line)) {
      block.clear();
      in_final = code >= 200 || code < 100;
      continue;
    }
    const std::string_view body = trim(line);
    if (body.empty()) {  // end of a header block
      if (in_final) {
        last = block;
        have_final = true;
      }
      block.clear();
      in_final = false;
      continue;
    }
    if (blank(line.front())) {  // obsolete folding: part of the previous field's value
      if (!block.empty()) {
        auto& v = block.back().value;
        if (v.size() < 4 * k_max_field) {
          if (!v.empty()) v.push_back(' ');
          v.append(body.substr(0, 4 * k_max_field));
        }
      }
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view value = trim(line.substr(colon + 1));
    block.push_back({line.substr(0, colon), std::string(value.substr(0, 4 * k_max_field))});
  }
  if (in_final && !block.empty()) {  // a block not closed by its blank line (cut reply)
    last = block;
    have_final = true;
  }
  HeaderFacts f;
  if (!have_final) return f;
  const auto first = [&](std::string_view name) -> std::string {
    for (const auto& x : last) {
      if (iequal(x.name, name)) return clip(x.value);
    }
    return {};
  };
  f.content_type = first("Content-Type");
  f.location = first("Location");
  f.www_authenticate = first("WWW-Authenticate");
  f.server = first("Server");
  return f;
}

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

std::optional<OrthancSystem> parse_orthanc_system(std::string_view body) {
  const auto j = parse_json(body);
  if (!j.is_object() || !j.contains("Version") || !j["Version"].is_string()) return std::nullopt;
  if (!j.contains("DicomAet") && !j.contains("ApiVersion")) return std::nullopt;
  OrthancSystem out;
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
  return out;
}

std::vector<OrthancModality> parse_orthanc_modalities(std::string_view body, std::size_t max) {
  std::vector<OrthancModality> out;
  const auto j = parse_json(body);
  if (!j.is_object()) return out;
  for (const auto& [name, v] : j.items()) {
    if (out.size() >= max) break;
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
  return out;
}

int qido_count(int status, bool truncated, std::string_view body) {
  if (status == 204) return 0;
  if (status != 200 || truncated) return -1;
  const auto j = parse_json(body);
  if (!j.is_array()) return -1;
  return static_cast<int>(j.size());
}

}  // namespace pacscan::net
