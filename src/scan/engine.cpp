#include <pacscan/scan/engine.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include <pacscan/core/gate.hpp>
#include <pacscan/core/text.hpp>
#include <pacscan/rules/rules.hpp>
#include <pacscan/sweep/sweep.hpp>

#include "discovery/arp.hpp"
#include "scan/observation_log.hpp"

#include <pacscan/core/journal.hpp>

namespace pacscan {
namespace {

// Open endpoints waiting for probes. A worker takes the first endpoint whose host is idle, so one
// host never sees two probe chains at once, while other hosts proceed in parallel.
class ProbeQueue {
 public:
  void push(const Endpoint& ep) {
    {
      std::lock_guard lock(m_mu);
      m_pending.push_back(ep);
      m_gen++;
    }
    m_cv.notify_all();
  }
  void close() {
    {
      std::lock_guard lock(m_mu);
      m_closed = true;
      m_gen++;
    }
    m_cv.notify_all();
  }
  // nullopt: no more work (closed and drained) or stop.
  std::optional<Endpoint> pop(std::stop_token stop) {
    std::unique_lock lock(m_mu);
    for (;;) {
      if (stop.stop_requested()) return std::nullopt;
      for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
        if (!m_busy.contains(it->ip.value)) {
          Endpoint ep = *it;
          m_pending.erase(it);
          m_busy.insert(ep.ip.value);
          return ep;
        }
      }
      if (m_closed && m_pending.empty()) return std::nullopt;
      const auto gen = m_gen;
      m_cv.wait(lock, stop, [&] { return m_gen != gen; });
    }
  }
  void done(const Endpoint& ep) {
    {
      std::lock_guard lock(m_mu);
      m_busy.erase(ep.ip.value);
      m_gen++;
    }
    m_cv.notify_all();
  }

 private:
  std::mutex m_mu;
  std::condition_variable_any m_cv;
  std::deque<Endpoint> m_pending;
  std::set<std::uint32_t> m_busy;
  bool m_closed = false;
  std::uint64_t m_gen = 0;  // bumped on every change a waiter may care about
};

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
// the host's DICOM ports. A web interface on another port is probed in plain sweep order.
bool web_first_port(std::uint16_t p) {
  return p == 80 || p == 443 || p == 8042 || p == 8080 || p == 8443;
}

// Between the sweep and the ProbeQueue: a host's open endpoints on other ports are held until
// every web-first port of that host in the port list has been swept (and the open ones queued).
// Used on the sweep thread only.
class WebFirstHold {
 public:
  WebFirstHold(const std::vector<std::uint16_t>& ports, bool enabled) {
    if (!enabled) return;
    std::set<std::uint16_t> web;
    for (auto p : ports) {
      if (web_first_port(p)) web.insert(p);
    }
    m_web_ports = web.size();
  }
  // The endpoints to queue now, in order, after the sweep reported `ep`.
  std::vector<Endpoint> swept(const Endpoint& ep, bool open) {
    if (m_web_ports == 0) return open ? std::vector<Endpoint>{ep} : std::vector<Endpoint>{};
    Host& h = m_hosts[ep.ip.value];
    std::vector<Endpoint> out;
    if (web_first_port(ep.port)) {
      if (open) out.push_back(ep);
      if (++h.web_swept == m_web_ports) {
        out.insert(out.end(), h.held.begin(), h.held.end());
        h.held.clear();
      }
    } else if (open) {
      if (h.web_swept >= m_web_ports) out.push_back(ep);
      else h.held.push_back(ep);
    }
    return out;
  }
  // After the sweep (an interrupted sweep does not report every port): whatever is still held.
  std::vector<Endpoint> rest() {
    std::vector<Endpoint> out;
    for (auto& [ip, h] : m_hosts) {
      out.insert(out.end(), h.held.begin(), h.held.end());
      h.held.clear();
    }
    return out;
  }

 private:
  struct Host {
    std::size_t web_swept = 0;
    std::vector<Endpoint> held;
  };
  std::size_t m_web_ports = 0;
  std::map<std::uint32_t, Host> m_hosts;
};

// Per-host facts (one per address). The map is locked to find an entry; the entry itself is used
// by the one worker that holds the host in the ProbeQueue (pop/done hand it over under a mutex).
class HostFactsTable {
 public:
  HostFacts& of(Ipv4 ip) {
    std::lock_guard lock(m_mu);
    return m_facts[ip.value];  // std::map: references stay valid as entries are added
  }

 private:
  std::mutex m_mu;
  std::map<std::uint32_t, HostFacts> m_facts;
};

Observation internal_error(std::string_view probe, const Endpoint& ep, std::string_view what) {
  Observation o = make_observation(probe, ep);
  o.outcome = Outcome::error;
  o.summary = fmt::format("internal error in probe: {}", what);
  return o;
}

// Returns false when the user stopped the chain before its end (then it is not "done": a resumed
// scan probes that endpoint again).
bool run_chain(const std::vector<const ProbeSpec*>& probes, const ScanPolicy& policy, Gate& gate,
               std::stop_token stop, const Endpoint& ep, HostFacts& host,
               ObservationLog& writer) {
  ServiceFacts facts;
  facts.port_open = true;
  Budget budget(policy.endpoint_budget);
  for (const ProbeSpec* spec : probes) {
    if (stop.stop_requested()) return false;  // not run: rules will say "did not run"
    if (!applies(*spec, facts)) {
      // Tell the auditor why a DICOM endpoint missed a DICOM probe (rules cite it).
      if (facts.speaks_dicom && spec->dicom_probe) {
        Observation o = make_observation(spec->name, ep);
        o.outcome = Outcome::skipped;
        const auto needs = precondition(*spec);
        o.summary = needs.empty() ? std::string("not applicable to this endpoint")
                                  : fmt::format("not applicable: needs {}", needs);
        writer.push(std::move(o));
      }
      continue;
    }
    if (budget.exhausted()) {
      Observation o = make_observation(spec->name, ep);
      o.outcome = Outcome::skipped;
      o.summary = "endpoint time budget exhausted";
      writer.push(std::move(o));
      continue;
    }
    ProbeContext ctx{policy, gate, budget, stop, facts, &host};
    std::vector<Observation> obs;
    // Whatever a probe (or what it learned from a device) throws ends that probe only: it becomes
    // the endpoint's error observation and the chain goes on.
    try {
      obs = spec->run(ctx, ep);
      for (const auto& o : obs) {
        if (spec->learn) spec->learn(o, facts);
        if (spec->learn_host) spec->learn_host(o, host);
      }
    } catch (const std::exception& e) {
      obs = {internal_error(spec->name, ep, e.what())};
    } catch (...) {
      obs = {internal_error(spec->name, ep, "unknown exception")};
    }
    for (auto& o : obs) writer.push(std::move(o));
  }
  return !stop.stop_requested();
}


void notice(const ScanRequest& req, ScanMeta& meta, const std::string& text) {
  meta.notes.push_back(text);
  if (!req.quiet) std::fprintf(stderr, "pacscan: %s\n", escape_untrusted(text).c_str());
}

// Host discovery. Returns the hosts to sweep: with ARP on an attached segment, the hosts of that
// segment that answered plus every host off the segment; otherwise every host.
std::vector<Ipv4> discover(const ScanRequest& req, const std::vector<Ipv4>& hosts, Gate& gate,
                           std::stop_token stop, ObservationLog& writer, ScanMeta& meta) {
  if (req.discovery == Discovery::none) {
    meta.notes.push_back("Host discovery: none (--discovery none): every in-scope address was "
                         "swept.");
    return hosts;
  }
  if (req.discovery == Discovery::tcp) {
    meta.notes.push_back("Host discovery: tcp (--discovery tcp): every in-scope address was "
                         "swept; a host is up when a port answered.");
    return hosts;
  }
  const bool asked = req.discovery == Discovery::arp;
  std::string why;
  auto seg = discovery::find_segment(hosts, req.interface, &why);
  if (!seg) {
    const auto text = fmt::format("ARP discovery not applicable: {}; TCP discovery used.", why);
    if (asked || !req.interface.empty()) notice(req, meta, text); else meta.notes.push_back(text);
    return hosts;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto replies = discovery::arp_scan(*seg, gate, stop);
  if (!replies) {
    notice(req, meta, fmt::format("ARP discovery not possible: {}; falling back to TCP discovery.",
                                  replies.error()));
    return hosts;
  }
  const auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0);
  auto oui = discovery::OuiTable::load();
  if (!oui) {
    meta.notes.push_back(fmt::format("MAC vendors unknown: {}.", oui.error()));
  }
  std::set<std::uint32_t> answered;
  for (const auto& r : *replies) {
    answered.insert(r.ip.value);
    ArpData d;
    d.mac = discovery::mac_str(r.mac);
    d.vendor = oui ? oui->vendor(r.mac) : std::string{};
    d.interface = seg->iface;
    d.requests = r.requests;
    d.rtt_ms = static_cast<double>(static_cast<long long>(r.rtt_ms * 1000)) / 1000;
    Observation o = make_observation("arp_discovery", Endpoint{r.ip, 0});
    o.outcome = Outcome::ok;
    o.elapsed_ms = static_cast<std::int64_t>(r.rtt_ms);
    o.summary = d.vendor.empty() ? fmt::format("is-at {}", d.mac)
                                 : fmt::format("is-at {} ({})", d.mac, d.vendor);
    o.data = std::move(d);
    writer.push(std::move(o));
  }
  std::set<std::uint32_t> on_segment;
  for (Ipv4 ip : seg->targets) on_segment.insert(ip.value);
  std::vector<Ipv4> sweep;
  for (Ipv4 ip : hosts) {
    if (!on_segment.contains(ip.value) || answered.contains(ip.value)) sweep.push_back(ip);
  }
  const auto silent = seg->targets.size() - answered.size();
  meta.notes.push_back(fmt::format(
      "Host discovery: ARP on {} ({}/{}) in {} ms: {} of {} address(es) on that segment answered; "
      "the {} silent one(s) are down and were not swept (as nmap does on a local segment; "
      "--discovery tcp sweeps them anyway).{}",
      seg->iface, seg->addr.str(), seg->prefix, elapsed.count(), answered.size(),
      seg->targets.size(), silent,
      sweep.size() > answered.size()
          ? fmt::format(" {} address(es) off that segment were swept without ARP.",
                        sweep.size() - answered.size())
          : std::string{}));
  return sweep;
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

std::string Shard::str() const { return fmt::format("{}/{}", k, n); }

Expected<Shard> parse_shard(std::string_view text) {
  Shard s;
  const auto slash = text.find('/');
  const auto num = [](std::string_view t, int& out) {
    if (t.empty() || t.size() > 4) return false;
    out = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  if (slash == std::string_view::npos || !num(text.substr(0, slash), s.k) ||
      !num(text.substr(slash + 1), s.n) || s.n < 1 || s.n > 1024 || s.k < 1 || s.k > s.n) {
    return error(fmt::format("--shard: \"{}\" is not K/N with 1 <= K <= N <= 1024 (e.g. 2/3)",
                             text));
  }
  return s;
}

std::vector<Ipv4> shard_hosts(const std::vector<Ipv4>& hosts, const Shard& s) {
  if (!s.active()) return hosts;
  std::vector<Ipv4> out;
  for (std::size_t i = static_cast<std::size_t>(s.k - 1); i < hosts.size();
       i += static_cast<std::size_t>(s.n)) {
    out.push_back(hosts[i]);
  }
  return out;
}

Expected<ScanResult> run_scan(const ScanRequest& req, std::stop_token stop) {
  std::error_code ec;
  std::filesystem::create_directories(req.out_dir, ec);
  if (ec) return error(fmt::format("cannot create output folder {}: {}", req.out_dir.string(), ec.message()));
  const bool resuming = req.resume.has_value();
  ObservationLog writer(req.out_dir / "observations.jsonl", resuming);
  if (!writer.opened()) return error(writer.open_error());
  ScanJournal journal(req.out_dir / "resume.jsonl", resuming);
  auto probes = select_probes(req.policy);
  if (!probes) return error(probes.error());

  ScanResult result;
  auto& meta = result.meta;
  meta.pacscan_version = PACSCAN_VERSION;
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
  ProbeQueue queue;
  HostFactsTable host_facts;
  // Web-first only matters when a probe learns host facts there (http_imaging).
  const bool web_first = std::any_of(probes->begin(), probes->end(),
                                     [](const ProbeSpec* p) { return p->learn_host != nullptr; });
  WebFirstHold hold(req.ports, web_first);
  // The sweep connects to the web-first ports first, so that little is held.
  std::vector<std::uint16_t> sweep_ports(req.ports.begin(), req.ports.end());
  if (web_first) std::stable_partition(sweep_ports.begin(), sweep_ports.end(), web_first_port);
  Progress progress;
  std::mutex progress_mu;
  std::set<Endpoint> swept_before;  // resumed: ports the interrupted run had swept
  if (resuming) {
    for (const ProbeSpec* p : *probes) {
      if (!p->learn_host) continue;
      for (const auto& o : req.resume->carried) {
        if (o.probe == p->name) p->learn_host(o, host_facts.of(o.ep.ip));
      }
    }
    for (const auto& o : req.resume->carried) {
      if (data_as<PortData>(o)) swept_before.insert(o.ep);
    }
  }
  const auto hosts = resuming && req.resume->hosts
                         ? *req.resume->hosts
                         : discover(req, shard_hosts(req.scope->hosts(), req.shard), gate, stop,
                                    writer, meta);
  if (!resuming || !req.resume->hosts) journal.hosts(hosts);
  progress.endpoints_total = hosts.size() * req.ports.size();

  std::vector<std::jthread> workers;
  for (int i = 0; i < std::max(1, req.policy.workers); ++i) {
    workers.emplace_back([&] {
      while (auto ep = queue.pop(stop)) {
        {
          std::lock_guard lock(progress_mu);
          progress.probing++;
        }
        bool completed = true;
        try {
          completed = run_chain(*probes, req.policy, gate, stop, *ep, host_facts.of(ep->ip), writer);
        } catch (...) {  // not reachable by design (run_chain contains its probes); never fatal
          writer.push(internal_error("engine", *ep, "probe chain ended by an exception"));
        }
        writer.sync();
        if (completed) journal.done(*ep);
        queue.done(*ep);
        std::lock_guard lock(progress_mu);
        progress.probing--;
        progress.probed++;
      }
    });
  }

  std::jthread reporter;
  if (req.progress) {
    reporter = std::jthread([&](std::stop_token rs) {
      const auto t0 = std::chrono::steady_clock::now();
      while (!rs.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        Progress p;
        {
          std::lock_guard lock(progress_mu);
          p = progress;
        }
        const auto s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "\r[pacscan] swept %llu/%llu  open %llu  probed %llu/%llu  %llds   ",
                     (unsigned long long)p.endpoints_swept, (unsigned long long)p.endpoints_total,
                     (unsigned long long)p.open, (unsigned long long)p.probed,
                     (unsigned long long)p.open, (long long)s);
        std::fflush(stderr);
      }
      std::fprintf(stderr, "\n");
    });
  }

  if (resuming) {  // what the interrupted run swept: queued again unless its chain was done
    for (const auto& o : req.resume->carried) {
      const auto* d = data_as<PortData>(o);
      if (!d) continue;
      progress.endpoints_swept++;
      if (d->state == PortState::open) progress.open++;
      for (const Endpoint& e : hold.swept(o.ep, d->state == PortState::open)) {
        if (req.resume->done.contains(e)) progress.probed++;
        else queue.push(e);
      }
    }
  }
  run_sweep(hosts, sweep_ports, gate, req.policy, stop, swept_before, [&](const Endpoint& ep, const PortData& d) {
    writer.push(port_observation(ep, d));
    const bool open = d.state == PortState::open;
    {
      std::lock_guard lock(progress_mu);
      progress.endpoints_swept++;
      if (open) progress.open++;
    }
    for (const Endpoint& e : hold.swept(ep, open)) queue.push(e);
  });
  for (const Endpoint& e : hold.rest()) queue.push(e);
  queue.close();
  for (auto& w : workers) w.join();
  if (reporter.joinable()) {
    reporter.request_stop();
    reporter.join();
  }

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
  judge_by_host(writer, result);
  return result;
}

}  // namespace pacscan
