// SPDX-License-Identifier: Apache-2.0
// Scan-level inventory rule ASSET-CLONED-CONFIG: endpoints on several hosts configured alike (the
// other inventory rules are in inventory_rules.cpp).
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dicom_common.hpp"
#include "evaluators.hpp"
#include "identity.hpp"
#include "inventory_common.hpp"

namespace pacscan::rules {

// ---------------------------------------------------------------- ASSET-CLONED-CONFIG

namespace {

// How an endpoint is configured, from what the probes saw, without anything random (titles we
// made up, times). Empty when too little was seen to compare.
std::string config_fingerprint(const EndpointView& v) {
  const auto* s = v.get<ServicesData>();
  const auto* p = v.get<AePolicyData>();
  if (!s || !p || s->attempt.outcome != Outcome::ok) return "";
  const auto a = identity::announced(v);
  std::vector<std::string> accepted;
  for (const auto& c : s->attempt.contexts) {
    accepted.push_back(fmt::format("{}={}", c.abstract_syntax, c.result));
  }
  std::sort(accepted.begin(), accepted.end());
  const bool own = p->any_called == Tri::no;
  return fmt::format("port={};impl={};called={};own={};calling={};admitted={};contexts={}",
                     v.ep.port, a ? identity::describe(*a) : "?", to_string_tri(p->any_called),
                     own ? trim_ae(p->working_called_ae) : "",
                     to_string_tri(p->any_calling),
                     p->admitted_calling_source == AeSource::well_known ? p->admitted_calling_ae
                                                                        : "",
                     fmt::join(accepted, ","));
}

std::string cert_fingerprint(const EndpointView& v) {
  const auto* t = v.get<TlsData>();
  if (!t || !t->tls || t->chain.empty()) return "";
  const auto& c = t->chain.front();
  if (c.serial.empty()) return "";
  // Issuer and serial number identify a certificate (RFC 5280 4.1.2.2).
  return "issuer=" + c.issuer + ";serial=" + c.serial + ";subject=" + c.subject;
}

}  // namespace

std::vector<AssetHit> eval_cloned_config(const ScanView& sv) {
  constexpr std::size_t k_min_hosts = 3;  // "many": two alike can be a pair bought together
  std::map<std::string, std::vector<const EndpointView*>> by_config, by_cert;
  for (const auto& v : sv.endpoints) {
    if (auto f = config_fingerprint(v); !f.empty()) by_config[f].push_back(&v);
    if (auto c = cert_fingerprint(v); !c.empty()) by_cert[c].push_back(&v);
  }
  auto hosts_of = [](const std::vector<const EndpointView*>& list) {
    std::set<Ipv4> h;
    for (const auto* v : list) h.insert(v->ep.ip);
    return h;
  };
  std::vector<AssetHit> out;
  for (const auto& v : sv.endpoints) {
    const auto cfg = config_fingerprint(v);
    const auto cert = cert_fingerprint(v);
    if (cfg.empty() && cert.empty()) {
      if (dicom_endpoint(v)) {
        out.push_back({v.ep, not_evaluated(
                                 "configuration not observed: no services association was "
                                 "accepted and no TLS certificate was seen")});
      }
      continue;
    }
    bool failed = false;
    if (!cert.empty()) {
      const auto& peers = by_cert[cert];
      const auto hosts = hosts_of(peers);
      if (hosts.size() >= 2) {
        const auto& c = v.get<TlsData>()->chain.front();
        std::vector<std::string> where;
        for (const auto* p : peers) where.push_back(p->ep.str());
        auto h = fail(Severity::medium,
                      fmt::format("the same TLS certificate (serial {}) is served by {} hosts",
                                  c.serial, hosts.size()),
                      {fmt::format("certificate subject '{}', issuer '{}', serial {}", c.subject,
                                   c.issuer, c.serial),
                       fmt::format("served by {}", capped_list(where)),
                       "one certificate means one private key on every device: whoever extracts "
                       "it from one can impersonate all of them"},
                      {"dicom_tls"}, EvidenceLevel::observed, Confidence::confirmed);
        // One ticket per device and kind: a replaced but still shared certificate is the same
        // problem, still open (`pacscan diff`), not a new one.
        h.discriminator = "cert";
        for (const auto* p : peers) {
          if (p->ep != v.ep && h.related.size() < 10) h.related.push_back(p->ep.str());
        }
        out.push_back({v.ep, std::move(h)});
        failed = true;
      }
    }
    if (!cfg.empty()) {
      const auto& peers = by_config[cfg];
      const auto hosts = hosts_of(peers);
      if (hosts.size() >= k_min_hosts) {
        std::vector<std::string> where;
        for (const auto* p : peers) where.push_back(p->ep.str());
        const auto* p = v.get<AePolicyData>();
        const auto* s = v.get<ServicesData>();
        std::vector<std::string> accepted;
        for (const auto& c : s->attempt.contexts) {
          if (c.result == 0) accepted.push_back(c.name.empty() ? c.abstract_syntax : c.name);
        }
        const auto a = identity::announced(v);
        std::vector<std::string> ev{
            fmt::format("{} hosts answer identically on port {}: {}", hosts.size(), v.ep.port,
                        capped_list(where)),
            fmt::format("same implementation: {}", a ? identity::describe(*a) : "unknown"),
            fmt::format("same AE policy: any called title {}, any calling title {}{}",
                        to_string_tri(p->any_called), to_string_tri(p->any_calling),
                        p->any_called == Tri::no && !p->working_called_ae.empty()
                            ? fmt::format(", own title '{}'", p->working_called_ae)
                            : ""),
            fmt::format("same accepted contexts: {}",
                        accepted.empty() ? std::string("none") : fmt::format("{}", fmt::join(accepted, ", ")))};
        const bool open = p->any_calling == Tri::yes;
        ev.push_back(open ? "and that configuration accepts any peer: a default deployed as it "
                            "came, on every one of them"
                          : "a site standard is fine when it was hardened: check it was");
        auto h = fail(open ? Severity::medium : Severity::low,
                      fmt::format("configuration identical on {} hosts (mass-deployed default?)",
                                  hosts.size()),
                      std::move(ev), {"dicom_ae_policy", "dicom_services"},
                      EvidenceLevel::observed, Confidence::confirmed);
        h.discriminator = "config";
        for (const auto* peer : peers) {
          if (peer->ep != v.ep && h.related.size() < 10) h.related.push_back(peer->ep.str());
        }
        out.push_back({v.ep, std::move(h)});
        failed = true;
      }
    }
    if (!failed) {
      std::size_t n = cfg.empty() ? 0 : hosts_of(by_config[cfg]).size();
      out.push_back({v.ep, pass(fmt::format(
                               "configuration shared with {} other host(s) (reported from {}); "
                               "TLS certificate {}",
                               n > 0 ? n - 1 : 0, k_min_hosts,
                               cert.empty() ? "not seen" : "not served by another host"))});
    }
  }
  return out;
}

}  // namespace pacscan::rules
