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

namespace {

// Endpoints that share one fingerprint. What their findings list about the group is made once
// per group, not once per member: a farm of 1000 alike made it a million times (0.12 s).
struct Clones {
  std::vector<const EndpointView*> peers;
  std::size_t hosts = 0;
  std::string where;  // capped list of the peers

  void seal() {
    std::set<Ipv4> h;
    std::vector<std::string> eps;
    for (const auto* v : peers) {
      h.insert(v->ep.ip);
      eps.push_back(v->ep.str());
    }
    hosts = h.size();
    where = capped_list(eps);
  }
  // The first 10 peers other than `ep`.
  std::vector<std::string> related(const Endpoint& ep) const {
    std::vector<std::string> out;
    for (const auto* p : peers) {
      if (out.size() >= 10) break;
      if (p->ep != ep) out.push_back(p->ep.str());
    }
    return out;
  }
};

}  // namespace

std::vector<AssetHit> eval_cloned_config(const ScanView& sv) {
  constexpr std::size_t k_min_hosts = 3;  // "many": two alike can be a pair bought together
  std::vector<std::string> cfgs, certs;  // per endpoint of sv.endpoints
  std::map<std::string, Clones> by_config, by_cert;
  for (const auto& v : sv.endpoints) {
    cfgs.push_back(config_fingerprint(v));
    certs.push_back(cert_fingerprint(v));
    if (!cfgs.back().empty()) by_config[cfgs.back()].peers.push_back(&v);
    if (!certs.back().empty()) by_cert[certs.back()].peers.push_back(&v);
  }
  for (auto* groups : {&by_config, &by_cert}) {
    for (auto& [fingerprint, g] : *groups) g.seal();
  }
  std::vector<AssetHit> out;
  for (std::size_t i = 0; i < sv.endpoints.size(); ++i) {
    const auto& v = sv.endpoints[i];
    const auto& cfg = cfgs[i];
    const auto& cert = certs[i];
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
      const auto& g = by_cert.at(cert);
      if (g.hosts >= 2) {
        const auto& c = v.get<TlsData>()->chain.front();
        auto h = fail(Severity::medium,
                      fmt::format("the same TLS certificate (serial {}) is served by {} hosts",
                                  c.serial, g.hosts),
                      {fmt::format("certificate subject '{}', issuer '{}', serial {}", c.subject,
                                   c.issuer, c.serial),
                       fmt::format("served by {}", g.where),
                       "one certificate means one private key on every device: whoever extracts "
                       "it from one can impersonate all of them"},
                      {"dicom_tls"}, EvidenceLevel::observed, Confidence::confirmed);
        // One ticket per device and kind: a replaced but still shared certificate is the same
        // problem, still open (`pacscan diff`), not a new one.
        h.discriminator = "cert";
        h.related = g.related(v.ep);
        out.push_back({v.ep, std::move(h)});
        failed = true;
      }
    }
    if (!cfg.empty()) {
      const auto& g = by_config.at(cfg);
      if (g.hosts >= k_min_hosts) {
        const auto* p = v.get<AePolicyData>();
        const auto* s = v.get<ServicesData>();
        std::vector<std::string> accepted;
        for (const auto& c : s->attempt.contexts) {
          if (c.result == 0) accepted.push_back(c.name.empty() ? c.abstract_syntax : c.name);
        }
        const auto a = identity::announced(v);
        std::vector<std::string> ev{
            fmt::format("{} hosts answer identically on port {}: {}", g.hosts, v.ep.port,
                        g.where),
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
                                  g.hosts),
                      std::move(ev), {"dicom_ae_policy", "dicom_services"},
                      EvidenceLevel::observed, Confidence::confirmed);
        h.discriminator = "config";
        h.related = g.related(v.ep);
        out.push_back({v.ep, std::move(h)});
        failed = true;
      }
    }
    if (!failed) {
      const std::size_t n = cfg.empty() ? 0 : by_config.at(cfg).hosts;
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
