// SPDX-License-Identifier: Apache-2.0
#pragma once
// A small hand-built scan result for the report tests, plus readers for what the reports write.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <pacscan/core/scan_result.hpp>
#include <pacscan/report/report.hpp>

namespace report_test {

using namespace pacscan;

inline Finding make_finding(const std::string& rule, Severity sev, const std::string& ip, int port,
                            std::vector<int> hicp, bool vendor) {
  Finding f;
  f.rule_id = rule;
  f.ip = ip;
  f.port = port;
  f.asset = ip + ":" + std::to_string(port);
  f.id = finding_id(rule, f.asset, "");
  f.severity = sev;
  f.hicp = std::move(hicp);
  f.vendor_action = vendor;
  f.evidence_level = EvidenceLevel::confirmed;
  f.confidence = Confidence::confirmed;
  f.probes = {"dicom_ae_policy"};
  return f;
}

inline ScanResult make_fixture() {
  ScanResult r;
  auto& m = r.meta;
  m.pacscan_version = "0.1.0";
  m.command_line = {"pacscan", "scan", "198.18.0.0/29", "-o", "audit"};
  m.started_at = "2026-12-01T10:00:00Z";
  m.finished_at = "2026-12-01T10:03:12Z";
  m.targets = {"198.18.0.0/29"};
  m.excludes = {"198.18.0.7"};
  m.resolved = {};
  m.scope_size = 7;
  m.ports = {104, 4242, 8042, 11112};
  m.probes = {"tcp_connect", "dicom_associate", "dicom_echo", "dicom_ae_policy", "dicom_services"};
  m.options = {{"connect_timeout_ms", 1500}, {"rate", "50/s"}, {"max_per_host", 1}};
  m.permits_issued = 42;
  m.notes = {"TLS probes are not implemented yet: TLS rules are not evaluated."};

  HostRecord h1;
  h1.ip = "198.18.0.10";
  h1.up = true;
  h1.via = "arp";
  h1.mac = "52:54:00:12:34:56";
  h1.vendor = "QEMU";
  h1.open_ports = {104, 8042};
  h1.closed_ports = {4242, 11112};
  HostRecord h2;
  h2.ip = "198.18.0.11";
  h2.up = true;
  h2.open_ports = {11112};
  h2.closed_ports = {104, 4242, 8042};
  r.hosts = {h1, h2};

  EndpointRecord e1;
  e1.ip = "198.18.0.10";
  e1.port = 104;
  e1.state = PortState::open;
  e1.service = "dicom";
  e1.speaks_dicom = true;
  e1.association = "ok";
  e1.called_ae = "ORTHANC";
  e1.impl_class_uid = "1.2.826.0.1.3680043.2.1143";
  e1.impl_version = "OrthancModular";
  e1.peer_max_pdu = 16384;
  e1.accepted_services = {"Verification", "StudyRootFind", "CTImageStorage"};
  EndpointRecord e2;
  e2.ip = "198.18.0.10";
  e2.port = 8042;
  e2.state = PortState::open;
  e2.service = "http";
  e2.association = "non_dicom";
  EndpointRecord e3;
  e3.ip = "198.18.0.11";
  e3.port = 11112;
  e3.state = PortState::open;
  e3.service = "dicom";
  e3.speaks_dicom = true;
  e3.association = "rejected";
  e3.impl_class_uid = "1.2.276.0.7230010.3.0.3.6.7";
  e3.impl_version = "OFFIS_DCMTK_367";
  r.endpoints = {e1, e2, e3};

  auto f1 =
      make_finding("DICOM-AE-ANY-CALLING", Severity::medium, "198.18.0.10", 104, {3, 9}, false);
  f1.title = "Any calling AE title accepted (no peer allow-list)";
  f1.summary = "The server accepted an association from the random calling AE PSCNQ7XK2M.";
  f1.evidence = {"A-ASSOCIATE-AC for calling AE \"PSCNQ7XK2M\", called AE \"ORTHANC\"",
                 "Implementation class UID 1.2.826.0.1.3680043.2.1143"};
  f1.remediation = "Configure the PACS to accept only the modalities it serves.";
  auto f2 = make_finding("DICOM-CLEARTEXT", Severity::high, "198.18.0.10", 104, {4, 9}, true);
  f2.title = "DICOM served over unencrypted TCP";
  f2.summary = "An association was accepted over plain TCP.";
  f2.evidence = {"A-ASSOCIATE-AC received without TLS"};
  f2.remediation = "Ask the vendor to enable DICOM TLS.";
  f2.probes = {"dicom_associate"};
  auto f3 = make_finding("DICOM-AE-DEFAULT-TITLE", Severity::low, "198.18.0.10", 104, {3}, true);
  f3.title = "Server answers to a well-known default AE title";
  f3.summary = "A random called AE title was rejected; the default title ORTHANC was accepted.";
  f3.evidence = {"A-ASSOCIATE-RJ for called AE \"PSCNR4TT0Z\" (source 1, reason 7)",
                 "A-ASSOCIATE-AC for called AE \"ORTHANC\""};
  f3.remediation = "Change the AE title from the factory default.";
  auto f4 = make_finding("ASSET-DICOM-SCP", Severity::info, "198.18.0.11", 11112, {5, 9}, false);
  f4.title = "DICOM service found";
  f4.summary = "A DICOM service rejected our association (called AE not recognised).";
  f4.evidence = {"A-ASSOCIATE-RJ result 1 source 1 reason 7"};
  f4.remediation = "Add the device to the imaging asset inventory.";
  f4.evidence_level = EvidenceLevel::observed;
  r.findings = {f1, f2, f3, f4};

  r.checks = {
      {"DICOM-AE-ANY-CALLING", "198.18.0.10:104", Verdict::fail, ""},
      {"DICOM-CLEARTEXT", "198.18.0.10:104", Verdict::fail, ""},
      {"DICOM-AE-DEFAULT-TITLE", "198.18.0.10:104", Verdict::fail, ""},
      {"ASSET-DICOM-SCP", "198.18.0.11:11112", Verdict::fail, ""},
      {"DICOM-AE-ANY-CALLED", "198.18.0.11:11112", Verdict::pass, "random called AE rejected"},
      {"DICOM-CLEARTEXT", "198.18.0.11:11112", Verdict::pass, "no association accepted"},
      {"TLS-NO-CLIENT-CERT", "198.18.0.10:104", Verdict::not_evaluated,
       "the dicom_tls probe did not run"},
  };

  Observation port;
  port.probe = "tcp_connect";
  port.ep = Endpoint{*Ipv4::parse("198.18.0.10"), 104};
  port.outcome = Outcome::ok;
  port.at = "2026-12-01T10:00:01Z";
  port.summary = "open";
  port.data = PortData{PortState::open, 1, ""};
  Observation assoc;
  assoc.probe = "dicom_associate";
  assoc.ep = port.ep;
  assoc.outcome = Outcome::ok;
  assoc.at = "2026-12-01T10:00:02Z";
  assoc.elapsed_ms = 3;
  assoc.summary = "A-ASSOCIATE-AC";
  AssociateData ad;
  ad.speaks_dicom = true;
  ad.attempt.calling_ae = "PACSCAN";
  ad.attempt.called_ae = "ANY-SCP";
  ad.attempt.outcome = Outcome::ok;
  ad.attempt.impl_class_uid = e1.impl_class_uid;
  ad.attempt.impl_version = e1.impl_version;
  ad.attempt.contexts = {{1, "1.2.840.10008.1.1", "Verification", 0, "1.2.840.10008.1.2"}};
  assoc.data = ad;
  r.observations = {port, assoc};
  return r;
}

// The payloads a hostile device could plant in any string it controls.
inline const std::vector<std::string>& payloads() {
  static const std::vector<std::string> p = {"<script>alert(1)</script>",
                                             "](javascript:x)",
                                             "| col |",
                                             "=cmd|' /C calc'!A0",
                                             "+1",
                                             "@SUM(1)",
                                             "line one\nline two\r\n# injected heading",
                                             "-2+3"};
  return p;
}

// The fixture with payloads in every device-controlled string.
inline ScanResult make_hostile_fixture() {
  ScanResult r = make_fixture();
  const auto& p = payloads();
  auto& e = r.endpoints[0];
  e.called_ae = p[0];
  e.impl_class_uid = p[1];
  e.impl_version = p[2];
  e.accepted_services = {p[3], p[6]};
  r.endpoints[1].service = p[4];
  r.hosts[0].vendor = p[2] + p[0];
  r.hosts[0].role.roles = {"archive", "worklist-broker"};  // fixed names, never device text
  r.hosts[0].role.evidence = {p[6], p[1], p[3]};
  r.findings[0].suspected_decoy = true;
  r.findings[0].decoy_finding_id = p[0] + p[6];
  r.hosts[0].mac = p[6];
  r.meta.notes.push_back(p[0] + p[1]);
  r.meta.targets.push_back(p[5]);
  auto& f = r.findings[0];
  f.title = p[3];
  f.summary = p[4] + " " + p[0];
  f.evidence.assign(p.begin(), p.end());
  f.evidence.push_back("[click me](javascript:alert(1))");
  f.remediation = p[6];
  r.findings[1].title = p[4];
  r.findings[2].title = p[5];
  r.findings[3].summary = p[7];
  r.checks.back().reason = p[0] + p[2];
  return r;
}

// ---- file helpers ----

inline std::filesystem::path temp_dir(const std::string& name) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             ("pacscan-report-test-" + name + "-" + std::to_string(rd()) + "-" +
              std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// RFC 4180 reader: quoted fields with "" escapes, CRLF or LF record ends.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text, bool& ok) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, in_quotes = false, at_start = true;
  ok = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (!at_start) ok = false;  // a quote inside an unquoted field
      in_quotes = quoted = true;
      at_start = false;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      quoted = false;
      at_start = true;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      quoted = false;
      at_start = true;
    } else {
      if (quoted) ok = false;  // text after a closing quote
      field += c;
      at_start = false;
    }
  }
  if (in_quotes) ok = false;
  if (!row.empty() || !field.empty()) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

// Checks that every tag opened in an HTML document is closed in order (void elements and
// self-closing SVG tags aside). Collects the tag names seen. Returns an error text or "".
inline std::string check_html_tags(const std::string& html, std::vector<std::string>& names) {
  static const std::vector<std::string> k_void = {"meta", "br",    "hr",      "img",
                                                  "link", "input", "!doctype"};
  std::vector<std::string> stack;
  std::size_t i = 0;
  bool in_style = false;
  while ((i = html.find('<', i)) != std::string::npos) {
    const auto end = html.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    std::string tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    const bool closing = !tag.empty() && tag[0] == '/';
    if (closing) tag.erase(0, 1);
    const bool self_closing = !tag.empty() && tag.back() == '/';
    std::string name;
    for (char c : tag) {
      if (std::isspace(static_cast<unsigned char>(c)) || c == '/') break;
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (in_style && !(closing && name == "style")) continue;
    names.push_back(name);
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        return "closing </" + name + "> but open is <" + (stack.empty() ? "" : stack.back()) + ">";
      }
      stack.pop_back();
      if (name == "style") in_style = false;
      continue;
    }
    if (self_closing || std::find(k_void.begin(), k_void.end(), name) != k_void.end()) continue;
    stack.push_back(name);
    if (name == "style") in_style = true;
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  return "";
}

// ---- docs/scan.schema.json (the subset of JSON Schema it uses) ----

inline nlohmann::json load_schema() {
  return nlohmann::json::parse(
      read_file(std::filesystem::path(PACSCAN_SOURCE_DIR) / "docs" / "scan.schema.json"));
}

inline bool type_ok(const nlohmann::json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "integer") return v.is_number_integer();
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  return false;
}

// Returns the errors found, as "path: problem".
inline void validate(const nlohmann::json& root, const nlohmann::json& schema,
                     const nlohmann::json& v, const std::string& path,
                     std::vector<std::string>& errors) {
  if (schema.contains("$ref")) {
    const auto ref = schema["$ref"].get<std::string>();
    if (ref.rfind("#/$defs/", 0) != 0) {
      errors.push_back(path + ": unsupported $ref " + ref);
      return;
    }
    validate(root, root["$defs"][ref.substr(8)], v, path, errors);
  }
  if (schema.contains("type") && !type_ok(v, schema["type"].get<std::string>())) {
    errors.push_back(path + ": not " + schema["type"].get<std::string>());
    return;
  }
  if (schema.contains("enum")) {
    const auto& e = schema["enum"];
    if (std::find(e.begin(), e.end(), v) == e.end()) errors.push_back(path + ": not in enum");
  }
  if (schema.contains("const") && schema["const"] != v) errors.push_back(path + ": not const");
  if (schema.contains("minimum") && v.is_number() &&
      v.get<double>() < schema["minimum"].get<double>()) {
    errors.push_back(path + ": below minimum");
  }
  if (schema.contains("maximum") && v.is_number() &&
      v.get<double>() > schema["maximum"].get<double>()) {
    errors.push_back(path + ": above maximum");
  }
  if (schema.contains("pattern") && v.is_string() &&
      !std::regex_search(v.get<std::string>(), std::regex(schema["pattern"].get<std::string>()))) {
    errors.push_back(path + ": does not match pattern");
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const auto& k : schema["required"]) {
        if (!v.contains(k.get<std::string>()))
          errors.push_back(path + ": missing " + k.get<std::string>());
      }
    }
    const bool closed = schema.value("additionalProperties", true) == false;
    for (const auto& [k, item] : v.items()) {
      if (schema.contains("properties") && schema["properties"].contains(k)) {
        validate(root, schema["properties"][k], item, path + "/" + k, errors);
      } else if (closed) {
        errors.push_back(path + ": unexpected key " + k);
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      validate(root, schema["items"], v[i], path + "/" + std::to_string(i), errors);
    }
  }
}

// Validates a scan.json document against docs/scan.schema.json; returns "path: problem" lines.
inline std::vector<std::string> schema_errors(const nlohmann::json& doc) {
  const auto schema = load_schema();
  std::vector<std::string> errors;
  validate(schema, schema, doc, "", errors);
  return errors;
}

}  // namespace report_test
