// SPDX-License-Identifier: Apache-2.0
#include <pacscan/sweep/sweep.hpp>

#include <pacscan/net/socket.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <thread>

#include <fmt/format.h>

namespace pacscan {

void SweepFeed::push(Ipv4 ip) {
  {
    std::lock_guard lock(m_mu);
    m_hosts.push_back(ip);
    m_pushed++;
  }
  m_cv.notify_all();
}

void SweepFeed::close() {
  {
    std::lock_guard lock(m_mu);
    m_closed = true;
  }
  m_cv.notify_all();
}

std::optional<Ipv4> SweepFeed::pop() {
  std::lock_guard lock(m_mu);
  if (m_hosts.empty()) return std::nullopt;
  const Ipv4 ip = m_hosts.front();
  m_hosts.pop_front();
  return ip;
}

bool SweepFeed::done() const {
  std::lock_guard lock(m_mu);
  return m_closed && m_hosts.empty();
}

std::size_t SweepFeed::pushed() const {
  std::lock_guard lock(m_mu);
  return m_pushed;
}

void SweepFeed::wait(std::chrono::milliseconds max, std::stop_token stop) {
  std::unique_lock lock(m_mu);
  m_cv.wait_for(lock, stop, max, [&] { return m_closed || !m_hosts.empty(); });
}

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Pending {
  std::uint16_t port;
  int attempt = 1;
  milliseconds first_timeout{0};  // the first attempt's timeout (for a retry's evidence)
  milliseconds timeout{0};        // a retry's timeout
};

struct InFlight {
  net::Socket sock;  // declared before the permit: closed first
  Endpoint ep;
  Clock::time_point started;
  Pending item;
  milliseconds timeout;
  Permit permit;
  int fd() const { return sock.fd(); }
};

// One host being swept: only hosts in flight have one (nothing is kept per address after).
struct HostSweep {
  std::deque<Pending> pending;
  int flying = 0;
  bool queued = false;  // in the round-robin order
  std::vector<SweptPort> results;
  RttEstimate rtt;
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

SweepStats run_sweep(SweepFeed& feed, const std::vector<std::uint16_t>& ports, Gate& gate,
                     const ScanPolicy& policy, std::stop_token stop,
                     const std::set<Endpoint>& skip, const HostSweptSink& swept) {
  SweepStats stats;
  const milliseconds ceiling = std::max(policy.connect_timeout, milliseconds(1));
  const std::size_t max_flying = static_cast<std::size_t>(std::max(1, policy.sweep_in_flight));
  std::map<std::uint32_t, HostSweep> active;
  std::deque<std::uint32_t> order;  // hosts with ports to start, round robin
  std::vector<InFlight> flying;
  RttEstimate global;

  const auto elapsed = [](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t);
  };
  auto enqueue = [&](std::uint32_t ip, HostSweep& h) {
    if (!h.queued && !h.pending.empty()) {
      h.queued = true;
      order.push_back(ip);
    }
  };
  auto finish_host_if_done = [&](std::uint32_t ip) {
    auto it = active.find(ip);
    if (it == active.end() || it->second.flying > 0 || !it->second.pending.empty()) return;
    auto results = std::move(it->second.results);
    active.erase(it);
    swept(Ipv4{ip}, std::move(results));
  };
  auto record = [&](const Endpoint& ep, const PortData& d) {
    auto& h = active[ep.ip.value];
    h.results.push_back(SweptPort{ep.port, d});
  };
  // i: index into flying; the permit is released when the entry goes.
  auto complete = [&](std::size_t i, const PortData& d) {
    const Endpoint ep = flying[i].ep;
    flying.erase(flying.begin() + static_cast<std::ptrdiff_t>(i));
    auto& h = active[ep.ip.value];
    h.flying--;
    record(ep, d);
  };

  while (!stop.stop_requested()) {
    // New hosts, as long as each active host can have a connect in flight.
    while (active.size() < max_flying) {
      const auto ip = feed.pop();
      if (!ip) break;
      HostSweep h;
      for (auto p : ports) {
        if (!skip.contains(Endpoint{*ip, p})) h.pending.push_back(Pending{p});
      }
      if (h.pending.empty()) {  // resumed: every port was swept before
        swept(*ip, {});
        continue;
      }
      auto& slot = active[ip->value];
      slot = std::move(h);
      enqueue(ip->value, slot);
    }
    if (active.empty()) {
      if (feed.done()) break;
      feed.wait(milliseconds(50), stop);
      continue;
    }

    // Start connects while the gate allows; a host refused "for now" goes to the back.
    for (std::size_t tries = order.size(); tries > 0 && !order.empty() && flying.size() < max_flying;
         --tries) {
      const std::uint32_t ip = order.front();
      order.pop_front();
      HostSweep& h = active[ip];
      h.queued = false;
      if (h.pending.empty()) continue;
      const Endpoint ep{Ipv4{ip}, h.pending.front().port};
      if (!gate.in_scope(ep.ip)) {  // never: scope was applied upstream; belt and braces
        h.pending.pop_front();
        enqueue(ip, h);
        finish_host_if_done(ip);
        continue;
      }
      if (gate.held(ep.ip)) {  // stopped answering during the scan: left alone
        h.pending.clear();
        finish_host_if_done(ip);
        continue;
      }
      auto permit = gate.try_acquire(ep, GateKind::sweep);
      if (!permit) {
        enqueue(ip, h);
        continue;
      }
      const Pending item = h.pending.front();
      h.pending.pop_front();
      enqueue(ip, h);
      const milliseconds timeout = item.attempt == 1
                                       ? (h.rtt.known() ? h.rtt : global)
                                             .timeout(k_min_connect_timeout, ceiling)
                                       : item.timeout;
      const auto start = Clock::now();
      net::Started conn = net::start_connect(*permit);
      if (!conn.socket.valid()) {
        h.pending.push_front(item);  // out of descriptors: wait for in-flight ones to finish
        enqueue(ip, h);
        break;
      }
      stats.connects++;
      if (conn.err == 0) {
        const bool self = is_self_connect(conn.socket.fd());
        flying.push_back(InFlight{std::move(conn.socket), ep, start, item, timeout, std::move(*permit)});
        h.flying++;
        complete(flying.size() - 1, classify_errno(self ? ECONNREFUSED : 0, 0));
        finish_host_if_done(ip);
      } else if (conn.err == EINPROGRESS) {
        flying.push_back(InFlight{std::move(conn.socket), ep, start, item, timeout, std::move(*permit)});
        h.flying++;
      } else {
        const int err = conn.err;
        conn.socket = net::Socket();
        record(ep, classify_errno(err, 0));
        finish_host_if_done(ip);
      }
    }
    if (flying.empty()) {
      if (!order.empty()) std::this_thread::sleep_for(milliseconds(2));  // the rate's next slot
      continue;
    }

    // Wait for answers, at most until the first deadline (and 10 ms, to start more connects).
    auto wait = milliseconds(10);
    const auto now0 = Clock::now();
    for (const auto& f : flying) {
      const auto left = std::chrono::duration_cast<milliseconds>(f.started + f.timeout - now0);
      wait = std::min(wait, std::max(left, milliseconds(0)));
    }
    std::vector<pollfd> pfds(flying.size());
    for (std::size_t i = 0; i < flying.size(); ++i) pfds[i] = pollfd{flying[i].fd(), POLLOUT, 0};
    ::poll(pfds.data(), pfds.size(), static_cast<int>(wait.count()));
    // Walk backwards so erasing keeps indices of the rest valid.
    for (std::size_t k = flying.size(); k-- > 0;) {
      InFlight& f = flying[k];
      const std::uint32_t ip = f.ep.ip.value;
      if (pfds[k].revents != 0) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(f.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0 && is_self_connect(f.fd())) err = ECONNREFUSED;
        const auto rtt = elapsed(f.started);
        if (err == 0 || err == ECONNREFUSED) {  // the host answered: a round trip measured
          active[ip].rtt.sample(rtt);
          global.sample(rtt);
        }
        complete(k, classify_errno(err, std::chrono::duration_cast<milliseconds>(rtt).count()));
        finish_host_if_done(ip);
      } else if (Clock::now() - f.started >= f.timeout) {
        const Pending item = f.item;
        const milliseconds timeout = f.timeout;
        const auto rtt = elapsed(f.started);
        ::close(f.fd());
        flying.erase(flying.begin() + static_cast<std::ptrdiff_t>(k));  // releases the permit
        HostSweep& h = active[ip];
        h.flying--;
        if (item.attempt == 1 && timeout < ceiling) {
          // Shorter than --connect-timeout: one more SYN before calling the port filtered.
          stats.retries++;
          h.pending.push_front(Pending{item.port, 2, timeout, std::min(ceiling, 2 * timeout)});
          enqueue(ip, h);
          continue;
        }
        PortData d;
        d.state = PortState::filtered;
        d.rtt_ms = std::chrono::duration_cast<milliseconds>(rtt).count();
        d.detail = item.attempt == 1
                       ? fmt::format("no answer within the connect timeout ({} ms)",
                                     timeout.count())
                       : fmt::format("no answer to two connects ({} ms, then {} ms: timeouts "
                                     "from the round-trip times measured in this scan)",
                                     item.first_timeout.count(), timeout.count());
        record(Endpoint{Ipv4{ip}, item.port}, d);
        finish_host_if_done(ip);
      }
    }
  }
  flying.clear();  // interrupted: unfinished connects are closed, not reported
  stats.last_timeout = global.timeout(k_min_connect_timeout, ceiling);
  return stats;
}

}  // namespace pacscan
