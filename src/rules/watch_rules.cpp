// SPDX-License-Identifier: Apache-2.0
// DEVICE-STOPPED-ANSWERING: a host that answered stopped answering during the scan (the engine's
// host watch, src/scan/host_watch.cpp, records it as "host_watch" observations).
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "evaluators.hpp"

namespace pacscan::rules {

namespace {

std::string exchange_text(const WatchExchange& x) {
  std::string s = fmt::format("{} {}: {} to port {}", x.at, x.probe, x.sent, x.port);
  if (!x.calling_ae.empty() || !x.called_ae.empty()) {
    s += fmt::format(" (calling '{}', called '{}')", x.calling_ae, x.called_ae);
  }
  if (!x.contexts.empty()) s += fmt::format(", contexts {}", fmt::join(x.contexts, ", "));
  s += fmt::format(" -> {}", to_string(x.outcome));
  if (!x.detail.empty()) s += fmt::format(" ({})", x.detail);
  return s;
}

// Probes that talk to a host after the sweep: where one ran, the host was watched.
bool active_probe(const Observation& o) {
  return o.ep.port > 0 && o.probe != "tcp_connect" && o.probe != "passive_dicom" &&
         o.probe != "host_watch" && o.outcome != Outcome::skipped;
}

}  // namespace

std::vector<AssetHit> eval_device_stopped(const ScanView& sv) {
  std::vector<AssetHit> out;
  if (!sv.observations) return out;
  std::map<Ipv4, std::vector<const Observation*>> events;
  std::set<Ipv4> watched;
  for (const auto& o : *sv.observations) {
    if (data_as<HostWatchData>(o)) events[o.ep.ip].push_back(&o);
    else if (active_probe(o)) watched.insert(o.ep.ip);
  }
  for (const auto& [ip, list] : events) {
    std::vector<std::string> evidence, planned;
    std::string first_at, symptom, outcome = "not re-checked";
    int port = 0;
    bool stopped = false;
    for (const Observation* o : list) {
      const auto& d = *data_as<HostWatchData>(*o);
      if (d.event == "stopped") {
        stopped = true;
        if (first_at.empty()) {
          first_at = d.failed.at;
          symptom = d.symptom;
          port = d.failed.port;
        }
        evidence.push_back(fmt::format("stopped answering ({}): {}", d.symptom,
                                       exchange_text(d.failed)));
        if (!d.last_sent.probe.empty()) {
          evidence.push_back("last exchange it answered: " + exchange_text(d.last_sent));
        }
        evidence.push_back("every probe to the host was stopped at once");
        planned.insert(planned.end(), d.planned.begin(), d.planned.end());
      } else if (d.event == "recheck") {
        evidence.push_back(fmt::format("re-check {} after a {} ms pause: TCP connect to port {}: "
                                       "{}",
                                       o->at, d.pause_ms, d.port, d.result));
        outcome = d.resumed     ? "it came back and was probed again (--resume-fragile)"
                  : d.came_back ? "it came back and was left alone for the rest of the scan"
                                : "it was still not answering at the re-check";
      } else if (d.event == "left_alone") {
        planned.insert(planned.end(), d.planned.begin(), d.planned.end());
      }
    }
    if (!stopped) continue;
    evidence.push_back(planned.empty()
                           ? std::string("nothing else was planned for this host")
                           : fmt::format("still planned, not run: {}", fmt::join(planned, "; ")));
    auto h = fail(Severity::high,
                  fmt::format("device stopped answering during the scan at {} ({} on port {}); "
                              "{}",
                              first_at, symptom, port, outcome),
                  std::move(evidence), {"host_watch"});
    out.push_back({Endpoint{ip, 0}, std::move(h)});
    watched.erase(ip);
  }
  for (Ipv4 ip : watched) {
    out.push_back({Endpoint{ip, 0}, pass("kept answering for the whole scan")});
  }
  return out;
}

}  // namespace pacscan::rules
