// Implementation identities: data/implementation-identities.txt, and what each endpoint
// announced in its A-ASSOCIATE-AC. Shared by the inventory and decoy rules.
#include "identity.hpp"

#include <sstream>

#include <pacscan/core/embedded.hpp>

namespace pacscan::rules::identity {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

const std::vector<Entry>& entries() {
  static const std::vector<Entry> k_entries = [] {
    std::vector<Entry> out;
    std::istringstream in{std::string(embedded_data("implementation-identities.txt"))};
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> f;
      std::stringstream ls(line);
      std::string part;
      while (std::getline(ls, part, '|')) f.push_back(trim(part));
      if (f.size() != 5) continue;  // the unit test checks that every line parses
      Entry e{f[0], f[1], f[2], f[3], f[4]};
      if (e.kind != "toolkit" && e.kind != "product" && e.kind != "builton" && e.kind != "decoy") {
        continue;
      }
      out.push_back(std::move(e));
    }
    return out;
  }();
  return k_entries;
}

bool uid_matches(const std::string& pattern, const std::string& uid) {
  if (pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0) {
    const auto root = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return uid.rfind(root, 0) == 0;
  }
  return uid == pattern;
}

bool version_matches(const std::string& pattern, const std::string& version) {
  if (pattern == "-") return false;
  if (!pattern.empty() && pattern.back() == '*') {
    return version.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
  }
  return version == pattern;
}

const Entry* toolkit_named_by_version(const std::string& version) {
  for (const auto& e : entries()) {
    if (e.kind == "toolkit" && version_matches(e.version, version)) return &e;
  }
  return nullptr;
}

const Entry* owner_of_uid(const std::string& uid) {
  for (const auto& e : entries()) {
    if ((e.kind == "toolkit" || e.kind == "product") && uid_matches(e.uid, uid)) return &e;
  }
  return nullptr;
}

const Entry* decoy_identity(const std::string& uid, const std::string& version) {
  for (const auto& e : entries()) {
    if (e.kind == "decoy" && uid_matches(e.uid, uid) && version_matches(e.version, version)) {
      return &e;
    }
  }
  return nullptr;
}

const Entry* built_on(const std::string& product) {
  for (const auto& e : entries()) {
    if (e.kind == "builton" && e.name == product) return &e;
  }
  return nullptr;
}

const Entry* toolkit(const std::string& name) {
  for (const auto& e : entries()) {
    if (e.kind == "toolkit" && e.name == name) return &e;
  }
  return nullptr;
}

std::optional<Announced> announced(const EndpointView& v) {
  auto from = [](const AssocAttempt& a, const char* probe) -> std::optional<Announced> {
    if (a.outcome != Outcome::ok) return std::nullopt;
    return Announced{a.impl_class_uid, a.impl_version, a.peer_max_pdu, probe};
  };
  if (const auto* a = v.get<AssociateData>()) {
    if (auto r = from(a->attempt, "dicom_associate")) return r;
  }
  if (const auto* p = v.get<AePolicyData>()) {
    for (const auto& a : p->attempts) {
      if (auto r = from(a, "dicom_ae_policy")) return r;
    }
  }
  if (const auto* t = v.get<TlsData>(); t && t->association) {
    if (auto r = from(*t->association, "dicom_tls")) return r;
  }
  if (const auto* s = v.get<ServicesData>()) {
    if (auto r = from(s->attempt, "dicom_services")) return r;
  }
  if (const auto* e = v.get<EchoData>()) {
    if (auto r = from(e->attempt, "dicom_echo")) return r;
  }
  for (const auto* p : v.all<PassiveData>()) {
    if (p->ac_seen && !p->encrypted) {
      return Announced{p->server_impl_class_uid, p->server_impl_version, p->server_max_pdu,
                       "passive_dicom"};
    }
  }
  return std::nullopt;
}

std::string describe(const Announced& a) {
  if (a.uid.empty()) return "no Implementation Class UID";
  return a.version.empty() ? a.uid : a.uid + " / '" + a.version + "'";
}

}  // namespace pacscan::rules::identity
