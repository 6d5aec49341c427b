// SPDX-License-Identifier: Apache-2.0
#pragma once
// The watch on hosts that stop answering during the scan (issue 13). A scan must not be what
// takes a modality offline; when a device that answered stops answering, every probe to it stops
// at once (the gate holds the host), it is re-checked once with a harmless TCP connect after a
// short pause, and the event is recorded as "host_watch" observations (rule
// DEVICE-STOPPED-ANSWERING). A host that comes back stays left alone unless --resume-fragile.
//
// Per host, a small state machine:
//   quiet --(any answer)--> answering --(a failure where it answered before)--> stopped
//   stopped --recheck accepted--> came_back (held) | resumed (--resume-fragile: answering again)
//   stopped --recheck not accepted--> down (held)
// It sees every observation (sweep, ARP, probes) and every association attempt as it ends, so a
// probe that makes many attempts (AE title guesses) is stopped after the first failed one.
#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/data/host_watch.hpp>
#include <pacscan/core/gate.hpp>
#include <pacscan/core/observation.hpp>
#include <pacscan/core/policy.hpp>
#include <pacscan/scan/probe.hpp>

namespace pacscan {

// What a port has shown in this scan so far.
struct PortSeen {
  bool tcp = false;  // a TCP connect was accepted
  bool app = false;  // it answered at the application level (a valid PDU, bytes, HTTP ...)
};

// Pure: the symptom ("refused", "silent", "unreachable") an association attempt shows on a port
// that showed `before`, or "" when the attempt says nothing against the host (it answered, was
// never answering there, or ended on our side: deadline, interrupt, skipped, local error).
// `host_answered`: the host answered on some port or to ARP in this scan.
std::string attempt_symptom(const AssocAttempt& a, const PortSeen& before, bool host_answered);
// Pure: the same for an observation's outcome (probes that connect without an AssocAttempt).
std::string outcome_symptom(Outcome o, std::string_view detail, const PortSeen& before,
                            bool host_answered);
// Did this attempt / outcome show the port answering (TCP accepted, application answered)?
PortSeen attempt_answer(const AssocAttempt& a);
PortSeen outcome_answer(Outcome o);

enum class WatchState { quiet, answering, stopped, came_back, resumed, down };
const char* to_string(WatchState s);

class HostWatch final : public AttemptListener {
 public:
  // `gate` is told to hold a host the moment it stops answering.
  explicit HostWatch(Gate& gate) : m_gate(gate) {}

  // Every observation of the scan (the engine's observation log calls it). A host_watch
  // observation read back (--resume) holds its host again.
  void seen(const Observation& o);
  // Every association attempt as it ends (probes/common.cpp through ProbeContext::listener).
  void attempt(const Endpoint& ep, std::string_view probe, const AssocAttempt& a) override;
  // The engine runs `probe` on `ep` now (attempts without a probe name are filed under it).
  void begin_probe(const Endpoint& ep, std::string_view probe);

  WatchState state(Ipv4 ip) const;
  // True while probes to the host must not run (stopped, came back without --resume-fragile, down).
  bool left_alone(Ipv4 ip) const;
  // The "stopped" event not yet recorded, if the host just stopped (taken once).
  std::optional<HostWatchData> take_stopped(Ipv4 ip);
  // The failed port of the last stop (where the re-check connects).
  std::uint16_t failed_port(Ipv4 ip) const;
  // The re-check's result: came back or not; with `resume` a host that came back is probed again.
  void rechecked(Ipv4 ip, bool came_back, bool resume);
  std::size_t stopped_count() const;

 private:
  struct Host {
    WatchState state = WatchState::quiet;
    bool answered = false;  // any answer (a port, ARP)
    std::map<std::uint16_t, PortSeen> ports;
    std::optional<WatchExchange> last_answered;  // the last exchange the host answered
    std::optional<HostWatchData> pending;        // "stopped", not yet taken by the engine
    std::uint16_t failed_port = 0;
    std::string probe;                           // the probe running on it now
    std::uint64_t attempts_in_probe = 0;
  };
  // Under m_mu: an exchange ended; `answer` what it showed, `symptom` "" or why it failed.
  void exchanged(Host& h, const Endpoint& ep, const WatchExchange& x, PortSeen answer,
                 const std::string& symptom);
  Gate& m_gate;
  mutable std::mutex m_mu;
  std::map<Ipv4, Host> m_hosts;
  std::size_t m_stopped = 0;
};

// What the engine lends the watch to record an event and run the re-check.
struct WatchIo {
  Gate& gate;
  const ScanPolicy& policy;
  std::stop_token stop;
  std::function<void(Observation)> record;           // into observations.jsonl
  std::function<void(const std::string&)> announce;  // one line on stderr, as it happens
};

// Called after each probe on `ep`. When the host just stopped answering: records the "stopped"
// event with `planned` (what was still to come), waits policy.recheck_pause, re-checks once with
// a TCP connect to the port that failed, records that. Returns true when probes to the host may
// go on (nothing happened, or it came back and --resume-fragile).
bool handle_stop(HostWatch& watch, WatchIo& io, const Endpoint& ep,
                 const std::function<std::vector<std::string>()>& planned);

// An endpoint of a host that is left alone reached the probe queue: recorded, not probed.
void record_left_alone(WatchIo& io, const Endpoint& ep);

// One harmless TCP connect (no byte sent; closed at once), bounded by `timeout`, under a permit:
// "open", "refused", "no answer", "unreachable" or an errno text. Never throws.
std::string tcp_check(const Permit& permit, std::chrono::milliseconds timeout);

}  // namespace pacscan
