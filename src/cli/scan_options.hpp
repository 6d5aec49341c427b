#pragma once
// `pacscan scan` options: registered on a CLI11 subcommand, then turned into a ScanRequest.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/nmap_xml.hpp>
#include <pacscan/core/scope.hpp>
#include <pacscan/scan/engine.hpp>

namespace CLI {
class App;
}

namespace pacscan::cli {

inline constexpr const char* k_default_ports = "104,11112,2761,2762,4242,5678,8042,80,443,8080,8443";

struct ScanOptions {
  std::vector<std::string> targets;
  std::string input_list;
  std::string input_xml;     // -iX FILE: nmap -oX output
  std::string do_not_probe;  // --do-not-probe FILE
  std::string excludes;
  std::string exclude_file;
  std::string ports = k_default_ports;
  std::string out_dir;
  std::vector<std::string> called_hints;
  std::string calling_ae = "PACSCAN";
  std::string called_list_file, calling_list_file;
  std::string connect_timeout = "3s", acse_timeout = "5s", dimse_timeout = "5s", io_timeout = "10s",
              assoc_deadline = "15s", endpoint_budget = "120s", host_gap = "100ms";
  std::string probes;
  std::string profile = "safe";
  std::string discovery = "auto";
  std::string interface;
  std::string formats;
  std::string baseline;
  std::string fail_on;
  std::string resume;  // --resume DIR
  std::string shard;   // --shard K/N
  std::uint64_t max_hosts = 65536;
  ScanPolicy policy;   // numeric options bind here directly
  bool dry_run = false;
  bool force = false;
  bool quiet = false;
  int verbose = 0;
  bool progress = false, no_progress = false;
};

void add_scan_options(CLI::App& sub, ScanOptions& o);

// Only these may be given with --resume: they change what is printed, not what is scanned.
bool allowed_with_resume(const std::string& option_name);

// Everything a scan needs, checked: a usage error is returned, never thrown.
struct ScanSetup {
  std::unique_ptr<Scope> scope;  // ScanRequest points into it
  ScanRequest req;
  std::vector<const ProbeSpec*> probes;
  std::vector<std::string> formats;
  std::optional<ScanResult> baseline;
  std::optional<NmapXml> nmap_xml;  // -iX
};
Expected<std::unique_ptr<ScanSetup>> build_scan(const ScanOptions& o,
                                                const std::vector<std::string>& argv);

// The options of a recorded `pacscan scan ...` command line (for --resume).
Expected<ScanOptions> parse_scan_argv(const std::vector<std::string>& argv);

}  // namespace pacscan::cli
