// SPDX-License-Identifier: Apache-2.0
#include "scan/host_watch.hpp"

#include <thread>

#include <fmt/format.h>

#include <pacscan/net/socket.hpp>

namespace pacscan {

const char* to_string(WatchState s) {
  switch (s) {
    case WatchState::quiet: return "quiet";
    case WatchState::answering: return "answering";
    case WatchState::stopped: return "stopped";
    case WatchState::came_back: return "came_back";
    case WatchState::resumed: return "resumed";
    case WatchState::down: return "down";
  }
  return "?";
}

PortSeen outcome_answer(Outcome o) {
  switch (o) {
    case Outcome::ok:
    case Outcome::rejected:
    case Outcome::aborted:
    case Outcome::non_dicom: return {true, true};
    // Accepted, then closed without a reply: TCP answered, the application did not (yet).
    case Outcome::closed: return {true, false};
    default: return {};
  }
}

PortSeen attempt_answer(const AssocAttempt& a) { return outcome_answer(a.outcome); }

std::string outcome_symptom(Outcome o, std::string_view detail, const PortSeen& before,
                            bool host_answered) {
  switch (o) {
    case Outcome::refused:
      // A port that accepted a connect in this scan now refuses: the service (or host) died.
      return before.tcp ? "refused" : "";
    case Outcome::unreachable:
      // No route / ARP gone for a host that answered: the host itself is gone.
      return host_answered || before.tcp ? "unreachable" : "";
    case Outcome::timed_out: {
      // Connected but no reply (DCMTK's ACSE timeout): a hang, but only where the application
      // answered before (a tarpit never answered, and is not a device that stopped).
      const bool after_connect = detail.find("ACSE") != std::string_view::npos ||
                                 detail.find("reply") != std::string_view::npos;
      if (after_connect) return before.app ? "silent" : "";
      return before.tcp ? "silent" : "";  // the connect itself went unanswered
    }
    // closed / reset without a reply is not enough alone (TLS-layer refusals look the same):
    // the next connect shows it when the device died. Deadline, interrupt, skip, local error:
    // our side.
    default: return "";
  }
}

std::string attempt_symptom(const AssocAttempt& a, const PortSeen& before, bool host_answered) {
  return outcome_symptom(a.outcome, a.detail, before, host_answered);
}

namespace {

WatchExchange exchange_of(std::string_view probe, const Endpoint& ep, const AssocAttempt& a) {
  WatchExchange x;
  x.at = utc_now_iso();
  x.probe = probe;
  x.port = ep.port;
  x.sent = "A-ASSOCIATE-RQ";
  for (const auto& c : a.contexts) x.contexts.push_back(c.name.empty() ? c.abstract_syntax : c.name);
  x.calling_ae = a.calling_ae;
  x.called_ae = a.called_ae;
  x.outcome = a.outcome;
  x.detail = a.detail;
  if (a.reject) x.detail = "A-ASSOCIATE-RJ: " + a.reject->text;
  if (a.abort) x.detail = "A-ABORT: " + a.abort->text;
  return x;
}

WatchExchange exchange_of(const Observation& o) {
  WatchExchange x;
  x.at = o.at.empty() ? utc_now_iso() : o.at;
  x.probe = o.probe;
  x.port = o.ep.port;
  x.sent = o.probe == "tcp_connect"     ? "TCP connect (sweep)"
           : o.probe == "arp_discovery" ? "ARP who-has"
                                        : "connection(s) of this probe";
  x.outcome = o.outcome;
  x.detail = o.summary;
  return x;
}

}  // namespace

void HostWatch::exchanged(Host& h, const Endpoint& ep, const WatchExchange& x, PortSeen answer,
                          const std::string& symptom) {
  if (h.state == WatchState::stopped || h.state == WatchState::came_back ||
      h.state == WatchState::down) {
    return;  // already left alone: later failures are our own gate's refusals or stragglers
  }
  if (symptom.empty()) {
    if (answer.tcp || answer.app) {
      auto& p = h.ports[ep.port];
      p.tcp = p.tcp || answer.tcp;
      p.app = p.app || answer.app;
      h.answered = true;
      h.last_answered = x;
      if (h.state == WatchState::quiet) h.state = WatchState::answering;
    }
    return;
  }
  h.state = WatchState::stopped;
  h.failed_port = ep.port;
  m_gate.hold(ep.ip);  // first: no probe to it gets another permit from now on
  m_stopped++;
  HostWatchData d;
  d.event = "stopped";
  d.symptom = symptom;
  d.failed = x;
  if (h.last_answered) d.last_sent = *h.last_answered;
  h.pending = std::move(d);
}

void HostWatch::seen(const Observation& o) {
  std::lock_guard lock(m_mu);
  Host& h = m_hosts[o.ep.ip];
  if (const auto* w = data_as<HostWatchData>(o)) {
    // Read back (--resume): the host stays left alone, as it was when the scan was cut.
    if (w->event == "stopped" && h.state != WatchState::stopped) {
      h.state = WatchState::stopped;
      h.failed_port = static_cast<std::uint16_t>(w->failed.port);
      m_gate.hold(o.ep.ip);
    } else if (w->event == "recheck") {
      h.state = w->resumed ? WatchState::resumed : w->came_back ? WatchState::came_back
                                                                : WatchState::down;
      if (w->resumed) m_gate.unhold(o.ep.ip);
    }
    return;
  }
  if (const auto* a = data_as<ArpData>(o)) {
    (void)a;
    if (h.state == WatchState::quiet) h.state = WatchState::answering;
    h.answered = true;
    return;
  }
  if (const auto* p = data_as<PortData>(o)) {
    // The sweep is the first contact: it shows what answers, never a stop.
    if (p->state == PortState::open) {
      exchanged(h, o.ep, exchange_of(o), PortSeen{true, false}, "");
    } else if (p->state == PortState::closed) {  // an RST: the host is up, the port is not
      h.answered = true;
      if (h.state == WatchState::quiet) h.state = WatchState::answering;
    }
    return;
  }
  if (o.ep.port == 0) return;
  // A probe's observation. Where its attempts were already seen one by one, they said it all.
  if (h.probe == o.probe && h.attempts_in_probe > 0) return;
  const PortSeen before = h.ports[o.ep.port];
  // A probe's own timeout (HTTP, a TLS handshake) may be a slow reply, not a silent host: it
  // counts only where the application answered before, as an association's ACSE timeout does.
  exchanged(h, o.ep, exchange_of(o), outcome_answer(o.outcome),
            outcome_symptom(o.outcome, "no reply", before, h.answered));
}

void HostWatch::begin_probe(const Endpoint& ep, std::string_view probe) {
  std::lock_guard lock(m_mu);
  Host& h = m_hosts[ep.ip];
  h.probe = probe;
  h.attempts_in_probe = 0;
}

void HostWatch::attempt(const Endpoint& ep, std::string_view probe, const AssocAttempt& a) {
  std::lock_guard lock(m_mu);
  Host& h = m_hosts[ep.ip];
  h.attempts_in_probe++;
  const PortSeen before = h.ports[ep.port];
  exchanged(h, ep, exchange_of(probe.empty() ? std::string_view(h.probe) : probe, ep, a),
            attempt_answer(a), attempt_symptom(a, before, h.answered));
}

WatchState HostWatch::state(Ipv4 ip) const {
  std::lock_guard lock(m_mu);
  auto it = m_hosts.find(ip);
  return it == m_hosts.end() ? WatchState::quiet : it->second.state;
}

bool HostWatch::left_alone(Ipv4 ip) const {
  const auto s = state(ip);
  return s == WatchState::stopped || s == WatchState::came_back || s == WatchState::down;
}

std::optional<HostWatchData> HostWatch::take_stopped(Ipv4 ip) {
  std::lock_guard lock(m_mu);
  auto it = m_hosts.find(ip);
  if (it == m_hosts.end() || !it->second.pending) return std::nullopt;
  auto d = std::move(it->second.pending);
  it->second.pending.reset();
  return d;
}

std::uint16_t HostWatch::failed_port(Ipv4 ip) const {
  std::lock_guard lock(m_mu);
  auto it = m_hosts.find(ip);
  return it == m_hosts.end() ? 0 : it->second.failed_port;
}

void HostWatch::rechecked(Ipv4 ip, bool came_back, bool resume) {
  std::lock_guard lock(m_mu);
  Host& h = m_hosts[ip];
  if (h.state != WatchState::stopped) return;
  if (came_back && resume) {
    h.state = WatchState::resumed;
    m_gate.unhold(ip);
  } else {
    h.state = came_back ? WatchState::came_back : WatchState::down;
  }
}

std::size_t HostWatch::stopped_count() const {
  std::lock_guard lock(m_mu);
  return m_stopped;
}

namespace {

Observation watch_observation(const Endpoint& ep, HostWatchData d, Outcome outcome,
                              std::string summary) {
  Observation o = make_observation("host_watch", ep);
  o.outcome = outcome;
  o.summary = std::move(summary);
  o.data = std::move(d);
  return o;
}

Outcome check_outcome(const std::string& result) {
  if (result == "open") return Outcome::ok;
  if (result == "refused") return Outcome::refused;
  if (result == "no answer") return Outcome::timed_out;
  if (result == "unreachable") return Outcome::unreachable;
  return Outcome::error;
}

}  // namespace

bool handle_stop(HostWatch& watch, WatchIo& io, const Endpoint& ep,
                 const std::function<std::vector<std::string>()>& planned) {
  auto ev = watch.take_stopped(ep.ip);
  if (!ev) return !watch.left_alone(ep.ip);
  ev->planned = planned();
  const std::uint16_t port = static_cast<std::uint16_t>(ev->failed.port);
  std::string what = fmt::format("{} stopped answering during the scan ({} on port {}",
                                 ep.ip.str(), ev->symptom, port);
  if (!ev->last_sent.probe.empty()) {
    what += fmt::format(" after {}'s {}", ev->last_sent.probe, ev->last_sent.sent);
  }
  what += "): every probe to it stopped";
  const std::string at = ev->failed.at;
  io.record(watch_observation(Endpoint{ep.ip, 0}, std::move(*ev), Outcome::ok,
                              fmt::format("{} at {}", what, at)));
  io.announce(fmt::format("{}; re-checking with one TCP connect in {} ms", what,
                          io.policy.recheck_pause.count()));

  // The pause, cut short by Ctrl-C.
  const auto until = std::chrono::steady_clock::now() + io.policy.recheck_pause;
  while (!io.stop.stop_requested() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  HostWatchData r;
  r.event = "recheck";
  r.pause_ms = static_cast<int>(io.policy.recheck_pause.count());
  r.port = port;
  auto permit = io.gate.acquire(Endpoint{ep.ip, port}, io.stop, /*recheck=*/true);
  if (!permit) {
    r.result = "not run (scan interrupted)";
    watch.rechecked(ep.ip, false, false);
    io.record(watch_observation(Endpoint{ep.ip, 0}, std::move(r), Outcome::interrupted,
                                "re-check not run: the scan was interrupted"));
    return false;
  }
  const auto t0 = std::chrono::steady_clock::now();
  r.result = tcp_check(*permit, io.policy.connect_timeout);
  permit.reset();
  r.came_back = r.result == "open";
  r.resumed = r.came_back && io.policy.resume_fragile;
  watch.rechecked(ep.ip, r.came_back, io.policy.resume_fragile);
  const std::string summary =
      r.came_back
          ? fmt::format("came back: TCP connect to port {} accepted after a {} ms pause; {}", port,
                        r.pause_ms,
                        r.resumed ? "probed again (--resume-fragile)"
                                  : "left alone for the rest of the scan (--resume-fragile "
                                    "would probe it again)")
          : fmt::format("still not answering: TCP connect to port {} after a {} ms pause: {}; "
                        "left alone for the rest of the scan",
                        port, r.pause_ms, r.result);
  const auto outcome = check_outcome(r.result);
  Observation o = watch_observation(Endpoint{ep.ip, 0}, std::move(r), outcome, summary);
  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0).count();
  io.record(std::move(o));
  io.announce(fmt::format("{} {}", ep.ip.str(), summary));
  return !watch.left_alone(ep.ip);
}

void record_left_alone(WatchIo& io, const Endpoint& ep) {
  HostWatchData d;
  d.event = "left_alone";
  d.port = ep.port;
  d.planned = {fmt::format("every probe on port {}", ep.port)};
  io.record(watch_observation(ep, std::move(d), Outcome::skipped,
                              "not probed: the host stopped answering during the scan"));
}

std::string tcp_check(const Permit& permit, std::chrono::milliseconds timeout) {
  // Through the one socket adapter; no byte is sent and the socket closes when `c` goes.
  const auto c = net::connect_tcp(permit, std::chrono::steady_clock::now() + timeout);
  switch (c.outcome) {
    case Outcome::ok: return "open";
    case Outcome::refused: return "refused";
    case Outcome::timed_out: return "no answer";
    case Outcome::unreachable: return "unreachable";
    default: return c.error.empty() ? std::string("local error") : "local error: " + c.error;
  }
}

}  // namespace pacscan
