// Summaries of closed flows (see summaries.hpp).
#include "summaries.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "association_pdus.hpp"

namespace pacscan::passive {
namespace {

constexpr std::size_t k_max_dicom_servers = 65536;
constexpr std::size_t k_index_entry = 64;  // hash map node, per kept record once indexed

std::size_t cost(const Summary& s) {
  return sizeof(Summary) + footprint(s.record.data) + k_index_entry;
}

}  // namespace

// The facts that make two associations "the same" for folding: everything but the client port,
// times, byte counts, message and data-set counts.
std::string Summaries::identity(const Summary& s) {
  PassiveData d = s.record.data;
  d.client_port = 0;
  d.bytes_client_to_server = d.bytes_server_to_client = 0;
  d.datasets = d.datasets_scanned = d.datasets_unreadable = 0;
  d.repeats = 0;
  for (auto& c : d.commands) c.count = 0;
  nlohmann::json j = d;
  j["_client"] = s.client_ip;
  j["_server"] = s.server_ip;
  j["_port"] = s.server_port;
  j["_kind"] = static_cast<int>(s.kind);
  return j.dump();
}

void Summaries::index(std::size_t i) {
  m_by_identity.emplace(std::hash<std::string>{}(identity(m_kept[i])), i);
}

void Summaries::add(ClosedFlow&& flow) {
  if (flow.kind == StreamKind::dicom && m_dicom_servers.size() < k_max_dicom_servers) {
    m_dicom_servers.insert({Ipv4{flow.server_ip}, flow.server_port});
  }
  for (auto& r : flow.associations) {
    Summary s{flow.client_ip, flow.server_ip, flow.client_port, flow.server_port, flow.kind,
              std::move(r)};
    const std::size_t c = cost(s);
    if (m_bytes + c <= m_max_bytes) {
      m_bytes += c;
      m_kept.push_back(std::move(s));
      if (m_indexed) index(m_kept.size() - 1);
      continue;
    }
    if (!m_indexed) {  // first time over the budget: index what is kept (once)
      m_indexed = true;
      for (std::size_t i = 0; i < m_kept.size(); ++i) index(i);
    }
    const std::string id = identity(s);
    const auto [lo, hi] = m_by_identity.equal_range(std::hash<std::string>{}(id));
    Summary* same = nullptr;
    for (auto it = lo; it != hi && !same; ++it) {
      if (identity(m_kept[it->second]) == id) same = &m_kept[it->second];
    }
    if (!same) {
      ++m_left_out;
      continue;
    }
    ++m_folded;
    PassiveData& k = same->record.data;
    const PassiveData& n = s.record.data;
    k.repeats += 1 + n.repeats;
    k.bytes_client_to_server += n.bytes_client_to_server;
    k.bytes_server_to_client += n.bytes_server_to_client;
    k.datasets += n.datasets;
    k.datasets_scanned += n.datasets_scanned;
    k.datasets_unreadable += n.datasets_unreadable;
    for (std::size_t i = 0; i < k.commands.size() && i < n.commands.size(); ++i) {
      k.commands[i].count += n.commands[i].count;
    }
    same->record.first_us = std::min(same->record.first_us, s.record.first_us);
    same->record.last_us = std::max(same->record.last_us, s.record.last_us);
  }
}

}  // namespace pacscan::passive
