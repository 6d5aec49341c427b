// SPDX-License-Identifier: Apache-2.0
#pragma once
// One gate mints every network permit: scope check, per-host concurrency and gap, and the
// global rate of discovery and sweep (ARP requests and connects to addresses that may be empty;
// probes to hosts that answered are paced per host only).
// No code path opens a connection without a Permit (the adapters take `const Permit&`).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>

#include <pacscan/core/net.hpp>
#include <pacscan/core/policy.hpp>
#include <pacscan/core/scope.hpp>

namespace pacscan {

class Gate;

class Permit {
 public:
  Permit(Permit&& other) noexcept;
  Permit& operator=(Permit&& other) noexcept;
  Permit(const Permit&) = delete;
  ~Permit();
  const Endpoint& endpoint() const { return m_ep; }

 private:
  friend class Gate;
  Permit(Gate* gate, Endpoint ep, bool sweep) : m_gate(gate), m_ep(ep), m_sweep(sweep) {}
  Gate* m_gate;
  Endpoint m_ep;
  bool m_sweep;
};

enum class GateKind { sweep, probe };

class Gate {
 public:
  using Clock = std::chrono::steady_clock;
  Gate(const Scope& scope, const ScanPolicy& policy);

  // Blocks until the endpoint may be contacted. nullopt: out of scope, held, or stop requested.
  // `recheck`: the host watch's one re-check of a held host (the only permit a held host gets).
  // Waiters do not poll each other awake: each one sleeps until its host's gap is over (a scan
  // probes hundreds of hosts at once).
  std::optional<Permit> acquire(const Endpoint& ep, std::stop_token stop, bool recheck = false);
  // Never blocks: nullopt when out of scope or the limits say "not now" (see `in_scope`).
  std::optional<Permit> try_acquire(const Endpoint& ep, GateKind kind);
  bool in_scope(Ipv4 ip) const { return m_scope.contains(ip); }
  // A host that stopped answering during the scan (src/scan/host_watch.cpp): no permit of any
  // kind until unhold(), so every probe to it stops at its next connect.
  void hold(Ipv4 ip);
  void unhold(Ipv4 ip);
  bool held(Ipv4 ip) const;
  // Why acquire() gave no permit for `ip` (for the probe's observation).
  const char* refusal(Ipv4 ip) const;
  // Counters for the report and for tests.
  std::uint64_t permits_issued() const;
  std::uint64_t refused_out_of_scope() const;
  // Wake every waiter (used on stop).
  void notify_all();

 private:
  friend class Permit;
  struct HostState {
    int probes = 0;
    int sweeps = 0;
    Clock::time_point next_probe{};
  };
  // What the host's own limits say (concurrency, gap): zero when it may be contacted now.
  Clock::duration host_wait(const HostState& h, GateKind kind, Clock::time_point now) const;
  // The global rate (GCRA, the token bucket as a schedule): the earliest time of the next
  // permit, and taking that slot.
  Clock::time_point next_slot(Clock::time_point now) const;
  void take_slot(Clock::time_point now);
  void release(const Endpoint& ep, bool sweep);

  const Scope& m_scope;
  const ScanPolicy& m_policy;
  mutable std::mutex m_mu;
  std::condition_variable_any m_cv;
  std::map<std::uint32_t, HostState> m_hosts;  // hosts with a permit out or a gap running
  std::set<std::uint32_t> m_held;
  Clock::duration m_interval;                 // 1 / rate
  Clock::duration m_burst;                    // (burst - 1) * interval
  Clock::time_point m_tat;                    // theoretical arrival time of the next permit
  std::uint64_t m_issued = 0;
  std::uint64_t m_refused = 0;
};

}  // namespace pacscan
