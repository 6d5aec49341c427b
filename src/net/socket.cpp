// SPDX-License-Identifier: Apache-2.0
// The only file that calls socket(), connect() and pcap_inject() (see net/socket.hpp).
#include <pacscan/net/socket.hpp>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pacscan::net {
namespace {

sockaddr_in to_sockaddr(const Endpoint& ep) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(ep.port);
  sa.sin_addr.s_addr = htonl(ep.ip.value);
  return sa;
}

// poll() one descriptor until `until`; false on timeout.
bool wait_fd(int fd, short events, std::chrono::steady_clock::time_point until) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          until - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the caller see the error
  }
}

}  // namespace

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = o.m_fd;
    o.m_fd = -1;
  }
  return *this;
}

Socket::~Socket() {
  if (m_fd >= 0) ::close(m_fd);
}

Started start_connect(const Permit& permit) {
  Started s;
  s.socket = Socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s.socket.valid()) {
    s.err = errno;
    return s;
  }
  const sockaddr_in sa = to_sockaddr(permit.endpoint());
  s.err = ::connect(s.socket.fd(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0 ? 0
                                                                                          : errno;
  return s;
}

Connection connect_tcp(const Permit& permit, std::chrono::steady_clock::time_point until) {
  Connection c;
  Started s = start_connect(permit);
  if (!s.socket.valid()) {
    c.error = std::string("socket: ") + std::strerror(s.err);
    return c;
  }
  const int one = 1;
  ::setsockopt(s.socket.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int err = s.err;
  if (err == EINPROGRESS) {
    if (!wait_fd(s.socket.fd(), POLLOUT, until)) {
      c.socket = std::move(s.socket);
      c.outcome = Outcome::timed_out;
      c.error = "TCP connect timed out";
      return c;
    }
    socklen_t len = sizeof err;
    ::getsockopt(s.socket.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
  }
  c.socket = std::move(s.socket);
  if (err != 0) {
    c.outcome = err == ECONNREFUSED                           ? Outcome::refused
                : (err == EHOSTUNREACH || err == ENETUNREACH) ? Outcome::unreachable
                : err == ETIMEDOUT                            ? Outcome::timed_out
                                                              : Outcome::error;
    c.error = std::string("connect: ") + std::strerror(err);
    return c;
  }
  c.outcome = Outcome::ok;
  return c;
}

int open_socket_for(const Permit& permit, int family, int type, int protocol,
                    const sockaddr* addr, socklen_t addr_len) {
  if (family != AF_INET || !addr || addr_len < static_cast<socklen_t>(sizeof(sockaddr_in)) ||
      addr->sa_family != AF_INET) {
    return -1;
  }
  sockaddr_in to{};
  std::memcpy(&to, addr, sizeof to);
  const sockaddr_in want = to_sockaddr(permit.endpoint());
  if (to.sin_addr.s_addr != want.sin_addr.s_addr || to.sin_port != want.sin_port) return -1;
  return ::socket(family, type | SOCK_CLOEXEC, protocol);
}

int open_route_netlink() {
  return ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
}

Expected<void> inject_arp(pcap* handle, const Permit& permit, std::span<const std::uint8_t> frame) {
  // Ethernet (14) + ARP (28): the target protocol address is at 14 + 24, big-endian.
  if (frame.size() < 42 || frame[12] != 0x08 || frame[13] != 0x06) {
    return error("not an ARP frame");
  }
  const std::uint32_t target = (std::uint32_t{frame[38]} << 24) | (std::uint32_t{frame[39]} << 16) |
                               (std::uint32_t{frame[40]} << 8) | frame[41];
  if (target != permit.endpoint().ip.value) {
    return error(fmt::format("ARP frame for {} under a permit for {}", Ipv4{target}.str(),
                             permit.endpoint().ip.str()));
  }
  if (pcap_inject(handle, frame.data(), frame.size()) < 0) return error(pcap_geterr(handle));
  return {};
}

}  // namespace pacscan::net
