// SPDX-License-Identifier: Apache-2.0
// The gate is the only place that says yes to an address: these are the safety invariants.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <pacscan/core/gate.hpp>

using namespace pacscan;

namespace {
Scope scope_of(std::vector<std::string> t, std::vector<std::string> x = {}) {
  auto s = Scope::parse(t, x);
  REQUIRE(s.has_value());
  return *s;
}
Endpoint ep(const char* ip, std::uint16_t port) { return Endpoint{*Ipv4::parse(ip), port}; }
}  // namespace

TEST_CASE("out-of-scope and excluded endpoints never get a permit") {
  const auto scope = scope_of({"127.0.0.8-15"}, {"127.0.0.10"});
  ScanPolicy policy;
  Gate gate(scope, policy);
  std::stop_source stop;
  CHECK_FALSE(gate.acquire(ep("127.0.0.1", 104), stop.get_token()));
  CHECK_FALSE(gate.acquire(ep("127.0.0.10", 104), stop.get_token()));
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.16", 104), GateKind::sweep));
  CHECK(gate.refused_out_of_scope() == 3);
  CHECK(gate.permits_issued() == 0);
  CHECK(gate.acquire(ep("127.0.0.9", 104), stop.get_token()));
  CHECK(gate.permits_issued() == 1);
}

TEST_CASE("one association per host at a time, other hosts are not blocked") {
  const auto scope = scope_of({"127.0.0.8-15"});
  ScanPolicy policy;
  policy.host_gap = Millis(0);
  Gate gate(scope, policy);
  auto p1 = gate.try_acquire(ep("127.0.0.8", 104), GateKind::probe);
  REQUIRE(p1);
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.8", 11112), GateKind::probe));
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.8", 11112), GateKind::sweep));
  CHECK(gate.try_acquire(ep("127.0.0.9", 104), GateKind::probe));
  p1.reset();
  CHECK(gate.try_acquire(ep("127.0.0.8", 11112), GateKind::probe));
}

TEST_CASE("the per-host gap is kept between two probe connections") {
  const auto scope = scope_of({"127.0.0.8"});
  ScanPolicy policy;
  policy.host_gap = Millis(300);
  Gate gate(scope, policy);
  { auto p = gate.try_acquire(ep("127.0.0.8", 104), GateKind::probe); REQUIRE(p); }
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.8", 104), GateKind::probe));
  std::stop_source stop;
  const auto t0 = std::chrono::steady_clock::now();
  auto p = gate.acquire(ep("127.0.0.8", 104), stop.get_token());
  CHECK(p);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(200));
}

TEST_CASE("the global rate bounds permits; a stop request ends a wait") {
  const auto scope = scope_of({"127.0.0.0/24"});
  ScanPolicy policy;
  policy.rate_per_s = 10;  // burst of one
  policy.sweep_per_host = 64;
  Gate gate(scope, policy);
  int granted = 0;
  for (int i = 1; i < 50; ++i) {
    if (gate.try_acquire(ep(("127.0.0." + std::to_string(i)).c_str(), 80), GateKind::sweep)) {
      granted++;
    }
  }
  CHECK(granted <= 2);
  std::stop_source stop;
  Gate gate2(scope, policy);
  auto pinned = gate2.try_acquire(ep("127.0.0.200", 1), GateKind::probe);
  REQUIRE(pinned);  // holds the host's only slot
  std::jthread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });
  CHECK_FALSE(gate2.acquire(ep("127.0.0.200", 2), stop.get_token()));
}

TEST_CASE("the global rate allows a burst of a tenth of a second, then one slot at a time") {
  const auto scope = scope_of({"127.0.0.0/24"});
  ScanPolicy policy;
  policy.rate_per_s = 200;  // burst of 20, then one every 5 ms
  Gate gate(scope, policy);
  int granted = 0;
  std::vector<Permit> held;
  for (int i = 1; i < 120; ++i) {
    if (auto p = gate.try_acquire(ep(("127.0.0." + std::to_string(i)).c_str(), 80),
                                  GateKind::sweep)) {
      granted++;
      held.push_back(std::move(*p));
    }
  }
  CHECK(granted >= 20);
  CHECK(granted <= 23);  // a few more only if the loop took several 5 ms slots
  // A probe is not charged to the rate: it is granted while the sweep waits for its slots.
  std::stop_source stop;
  CHECK(gate.acquire(ep("127.0.0.250", 104), stop.get_token()));
  CHECK(gate.permits_issued() == static_cast<std::uint64_t>(granted) + 1);
}

TEST_CASE("probes to many hosts are paced per host, not by the global rate") {
  const auto scope = scope_of({"127.0.0.0/24"});
  ScanPolicy policy;
  policy.rate_per_s = 10;  // one sweep permit, then one every 100 ms
  policy.host_gap = std::chrono::milliseconds(300);
  Gate gate(scope, policy);
  CHECK(gate.try_acquire(ep("127.0.0.1", 80), GateKind::sweep));
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.2", 80), GateKind::sweep));  // the rate
  std::vector<Permit> held;
  for (int i = 10; i < 60; ++i) {  // 50 hosts answered: each one gets its association now
    auto p = gate.try_acquire(ep(("127.0.0." + std::to_string(i)).c_str(), 104), GateKind::probe);
    REQUIRE(p);
    held.push_back(std::move(*p));
  }
  held.clear();
  // ...but a host's next association still waits for its own gap, and one at a time.
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.10", 104), GateKind::probe));
  std::stop_source stop;
  const auto t0 = std::chrono::steady_clock::now();
  auto again = gate.acquire(ep("127.0.0.10", 104), stop.get_token());
  REQUIRE(again);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(200));
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.10", 11112), GateKind::probe));
}

TEST_CASE("sweep connects to one host are capped; probes wait for the host's sweep") {
  const auto scope = scope_of({"127.0.0.8"});
  ScanPolicy policy;
  policy.sweep_per_host = 2;
  Gate gate(scope, policy);
  auto a = gate.try_acquire(ep("127.0.0.8", 1), GateKind::sweep);
  auto b = gate.try_acquire(ep("127.0.0.8", 2), GateKind::sweep);
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.8", 3), GateKind::sweep));
  CHECK_FALSE(gate.try_acquire(ep("127.0.0.8", 104), GateKind::probe));
  a.reset();
  b.reset();
  CHECK(gate.try_acquire(ep("127.0.0.8", 104), GateKind::probe));
}
