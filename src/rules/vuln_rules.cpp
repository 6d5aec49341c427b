// VULN-DCMTK-VERSION: the DCMTK release a peer announces, against data/vulnerable-versions.txt.
// The same file's parser serves VULN-ORTHANC-VERSION (web_rules.cpp) through vulnerable_versions().
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>

#include <pacscan/core/embedded.hpp>

#include "evaluators.hpp"

namespace pacscan::rules {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool parse_version(const std::string& text, int out[3]) {
  return std::sscanf(text.c_str(), "%d.%d.%d", &out[0], &out[1], &out[2]) == 3;
}

bool parse_version(const std::string& text, std::array<int, 3>& out) {
  return parse_version(text, out.data());
}

const std::vector<VulnEntry>& entries() {
  static const std::vector<VulnEntry> k_entries = [] {
    std::vector<VulnEntry> out;
    std::istringstream in{data_file("vulnerable-versions.txt").text};
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> f;
      std::stringstream ls(line);
      std::string part;
      while (std::getline(ls, part, '|')) f.push_back(trim(part));
      VulnEntry e;
      if (f.size() != 5 || !parse_version(f[1], e.fixed) || !parse_severity(f[2], e.severity)) {
        continue;  // a malformed line is skipped; the unit test checks every line parses
      }
      e.product = f[0];
      e.cves = f[3];
      e.source = f[4];
      out.push_back(std::move(e));
    }
    return out;
  }();
  return k_entries;
}

bool older(const int v[3], const std::array<int, 3>& fixed) {
  for (std::size_t i = 0; i < 3; ++i) {
    if (v[i] != fixed[i]) return v[i] < fixed[i];
  }
  return false;
}

// DCMTK names itself OFFIS_DCMTK_<MAJ><MIN><PATCH> and uses class UID root
// 1.2.276.0.7230010.3.0.<maj>.<min>.<patch> (dcmdata/include/dcmtk/dcmdata/dcuid.h).
bool dcmtk_version(const AssocAttempt& a, int out[3]) {
  const std::string root = "1.2.276.0.7230010.3.0.";
  if (a.impl_class_uid.rfind(root, 0) == 0 && parse_version(a.impl_class_uid.substr(root.size()), out)) {
    return true;
  }
  const std::string prefix = "OFFIS_DCMTK_";
  if (a.impl_version.rfind(prefix, 0) == 0 && a.impl_version.size() == prefix.size() + 3) {
    for (int i = 0; i < 3; ++i) {
      const char c = a.impl_version[prefix.size() + i];
      if (c < '0' || c > '9') return false;
      out[i] = c - '0';
    }
    return true;
  }
  return false;
}

}  // namespace

std::size_t vulnerable_version_entries() { return entries().size(); }

std::vector<VulnEntry> vulnerable_versions(std::string_view product) {
  std::vector<VulnEntry> out;
  for (const auto& e : entries()) {
    if (e.product == product) out.push_back(e);
  }
  return out;
}

RuleHit eval_vuln_dcmtk_version(const EndpointView& v) {
  const AssocAttempt* a = nullptr;
  if (v.get<AssociateData>() && !v.get<AssociateData>()->attempt.impl_class_uid.empty()) a = &v.get<AssociateData>()->attempt;
  if (!a && v.get<AePolicyData>()) {
    for (const auto& att : v.get<AePolicyData>()->attempts) {
      if (!att.impl_class_uid.empty()) {
        a = &att;
        break;
      }
    }
  }
  RuleHit h;
  if (!a) {
    h.reason = "no A-ASSOCIATE-AC received, so no implementation identification";
    return h;  // not evaluated
  }
  int ver[3];
  if (!dcmtk_version(*a, ver)) {
    h.verdict = Verdict::pass;
    h.reason = fmt::format("implementation {} '{}' is not DCMTK", a->impl_class_uid, a->impl_version);
    return h;
  }
  Severity worst = Severity::info;
  for (const auto& e : entries()) {
    if (e.product != "DCMTK" || !older(ver, e.fixed)) continue;
    h.evidence.push_back(fmt::format("DCMTK {}.{}.{} < {}.{}.{}: {} ({}) [{}]", ver[0], ver[1],
                                     ver[2], e.fixed[0], e.fixed[1], e.fixed[2], e.cves, e.source,
                                     to_string(e.severity)));
    worst = std::max(worst, e.severity);
  }
  if (h.evidence.empty()) {
    h.verdict = Verdict::pass;
    h.reason = fmt::format("DCMTK {}.{}.{}: no known-vulnerable entry applies", ver[0], ver[1], ver[2]);
    return h;
  }
  h.evidence.insert(h.evidence.begin(),
                    fmt::format("announced Implementation Class UID {} version name '{}'",
                                a->impl_class_uid, a->impl_version));
  h.evidence.push_back("version-inferred: a vendor or a Linux distribution may ship a patched build "
                       "under the same version name; confirm with the vendor");
  h.verdict = Verdict::fail;
  // Inferred from a name, not shown: at most high, whatever the worst CVE's own rating.
  h.severity = std::min(worst, Severity::high);
  if (worst > Severity::high) {
    h.evidence.push_back(fmt::format("the worst matching entry is rated {}; reported as high "
                                     "because the version is inferred, not exploited",
                                     to_string(worst)));
  }
  h.summary = fmt::format("announces DCMTK {}.{}.{}, a release with published vulnerabilities",
                          ver[0], ver[1], ver[2]);
  h.discriminator = fmt::format("{}.{}.{}", ver[0], ver[1], ver[2]);
  h.level = EvidenceLevel::observed;
  h.confidence = Confidence::version_inferred;
  h.probes = {"dicom_associate", "dicom_ae_policy"};
  return h;
}

}  // namespace pacscan::rules
