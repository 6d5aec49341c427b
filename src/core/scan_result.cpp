// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/scan_result.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace pacscan {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "info";
}

bool parse_severity(const std::string& text, Severity& out) {
  for (Severity s : {Severity::info, Severity::low, Severity::medium, Severity::high,
                     Severity::critical}) {
    if (text == to_string(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

void to_json(nlohmann::json& j, const ScanResult& r) {
  j = nlohmann::json{{"meta", r.meta},         {"hosts", r.hosts},
                     {"endpoints", r.endpoints}, {"findings", r.findings},
                     {"checks", r.checks},     {"observations", r.observations}};
}

void from_json(const nlohmann::json& j, ScanResult& r) {
  r.meta = j.at("meta").get<ScanMeta>();
  r.hosts = j.value("hosts", std::vector<HostRecord>{});
  r.endpoints = j.value("endpoints", std::vector<EndpointRecord>{});
  r.findings = j.value("findings", std::vector<Finding>{});
  r.checks = j.value("checks", std::vector<Check>{});
  r.observations = j.value("observations", std::vector<Observation>{});
}

void for_each_observation(const ScanResult& r, const std::function<void(const Observation&)>& fn) {
  for (const auto& o : r.observations) fn(o);
  if (r.stored) r.stored->for_each(fn);
}

void for_each_observation(const ScanResult& r, std::span<const std::string_view> needles,
                          const std::function<void(const Observation&)>& fn) {
  for (const auto& o : r.observations) fn(o);
  if (r.stored) r.stored->for_each_containing(needles, fn);
}

std::string finding_id(const std::string& rule_id, const std::string& asset,
                       const std::string& discriminator) {
  // FNV-1a 64: stable across builds and platforms, enough to tell findings apart.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto feed = [&](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0x1f;  // field separator
    h *= 0x100000001b3ULL;
  };
  feed(rule_id);
  feed(asset);
  feed(discriminator);
  return fmt::format("PSF-{:016x}", h);
}

namespace {

std::string classify_service(const AssocAttempt& a) {
  if (a.valid_pdu()) return "dicom";
  switch (a.outcome) {
    case Outcome::non_dicom:
      if (a.reply_text.rfind("HTTP/", 0) == 0) return "http";
      return "unknown";
    case Outcome::timed_out:
    case Outcome::deadline: return "silent";
    case Outcome::closed: return "closes-connection";
    default: return "unknown";
  }
}

}  // namespace

void build_inventory(ScanResult& result) {
  std::map<Ipv4, HostRecord> hosts;
  std::map<Endpoint, EndpointRecord> endpoints;
  std::map<Ipv4, int> filtered;
  for (const auto& o : result.observations) {
    if (const auto* a = data_as<ArpData>(o)) {
      // Answered ARP on an attached segment: up, with or without an open port.
      auto& h = hosts[o.ep.ip];
      h.ip = o.ep.ip.str();
      h.up = true;
      h.via = "arp";
      h.mac = a->mac;
      h.vendor = a->vendor;
      continue;
    }
    if (const auto* p = data_as<PortData>(o)) {
      if (p->state == PortState::filtered) {
        filtered[o.ep.ip]++;  // says nothing about the host being up
        continue;
      }
      auto& h = hosts[o.ep.ip];
      h.ip = o.ep.ip.str();
      h.up = true;
      if (p->state == PortState::open) {
        h.open_ports.push_back(o.ep.port);
        auto& e = endpoints[o.ep];
        e.ip = o.ep.ip.str();
        e.port = o.ep.port;
        e.state = PortState::open;
        if (e.service.empty()) e.service = "not-probed";
      } else {
        h.closed_ports.push_back(o.ep.port);
      }
    }
  }
  for (const auto& o : result.observations) {
    auto it = endpoints.find(o.ep);
    if (it == endpoints.end()) continue;
    auto& e = it->second;
    if (const auto* a = data_as<AssociateData>(o)) {
      e.speaks_dicom = a->speaks_dicom;
      e.association = to_string(a->attempt.outcome);
      e.service = classify_service(a->attempt);
      if (!a->attempt.impl_class_uid.empty()) {
        e.impl_class_uid = a->attempt.impl_class_uid;
        e.impl_version = a->attempt.impl_version;
        e.peer_max_pdu = a->attempt.peer_max_pdu;
      }
    } else if (const auto* p = data_as<AePolicyData>(o)) {
      e.called_ae = p->working_called_ae;
      for (const auto& att : p->attempts) {
        if (e.impl_class_uid.empty() && !att.impl_class_uid.empty()) {
          e.impl_class_uid = att.impl_class_uid;
          e.impl_version = att.impl_version;
          e.peer_max_pdu = att.peer_max_pdu;
        }
      }
    } else if (const auto* t = data_as<TlsData>(o)) {
      if (!t->tls) continue;
      e.tls = true;
      if (e.speaks_dicom) continue;  // cleartext DICOM already answered here
      const bool dicom = t->association && t->association->valid_pdu();
      e.service = dicom ? "dicom-tls" : "tls";
      if (t->association) e.association = to_string(t->association->outcome);
      if (dicom) {
        e.speaks_dicom = true;
        if (!t->association->impl_class_uid.empty()) {
          e.impl_class_uid = t->association->impl_class_uid;
          e.impl_version = t->association->impl_version;
          e.peer_max_pdu = t->association->peer_max_pdu;
        }
      }
    } else if (const auto* s = data_as<ServicesData>(o)) {
      e.accepted_services.clear();
      for (const auto& c : s->attempt.contexts) {
        if (c.result == 0) e.accepted_services.push_back(c.name);
      }
    }
  }
  // Passive captures: the servers (and clients) of the associations seen join the inventory.
  for (const auto& o : result.observations) {
    const auto* p = data_as<PassiveData>(o);
    if (!p) continue;
    auto& e = endpoints[o.ep];
    e.ip = o.ep.ip.str();
    e.port = o.ep.port;
    e.state = PortState::open;
    e.tls = e.tls || p->encrypted;
    e.speaks_dicom = e.speaks_dicom || !p->encrypted;
    e.service = e.speaks_dicom ? "dicom" : "dicom-tls";
    if (e.association.empty() || p->ac_seen) {
      e.association = nlohmann::json(p->outcome).get<std::string>();
    }
    if (p->ac_seen && e.called_ae.empty()) e.called_ae = p->called_ae;
    if (!p->server_impl_class_uid.empty()) {
      e.impl_class_uid = p->server_impl_class_uid;
      e.impl_version = p->server_impl_version;
      e.peer_max_pdu = p->server_max_pdu;
    }
    for (const auto& c : p->contexts) {
      const std::string& n = c.name.empty() ? c.abstract_syntax : c.name;
      if (c.result == 0 && std::find(e.accepted_services.begin(), e.accepted_services.end(), n) ==
                               e.accepted_services.end()) {
        e.accepted_services.push_back(n);
      }
    }
    auto& server = hosts[o.ep.ip];
    server.ip = o.ep.ip.str();
    server.up = true;
    server.via = "pcap";
    if (std::find(server.open_ports.begin(), server.open_ports.end(), o.ep.port) ==
        server.open_ports.end()) {
      server.open_ports.push_back(o.ep.port);
    }
    if (auto client_ip = Ipv4::parse(p->client_ip)) {
      auto& client = hosts[*client_ip];
      client.ip = p->client_ip;
      client.up = true;
      client.via = "pcap";
    }
  }
  const auto roles = guess_roles(result.observations);
  result.hosts.clear();
  for (auto& [ip, h] : hosts) {
    h.filtered_ports = filtered[ip];
    if (auto it = roles.find(ip); it != roles.end()) h.role = it->second;
    std::sort(h.open_ports.begin(), h.open_ports.end());
    std::sort(h.closed_ports.begin(), h.closed_ports.end());
    result.hosts.push_back(std::move(h));
  }
  result.endpoints.clear();
  for (auto& [ep, e] : endpoints) result.endpoints.push_back(std::move(e));
}

}  // namespace pacscan
