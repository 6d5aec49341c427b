// SPDX-License-Identifier: Apache-2.0
// `pacscan scan --dry-run`: the plan, with its worst-case time. Sends nothing.
#include "cli/plan.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <pacscan/cli/cli.hpp>
#include <pacscan/core/text.hpp>

namespace pacscan::cli {

namespace {

// "198.18.0.1, 198.18.0.5-198.18.0.9 and 3 more address(es)"
std::string ranges_text(const std::vector<Ipv4Range>& ranges, std::uint64_t count) {
  std::string out;
  std::uint64_t listed = 0;
  for (const auto& r : ranges) {
    if (!out.empty()) out += ", ";
    out += r.str();
    listed += r.size();
  }
  if (count > listed) out += fmt::format(" and {} more address(es)", count - listed);
  return out;
}

}  // namespace

int print_plan(const ScanRequest& req, const std::vector<const ProbeSpec*>& probes) {
  const auto& p = req.policy;
  const auto hosts = req.shard.active() ? shard_hosts(req.scope->hosts(), req.shard).size()
                                         : req.scope->size();
  std::uint64_t endpoints = hosts * req.ports.size();
  fmt::print("pacscan dry run: nothing will be sent.\n\n");
  fmt::print("Scope: {} host(s) from {}", req.scope->size(),
             escape_untrusted(fmt::format("{}", fmt::join(req.scope->targets(), " "))));
  if (!req.scope->excludes().empty()) {
    fmt::print(", excluding {}",
               escape_untrusted(fmt::format("{}", fmt::join(req.scope->excludes(), " "))));
  }
  fmt::print("\n");
  // Names, reasons and file names are the user's text: escaped like everything on the terminal.
  for (const auto& r : req.scope->resolved()) fmt::print("  host name {}\n", escape_untrusted(r));
  for (const auto& d : req.scope->dropped()) {
    fmt::print("  not probed: {} (from {}): {}\n", ranges_text(d.ranges, d.count),
               escape_untrusted(d.target), escape_untrusted(d.reason));
  }
  for (const auto& n : req.scope->not_probed()) {
    fmt::print("  do not probe ({}): {}: {}; {}\n", escape_untrusted(n.entry.origin),
               escape_untrusted(n.entry.target), escape_untrusted(n.entry.reason),
               n.count == 0 ? std::string("none of the targets")
                            : fmt::format("{} in-scope address(es) left out: {}", n.count,
                                          ranges_text(n.ranges, n.count)));
  }
  if (req.shard.active()) {
    fmt::print("Shard {}: this scanner takes {} of the scope's {} host(s) (numbers {}, {}, {}, ... "
               "in address order)\n",
               req.shard.str(), hosts, req.scope->size(), req.shard.k, req.shard.k + req.shard.n,
               req.shard.k + 2 * req.shard.n);
  }
  if (req.given_open) {
    std::uint64_t in_scope = 0;
    for (const auto& ep : *req.given_open) in_scope += req.scope->contains(ep.ip) ? 1 : 0;
    endpoints = in_scope;
    fmt::print("Input: {} open port(s) from {}, {} of them in scope; no discovery and no sweep\n",
               req.given_open->size(), escape_untrusted(req.given_source), in_scope);
    for (const auto& ep : *req.given_open) {
      if (req.scope->contains(ep.ip)) fmt::print("  probe {}\n", ep.str());
      else fmt::print("  skip  {} ({})\n", ep.str(), req.scope->do_not_probe(ep.ip)
                                                          ? "do-not-probe list"
                                                          : "out of scope or excluded");
    }
  } else {
    fmt::print("Ports: {} ({} endpoint(s) to sweep)\n", fmt::join(req.ports, ","), endpoints);
  }
  fmt::print("Profile: {}\n", p.profile == Profile::intrusive ? "intrusive" : "safe");
  const char* discovery =
      req.discovery == Discovery::none  ? "none: every address is swept"
      : req.discovery == Discovery::tcp ? "tcp: every address is swept"
                                        : "ARP first when the targets are on a directly attached "
                                          "Ethernet segment and capture is allowed (only hosts "
                                          "that answer are swept), else every address is swept";
  if (req.given_open) discovery = "none: the open ports come from the nmap XML file";
  fmt::print("Discovery: {}{}\n", discovery,
             req.interface.empty() ? "" : fmt::format(" (interface {})", req.interface));
  fmt::print("\nProbes on every open port, in order:\n");
  for (const ProbeSpec* s : probes) {
    const int n = max_associations(*s, p);
    fmt::print("  {:<19} {:<9} up to {:>2} association(s)  {}\n", s->name,
               s->level == ProbeLevel::safe ? "safe" : "INTRUSIVE", n, s->summary);
  }
  if (p.profile == Profile::intrusive) {
    fmt::print("\nIntrusive: universal queries cancelled after {} entries; the C-MOVE test "
               "listens on TCP port {} (all interfaces) as AE '{}' while it runs\n",
               p.max_data_matches, p.listen_port, p.calling_ae);
  }
  const auto per_ep = worst_case_per_endpoint(p, probes);
  // -iX: no sweep, and the file's endpoints rather than hosts x ports are probed.
  const double sweep_s = req.given_open ? 0.0
                         : static_cast<double>(endpoints) / p.rate_per_s +
                               std::chrono::duration<double>(p.connect_timeout).count();
  const auto parallel = std::max<std::uint64_t>(1, std::min<std::uint64_t>(hosts, p.workers));
  const double host_rounds = std::ceil(static_cast<double>(hosts) / static_cast<double>(parallel));
  double given_rounds = std::ceil(static_cast<double>(endpoints) / static_cast<double>(parallel));
  if (req.given_open) {  // one host's endpoints are probed one after another
    std::map<std::uint32_t, double> per_host;
    for (const auto& ep : *req.given_open) {
      if (req.scope->contains(ep.ip)) given_rounds = std::max(given_rounds, ++per_host[ep.ip.value]);
    }
  }
  const double probe_s = (req.given_open ? given_rounds
                                          : host_rounds * static_cast<double>(req.ports.size())) *
                         std::chrono::duration<double>(per_ep).count();
  fmt::print("\nLimits: {} ARP request(s) or sweep connect(s)/s, {} association(s) per host, "
             "{} ms gap per host, {} worker(s)\n",
             p.rate_per_s, p.max_per_host, p.host_gap.count(), p.workers);
  fmt::print("Timeouts: connect {} ms, ACSE {} ms, DIMSE {} ms, association deadline {} ms, "
             "endpoint budget {} ms\n", p.connect_timeout.count(), p.acse_timeout.count(),
             p.dimse_timeout.count(), p.assoc_deadline.count(), p.endpoint_budget.count());
  fmt::print("Worst case: sweep {:.0f} s; probes {:.0f} s per endpoint; whole scan {:.0f} s if "
             "every port were open and every peer stalled to the deadline\n",
             sweep_s, std::chrono::duration<double>(per_ep).count(), sweep_s + probe_s);
  return k_exit_ok;
}

}  // namespace pacscan::cli
