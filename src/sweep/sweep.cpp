// SPDX-License-Identifier: Apache-2.0
#include <pacscan/sweep/sweep.hpp>

#include <pacscan/net/socket.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>

namespace pacscan {
namespace {

using Clock = std::chrono::steady_clock;

struct InFlight {
  net::Socket sock;  // declared before the permit: closed first
  Endpoint ep;
  Clock::time_point started;
  Permit permit;
  int fd() const { return sock.fd(); }
};

PortData classify_errno(int err, std::int64_t rtt_ms) {
  PortData d;
  d.rtt_ms = rtt_ms;
  switch (err) {
    case 0: d.state = PortState::open; break;
    case ECONNREFUSED: d.state = PortState::closed; d.detail = "connection refused (RST)"; break;
    default: d.state = PortState::filtered; d.detail = std::strerror(err); break;
  }
  return d;
}

// A loopback connect inside the ephemeral range can connect to itself: that is not a server.
bool is_self_connect(int fd) {
  sockaddr_in local{}, peer{};
  socklen_t ll = sizeof local, pl = sizeof peer;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) return false;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) return false;
  return local.sin_addr.s_addr == peer.sin_addr.s_addr && local.sin_port == peer.sin_port;
}

}  // namespace

void run_sweep(const std::vector<Ipv4>& hosts, const std::vector<std::uint16_t>& ports, Gate& gate,
               const ScanPolicy& policy, std::stop_token stop, const std::set<Endpoint>& skip,
               const SweepSink& sink) {
  std::deque<Endpoint> pending;
  for (auto port : ports) {
    for (auto ip : hosts) {
      if (!skip.contains(Endpoint{ip, port})) pending.push_back(Endpoint{ip, port});
    }
  }
  std::vector<InFlight> flying;
  const auto elapsed_ms = [](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
  };
  auto finish = [&](std::size_t i, const PortData& d) {
    flying[i].sock = net::Socket();  // closed before the sink runs, as before
    sink(flying[i].ep, d);
    flying.erase(flying.begin() + static_cast<std::ptrdiff_t>(i));  // releases the permit
  };

  while (!stop.stop_requested() && (!pending.empty() || !flying.empty())) {
    // Start new connects while the gate allows. Endpoints refused "for now" rotate to the back.
    std::size_t tries = std::min<std::size_t>(pending.size(), 64);
    while (tries-- > 0 && static_cast<int>(flying.size()) < policy.sweep_in_flight) {
      Endpoint ep = pending.front();
      pending.pop_front();
      if (!gate.in_scope(ep.ip)) continue;  // never: scope was applied upstream; belt and braces
      if (gate.held(ep.ip)) continue;  // stopped answering during the scan: left alone
      auto permit = gate.try_acquire(ep, GateKind::sweep);
      if (!permit) {
        pending.push_back(ep);
        continue;
      }
      const auto start = Clock::now();
      net::Started conn = net::start_connect(*permit);
      if (!conn.socket.valid()) {
        pending.push_front(ep);  // out of descriptors: wait for in-flight ones to finish
        break;
      }
      if (conn.err == 0) {
        const bool self = is_self_connect(conn.socket.fd());
        flying.push_back(InFlight{std::move(conn.socket), ep, start, std::move(*permit)});
        finish(flying.size() - 1, classify_errno(self ? ECONNREFUSED : 0, 0));
      } else if (conn.err == EINPROGRESS) {
        flying.push_back(InFlight{std::move(conn.socket), ep, start, std::move(*permit)});
      } else {
        const int err = conn.err;
        conn.socket = net::Socket();
        sink(ep, classify_errno(err, 0));
      }
    }
    if (flying.empty()) {
      if (!pending.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    std::vector<pollfd> pfds(flying.size());
    for (std::size_t i = 0; i < flying.size(); ++i) pfds[i] = pollfd{flying[i].fd(), POLLOUT, 0};
    ::poll(pfds.data(), pfds.size(), 10);
    // Walk backwards so erasing keeps indices of the rest valid.
    for (std::size_t k = flying.size(); k-- > 0;) {
      if (pfds[k].revents != 0) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(flying[k].fd(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0 && is_self_connect(flying[k].fd())) err = ECONNREFUSED;
        finish(k, classify_errno(err, elapsed_ms(flying[k].started)));
      } else if (Clock::now() - flying[k].started >= policy.connect_timeout) {
        PortData d;
        d.state = PortState::filtered;
        d.rtt_ms = elapsed_ms(flying[k].started);
        d.detail = "no answer within the connect timeout";
        finish(k, d);
      }
    }
  }
  flying.clear();  // interrupted: unfinished connects are closed, not reported
}

}  // namespace pacscan
