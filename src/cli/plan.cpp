// `pacscan scan --dry-run`: the plan, with its worst-case time. Sends nothing.
#include "cli/plan.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <pacscan/cli/cli.hpp>
#include <pacscan/core/text.hpp>

namespace pacscan::cli {

int print_plan(const ScanRequest& req, const std::vector<const ProbeSpec*>& probes) {
  const auto& p = req.policy;
  const auto hosts = req.shard.active() ? shard_hosts(req.scope->hosts(), req.shard).size()
                                         : req.scope->size();
  const auto endpoints = hosts * req.ports.size();
  fmt::print("pacscan dry run: nothing will be sent.\n\n");
  fmt::print("Scope: {} host(s) from {}", req.scope->size(),
             escape_untrusted(fmt::format("{}", fmt::join(req.scope->targets(), " "))));
  if (!req.scope->excludes().empty()) {
    fmt::print(", excluding {}",
               escape_untrusted(fmt::format("{}", fmt::join(req.scope->excludes(), " "))));
  }
  fmt::print("\n");
  for (const auto& r : req.scope->resolved()) fmt::print("  resolved {}\n", escape_untrusted(r));
  if (req.shard.active()) {
    fmt::print("Shard {}: this scanner takes {} of the scope's {} host(s) (numbers {}, {}, {}, ... "
               "in address order)\n",
               req.shard.str(), hosts, req.scope->size(), req.shard.k, req.shard.k + req.shard.n,
               req.shard.k + 2 * req.shard.n);
  }
  fmt::print("Ports: {} ({} endpoint(s) to sweep)\n", fmt::join(req.ports, ","), endpoints);
  fmt::print("Profile: {}\n", p.profile == Profile::intrusive ? "intrusive" : "safe");
  const char* discovery =
      req.discovery == Discovery::none  ? "none: every address is swept"
      : req.discovery == Discovery::tcp ? "tcp: every address is swept"
                                        : "ARP first when the targets are on a directly attached "
                                          "Ethernet segment and capture is allowed (only hosts "
                                          "that answer are swept), else every address is swept";
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
  const double sweep_s = static_cast<double>(endpoints) / p.rate_per_s +
                         std::chrono::duration<double>(p.connect_timeout).count();
  const auto parallel = std::max<std::uint64_t>(1, std::min<std::uint64_t>(hosts, p.workers));
  const double host_rounds = std::ceil(static_cast<double>(hosts) / static_cast<double>(parallel));
  const double probe_s = host_rounds * static_cast<double>(req.ports.size()) *
                         std::chrono::duration<double>(per_ep).count();
  fmt::print("\nLimits: {} new connection(s)/s, {} association(s) per host, {} ms gap per host, "
             "{} worker(s)\n", p.rate_per_s, p.max_per_host, p.host_gap.count(), p.workers);
  fmt::print("Timeouts: connect {} ms, ACSE {} ms, DIMSE {} ms, association deadline {} ms, "
             "endpoint budget {} ms\n", p.connect_timeout.count(), p.acse_timeout.count(),
             p.dimse_timeout.count(), p.assoc_deadline.count(), p.endpoint_budget.count());
  fmt::print("Worst case: sweep {:.0f} s; probes {:.0f} s per endpoint; whole scan {:.0f} s if "
             "every port were open and every peer stalled to the deadline\n",
             sweep_s, std::chrono::duration<double>(per_ep).count(), sweep_s + probe_s);
  return k_exit_ok;
}

}  // namespace pacscan::cli
