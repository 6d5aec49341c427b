// SPDX-License-Identifier: Apache-2.0
#include "discovery/neighbour.hpp"

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <pacscan/net/socket.hpp>

namespace pacscan::discovery {

NeighbourTable::NeighbourTable(const std::string& iface) {
  m_ifindex = static_cast<int>(::if_nametoindex(iface.c_str()));
  if (m_ifindex == 0) return;
  m_fd = net::open_route_netlink();
}

NeighbourTable::~NeighbourTable() {
  if (m_fd >= 0) ::close(m_fd);
}

void NeighbourTable::learn(Ipv4 ip, const Mac& mac) {
  if (m_fd < 0) return;
  // RTM_NEWNEIGH: header, ndmsg, NDA_DST (4 bytes), NDA_LLADDR (6 bytes padded to 8).
  struct {
    nlmsghdr h;
    ndmsg nd;
    rtattr dst_attr;
    std::array<std::uint8_t, 4> dst;
    rtattr ll_attr;
    std::array<std::uint8_t, 8> ll;
  } req{};
  static_assert(sizeof(req) == NLMSG_LENGTH(sizeof(ndmsg)) + RTA_LENGTH(4) + RTA_LENGTH(8));
  req.h.nlmsg_len = sizeof(req);
  req.h.nlmsg_type = RTM_NEWNEIGH;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
  req.h.nlmsg_seq = ++m_seq;
  req.nd.ndm_family = AF_INET;
  req.nd.ndm_ifindex = m_ifindex;
  req.nd.ndm_state = NUD_STALE;
  req.dst_attr.rta_type = NDA_DST;
  req.dst_attr.rta_len = RTA_LENGTH(4);
  for (std::size_t i = 0; i < 4; ++i) {
    req.dst[i] = static_cast<std::uint8_t>(ip.value >> (24 - 8 * i));  // network byte order
  }
  req.ll_attr.rta_type = NDA_LLADDR;
  req.ll_attr.rta_len = RTA_LENGTH(6);
  std::memcpy(req.ll.data(), mac.data(), 6);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(m_fd, &req, sizeof(req), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    m_refused++;
  }
  drain();
}

void NeighbourTable::drain() {
  alignas(nlmsghdr) std::array<char, 8192> buf;
  for (;;) {
    const ssize_t n = ::recv(m_fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0) return;
    auto len = static_cast<unsigned int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) continue;
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (e->error == 0) m_added++;
      else if (e->error == -EEXIST) m_known++;
      else m_refused++;
    }
  }
}

std::uint64_t NeighbourTable::added() {
  if (m_fd >= 0) drain();
  return m_added;
}

std::uint64_t NeighbourTable::known() {
  if (m_fd >= 0) drain();
  return m_known;
}

std::uint64_t NeighbourTable::refused() {
  if (m_fd >= 0) drain();
  return m_refused;
}

}  // namespace pacscan::discovery
