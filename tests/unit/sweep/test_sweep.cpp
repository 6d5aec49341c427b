// SPDX-License-Identifier: Apache-2.0
// The sweep's mechanisms: adaptive connect timeouts from measured round trips, hosts handed over
// while the sweep runs, each host reported once with all its ports. Loopback only.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include <pacscan/core/gate.hpp>
#include <pacscan/sweep/sweep.hpp>

#include "discovery/arp.hpp"

using namespace pacscan;
using namespace std::chrono_literals;

namespace {
Ipv4 ip(const char* s) { return *Ipv4::parse(s); }

// A listening socket on 127.0.0.1 (ephemeral port), closed at the end of the test.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  ~Listener() { ::close(fd); }
};

// A port nothing listens on: bound, then closed (the kernel answers RST).
std::uint16_t closed_port() {
  Listener l;
  return l.port;
}
}  // namespace

TEST_CASE("connect timeout: the ceiling until a round trip is measured, then srtt + 4 rttvar") {
  RttEstimate r;
  CHECK_FALSE(r.known());
  CHECK(r.timeout(100ms, 3000ms) == 3000ms);
  r.sample(std::chrono::microseconds(2000));  // first sample: srtt 2 ms, rttvar 1 ms -> 6 ms
  CHECK(r.known());
  CHECK(r.timeout(1ms, 3000ms) == 6ms);
  CHECK(r.timeout(100ms, 3000ms) == 100ms);  // never below the floor
  for (int i = 0; i < 50; ++i) r.sample(std::chrono::microseconds(2000));
  CHECK(r.timeout(1ms, 3000ms) <= 3ms);  // steady round trips: the variance decays
  // A slow path (WAN, a loaded switch) raises the timeout, up to the ceiling only.
  for (int i = 0; i < 50; ++i) r.sample(std::chrono::microseconds(800'000));
  CHECK(r.timeout(100ms, 3000ms) >= 800ms);
  for (int i = 0; i < 5; ++i) r.sample(std::chrono::microseconds(10'000'000));
  CHECK(r.timeout(100ms, 3000ms) == 3000ms);
}

TEST_CASE("sweep feed: hosts in order, done only once closed and drained") {
  SweepFeed f;
  CHECK_FALSE(f.pop());
  CHECK_FALSE(f.done());
  f.push(ip("127.0.0.2"));
  f.push(ip("127.0.0.1"));
  f.close();
  CHECK_FALSE(f.done());
  CHECK(f.pushed() == 2);
  CHECK(f.pop() == ip("127.0.0.2"));
  CHECK(f.pop() == ip("127.0.0.1"));
  CHECK(f.done());
}

TEST_CASE("sweep: hosts fed while it runs, each reported once with all its ports; timeouts adapt") {
  Listener open;
  const std::uint16_t closed = closed_port();
  auto scope = Scope::parse({"127.0.0.1-3"}, {});
  REQUIRE(scope);
  ScanPolicy policy;
  policy.connect_timeout = Millis(3000);
  Gate gate(*scope, policy);
  SweepFeed feed;
  std::map<std::uint32_t, std::vector<SweptPort>> got;
  int reports = 0;
  std::stop_source stop;
  // Discovery hands hosts over one by one while the sweep runs.
  std::jthread discovery([&] {
    for (const char* h : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
      std::this_thread::sleep_for(20ms);
      feed.push(ip(h));
    }
    feed.close();
  });
  // 127.0.0.3's closed port was swept by an interrupted run: not connected to again.
  const std::set<Endpoint> skip{Endpoint{ip("127.0.0.3"), closed}};
  const auto stats = run_sweep(feed, {open.port, closed}, gate, policy, stop.get_token(), skip,
                               [&](Ipv4 h, std::vector<SweptPort>&& ports) {
                                 reports++;
                                 got[h.value] = std::move(ports);
                               });
  CHECK(reports == 3);
  CHECK(stats.connects == 5);
  CHECK(stats.retries == 0);
  for (const char* h : {"127.0.0.1", "127.0.0.2"}) {
    const auto& ports = got[ip(h).value];
    REQUIRE(ports.size() == 2);
    for (const auto& p : ports) {
      // Everything on 127/8 is this host: the listener is on 127.0.0.1 only.
      const bool listening = p.port == open.port && ip(h) == ip("127.0.0.1");
      CHECK(p.data.state == (listening ? PortState::open : PortState::closed));
    }
  }
  REQUIRE(got[ip("127.0.0.3").value].size() == 1);
  CHECK(got[ip("127.0.0.3").value][0].port == open.port);
  // Loopback round trips are microseconds: the scan-wide timeout fell to the floor, far below
  // --connect-timeout.
  CHECK(stats.last_timeout == k_min_connect_timeout);
}

TEST_CASE("ARP targets: any prefix of an attached segment, in-scope addresses only") {
  using discovery::segment_targets;
  const std::vector<Ipv4> hosts{ip("198.18.0.0"), ip("198.18.0.5"), ip("198.19.255.254"),
                                ip("198.19.255.255"), ip("198.20.0.1"), ip("10.1.2.3")};
  // A /15 (the lab's segment): its own address, network and broadcast left out, nothing else.
  const auto t15 = segment_targets(ip("198.19.255.254"), 15, hosts);
  CHECK(t15 == std::vector<Ipv4>{ip("198.18.0.5")});
  // A flat /8: only the scope's addresses on it are asked, not 16 million.
  const auto t8 = segment_targets(ip("10.0.0.1"), 8, hosts);
  CHECK(t8 == std::vector<Ipv4>{ip("10.1.2.3")});
  // /31 and /32 have no neighbours to ask.
  CHECK(segment_targets(ip("198.18.0.4"), 31, hosts).empty());
  CHECK(segment_targets(ip("198.18.0.4"), 32, hosts).empty());
}
