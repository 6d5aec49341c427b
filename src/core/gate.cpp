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

Gate::Gate(const Scope& scope, const ScanPolicy& policy)
    : m_scope(scope),
      m_policy(policy),
      m_tokens(std::max(1.0, policy.rate_per_s / 10)),
      m_last_refill(Clock::now()) {}

// Token bucket: rate_per_s tokens per second, burst of a tenth of a second (at least one).
bool Gate::admissible(const Endpoint& ep, GateKind kind, Clock::time_point now,
                      Clock::duration* wait) {
  const double burst = std::max(1.0, m_policy.rate_per_s / 10);
  const double elapsed = std::chrono::duration<double>(now - m_last_refill).count();
  m_tokens = std::min(burst, m_tokens + elapsed * m_policy.rate_per_s);
  m_last_refill = now;
  auto& h = m_hosts[ep.ip.value];
  Clock::duration need{0};
  if (kind == GateKind::probe) {
    // Probes and sweep connects to the same host do not overlap, and probes keep a gap.
    if (h.probes >= m_policy.max_per_host || h.sweeps > 0) need = std::chrono::milliseconds(20);
    if (now < h.next_probe) need = std::max(need, h.next_probe - now);
  } else {
    if (h.sweeps >= m_policy.sweep_per_host || h.probes > 0) need = std::chrono::milliseconds(5);
  }
  if (m_tokens < 1.0) {
    const auto t = std::chrono::duration<double>((1.0 - m_tokens) / m_policy.rate_per_s);
    need = std::max(need, std::chrono::duration_cast<Clock::duration>(t));
  }
  if (wait) *wait = need;
  return need == Clock::duration{0};
}

void Gate::take(const Endpoint& ep, GateKind kind, Clock::time_point now) {
  m_tokens -= 1.0;
  auto& h = m_hosts[ep.ip.value];
  if (kind == GateKind::probe) {
    h.probes++;
    h.next_probe = now + m_policy.host_gap;
  } else {
    h.sweeps++;
  }
  m_issued++;
}

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
    Clock::duration wait{};
    if (admissible(ep, GateKind::probe, now, &wait)) {
      take(ep, GateKind::probe, now);
      return Permit(this, ep, false);
    }
    m_cv.wait_for(lock, stop, wait, [] { return false; });
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
  if (!admissible(ep, kind, now, nullptr)) return std::nullopt;
  take(ep, kind, now);
  return Permit(this, ep, kind == GateKind::sweep);
}

void Gate::release(const Endpoint& ep, bool sweep) {
  {
    std::lock_guard lock(m_mu);
    auto& h = m_hosts[ep.ip.value];
    if (sweep) h.sweeps--; else h.probes--;
    if (h.probes == 0 && h.sweeps == 0 && h.next_probe <= Clock::now()) m_hosts.erase(ep.ip.value);
  }
  m_cv.notify_all();
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
