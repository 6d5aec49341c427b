// SPDX-License-Identifier: Apache-2.0
#pragma once
// The scan: sweep (one thread) -> probe scheduler (worker pool, one endpoint per task, one task
// per host at a time) -> one writer streaming observations.jsonl -> ScanResult.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string_view>
#include <stop_token>
#include <string>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/policy.hpp>
#include <pacscan/core/scan_result.hpp>
#include <pacscan/core/scope.hpp>
#include <pacscan/scan/probe.hpp>

namespace pacscan {

// Host discovery before the sweep. automatic: ARP when targets are on a directly attached Ethernet
// segment and capture is allowed, else tcp. arp: the same, but asked for (a fallback is noted).
// tcp and none: every host is swept (the sweep itself tells up from down).
enum class Discovery { automatic, arp, tcp, none };

// What an interrupted scan already did (pacscan scan --resume DIR): its observations are kept,
// its completed endpoints are not probed again and its swept ports not swept again.
struct ResumeState {
  std::vector<Observation> carried;        // kept: sweep, discovery, completed endpoints
  std::set<Endpoint> done;                 // probe chains that completed
  std::optional<std::vector<Ipv4>> hosts;  // discovery's result, when it had finished
  std::string started_at;
  std::size_t dropped = 0;  // observations of endpoints cut mid-chain: those are probed again
};

// Reads DIR/resume.jsonl and DIR/observations.jsonl and rewrites the latter without the
// observations of endpoints whose chain was cut. `argv`: the scan's recorded command line.
Expected<ResumeState> prepare_resume(const std::filesystem::path& dir,
                                     std::vector<std::string>& argv);

// --shard K/N: this scanner takes every N-th in-scope host, starting with the K-th (1-based),
// in address order. Interleaved, so each laptop gets a share of every subnet; deterministic, so
// the N shards of one scope are disjoint and together cover it.
struct Shard {
  int k = 1, n = 1;
  bool active() const { return n > 1; }
  std::string str() const;  // "2/3"
};
Expected<Shard> parse_shard(std::string_view text);
std::vector<Ipv4> shard_hosts(const std::vector<Ipv4>& hosts, const Shard& s);

struct ScanRequest {
  const Scope* scope = nullptr;
  std::vector<std::uint16_t> ports;
  ScanPolicy policy;
  std::filesystem::path out_dir;
  std::vector<std::string> command_line;
  bool progress = false;  // a progress line on stderr
  Discovery discovery = Discovery::automatic;
  std::string interface;  // ARP discovery only on this interface ("" any attached one)
  bool quiet = false;     // no discovery notices on stderr
  bool timings = false;   // -v: when each phase ended, on stderr
  std::optional<ResumeState> resume;
  // Endpoints already known to be open (-iX: nmap -oX output). When set, even empty, there is
  // no host discovery and no sweep: these are probed (each through the gate, like any other).
  std::optional<std::vector<Endpoint>> given_open;
  std::string given_source;  // e.g. "nmap XML scan.xml", recorded in their tcp_connect observations
  Shard shard;
};

struct Progress {
  std::uint64_t endpoints_total = 0, endpoints_swept = 0, open = 0;
  std::uint64_t probed = 0, probing = 0;
  std::uint64_t stopped = 0;  // hosts that stopped answering during the scan
};

// The probes the policy selects (all safe probes by default), in registry order.
Expected<std::vector<const ProbeSpec*>> select_probes(const ScanPolicy& policy);

// Runs the scan. Observations are appended to out_dir/observations.jsonl as they come; the result
// holds them too, with the inventory and the findings. Stops early (keeping what was observed)
// when `stop` is requested.
Expected<ScanResult> run_scan(const ScanRequest& req, std::stop_token stop);

// Worst-case wall time of one endpoint's probe chain (for --dry-run).
Millis worst_case_per_endpoint(const ScanPolicy& policy,
                               const std::vector<const ProbeSpec*>& probes);

}  // namespace pacscan
