#pragma once
// Associations of closed flows, summarised as they close so that the flows can be released: the
// analysis of a capture or of days of live traffic keeps only these records, within a budget.
// Past the budget, an association whose facts equal a kept one's (all but ports, times, byte and
// message counts) is folded into it (`repeats`); any other is counted and left out.
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <pacscan/core/net.hpp>

#include "flow_table.hpp"

namespace pacscan::passive {

struct Summary {
  std::uint32_t client_ip = 0, server_ip = 0;
  std::uint16_t client_port = 0, server_port = 0;
  StreamKind kind = StreamKind::other;
  AssociationRecord record;
};

class Summaries {
 public:
  explicit Summaries(std::size_t max_bytes) : m_max_bytes(max_bytes) {}
  void add(ClosedFlow&& flow);

  const std::vector<Summary>& all() const { return m_kept; }
  // Servers that spoke DICOM in clear (capped: only TLS reporting depends on it).
  const std::set<Endpoint>& dicom_servers() const { return m_dicom_servers; }
  std::size_t bytes() const { return m_bytes; }
  std::uint64_t folded() const { return m_folded; }
  std::uint64_t left_out() const { return m_left_out; }

 private:
  static std::string identity(const Summary& s);
  void index(std::size_t i);

  std::size_t m_max_bytes;
  std::size_t m_bytes = 0;
  std::vector<Summary> m_kept;
  bool m_indexed = false;
  std::unordered_multimap<std::size_t, std::size_t> m_by_identity;  // hash -> index in m_kept
  std::set<Endpoint> m_dicom_servers;
  std::uint64_t m_folded = 0, m_left_out = 0;
};

}  // namespace pacscan::passive
