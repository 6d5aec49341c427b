// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/gate.hpp>

#include <algorithm>

namespace pacscan {

Permit::Permit(Permit&& other) noexcept
    : m_gate(std::exchange(other.m_gate, nullptr)), m_ep(other.m_ep), m_sweep(other.m_sweep) {}

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    if (m_gate) m_gate->release(m_ep, m_sweep);
    m_gate = std::exchange(other.m_gate, nullptr);
    m_ep = other.m_ep;
    m_sweep = other.m_sweep;
  }
  return *this;
}

Permit::~Permit() {
  if (m_gate) m_gate->release(m_ep, m_sweep);
}

namespace {
Gate::Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Gate::Clock::duration>(std::chrono::duration<double>(s));
}
}  // namespace

// The global rate as a schedule (GCRA, equivalent to a token bucket of rate_per_s tokens a second
// and a burst of a tenth of a second, at least one): each discovery or sweep permit takes the
// next free slot. Probe permits do not: they go only to hosts that answered, one at a time per
// host with a gap, so each device feels the same pacing however many hosts are probed, and the
// rate stays a bound on what reaches empty addresses and every device of the segment.
Gate::Gate(const Scope& scope, const ScanPolicy& policy)
    : m_scope(scope),
      m_policy(policy),
      m_interval(seconds(1.0 / std::max(policy.rate_per_s, 0.001))),
      m_burst(seconds((std::max(1.0, policy.rate_per_s / 10) - 1) /
                      std::max(policy.rate_per_s, 0.001))),
      m_tat(Clock::now()) {}

Gate::Clock::duration Gate::host_wait(const HostState& h, GateKind kind,
                                      Clock::time_point now) const {
  Clock::duration need{0};
  if (kind == GateKind::probe) {
    // Probes and sweep connects to the same host do not overlap, and probes keep a gap.
    if (h.probes >= m_policy.max_per_host || h.sweeps > 0) need = std::chrono::milliseconds(20);
    if (now < h.next_probe) need = std::max<Clock::duration>(need, h.next_probe - now);
  } else {
    if (h.sweeps >= m_policy.sweep_per_host || h.probes > 0) need = std::chrono::milliseconds(5);
  }
  return need;
}

Gate::Clock::time_point Gate::next_slot(Clock::time_point now) const {
  return std::max(now, m_tat - m_burst);
}

void Gate::take_slot(Clock::time_point at) { m_tat = std::max(m_tat, at) + m_interval; }

std::optional<Permit> Gate::acquire(const Endpoint& ep, std::stop_token stop, bool recheck) {
  if (!m_scope.contains(ep.ip)) {
    std::lock_guard lock(m_mu);
    m_refused++;
    return std::nullopt;
  }
  std::unique_lock lock(m_mu);
  while (!stop.stop_requested()) {
    if (!recheck && m_held.contains(ep.ip.value)) return std::nullopt;
    const auto now = Clock::now();
    auto& h = m_hosts[ep.ip.value];
    const Clock::duration wait = host_wait(h, GateKind::probe, now);
    if (wait == Clock::duration{0}) {
      h.probes++;
      h.next_probe = now + m_policy.host_gap;
      m_issued++;
      return Permit(this, ep, false);
    }
    // Woken early only by hold(): a held host's waiters give up at once.
    m_cv.wait_for(lock, stop, wait, [&] { return !recheck && m_held.contains(ep.ip.value); });
  }
  return std::nullopt;
}

std::optional<Permit> Gate::try_acquire(const Endpoint& ep, GateKind kind) {
  std::lock_guard lock(m_mu);
  if (!m_scope.contains(ep.ip)) {
    m_refused++;
    return std::nullopt;
  }
  if (m_held.contains(ep.ip.value)) return std::nullopt;
  const auto now = Clock::now();
  auto it = m_hosts.try_emplace(ep.ip.value).first;
  HostState& h = it->second;
  const bool host_ok = host_wait(h, kind, now) == Clock::duration{0};
  const bool rate_ok = kind == GateKind::probe || next_slot(now) <= now;
  if (!host_ok || !rate_ok) {
    if (h.probes == 0 && h.sweeps == 0 && h.next_probe <= now) m_hosts.erase(it);
    return std::nullopt;
  }
  if (kind == GateKind::sweep) take_slot(now);
  if (kind == GateKind::probe) {
    h.probes++;
    h.next_probe = now + m_policy.host_gap;
  } else {
    h.sweeps++;
  }
  m_issued++;
  return Permit(this, ep, kind == GateKind::sweep);
}

void Gate::release(const Endpoint& ep, bool sweep) {
  {
    std::lock_guard lock(m_mu);
    auto& h = m_hosts[ep.ip.value];
    if (sweep) h.sweeps--; else h.probes--;
    if (h.probes == 0 && h.sweeps == 0 && h.next_probe <= Clock::now()) m_hosts.erase(ep.ip.value);
  }
  // No notify: waiters on a host re-check within 20 ms, and waits for the gap or the rate are
  // timed (waking every waiter at every release costs O(waiters) per permit).
}

std::uint64_t Gate::permits_issued() const {
  std::lock_guard lock(m_mu);
  return m_issued;
}

std::uint64_t Gate::refused_out_of_scope() const {
  std::lock_guard lock(m_mu);
  return m_refused;
}

void Gate::hold(Ipv4 ip) {
  {
    std::lock_guard lock(m_mu);
    m_held.insert(ip.value);
  }
  m_cv.notify_all();  // a probe waiting for its gap learns it at once
}

void Gate::unhold(Ipv4 ip) {
  std::lock_guard lock(m_mu);
  m_held.erase(ip.value);
}

bool Gate::held(Ipv4 ip) const {
  std::lock_guard lock(m_mu);
  return m_held.contains(ip.value);
}

const char* Gate::refusal(Ipv4 ip) const {
  if (!m_scope.contains(ip)) return "out of scope";
  if (held(ip)) return "host stopped answering during the scan: left alone";
  return "no permit";
}

void Gate::notify_all() { m_cv.notify_all(); }

}  // namespace pacscan
