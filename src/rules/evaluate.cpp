#include <algorithm>
#include <map>

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
  return tls && tls->tls && tls->association && tls->association->valid_pdu();
}

std::vector<EndpointView> endpoint_views(const ScanResult& result) {
  std::map<Endpoint, EndpointView> views;
  for (const auto& o : result.observations) {
    if (const auto* p = data_as<PortData>(o)) {
      if (p->state != PortState::open) continue;
      auto& v = views[o.ep];
      v.ep = o.ep;
      v.port = p;
      continue;
    }
    auto it = views.find(o.ep);
    if (it == views.end() && o.probe == "passive_dicom") {  // captures have no sweep
      it = views.emplace(o.ep, EndpointView{}).first;
      it->second.ep = o.ep;
    }
    if (it == views.end()) continue;  // active probes only run on open ports
    auto& v = it->second;
    v.probes.emplace_back(o.probe, o.outcome);
    if (const auto* a = data_as<AssociateData>(o)) v.associate = a;
    else if (const auto* e = data_as<EchoData>(o)) v.echo = e;
    else if (const auto* p2 = data_as<AePolicyData>(o)) v.ae_policy = p2;
    else if (const auto* s = data_as<ServicesData>(o)) v.services = s;
    else if (const auto* q = data_as<NullQueryData>(o)) v.null_query = q;
    else if (const auto* dq = data_as<DataQueryData>(o)) v.data_query = dq;
    else if (const auto* st = data_as<StoreTestData>(o)) v.store_test = st;
    else if (const auto* ms = data_as<MoveSelfData>(o)) v.move_self = ms;
    else if (const auto* u = data_as<UserIdentityData>(o)) v.user_identity = u;
    else if (const auto* h = data_as<HttpData>(o)) v.http = h;
    else if (const auto* t = data_as<TlsData>(o)) {
      v.tls = t;
      v.tls_at = o.at;
    }
    else if (const auto* pd = data_as<PassiveData>(o)) v.passive.push_back(pd);
  }
  std::map<Ipv4, std::vector<std::uint16_t>> tls_ports;
  for (const auto& [ep, v] : views) {
    if (v.dicom_over_tls()) tls_ports[ep.ip].push_back(ep.port);
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

namespace {

// A rule is judged on an endpoint only where its kind of evidence can exist: DICOM rules on
// endpoints that answered DICOM, web rules where the web probe ran, passive rules where a capture
// showed the endpoint. The inventory rule ASSET-DICOM-SCP is judged on every probed port.
bool rule_applies(const RuleSpec& rule, const EndpointView& v) {
  if (rule.id == "ASSET-DICOM-SCP") return v.port != nullptr;  // every open port of a sweep
  for (std::string_view need : rule.needs) {
    if (need == "dicom_tls") {  // TLS rules: where a TLS server answered
      if (v.tls && v.tls->tls) return true;
      continue;
    }
    if (need.starts_with("dicom_") && v.speaks_dicom()) return true;
    if (need == "http_imaging" && v.http) return true;
    if (need == "passive_dicom" && !v.passive.empty()) return true;
  }
  return false;
}

}  // namespace

void evaluate(ScanResult& result) {
  result.findings.clear();
  result.checks.clear();
  const auto views = endpoint_views(result);
  std::vector<std::string> unimplemented;
  for (const auto& rule : catalogue()) {
    if (!rule.evaluate) {
      unimplemented.emplace_back(rule.id);
      continue;
    }
    for (const auto& v : views) {
      const std::string asset = v.ep.str();
      if (!rule_applies(rule, v)) continue;
      RuleHit hit = rule.evaluate(v);
      Check check{std::string(rule.id), asset, hit.verdict, hit.reason};
      if (hit.verdict == Verdict::fail) {
        Finding f;
        f.rule_id = rule.id;
        f.title = rule.title;
        f.severity = hit.severity;
        f.ip = v.ep.ip.str();
        f.port = v.ep.port;
        f.asset = asset;
        f.discriminator = hit.discriminator;
        f.id = finding_id(f.rule_id, f.asset, f.discriminator);
        f.evidence_level = hit.level;
        f.confidence = hit.confidence;
        f.summary = hit.summary;
        f.evidence = hit.evidence;
        f.probes = hit.probes;
        f.hicp = rule.hicp;
        f.vendor_action = rule.vendor_action;
        f.remediation = rule.remediation;
        check.reason = hit.summary;
        result.findings.push_back(std::move(f));
      }
      result.checks.push_back(std::move(check));
    }
  }
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
  std::stable_sort(result.findings.begin(), result.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     if (a.severity != b.severity) return a.severity > b.severity;
                     const auto ia = Ipv4::parse(a.ip), ib = Ipv4::parse(b.ip);
                     if (ia && ib && *ia != *ib) return *ia < *ib;
                     if (a.port != b.port) return a.port < b.port;
                     return a.rule_id < b.rule_id;
                   });
}

}  // namespace pacscan::rules
