// SPDX-License-Identifier: Apache-2.0
#pragma once
// The one door to the network: every socket pacscan opens toward a device is opened here, under
// a gate permit, to the permit's endpoint and nowhere else (TCP connects of the sweep and of the
// TLS handshakes, libcurl's sockets, ARP frames). DCMTK connects itself, inside
// ASC_requestAssociation, to the numeric address the DICOM adapter takes from the permit, and its
// transport checks the connected peer against it. A unit test (tests/lint/socket_gate.py) fails
// when any other file calls socket(), connect(), pcap_inject() or pcap_sendpacket().
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <sys/socket.h>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/expected.hpp>
#include <pacscan/core/gate.hpp>

struct pcap;

namespace pacscan::net {

// An owned socket descriptor, closed on destruction.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : m_fd(fd) {}
  Socket(Socket&& o) noexcept : m_fd(o.m_fd) { o.m_fd = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  ~Socket();
  int fd() const { return m_fd; }
  bool valid() const { return m_fd >= 0; }

 private:
  int m_fd = -1;
};

// A non-blocking TCP connect to the permit's endpoint, started: `err` is 0 when it connected at
// once, EINPROGRESS while under way (poll the socket for POLLOUT, then SO_ERROR), else the
// failure. An invalid socket with err set: no descriptor could be created. For the sweep.
struct Started {
  Socket socket;
  int err = 0;
};
Started start_connect(const Permit& permit);

// A TCP connection to the permit's endpoint, waiting at most until `until`. The socket stays
// non-blocking with Nagle off. outcome: ok, refused, timed_out, unreachable or error (with
// `error` saying why).
struct Connection {
  Socket socket;
  Outcome outcome = Outcome::error;
  std::string error;
};
Connection connect_tcp(const Permit& permit, std::chrono::steady_clock::time_point until);

// For libcurl's CURLOPT_OPENSOCKETFUNCTION: a socket only when `addr` is the permit's endpoint
// (IPv4, same address and port); -1 otherwise, and libcurl then fails to connect.
int open_socket_for(const Permit& permit, int family, int type, int protocol,
                    const sockaddr* addr, socklen_t addr_len);

// ARP: sends one who-has frame on an open capture, only when it asks for the permit's address.
Expected<void> inject_arp(pcap* handle, const Permit& permit, std::span<const std::uint8_t> frame);

// A route netlink socket (non-blocking), to this machine's kernel only: nothing it carries
// leaves the machine, so it takes no permit (the neighbour table, discovery/neighbour.cpp).
// -1 when the system refuses one.
int open_route_netlink();

}  // namespace pacscan::net
