// SPDX-License-Identifier: Apache-2.0
// Findings and checks grouped and counted the way the reports show them.
#include "report/common.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

namespace pacscan::report {
namespace detail {

namespace {

bool more_severe_first(const Finding* a, const Finding* b) {
  if (a->severity != b->severity) return a->severity > b->severity;
  if (a->rule_id != b->rule_id) return a->rule_id < b->rule_id;
  if (a->port != b->port) return a->port < b->port;
  return a->id < b->id;
}

}  // namespace

std::vector<const Finding*> findings_by_severity(const std::vector<Finding>& findings) {
  std::vector<const Finding*> out;
  for (const auto& f : findings) out.push_back(&f);
  std::stable_sort(out.begin(), out.end(), [](const Finding* a, const Finding* b) {
    if (a->severity != b->severity) return a->severity > b->severity;
    if (a->rule_id != b->rule_id) return a->rule_id < b->rule_id;
    if (a->ip != b->ip) return ip_less(a->ip, b->ip);
    return a->port < b->port;
  });
  return out;
}

std::vector<HostFindings> findings_by_host(const ScanResult& scan) {
  std::vector<HostFindings> out;
  std::map<std::string_view, std::size_t> index;  // ip -> position in out
  for (const auto& f : scan.findings) {
    const auto [it, added] = index.try_emplace(f.ip, out.size());
    if (added) out.push_back({f.ip, {}});
    out[it->second].findings.push_back(&f);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return ip_less(a.ip, b.ip); });
  for (auto& h : out) std::stable_sort(h.findings.begin(), h.findings.end(), more_severe_first);
  return out;
}

bool known_peer_finding(const Finding& f) {
  const auto* r = rules::find_rule(f.rule_id);
  return r && r->known_peer;
}

std::vector<HostFindings> findings_by_host(const ScanResult& scan, bool known_peer) {
  auto hosts = findings_by_host(scan);
  for (auto& h : hosts) {
    std::erase_if(h.findings, [&](const Finding* f) { return known_peer_finding(*f) != known_peer; });
  }
  std::erase_if(hosts, [](const HostFindings& h) { return h.findings.empty(); });
  return hosts;
}

std::map<Severity, int> count_by_severity(const std::vector<Finding>& findings) {
  std::map<Severity, int> out;
  for (Severity s : k_severities_desc) out[s] = 0;
  for (const auto& f : findings) out[f.severity]++;
  return out;
}

std::map<int, int> count_by_hicp(const std::vector<Finding>& findings) {
  std::map<int, int> out;
  for (const auto& f : findings) {
    std::set<int> seen(f.hicp.begin(), f.hicp.end());
    for (int p : seen) out[p]++;
  }
  return out;
}

std::vector<RuleCount> findings_by_rule(const std::vector<Finding>& findings) {
  std::vector<RuleCount> out;
  std::map<std::string_view, std::size_t> rule_at;  // rule id -> position in out
  std::set<std::pair<std::string_view, std::string_view>> listed;  // (rule id, asset)
  for (const auto& f : findings) {
    const auto [it, added] = rule_at.try_emplace(f.rule_id, out.size());
    if (added) out.push_back({f.rule_id, f.title, f.severity, {}});
    auto& r = out[it->second];
    r.severity = std::max(r.severity, f.severity);
    if (listed.emplace(f.rule_id, f.asset).second) r.assets.push_back(f.asset);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.rule_id < b.rule_id;
  });
  return out;
}

std::vector<PassCount> passes_by_rule(const ScanResult& scan) {
  std::vector<PassCount> out;
  for (const auto& c : scan.checks) {
    if (c.verdict != Verdict::pass) continue;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.rule_id == c.rule_id; });
    if (it == out.end()) {
      const auto* spec = rules::find_rule(c.rule_id);
      out.push_back({c.rule_id, spec ? std::string(spec->title) : std::string(), 0});
      it = out.end() - 1;
    }
    it->assets++;
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.rule_id < b.rule_id; });
  return out;
}

std::vector<const Check*> not_evaluated(const ScanResult& scan) {
  std::vector<const Check*> out;
  for (const auto& c : scan.checks) {
    if (c.verdict == Verdict::not_evaluated) out.push_back(&c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Check* a, const Check* b) { return a->rule_id < b->rule_id; });
  return out;
}

std::vector<const Finding*> stopped_devices(const ScanResult& scan) {
  std::vector<const Finding*> out;
  for (const auto& f : scan.findings) {
    if (f.rule_id == k_stopped_rule) out.push_back(&f);
  }
  return out;
}

std::string decoy_note(const Finding& f) {
  return fmt::format("the host shows signs of a DICOM honeypot or decoy (finding {}): verify the "
                     "device with its owner before filing a ticket",
                     f.decoy_finding_id.empty() ? std::string("ASSET-DECOY-SUSPECTED")
                                                : f.decoy_finding_id);
}

std::string role_text(const ScanIndex& idx, const HostRecord& h) {
  std::vector<std::string> labels;
  for (const auto& r : h.role.roles) labels.push_back(role_label(r));
  if (labels.empty()) return "";
  std::string out = fmt::format("{} — {}", join(labels, "; "), h.role.confidence);
  if (idx.decoy_ips.contains(h.ip)) out += " — suspected decoy";
  return out;
}

const EndpointRecord* find_endpoint(const ScanResult& scan, const std::string& ip, int port) {
  for (const auto& e : scan.endpoints) {
    if (e.ip == ip && e.port == port) return &e;
  }
  return nullptr;
}

ScanIndex::ScanIndex(const ScanResult& s, const Diff* diff) : scan(s) {
  for (const auto& e : s.endpoints) endpoints.emplace(std::make_pair(e.ip, e.port), &e);
  for (const auto& h : s.hosts) hosts.emplace(h.ip, &h);
  for (const auto& f : s.findings) {
    if (f.rule_id == "DICOM-AE-ANY-CALLED") any_called.emplace(f.ip, f.port);
    if (f.suspected_decoy) decoy_ips.insert(f.ip);
  }
  // Only objects written and the known peer's observations (the "identity" key is written only
  // when there is one): other lines are not parsed.
  const std::string store_probe = fmt::format("\"probe\":\"{}\"", data_name<StoreTestData>());
  const std::string_view needles[] = {"\"identity\":", store_probe};
  for_each_observation(s, needles, [&](const Observation& o) {
    if (const auto* d = data_as<StoreTestData>(o)) {
      if (d->outcome != DimseOutcome::refused && d->outcome != DimseOutcome::not_sent) {
        written.push_back({o.ep.str(), d->called_ae,
                           d->outcome == DimseOutcome::stored
                               ? std::string("stored")
                               : fmt::format("possibly stored ({})", to_string(d->outcome)),
                           d->object});
      }
    }
    if (o.identity.empty()) return;
    const std::string asset = o.ep.str();
    if (const auto* t = data_as<TlsData>(o)) {
      credentials.push_back({asset, t->credential_subject, t->credential_sha256,
                             t->credential_result, t->credential_detail, {}});
    } else if (auto it = std::find_if(credentials.begin(), credentials.end(),
                                      [&](const CredentialView& c) { return c.asset == asset; });
               it != credentials.end() && o.outcome == Outcome::ok) {
      it->probes.push_back(o.probe);
    }
  });
  first_with_id.reserve(s.findings.size());
  std::unordered_set<std::string_view> taken;  // views of the IDs and of `renamed`'s names
  taken.reserve(s.findings.size());
  for (std::size_t i = 0; i < s.findings.size(); ++i) {
    const auto& id = s.findings[i].id;
    first_with_id.emplace(id, i);
    const std::string base = safe_id(id, i);
    std::string name = base;
    for (int n = 1; taken.contains(name); ++n) {
      name = fmt::format("{}-{}-{}", base.substr(0, 100), i + 1, n);
    }
    if (name == id) {
      taken.insert(id);
    } else {
      taken.insert(renamed.emplace(i, std::move(name)).first->second);
    }
  }
  if (diff) {
    for (const auto& c : diff->findings) {
      if (c.change == Change::added || c.change == Change::still_open) {
        open_changes.emplace(c.finding.id, c.change);
      }
    }
  }
}

std::string_view ScanIndex::name(std::size_t finding) const {
  if (auto it = renamed.find(finding); it != renamed.end()) return it->second;
  return scan.findings[finding].id;
}

const ScanIndex& index_of(const Context& ctx) {
  if (!ctx.index_cache) ctx.index_cache = std::make_shared<const ScanIndex>(ctx.scan, ctx.diff);
  return *static_cast<const ScanIndex*>(ctx.index_cache.get());
}

std::optional<Change> status_of(const Context& ctx, const Finding& f) {
  if (!ctx.diff) return std::nullopt;
  const auto& idx = index_of(ctx);
  const auto it = idx.open_changes.find(f.id);
  return it == idx.open_changes.end() ? Change::added : it->second;
}

std::string status_key(const Context& ctx, const Finding& f) {
  const auto s = status_of(ctx, f);
  return s ? change_key(*s) : "open";
}

std::string retest_command(const ScanResult& scan, const Finding& f) {
  return retest_command(ScanIndex(scan), f);
}

std::string retest_command(const ScanIndex& idx, const Finding& f) {
  std::string ip = f.ip;
  if (ip.empty()) ip = f.asset.substr(0, f.asset.find(':'));
  // The finding's own endpoint, a host-level finding's open ports, and the other endpoints a
  // whole-scan finding involves (a duplicate AE title is only seen with the other device).
  std::vector<std::string> targets{ip};
  std::vector<int> ports;
  auto add_port = [&](int p) {
    if (p > 0 && p < 65536 && std::find(ports.begin(), ports.end(), p) == ports.end()) {
      ports.push_back(p);
    }
  };
  add_port(f.port);
  if (f.port == 0) {
    const auto [from, to] = idx.hosts.equal_range(ip);
    for (auto it = from; it != to; ++it) {
      for (int p : it->second->open_ports) add_port(p);
    }
  }
  for (const auto& r : f.related) {
    const auto colon = r.rfind(':');
    const std::string rip = r.substr(0, colon);
    if (!Ipv4::parse(rip)) continue;  // scan.json is untrusted: only addresses get through
    if (std::find(targets.begin(), targets.end(), rip) == targets.end()) targets.push_back(rip);
    if (colon != std::string::npos) add_port(std::atoi(r.c_str() + colon + 1));
  }
  std::vector<std::string> quoted;
  for (const auto& t : targets) quoted.push_back(shell_quote(t));
  std::string cmd = fmt::format("pacscan scan {}", join(quoted, " "));
  if (!ports.empty()) cmd += fmt::format(" -p {}", fmt::join(ports, ","));
  cmd += " -o " + shell_quote("retest-" + safe_id(f.id, 0));
  // The called AE the server answered to, unless it answers to any (then it adds nothing), and
  // only when `pacscan scan --called-aet` would accept it.
  const auto ep = idx.endpoints.find(std::make_pair(f.ip, f.port));
  const EndpointRecord* e = ep == idx.endpoints.end() ? nullptr : ep->second;
  const bool any_called = idx.any_called.contains(std::make_pair(f.ip, f.port));
  if (e && targets.size() == 1 && !any_called && usable_called_ae(e->called_ae)) {
    cmd += " --called-aet " + shell_quote(e->called_ae);
  }
  return cmd;
}

}  // namespace detail

}  // namespace pacscan::report
