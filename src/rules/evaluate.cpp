// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <utility>

#include <fmt/format.h>

#include <pacscan/rules/rules.hpp>

namespace pacscan::rules {

const Outcome* EndpointView::outcome_of(std::string_view probe) const {
  for (const auto& [name, outcome] : probes) {
    if (name == probe) return &outcome;
  }
  return nullptr;
}

bool EndpointView::dicom_over_tls() const {
  const auto* t = get<TlsData>();
  return t && t->tls && t->association && t->association->valid_pdu();
}

void EndpointView::add(const Observation& o) {
  probes.emplace_back(o.probe, o.outcome);
  std::visit(
      [&](const auto& stored) {
        const auto& d = pacscan::detail::unbox(stored);
        using T = std::decay_t<decltype(d)>;
        if constexpr (!std::is_same_v<T, std::monostate>) {
          auto& slot = std::get<detail::Slot<T>>(m_slots);
          if constexpr (ProbeDataTraits<T>::view == ViewKind::all) {
            slot.data.push_back(&d);
          } else {
            slot.data = &d;
            slot.at = o.at;
          }
        }
      },
      o.data);
}

bool opens_endpoint(const Observation& o) {
  if (const auto* p = data_as<PortData>(o)) return p->state == PortState::open;
  return data_as<PassiveData>(o) != nullptr;
}

namespace {

template <typename T>
const T* first_of(const EndpointView& v) {
  if constexpr (ProbeDataTraits<T>::view == ViewKind::all) {
    return v.all<T>().empty() ? nullptr : v.all<T>().front();
  } else {
    return v.get<T>();
  }
}

template <typename... T>
bool judged_by(std::string_view need, const EndpointView& v, bool dicom, TypeList<T...>) {
  return ((need == data_name<T>() && ProbeDataTraits<T>::judged(first_of<T>(v), dicom)) || ...);
}

}  // namespace

std::vector<EndpointView> endpoint_views(const ScanResult& result, bool known_peer) {
  std::map<Endpoint, EndpointView> views;
  std::map<Ipv4, std::vector<std::uint16_t>> tls_ports;
  std::set<Endpoint> known_tls;  // DICOM answered over TLS to the site's certificate
  for (const auto& o : result.observations) {
    if (const auto* t = data_as<TlsData>(o);
        t && !o.identity.empty() && t->association && t->association->valid_pdu()) {
      known_tls.insert(o.ep);
    }
    if (o.identity.empty() == known_peer) continue;  // the other view's
    auto it = views.find(o.ep);
    if (it == views.end()) {
      // The known peer's observations are made on open ports only; the unknown peer's view
      // starts at the sweep's open port (or a capture's association).
      if (!known_peer && !opens_endpoint(o)) continue;
      it = views.emplace(o.ep, EndpointView{}).first;
      it->second.ep = o.ep;
      it->second.known_peer = known_peer;
    }
    if (const auto* p = data_as<PortData>(o); p && p->state != PortState::open) continue;
    it->second.add(o);
  }
  for (const auto& [ep, v] : views) {
    if (v.dicom_over_tls() || known_tls.contains(ep)) tls_ports[ep.ip].push_back(ep.port);
  }
  std::vector<EndpointView> out;
  for (auto& [ep, v] : views) {
    if (auto it = tls_ports.find(ep.ip); it != tls_ports.end()) {
      v.host_offers_tls = true;
      v.host_tls_ports = it->second;
    }
    out.push_back(std::move(v));
  }
  return out;
}

ScanView scan_view(const ScanResult& result) {
  ScanView sv;
  sv.endpoints = endpoint_views(result);
  sv.observations = &result.observations;
  for (std::size_t i = 0; i < sv.endpoints.size(); ++i) {
    sv.by_host[sv.endpoints[i].ep.ip].push_back(i);
  }
  return sv;
}

bool read_by_scan_rules(const Observation& o) {
  return !data_as<AppContextData>(o) && !data_as<UserIdentityData>(o) &&
         !data_as<DataQueryData>(o) && !data_as<MoveSelfData>(o) && !data_as<StoreTestData>(o);
}

bool rule_applies(const RuleSpec& rule, const EndpointView& v) {
  const bool dicom = v.speaks_dicom();
  for (std::string_view need : rule.needs) {
    if (judged_by(need, v, dicom, AllProbeData{})) return true;
  }
  return false;
}

namespace {

// std::stable_sort, without its buffer of n elements on top of the findings and checks (11 MB at
// 2,000 endpoints): the order is found on indices, then each element is moved once, cycle by
// cycle.
template <class T, class Less>
void stable_sort_by_index(std::vector<T>& v, Less less) {
  std::vector<std::uint32_t> order(v.size());
  std::iota(order.begin(), order.end(), 0U);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return less(v[a], v[b]); });
  for (std::uint32_t i = 0; i < order.size(); ++i) {  // v[i] becomes the old v[order[i]]
    if (order[i] == i) continue;
    T first = std::move(v[i]);
    std::uint32_t j = i;
    for (; order[j] != i; j = std::exchange(order[j], j)) v[j] = std::move(v[order[j]]);
    v[j] = std::move(first);
    order[j] = j;
  }
}

// One verdict of a rule on one asset: a check, and a finding when it failed.
void record(std::vector<Finding>& findings, std::vector<Check>& checks, TextPool& texts,
            const RuleSpec& rule, const Endpoint& ep, RuleHit hit) {
  const std::string asset = ep.port > 0 ? ep.str() : ep.ip.str();
  Check check{texts(rule.id), asset, hit.verdict, texts(hit.reason)};
  if (hit.verdict == Verdict::fail) {
    Finding f;
    f.rule_id = check.rule_id;
    f.title = texts(rule.title);
    f.severity = hit.severity;
    f.ip = ep.ip.str();
    f.port = ep.port;
    f.asset = asset;
    f.discriminator = hit.discriminator;
    f.id = finding_id(f.rule_id, f.asset, f.discriminator);
    f.evidence_level = hit.level;
    f.confidence = hit.confidence;
    f.summary = texts(hit.summary);
    f.evidence.reserve(hit.evidence.size());
    for (const auto& e : hit.evidence) f.evidence.push_back(texts(e));
    f.probes = std::move(hit.probes);
    f.related = std::move(hit.related);
    f.hicp = rule.hicp;
    f.vendor_action = rule.vendor_action;
    f.remediation = texts(rule.remediation);
    check.reason = f.summary;
    findings.push_back(std::move(f));
  }
  checks.push_back(std::move(check));
}

// Every finding on a host where a `marks_decoy` rule failed is marked, pointing at the finding
// that holds the evidence (the lowest port's, when several ports show it).
void mark_decoys(ScanResult& result) {
  std::map<std::string, const Finding*> decoy_by_ip;
  for (const auto& f : result.findings) {
    const auto* rule = find_rule(f.rule_id);
    if (!rule || !rule->marks_decoy) continue;
    auto [it, fresh] = decoy_by_ip.emplace(f.ip, &f);
    if (!fresh && f.port < it->second->port) it->second = &f;
  }
  std::map<std::string, std::string> id_by_ip;
  for (const auto& [ip, f] : decoy_by_ip) id_by_ip[ip] = f->id;
  for (auto& f : result.findings) {
    auto it = id_by_ip.find(f.ip);
    if (it == id_by_ip.end()) continue;
    f.suspected_decoy = true;
    f.decoy_finding_id = it->second;
  }
}

}  // namespace

void judge(const ScanResult& part, std::vector<Finding>& findings, std::vector<Check>& checks,
           TextPool& texts) {
  const auto views = endpoint_views(part);
  const auto known_views = endpoint_views(part, true);  // with the site's client certificate
  for (const auto& rule : catalogue()) {
    if (!rule.evaluate) continue;
    for (const auto& v : rule.known_peer ? known_views : views) {
      if (!rule_applies(rule, v)) continue;
      record(findings, checks, texts, rule, v.ep, rule.evaluate(v));
    }
  }
}

void judge_scan(const ScanView& sv, std::vector<Finding>& findings, std::vector<Check>& checks,
                TextPool& texts) {
  for (const auto& rule : catalogue()) {
    if (!rule.evaluate_scan) continue;
    for (auto& h : rule.evaluate_scan(sv)) {
      record(findings, checks, texts, rule, h.ep, std::move(h.hit));
    }
  }
}

void finish(ScanResult& result) {
  std::vector<std::string> unimplemented;
  std::map<std::string_view, std::size_t> rank;
  for (const auto& rule : catalogue()) {
    if (!implemented(rule)) unimplemented.emplace_back(rule.id);
    rank.emplace(rule.id, rank.size());
  }
  // Rule by rule, as evaluate() judges (parts come in address order, so each rule's checks stay
  // in endpoint order).
  const auto rank_of = [&](const std::string& id) {
    const auto it = rank.find(id);
    return it == rank.end() ? rank.size() : it->second;
  };
  stable_sort_by_index(result.checks, [&](const Check& a, const Check& b) {
    return rank_of(a.rule_id) < rank_of(b.rule_id);
  });
  mark_decoys(result);
  if (!unimplemented.empty()) {
    std::string list;
    for (const auto& id : unimplemented) list += (list.empty() ? "" : ", ") + id;
    auto note = fmt::format(
        "Not evaluated in this version (the probes they need are not built yet): {}", list);
    if (std::find(result.meta.notes.begin(), result.meta.notes.end(), note) ==
        result.meta.notes.end()) {
      result.meta.notes.push_back(std::move(note));
    }
  }
  stable_sort_by_index(result.findings, [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    const auto ia = Ipv4::parse(a.ip), ib = Ipv4::parse(b.ip);
    if (ia && ib && *ia != *ib) return *ia < *ib;
    if (a.port != b.port) return a.port < b.port;
    return a.rule_id < b.rule_id;
  });
}

void evaluate(ScanResult& result) {
  result.findings.clear();
  result.checks.clear();
  TextPool texts;
  judge(result, result.findings, result.checks, texts);
  judge_scan(scan_view(result), result.findings, result.checks, texts);
  finish(result);
}

}  // namespace pacscan::rules
