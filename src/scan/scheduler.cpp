// SPDX-License-Identifier: Apache-2.0
#include "scan/scheduler.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <pacscan/core/text.hpp>

namespace pacscan {
namespace {

Observation internal_error(std::string_view probe, const Endpoint& ep, std::string_view what) {
  Observation o = make_observation(probe, ep);
  o.outcome = Outcome::error;
  o.summary = fmt::format("internal error in probe: {}", what);
  return o;
}

std::string seconds_text(Millis ms) {
  return ms.count() % 1000 == 0 ? fmt::format("{} s", ms.count() / 1000)
                                : fmt::format("{} ms", ms.count());
}

}  // namespace

ScanPolicy stalled_policy(const ScanPolicy& p, std::optional<Millis> slowest_answer) {
  const Millis phase =
      slowest_answer ? std::clamp(*slowest_answer * 4, Millis(1000), Millis(2000)) : Millis(2000);
  ScanPolicy s = p;
  s.acse_timeout = std::min(p.acse_timeout, phase);
  s.dimse_timeout = std::min(p.dimse_timeout, phase);
  s.io_timeout = std::min(p.io_timeout, phase);  // DCMTK reads, and an HTTP request
  s.connect_timeout = std::min(p.connect_timeout, phase);
  s.assoc_deadline = std::min(p.assoc_deadline, phase * 2);
  return s;
}

namespace {

// Between a chain's probes and the scan's listener (the host watch): keeps the host's slowest
// answer, which sizes its timeouts once it has stalled.
class AnswerTimer final : public AttemptListener {
 public:
  AnswerTimer(HostState& h, AttemptListener* next) : m_host(h), m_next(next) {}
  void attempt(const Endpoint& ep, std::string_view probe, const AssocAttempt& a) override {
    if (attempt_answer(a).app) {
      const Millis took(std::max<std::int64_t>(0, a.elapsed_ms));
      m_host.slowest_answer = std::max(m_host.slowest_answer.value_or(Millis(0)), took);
    }
    if (m_next) m_next->attempt(ep, probe, a);
  }

 private:
  HostState& m_host;
  AttemptListener* m_next;
};

}  // namespace

bool is_stall(const Observation& o) {
  return o.outcome == Outcome::timed_out || o.outcome == Outcome::deadline;
}

struct ProbeScheduler::Chain {
  Endpoint ep;
  ServiceFacts facts;
  std::size_t next = 0;  // the next probe to run
  Millis budget_left;    // of --endpoint-budget (a deferred chain keeps what it had left)
  bool deferred = false;
  bool completed = false;
};

DoneMarks::DoneMarks(ObservationLog& log, ScanJournal& journal, std::chrono::milliseconds period)
    : m_log(log), m_journal(journal), m_timer([this, period](std::stop_token stop) {
        std::mutex mu;
        std::condition_variable_any cv;
        std::unique_lock lock(mu);
        while (!stop.stop_requested()) {
          cv.wait_for(lock, stop, period, [] { return false; });  // woken only by the stop
          flush();
        }
      }) {}

DoneMarks::~DoneMarks() {
  m_timer.request_stop();
  if (m_timer.joinable()) m_timer.join();
  flush();
}

void DoneMarks::add(const Endpoint& ep) {
  std::lock_guard lock(m_mu);
  m_pending.push_back(ep);
}

void DoneMarks::flush() {
  std::vector<Endpoint> marks;
  {
    std::lock_guard lock(m_mu);
    marks.swap(m_pending);
  }
  if (marks.empty()) return;
  m_log.sync();  // after the marks were taken: their observations were pushed before
  for (const auto& ep : marks) m_journal.done(ep);
}

ProbeScheduler::ProbeScheduler(const std::vector<const ProbeSpec*>& probes,
                               const ScanPolicy& policy, Gate& gate, ObservationLog& writer,
                               ScanJournal& journal, std::stop_token stop, ChainHooks hooks)
    : m_probes(probes),
      m_policy(policy),
      m_gate(gate),
      m_writer(writer),
      m_done(writer, journal),
      m_stop(stop),
      m_hooks(hooks),
      m_max_workers(std::max(1, policy.workers)) {}

ProbeScheduler::~ProbeScheduler() { finish(); }

void ProbeScheduler::add(std::unique_ptr<HostState> host) {
  std::lock_guard lock(m_mu);
  m_waiting.push_back(std::move(host));
  // Grow the pool with the work: a new worker only when every worker is busy.
  if (m_idle == 0 && static_cast<int>(m_workers.size()) < m_max_workers) {
    m_workers.emplace_back([this] { worker(); });
    m_peak = std::max(m_peak, static_cast<int>(m_workers.size()));
  } else {
    m_cv.notify_one();
  }
}

void ProbeScheduler::finish() {
  {
    std::lock_guard lock(m_mu);
    m_closed = true;
  }
  m_cv.notify_all();
  std::vector<std::jthread> workers;
  {
    std::lock_guard lock(m_mu);
    workers.swap(m_workers);
  }
  for (auto& w : workers) w.join();
  m_done.flush();
}

int ProbeScheduler::peak_workers() const {
  std::lock_guard lock(m_mu);
  return m_peak;
}

std::vector<std::string> ProbeScheduler::notes() const {
  std::lock_guard lock(m_mu);
  return m_notes;
}

void ProbeScheduler::worker() {
  for (;;) {
    std::unique_ptr<HostState> host;
    {
      std::unique_lock lock(m_mu);
      m_idle++;
      m_cv.wait(lock, m_stop, [&] { return !m_waiting.empty() || m_closed; });
      m_idle--;
      if (m_stop.stop_requested() || m_waiting.empty()) return;
      host = std::move(m_waiting.front());
      m_waiting.pop_front();
    }
    probe_host(*host);
  }
}

void ProbeScheduler::probe_host(HostState& h) {
  std::deque<Chain> chains;
  for (const auto& ep : h.endpoints) {
    Chain c{ep, {}, 0, m_policy.endpoint_budget};
    c.facts.port_open = true;
    chains.push_back(std::move(c));
  }
  while (!chains.empty() && !m_stop.stop_requested()) {
    Chain c = std::move(chains.front());
    chains.pop_front();
    if (c.next == 0 && m_hooks.watch && m_hooks.watch->left_alone(h.ip)) {
      record_left_alone(*m_hooks.io, c.ep);  // its host stopped answering: not a packet more
      m_done.add(c.ep);
      m_probed++;
      continue;
    }
    m_probing++;
    const bool finished = run_steps(c, h, !c.deferred && !chains.empty(), chains);
    m_probing--;
    if (!finished) {  // stalled: the host's other endpoints first, then the rest of this one
      c.deferred = true;
      chains.push_back(std::move(c));
      continue;
    }
    if (c.completed) m_done.add(c.ep);  // an interrupted chain is probed again on --resume
    m_probed++;
  }
  if (h.stalls > 0) {
    const auto s = stalled_policy(m_policy, h.slowest_answer);
    auto note = fmt::format(
        "{} stalled ({} probe(s) waited for an answer that did not come in time; first: {}): "
        "its other probes ran with shorter timeouts (at most ACSE {}, DIMSE {}, I/O {}, "
        "association {}: {}) and a stalled endpoint's remaining probes after the host's other "
        "ports.",
        h.ip.str(), h.stalls, h.first_stall, seconds_text(s.acse_timeout),
        seconds_text(s.dimse_timeout), seconds_text(s.io_timeout),
        seconds_text(s.assoc_deadline),
        h.slowest_answer
            ? fmt::format("four times its slowest answer, {} ms, within 1-2 s",
                          h.slowest_answer->count())
            : std::string("it gave no answer to measure"));
    std::lock_guard lock(m_mu);
    m_notes.push_back(std::move(note));
  }
}

void ProbeScheduler::after_probe(const Chain& c, const std::deque<Chain>& rest) {
  if (!m_hooks.watch) return;
  handle_stop(*m_hooks.watch, *m_hooks.io, c.ep, [&] {  // what was still planned when it stopped
    std::vector<std::string> planned;
    for (std::size_t k = c.next; k < m_probes.size(); ++k) {
      planned.push_back(fmt::format("{} on port {}", m_probes[k]->name, c.ep.port));
    }
    for (const auto& other : rest) {
      planned.push_back(other.next == 0 ? fmt::format("every probe on port {}", other.ep.port)
                                        : fmt::format("the rest of the probes on port {}",
                                                      other.ep.port));
    }
    return planned;
  });
}

bool ProbeScheduler::run_steps(Chain& c, HostState& h, bool yield_on_stall,
                               const std::deque<Chain>& rest) {
  Budget budget(c.budget_left);
  const Endpoint& ep = c.ep;
  // Probes that run with the site's client certificate see what a known peer sees: their
  // observations say so, and rules keep them apart from what an unknown peer can do.
  const auto mark = [&](Observation& o) {
    if (c.facts.tls && c.facts.tls_credential && o.identity.empty()) o.identity = "tls_client_cert";
  };
  // An association a probe keeps open for the next (dicom_echo's): released on every way out,
  // and before any probe that does not use it.
  std::shared_ptr<void> kept;
  for (; c.next < m_probes.size(); ) {
    if (m_stop.stop_requested()) return true;  // not run: rules will say "did not run"
    const ProbeSpec* spec = m_probes[c.next++];
    if (m_hooks.watch && m_hooks.watch->left_alone(ep.ip)) {  // nothing more is sent to it
      if (applies(*spec, c.facts) || (c.facts.speaks_dicom && spec->dicom_probe)) {
        Observation o = make_observation(spec->name, ep);
        o.outcome = Outcome::skipped;
        o.summary = "not run: the host stopped answering during the scan (left alone)";
        m_writer.push(std::move(o));
      }
      continue;
    }
    if (!applies(*spec, c.facts)) {
      // Tell the auditor why a DICOM endpoint missed a DICOM probe (rules cite it).
      if (c.facts.speaks_dicom && spec->dicom_probe) {
        Observation o = make_observation(spec->name, ep);
        o.outcome = Outcome::skipped;
        const auto needs = precondition(*spec);
        o.summary = needs.empty() ? std::string("not applicable to this endpoint")
                                  : fmt::format("not applicable: needs {}", needs);
        mark(o);
        m_writer.push(std::move(o));
      }
      continue;
    }
    if (budget.exhausted()) {
      Observation o = make_observation(spec->name, ep);
      o.outcome = Outcome::skipped;
      o.summary = "endpoint time budget exhausted";
      mark(o);
      m_writer.push(std::move(o));
      continue;
    }
    // Once the host has stalled, every probe of it gets the shorter timeouts.
    const ScanPolicy policy = h.stalls > 0 ? stalled_policy(m_policy, h.slowest_answer) : m_policy;
    AnswerTimer timer(h, m_hooks.watch);
    if (!spec->reuses_association) kept.reset();
    ProbeContext ctx{policy, m_gate, budget, m_stop, c.facts, &h.facts, m_hooks.site,
                     &timer, spec->name, &kept};
    if (m_hooks.watch) m_hooks.watch->begin_probe(ep, spec->name);
    std::vector<Observation> obs;
    // Whatever a probe (or what it learned from a device) throws ends that probe only: it becomes
    // the endpoint's error observation and the chain goes on.
    try {
      obs = spec->run(ctx, ep);
      for (auto& o : obs) {
        mark(o);
        if (spec->learn) spec->learn(o, c.facts);
        if (spec->learn_host) spec->learn_host(o, h.facts);
      }
    } catch (const std::exception& e) {
      obs = {internal_error(spec->name, ep, e.what())};
    } catch (...) {
      obs = {internal_error(spec->name, ep, "unknown exception")};
    }
    bool stalled = false;
    for (auto& o : obs) {
      if (is_stall(o) && !m_stop.stop_requested()) {
        stalled = true;
        if (h.stalls++ == 0) {
          h.first_stall =
              fmt::format("port {}, {}: {}", ep.port, o.probe, escape_untrusted(o.summary));
        }
      }
      m_writer.push(std::move(o));
    }
    // The re-check of a host that stopped answering needs the host's permit.
    if (m_hooks.watch && m_hooks.watch->left_alone(ep.ip)) kept.reset();
    after_probe(c, rest);
    if (stalled && yield_on_stall && c.next < m_probes.size()) {
      c.budget_left = budget.remaining();
      return false;
    }
  }
  c.completed = !m_stop.stop_requested();
  return true;
}

}  // namespace pacscan
