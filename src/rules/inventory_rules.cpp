// SPDX-License-Identifier: Apache-2.0
// Scan-level inventory rules: they compare endpoints with each other ("an inventory that checks
// itself", HICP practice 5). Each is a pure function of the observations of the whole scan and
// returns one verdict per asset it judged.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dicom_common.hpp"
#include "evaluators.hpp"
#include "identity.hpp"
#include "inventory_common.hpp"

namespace pacscan::rules {

namespace {

// ---------------------------------------------------------------- own AE titles

struct OwnTitle {
  std::string title;
  std::string how;     // how it was learnt, for the evidence
  bool firm = true;    // false: only a capture shows a client using it
};

// Titles that are evidence of the server's own title: not one it merely accepted among any.
std::map<Endpoint, std::vector<OwnTitle>> own_titles(const ScanView& sv) {
  std::map<Endpoint, std::vector<OwnTitle>> out;
  auto add = [&](const Endpoint& ep, std::string title, std::string how, bool firm) {
    title = trim_ae(std::move(title));
    if (title.empty()) return;
    auto& list = out[ep];
    for (auto& t : list) {
      if (t.title == title) {
        if (firm && !t.firm) t = {title, how, firm};
        return;
      }
    }
    list.push_back({std::move(title), std::move(how), firm});
  };
  for (const auto& v : sv.endpoints) {
    if (const auto* p = v.get<AePolicyData>()) {
      if (p->any_called == Tri::no && !p->working_called_ae.empty()) {
        add(v.ep, p->working_called_ae,
            fmt::format("accepted as called AE title while the random title '{}' was rejected "
                        "(title {})",
                        p->random_called_ae, dicom::called_source_text(p->working_called_source)),
            true);
      }
      if (!p->recognized_called_ae.empty()) {
        add(v.ep, p->recognized_called_ae,
            "recognised as its own: the reject reason turned to 'calling AE title not "
            "recognized' for this called title",
            true);
      }
    }
    if (const auto* h = v.get<HttpData>()) {
      const auto& o = h->orthanc;
      if (o.readable && !o.dicom_aet.empty() && o.dicom_port > 0 && o.dicom_port < 65536) {
        add(Endpoint{v.ep.ip, static_cast<std::uint16_t>(o.dicom_port)}, o.dicom_aet,
            fmt::format("reported as DicomAet by the Orthanc REST API on port {}", v.ep.port),
            true);
      }
    }
    for (const auto* p : v.all<PassiveData>()) {
      if (!p->ac_seen || p->called_ae.empty()) continue;
      add(v.ep, p->called_ae,
          fmt::format("called by {} in a capture and accepted (the server may accept any title)",
                      p->client_ip),
          false);
    }
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- ASSET-AE-TITLE-DUPLICATE

namespace {

// The endpoints that use one AE title as their own (own_titles lists a title once per endpoint).
struct TitleUsers {
  std::vector<std::pair<Endpoint, const OwnTitle*>> users;
  std::vector<std::string> eps;  // the users' endpoints, as text
  std::size_t hosts = 0;         // distinct addresses among them
  std::size_t tentative = 0;     // users known only from a capture
};

}  // namespace

std::vector<AssetHit> eval_ae_title_duplicate(const ScanView& sv) {
  const auto titles = own_titles(sv);
  std::map<std::string, TitleUsers> by_title;
  for (const auto& [ep, list] : titles) {
    for (const auto& t : list) by_title[t.title].users.push_back({ep, &t});
  }
  for (auto& [title, g] : by_title) {
    std::set<Ipv4> ips;
    for (const auto& [ep, t] : g.users) {
      g.eps.push_back(ep.str());
      ips.insert(ep.ip);
      if (!t->firm) g.tentative++;
    }
    g.hosts = ips.size();
  }
  std::vector<AssetHit> out;
  std::set<Endpoint> judged;
  for (const auto& [ep, list] : titles) {
    judged.insert(ep);
    bool failed = false;
    for (const auto& t : list) {
      const auto& g = by_title.at(t.title);
      if (g.users.size() < 2) continue;
      // What is said of the others is made from the group once, not by walking it for each of
      // its members: a title shared by thousands of endpoints stays linear.
      const bool other_host = g.hosts >= 2;
      const bool firm = t.firm && g.tentative == 0;
      // this endpoint first, then up to 10 others (the summary counts them all)
      std::vector<std::string> ev{fmt::format("'{}' at {}: {}", t.title, ep.str(), t.how)};
      std::vector<std::string> others;
      for (std::size_t i = 0; i < g.users.size() && others.size() < 10; ++i) {
        if (g.users[i].first == ep) continue;
        ev.push_back(fmt::format("'{}' at {}: {}", t.title, g.eps[i], g.users[i].second->how));
        others.push_back(g.eps[i]);
      }
      if (!other_host) {
        ev.push_back("all on one host: if one application listens on several ports this is "
                     "expected; if they are different applications, a peer addressing the title "
                     "cannot tell them apart");
      }
      auto h = fail(other_host ? Severity::medium : Severity::low,
                    fmt::format("AE title '{}' is also the title of {}", t.title,
                                capped_list_of(others, g.users.size() - 1)),
                    std::move(ev), {"dicom_ae_policy", "http_imaging", "passive_dicom"},
                    EvidenceLevel::observed, firm ? Confidence::confirmed : Confidence::tentative);
      h.discriminator = t.title;
      h.related = std::move(others);
      out.push_back({ep, std::move(h)});
      failed = true;
    }
    if (!failed) {
      std::vector<std::string> names;
      for (const auto& t : list) names.push_back("'" + t.title + "'");
      out.push_back({ep, pass(fmt::format("AE title {} is used by no other endpoint of this scan",
                                          fmt::join(names, ", ")))});
    }
  }
  for (const auto& v : sv.endpoints) {
    if (judged.count(v.ep) || !dicom_endpoint(v)) continue;
    const auto* p = v.get<AePolicyData>();
    std::string why;
    if (!p) {
      why = missing(v, "dicom_ae_policy");
    } else if (p->any_called == Tri::yes) {
      why = "it accepts any called AE title, so its own title cannot be told from the titles it "
            "merely accepts";
    } else {
      why = "no called AE title was accepted or recognised (give known titles with --called-aet)";
    }
    out.push_back({v.ep, not_evaluated("own AE title unknown: " + why)});
  }
  return out;
}

// ---------------------------------------------------------------- ASSET-IMPL-MIXED

std::vector<AssetHit> eval_impl_mixed(const ScanView& sv) {
  std::vector<AssetHit> out;
  for (const auto& [ip, idx] : sv.by_host) {
    std::vector<const EndpointView*> dicom;
    for (auto i : idx) {
      if (dicom_endpoint(sv.endpoints[i])) dicom.push_back(&sv.endpoints[i]);
    }
    if (dicom.size() < 2) continue;  // one DICOM port: nothing to compare
    std::map<std::string, std::vector<std::uint16_t>> ids;
    std::vector<std::string> unknown;
    for (const auto* v : dicom) {
      if (auto a = identity::announced(*v)) {
        ids[identity::describe(*a)].push_back(v->ep.port);
      } else {
        unknown.push_back(std::to_string(v->ep.port));
      }
    }
    const Endpoint host{ip, 0};
    std::size_t known = 0;
    for (const auto& [id, ports] : ids) known += ports.size();
    if (ids.size() >= 2) {
      std::vector<std::string> ev;
      for (const auto& [id, ports] : ids) {
        std::vector<std::string> p;
        for (auto port : ports) p.push_back(std::to_string(port));
        std::string who;
        const std::string uid = id.substr(0, id.find(' '));
        if (const auto* e = identity::owner_of_uid(uid)) who = " (" + e->name + ")";
        ev.push_back(fmt::format("port{} {}: {}{}", p.size() > 1 ? "s" : "", fmt::join(p, ", "),
                                 id, who));
      }
      if (!unknown.empty()) {
        ev.push_back(fmt::format("port(s) {}: no A-ASSOCIATE-AC, identity unknown",
                                 fmt::join(unknown, ", ")));
      }
      ev.push_back("several DICOM implementations on one address: several applications, a NAT "
                   "or port forward to several devices, or a decoy; each needs its own entry in "
                   "the inventory and its own patching");
      out.push_back({host, fail(Severity::low,
                                fmt::format("{} presents {} different DICOM implementation "
                                            "identities",
                                            ip.str(), ids.size()),
                                std::move(ev), {"dicom_associate", "dicom_ae_policy"},
                                EvidenceLevel::observed, Confidence::confirmed)});
    } else if (known < 2) {
      out.push_back({host, not_evaluated(fmt::format(
                               "{} DICOM ports, but an implementation identity (A-ASSOCIATE-AC) "
                               "was seen on {} of them",
                               dicom.size(), known))});
    } else {
      out.push_back({host, pass(fmt::format("{} DICOM ports announce the same implementation ({})",
                                            known, ids.begin()->first))});
    }
  }
  return out;
}

// ---------------------------------------------------------------- ASSET-IMPL-CONTRADICTION

namespace {

// "1.2.276.0.7230010.3.0.3.6.7" -> "367"; "" when not DCMTK's per-release class UID.
std::string dcmtk_uid_version(const std::string& uid) {
  const std::string root = "1.2.276.0.7230010.3.0.";
  if (uid.rfind(root, 0) != 0) return "";
  std::string digits;
  for (char c : uid.substr(root.size())) {
    if (c == '.') continue;
    if (c < '0' || c > '9') return "";
    digits += c;
  }
  return digits;
}

}  // namespace

std::vector<AssetHit> eval_impl_contradiction(const ScanView& sv) {
  // Orthanc REST /system per host: which DICOM port it says it serves.
  std::map<Endpoint, std::pair<std::string, std::uint16_t>> orthanc_ports;  // DICOM ep -> (ver, http)
  for (const auto& v : sv.endpoints) {
    const auto* h = v.get<HttpData>();
    if (!h || !h->orthanc.readable || h->orthanc.dicom_port <= 0 || h->orthanc.dicom_port > 65535) {
      continue;
    }
    orthanc_ports[Endpoint{v.ep.ip, static_cast<std::uint16_t>(h->orthanc.dicom_port)}] = {
        h->orthanc.version, v.ep.port};
  }
  std::vector<AssetHit> out;
  for (const auto& v : sv.endpoints) {
    if (!dicom_endpoint(v)) continue;
    const auto a = identity::announced(v);
    if (!a) {
      out.push_back({v.ep, not_evaluated("no A-ASSOCIATE-AC received, so no implementation "
                                         "identity to check")});
      continue;
    }
    if (a->uid.empty()) {
      out.push_back({v.ep, not_evaluated("the A-ASSOCIATE-AC carried no Implementation Class UID "
                                         "(see ASSET-DECOY-SUSPECTED)")});
      continue;
    }
    std::vector<std::string> ev;
    Confidence conf = Confidence::tentative;
    if (const auto* t = identity::toolkit_named_by_version(a->version);
        t && !identity::uid_matches(t->uid, a->uid)) {
      const auto* owner = identity::owner_of_uid(a->uid);
      ev.push_back(fmt::format("version name '{}' is {}'s, but class UID {} is not under {}'s "
                               "root {}{} (source: {})",
                               a->version, t->name, a->uid, t->name, t->uid,
                               owner ? fmt::format("; it belongs to {}", owner->name) : "",
                               t->source));
    }
    const std::string uid_ver = dcmtk_uid_version(a->uid);
    const std::string prefix = "OFFIS_DCMTK_";
    if (!uid_ver.empty() && a->version.rfind(prefix, 0) == 0 &&
        a->version.substr(prefix.size()) != uid_ver) {
      ev.push_back(fmt::format("DCMTK derives both from one release number, but class UID {} "
                               "says {} and version name '{}' says {}",
                               a->uid, uid_ver, a->version, a->version.substr(prefix.size())));
      conf = Confidence::confirmed;
    }
    if (auto it = orthanc_ports.find(v.ep); it != orthanc_ports.end()) {
      const auto* base = identity::built_on("Orthanc");
      const auto* tk = base ? identity::toolkit(base->uid) : nullptr;
      if (tk && !identity::uid_matches(tk->uid, a->uid)) {
        ev.push_back(fmt::format("the Orthanc REST API on port {} (version {}) names this port "
                                 "as its DICOM port, but Orthanc announces the identity of {} "
                                 "({}), and this port announces {} (source: {})",
                                 it->second.second, it->second.first, tk->name, tk->uid,
                                 identity::describe(*a), base->source));
      }
    }
    if (ev.empty()) {
      const auto* owner = identity::owner_of_uid(a->uid);
      out.push_back({v.ep, pass(fmt::format("{}{}: nothing contradicts it", identity::describe(*a),
                                            owner ? " (" + owner->name + ")" : ""))});
      continue;
    }
    ev.insert(ev.begin(), fmt::format("announced {} ({})", identity::describe(*a), a->probe));
    auto h = fail(Severity::low,
                  fmt::format("implementation identity {} contradicts itself",
                              identity::describe(*a)),
                  std::move(ev), {a->probe, "http_imaging"}, EvidenceLevel::observed, conf);
    // No discriminator: the ticket ("find out what this device runs") outlives a version change.
    out.push_back({v.ep, std::move(h)});
  }
  return out;
}

// ---------------------------------------------------------------- ASSET-HOST-ROLE

std::vector<AssetHit> eval_host_role(const ScanView& sv) {
  std::vector<AssetHit> out;
  if (!sv.observations) return out;
  for (const auto& [ip, role] : guess_roles(*sv.observations)) {
    const Endpoint host{ip, 0};
    if (role.roles.empty() || role.roles == std::vector<std::string>{"not-imaging"}) {
      if (sv.by_host.count(ip)) out.push_back({host, pass("no imaging service seen on this host")});
      continue;
    }
    std::vector<std::string> labels;
    for (const auto& r : role.roles) labels.push_back(role_label(r));
    auto h = fail(Severity::info,
                  fmt::format("role: {} (confidence {})", fmt::join(labels, "; "),
                              role.confidence),
                  role.evidence, {"dicom_services", "dicom_null_query", "http_imaging",
                                   "passive_dicom"},
                  EvidenceLevel::observed,
                  role.confidence == "high" ? Confidence::confirmed : Confidence::tentative);
    out.push_back({host, std::move(h)});
  }
  return out;
}

}  // namespace pacscan::rules
