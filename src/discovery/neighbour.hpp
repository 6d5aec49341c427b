// SPDX-License-Identifier: Apache-2.0
#pragma once
// The system's neighbour table (ARP cache) told what ARP discovery learned. The probes connect
// through the kernel, which would otherwise broadcast its own who-has for every live host just
// found: a second broadcast per device, heard by every device of the segment.
#include <cstdint>
#include <string>

#include "discovery/arp.hpp"

namespace pacscan::discovery {

class NeighbourTable {
 public:
  explicit NeighbourTable(const std::string& iface);  // never fails: unusable means no entries
  ~NeighbourTable();
  NeighbourTable(const NeighbourTable&) = delete;
  NeighbourTable& operator=(const NeighbourTable&) = delete;
  // Adds ip -> mac as a "stale" entry (used at once, confirmed by the traffic or re-asked by
  // unicast, as the kernel does with any entry); an entry the kernel already has is kept.
  void learn(Ipv4 ip, const Mac& mac);
  // Entries the kernel took, the ones it already had, and the ones it refused otherwise.
  std::uint64_t added();
  std::uint64_t known();
  std::uint64_t refused();

 private:
  void drain();  // reads the kernel's answers (so they never fill the socket)
  int m_fd = -1;
  int m_ifindex = 0;
  std::uint32_t m_seq = 0;
  std::uint64_t m_added = 0, m_known = 0, m_refused = 0;
};

}  // namespace pacscan::discovery
