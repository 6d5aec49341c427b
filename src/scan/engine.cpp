// SPDX-License-Identifier: Apache-2.0
#include <pacscan/scan/engine.hpp>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include <pacscan/core/gate.hpp>
#include <pacscan/core/journal.hpp>
#include <pacscan/core/text.hpp>
#include <pacscan/core/version.hpp>
#include <pacscan/rules/rules.hpp>
#include <pacscan/scan/site_titles.hpp>
#include <pacscan/sweep/sweep.hpp>

#include "scan/discover.hpp"
#include "scan/host_watch.hpp"
#include "scan/observation_log.hpp"
#include "scan/scheduler.hpp"

namespace pacscan {
namespace {

Observation port_observation(const Endpoint& ep, const PortData& d) {
  Observation o = make_observation("tcp_connect", ep);
  o.outcome = d.state == PortState::open     ? Outcome::ok
              : d.state == PortState::closed ? Outcome::refused
                                             : Outcome::timed_out;
  o.elapsed_ms = d.rtt_ms;
  o.summary = d.state == PortState::open ? "open" : fmt::format("{}: {}",
      d.state == PortState::closed ? "closed" : "filtered", d.detail);
  o.data = d;
  return o;
}

// Ports where an imaging web interface usually listens (the web ports of the default port list).
// A host's endpoints on them are probed before its other endpoints, so that what http_imaging
// learns there (Orthanc /system's DicomAet, in HostFacts) is known when dicom_ae_policy runs on
// the host's DICOM ports. A web interface on another port is probed in plain port order.
bool web_first_port(std::uint16_t p) {
  return p == 80 || p == 443 || p == 8042 || p == 8080 || p == 8443;
}

// Thousands of sockets at once (sweep connects in flight, one association per host probed) need
// more descriptors than a shell's default soft limit of 1024: raised to the hard limit.
void raise_fd_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = std::min<rlim_t>(r.rlim_max, 65536);
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

// glibc gives threads their own malloc arenas, up to 8 per core. The probe threads (up to
// --workers) spend their time waiting on the network, and each arena they used keeps a few
// hundred KB of fragments after they are gone, past malloc_trim: with 16 arenas on 2 cores the
// farm's peak was 65.5 MiB, with 4 it is 61 MiB, at the same wall time. The per-thread caches
// (tcache) serve most small allocations without an arena lock. MALLOC_ARENA_MAX, when set,
// wins.
void limit_malloc_arenas() {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) ::mallopt(M_ARENA_MAX, 4);
}

// -iX: endpoints already found open (by nmap) go to the probes without discovery or a sweep.
// Out of scope ones (--exclude, --do-not-probe, not among the targets) are left out here, and
// the gate would refuse them anyway. A host's web-first ports are probed first, as after a sweep.
// Resumed: endpoints in `carried` were recorded by the interrupted run (not recorded again; probed
// unless their chain was done).
void queue_given_open(const ScanRequest& req, const std::set<Endpoint>& carried,
                      const std::map<std::uint32_t, std::vector<SweptPort>>& carried_ports,
                      const std::map<std::uint32_t, HostFacts>& carried_facts,
                      ObservationLog& writer, ProbeScheduler& scheduler,
                      std::atomic<std::uint64_t>& open_endpoints) {
  std::set<Ipv4> shard;  // --shard K/N: only this scanner's share of the hosts
  if (req.shard.active()) {
    for (Ipv4 ip : shard_hosts(req.scope->hosts(), req.shard)) shard.insert(ip);
  }
  std::vector<Endpoint> eps;
  for (const Endpoint& ep : *req.given_open) {
    if (!req.scope->contains(ep.ip) || carried.contains(ep)) continue;
    if (req.shard.active() && !shard.contains(ep.ip)) continue;
    eps.push_back(ep);
  }
  std::sort(eps.begin(), eps.end());
  eps.erase(std::unique(eps.begin(), eps.end()), eps.end());
  std::map<std::uint32_t, std::vector<std::uint16_t>> by_host;
  for (const Endpoint& ep : eps) {
    PortData d;
    d.state = PortState::open;
    d.detail = "open in " + req.given_source + " (not swept)";
    Observation o = port_observation(ep, d);
    o.summary = d.detail;
    writer.push(std::move(o));
    by_host[ep.ip.value].push_back(ep.port);
  }
  for (const auto& [ip, ports] : carried_ports) {
    for (const auto& p : ports) {
      if (p.data.state == PortState::open) by_host[ip].push_back(p.port);
    }
  }
  for (auto& [ip, ports] : by_host) {
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    std::stable_partition(ports.begin(), ports.end(), web_first_port);
    auto host = std::make_unique<HostState>();
    host->ip = Ipv4{ip};
    if (auto f = carried_facts.find(ip); f != carried_facts.end()) host->facts = f->second;
    for (auto port : ports) {
      const Endpoint ep{Ipv4{ip}, port};
      open_endpoints++;
      if (req.resume && req.resume->done.contains(ep)) continue;
      host->endpoints.push_back(ep);
    }
    if (!host->endpoints.empty()) scheduler.add(std::move(host));
  }
}

}  // namespace

Expected<std::vector<const ProbeSpec*>> select_probes(const ScanPolicy& policy) {
  std::vector<const ProbeSpec*> out;
  if (policy.probes.empty()) {
    for (const ProbeSpec* p : all_probes()) {
      if (p->level == ProbeLevel::safe || policy.profile == Profile::intrusive) out.push_back(p);
    }
    return out;
  }
  for (const auto& name : policy.probes) {
    const ProbeSpec* p = find_probe(name);
    if (!p) return error(fmt::format("unknown probe \"{}\" (see `pacscan probes`)", name));
    if (p->level == ProbeLevel::intrusive && policy.profile != Profile::intrusive) {
      return error(fmt::format("probe \"{}\" is intrusive: it needs --profile intrusive", name));
    }
  }
  for (const ProbeSpec* p : all_probes()) {  // registry order, whatever the command-line order
    if (std::find(policy.probes.begin(), policy.probes.end(), p->name) != policy.probes.end()) {
      out.push_back(p);
    }
  }
  return out;
}

Millis worst_case_per_endpoint(const ScanPolicy& policy,
                               const std::vector<const ProbeSpec*>& probes) {
  long long associations = 0;
  for (const ProbeSpec* p : probes) {
    associations += max_associations(*p, policy);
  }
  const auto per_assoc = policy.assoc_deadline + policy.connect_timeout + policy.host_gap;
  return std::min<Millis>(policy.endpoint_budget + policy.assoc_deadline,
                          Millis(per_assoc.count() * associations));
}

Expected<ScanResult> run_scan(const ScanRequest& req, std::stop_token stop) {
  const auto t0 = std::chrono::steady_clock::now();
  // -v: where the wall time went, as nmap's "Completed ... elapsed" lines.
  auto timing = [&](std::string_view phase) {
    if (!req.timings) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "%spacscan: %.*s at %.2f s\n", req.progress ? "\n" : "",
                 static_cast<int>(phase.size()), phase.data(), s);
  };
  std::error_code ec;
  std::filesystem::create_directories(req.out_dir, ec);
  if (ec) return error(fmt::format("cannot create output folder {}: {}", req.out_dir.string(), ec.message()));
  raise_fd_limit();
  limit_malloc_arenas();
  const bool resuming = req.resume.has_value();
  ObservationLog writer(req.out_dir / "observations.jsonl", resuming);
  if (!writer.opened()) return error(writer.open_error());
  ScanJournal journal(req.out_dir / "resume.jsonl", resuming);
  auto probes = select_probes(req.policy);
  if (!probes) return error(probes.error());

  ScanResult result;
  auto& meta = result.meta;
  meta.pacscan_version = version();
  meta.command_line = req.command_line;
  meta.started_at = resuming ? req.resume->started_at : utc_now_iso();
  if (resuming) {
    journal.resumed(utc_now_iso());
    meta.notes.push_back(fmt::format(
        "Resumed on {} (pacscan scan --resume): {} endpoint(s) probed before the interruption "
        "were kept as they were; {} observation(s) of endpoints whose probes had been cut were "
        "discarded and those endpoints probed again.",
        utc_now_iso(), req.resume->done.size(), req.resume->dropped));
  } else {
    journal.started(req.command_line, meta.started_at);
  }
  meta.profile = req.policy.profile == Profile::intrusive ? "intrusive" : "safe";
  meta.targets = req.scope->targets();
  meta.excludes = req.scope->excludes();
  meta.resolved = req.scope->resolved();
  meta.scope_size = req.scope->size();
  auto texts = [](const std::vector<Ipv4Range>& ranges) {
    std::vector<std::string> out;
    for (const auto& r : ranges) out.push_back(r.str());
    return out;
  };
  for (const auto& d : req.scope->dropped()) {
    meta.dropped.push_back({d.target, d.reason, d.count, texts(d.ranges)});
  }
  for (const auto& n : req.scope->not_probed()) {
    meta.do_not_probe.push_back(
        {n.entry.target, n.entry.reason, n.entry.origin, n.count, texts(n.ranges)});
  }
  if (req.shard.active()) {
    meta.shard = req.shard.str();
    meta.notes.push_back(fmt::format(
        "Shard {} of the scope: in-scope hosts number {}, {}, {}, ... in address order ({} "
        "host(s)); `pacscan merge` joins the shards' scan.json files.",
        req.shard.str(), req.shard.k, req.shard.k + req.shard.n, req.shard.k + 2 * req.shard.n,
        shard_hosts(req.scope->hosts(), req.shard).size()));
  }
  for (auto p : req.ports) meta.ports.push_back(p);
  for (const ProbeSpec* p : *probes) meta.probes.emplace_back(p->name);

  Gate gate(*req.scope, req.policy);
  // Web-first only matters when a probe learns host facts there (http_imaging).
  const bool web_first = std::any_of(probes->begin(), probes->end(),
                                     [](const ProbeSpec* p) { return p->learn_host != nullptr; });
  std::vector<std::uint16_t> port_order(req.ports.begin(), req.ports.end());
  if (web_first) std::stable_partition(port_order.begin(), port_order.end(), web_first_port);

  // What an interrupted run already did: ports swept (not swept again), their results, the
  // endpoints whose probes completed (not probed again), host facts learned.
  std::set<Endpoint> swept_before;
  std::map<std::uint32_t, std::vector<SweptPort>> carried_ports;
  std::map<std::uint32_t, HostFacts> carried_facts;
  if (resuming) {
    for (const auto& o : req.resume->carried) {
      if (const auto* d = data_as<PortData>(o)) {
        swept_before.insert(o.ep);
        carried_ports[o.ep.ip.value].push_back(SweptPort{o.ep.port, *d});
      }
    }
    for (const ProbeSpec* p : *probes) {
      if (!p->learn_host) continue;
      for (const auto& o : req.resume->carried) {
        if (o.probe == p->name) p->learn_host(o, carried_facts[o.ep.ip.value]);
      }
    }
  }

  // Hosts that stop answering during the scan are left alone at once (issue 13).
  HostWatch watch(gate);
  writer.observe([&watch](const Observation& o) { watch.seen(o); });
  if (resuming) {
    for (const auto& o : req.resume->carried) watch.seen(o);
  }
  WatchIo watch_io{gate, req.policy, stop, [&writer](Observation o) { writer.push(std::move(o)); },
                   [&](const std::string& text) {
                     if (!req.quiet) {
                       std::fprintf(stderr, "%spacscan: %s\n", req.progress ? "\n" : "",
                                    escape_untrusted(text).c_str());
                     }
                   }};
  SiteAeTitles site_titles;  // AE titles one host accepted or published, tried on the others

  std::atomic<std::uint64_t> swept_endpoints{swept_before.size()}, open_endpoints{0};
  ProbeScheduler scheduler(*probes, req.policy, gate, writer, journal, stop,
                           ChainHooks{&watch, &watch_io, &site_titles});
  // Discovery feeds the sweep, the sweep feeds the probes: a host is probed as soon as all its
  // ports are known, while other hosts are still being found and swept.
  SweepFeed feed;

  std::jthread reporter;
  if (req.progress) {
    reporter = std::jthread([&](std::stop_token rs) {
      while (!rs.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const auto s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - t0).count();
        const auto stopped_n = watch.stopped_count();
        const std::string stopped =
            stopped_n ? fmt::format("  STOPPED ANSWERING {}", stopped_n) : std::string{};
        std::fprintf(stderr,
                     "\r[pacscan] swept %llu/%llu  open %llu  probed %llu/%llu  %llds%s   ",
                     (unsigned long long)swept_endpoints.load(),
                     (unsigned long long)(feed.pushed() * req.ports.size()),
                     (unsigned long long)open_endpoints.load(),
                     (unsigned long long)scheduler.probed(),
                     (unsigned long long)open_endpoints.load(), (long long)s, stopped.c_str());
        std::fflush(stderr);
      }
      std::fprintf(stderr, "\n");
    });
  }

  std::set<std::uint32_t> arp_up;  // hosts that answered ARP (up even with every port filtered)
  std::mutex arp_mu;
  ScanMeta discovery_meta;
  std::jthread discovery;
  if (req.given_open) {  // -iX: no host discovery, no sweep
    feed.close();
  } else if (resuming && req.resume->hosts) {
    for (const auto& o : req.resume->carried) {
      if (data_as<ArpData>(o)) arp_up.insert(o.ep.ip.value);
    }
    for (Ipv4 ip : *req.resume->hosts) feed.push(ip);
    feed.close();
  } else {
    discovery = std::jthread([&] {
      auto hosts = discover(req, shard_hosts(req.scope->hosts(), req.shard), gate, stop, writer,
                            discovery_meta, feed, [&](Ipv4 ip) {
                              std::lock_guard lock(arp_mu);
                              arp_up.insert(ip.value);
                            });
      if (!stop.stop_requested()) journal.hosts(hosts);
      feed.close();
      timing(fmt::format("host discovery ended ({} host(s) to sweep)", hosts.size()));
    });
  }
  std::uint64_t hosts_swept = 0;
  const auto sweep_stats = run_sweep(
      feed, port_order, gate, req.policy, stop, swept_before,
      [&](Ipv4 ip, std::vector<SweptPort>&& ports) {
        hosts_swept++;
        // Results of this run first, then what a resumed scan carried (already on disk).
        bool up = false;
        {
          std::lock_guard lock(arp_mu);
          up = arp_up.contains(ip.value);
        }
        const auto carried = carried_ports.find(ip.value);
        auto shows_up = [](const SweptPort& p) { return p.data.state != PortState::filtered; };
        up = up || std::any_of(ports.begin(), ports.end(), shows_up) ||
             (carried != carried_ports.end() &&
              std::any_of(carried->second.begin(), carried->second.end(), shows_up));
        // A host that answered nothing keeps nothing in memory: its lines are not indexed.
        for (const auto& p : ports) writer.push(port_observation(Endpoint{ip, p.port}, p.data), up);
        swept_endpoints += ports.size();
        auto host = std::make_unique<HostState>();
        host->ip = ip;
        if (carried != carried_ports.end()) {
          ports.insert(ports.end(), carried->second.begin(), carried->second.end());
          carried_ports.erase(carried);
        }
        if (auto f = carried_facts.find(ip.value); f != carried_facts.end()) {
          host->facts = f->second;
        }
        for (std::uint16_t p : port_order) {  // web ports first, then the others
          const bool open = std::any_of(ports.begin(), ports.end(), [&](const SweptPort& s) {
            return s.port == p && s.data.state == PortState::open;
          });
          if (!open) continue;
          open_endpoints++;
          const Endpoint ep{ip, p};
          if (resuming && req.resume->done.contains(ep)) continue;
          host->endpoints.push_back(ep);
        }
        if (!host->endpoints.empty()) scheduler.add(std::move(host));
      });
  if (req.given_open) {
    queue_given_open(req, swept_before, carried_ports, carried_facts, writer, scheduler,
                     open_endpoints);
  }
  timing("sweep ended");
  if (discovery.joinable()) discovery.join();
  scheduler.finish();
  timing("probes ended");
  if (reporter.joinable()) {
    reporter.request_stop();
    reporter.join();
  }

  // Notes in a stable order: discovery's, then the sweep's timing, then stalled hosts.
  for (auto& n : discovery_meta.notes) meta.notes.push_back(std::move(n));
  if (sweep_stats.retries > 0 || sweep_stats.connects > 0) {
    meta.notes.push_back(fmt::format(
        "Sweep: {} connect(s) to {} host(s); connect timeouts adapted to the round-trip times "
        "measured (last: {} ms, between {} ms and --connect-timeout {} ms); {} connect(s) that "
        "got no answer in that time were tried once more before the port was called filtered.",
        sweep_stats.connects, hosts_swept, sweep_stats.last_timeout.count(),
        k_min_connect_timeout.count(), req.policy.connect_timeout.count(), sweep_stats.retries));
  }
  {
    const auto& p = req.policy;
    meta.notes.push_back(fmt::format(
        "Pacing, per device: at most {} association(s) at a time to a host, {} ms apart; at most "
        "{} AE-title guess(es) per endpoint; at most {} sweep connect(s) at a time to a host. For "
        "the network: at most {:g} ARP request(s) and sweep connect(s) a second, whole scan "
        "(probes go only to hosts that answered and are paced per host, up to {} host(s) at "
        "once).",
        p.max_per_host, p.host_gap.count(), p.max_ae_attempts, p.sweep_per_host, p.rate_per_s,
        p.workers));
  }
  auto stalled = scheduler.notes();
  std::sort(stalled.begin(), stalled.end(), [](const std::string& a, const std::string& b) {
    const auto ia = Ipv4::parse(a.substr(0, a.find(' ')));
    const auto ib = Ipv4::parse(b.substr(0, b.find(' ')));
    return ia && ib ? *ia < *ib : a < b;
  });
  for (auto& n : stalled) meta.notes.push_back(std::move(n));

  meta.finished_at = utc_now_iso();
  meta.interrupted = stop.stop_requested();
  meta.permits_issued = gate.permits_issued();
  meta.refused_out_of_scope = gate.refused_out_of_scope();
  if (meta.interrupted) {
    meta.notes.push_back("The scan was interrupted: endpoints not reached are absent and probes "
                         "that did not run are reported as not evaluated.");
  }
  if (const auto err = writer.write_error(); !err.empty()) {
    result.output_error = fmt::format(
        "observations.jsonl could not be written completely ({}; {} observation(s) not written): "
        "the scan went on in memory",
        err, writer.lines_lost());
    meta.notes.push_back(result.output_error);
  }
  if (!meta.interrupted) journal.finished(meta.finished_at);
  // The probe workers are gone; what they freed stays in their malloc arenas, which the judging
  // and reporting (main thread, main arena) cannot reuse. Hand it back before the peak.
  ::malloc_trim(0);
  judge_by_host(writer, result);
  timing("judging ended");
  return result;
}

}  // namespace pacscan