// SPDX-License-Identifier: Apache-2.0
#pragma once
// The probe stage. One place knows each host's state (HostState: its open endpoints, what was
// learned on them, whether it stalled); one worker at a time owns a host and runs its endpoints'
// probe chains, so a device never sees two of our associations at once, while hundreds of hosts
// are probed side by side. The pool grows with the hosts waiting, up to --workers: a small scan
// starts few threads, a farm many.
//
// A stalling host (a probe whose peer did not answer within a phase timeout: a tarpit, a
// trickling peer, an HTTP server that never answers) is cut short where it is felt: the rest of
// the stalled endpoint's chain waits until the host's other endpoints were probed, and from then
// on every probe of that host runs with shorter timeouts (stalled_policy). Both are said in the
// report's notes.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <pacscan/core/gate.hpp>
#include <pacscan/core/journal.hpp>
#include <pacscan/core/policy.hpp>
#include <pacscan/scan/probe.hpp>

#include "scan/host_watch.hpp"
#include "scan/observation_log.hpp"

namespace pacscan {

// One host from its sweep to the end of its probes (owned by one worker at a time).
struct HostState {
  Ipv4 ip;
  std::vector<Endpoint> endpoints;  // open endpoints to probe, in order (web ports first)
  HostFacts facts;                  // learned on one endpoint, read on the others
  // Probes whose peer did not answer within a phase timeout; after the first, shorter timeouts.
  int stalls = 0;
  std::string first_stall;  // "port 11112, dicom_associate: no reply within ..."
  // The slowest association attempt the host answered (any reply, DICOM or not), if any.
  std::optional<Millis> slowest_answer;
};

// The timeouts a host gets once it has stalled: a real server on the same host answers in
// milliseconds; a second tarpit costs seconds, not the full budgets. Measured, as nmap's
// timeouts are: four times the slowest answer the host gave, between 1 and 2 s (2 s when it gave
// none); never longer than what the user set.
ScanPolicy stalled_policy(const ScanPolicy& p, std::optional<Millis> slowest_answer = {});
// Did this observation wait for a peer that never answered in time?
bool is_stall(const Observation& o);

// What the engine lends the chains besides the gate and the log (nullptr: not kept).
struct ChainHooks {
  HostWatch* watch = nullptr;  // hosts that stop answering are left alone (needs `io`)
  WatchIo* io = nullptr;
  SiteAeTitles* site = nullptr;  // AE titles one host accepted or published, tried on the others
};

// The resume journal's "done" marks, each written only once the chain's observations are on
// stable storage. One sync per endpoint (a thousand in a farm's six seconds) cost the scan 0.2 s
// of its discovery; the log is now synced, and the marks written, at most every `period`, and at
// flush(). A hard stop loses at most the marks of the last period: those endpoints are probed
// again on --resume, never lost.
class DoneMarks {
 public:
  DoneMarks(ObservationLog& log, ScanJournal& journal,
            std::chrono::milliseconds period = std::chrono::milliseconds(250));
  ~DoneMarks();
  DoneMarks(const DoneMarks&) = delete;
  DoneMarks& operator=(const DoneMarks&) = delete;
  void add(const Endpoint& ep);  // after the chain's last observation was pushed
  void flush();                  // syncs the log, then writes every mark added before

 private:
  ObservationLog& m_log;
  ScanJournal& m_journal;
  std::mutex m_mu;
  std::vector<Endpoint> m_pending;
  std::jthread m_timer;  // last: stopped and joined first
};

class ProbeScheduler {
 public:
  ProbeScheduler(const std::vector<const ProbeSpec*>& probes, const ScanPolicy& policy,
                 Gate& gate, ObservationLog& writer, ScanJournal& journal, std::stop_token stop,
                 ChainHooks hooks = {});
  ~ProbeScheduler();
  ProbeScheduler(const ProbeScheduler&) = delete;
  ProbeScheduler& operator=(const ProbeScheduler&) = delete;

  // A swept host with open endpoints to probe.
  void add(std::unique_ptr<HostState> host);
  // No more hosts: returns when every worker is done (or stopped).
  void finish();

  // For the progress line and the report.
  std::uint64_t probing() const { return m_probing.load(); }
  std::uint64_t probed() const { return m_probed.load(); }
  int peak_workers() const;
  std::vector<std::string> notes() const;  // stalled hosts and what they were given

 private:
  struct Chain;
  void worker();
  void probe_host(HostState& h);
  // Runs the chain's next probes; false when it stopped early to let the host's other endpoints
  // go first (a stall, the first time).
  // `rest`: the host's chains still to run (what was planned, if the host stops answering).
  bool run_steps(Chain& c, HostState& h, bool yield_on_stall, const std::deque<Chain>& rest);
  // The watch's work after a probe: the host may just have stopped answering.
  void after_probe(const Chain& c, const std::deque<Chain>& rest);

  const std::vector<const ProbeSpec*>& m_probes;
  const ScanPolicy& m_policy;
  Gate& m_gate;
  ObservationLog& m_writer;
  DoneMarks m_done;
  std::stop_token m_stop;
  ChainHooks m_hooks;
  const int m_max_workers;

  mutable std::mutex m_mu;
  std::condition_variable_any m_cv;
  std::deque<std::unique_ptr<HostState>> m_waiting;
  bool m_closed = false;
  int m_idle = 0;
  int m_peak = 0;
  std::vector<std::jthread> m_workers;
  std::vector<std::string> m_notes;
  std::atomic<std::uint64_t> m_probing{0}, m_probed{0};
};

}  // namespace pacscan
