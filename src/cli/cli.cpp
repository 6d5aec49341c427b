#include "cli.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <pacscan/core/embedded.hpp>
#include <pacscan/core/scope.hpp>
#include <pacscan/core/text.hpp>
#include <pacscan/dicom/association.hpp>
#include <pacscan/passive/passive.hpp>
#include <pacscan/report/report.hpp>
#include <pacscan/rules/rules.hpp>
#include <pacscan/scan/engine.hpp>
#include <pacscan/tls/tls.hpp>


namespace pacscan::cli {
namespace {

const char* const k_default_ports = "104,11112,2761,2762,4242,5678,8042,80,443,8080,8443";

// Messages can quote a file, a target or a device: never raw on the terminal.
void log_error(const std::string& msg) {
  fmt::print(stderr, "pacscan: error: {}\n", escape_untrusted(msg));
}
void log_info(bool quiet, const std::string& msg) {
  if (!quiet) fmt::print(stderr, "pacscan: {}\n", escape_untrusted(msg));
}

// "3s", "500ms", "2m", "1.5s"; a bare number is seconds.
Expected<Millis> parse_duration(const std::string& text, const std::string& option) {
  std::size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (...) {
    return error(fmt::format("{}: \"{}\" is not a duration (e.g. 3s, 500ms, 2m)", option, text));
  }
  const std::string unit = text.substr(pos);
  double ms = 0;
  if (unit.empty() || unit == "s") ms = value * 1000;
  else if (unit == "ms") ms = value;
  else if (unit == "m") ms = value * 60000;
  else return error(fmt::format("{}: unknown unit in \"{}\" (use ms, s or m)", option, text));
  if (!(ms > 0) || ms > 24.0 * 3600 * 1000) {
    return error(fmt::format("{}: \"{}\" must be more than 0 and at most 24h", option, text));
  }
  return Millis(static_cast<long long>(ms));
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// One title per line; '#' comments. AE titles: 1-16 characters, no backslash or control chars.
Expected<std::vector<std::string>> parse_ae_list(std::string_view text, const std::string& origin) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (auto h = line.find('#'); h != std::string::npos) line.erase(h);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    std::size_t b = 0;
    while (b < line.size() && std::isspace(static_cast<unsigned char>(line[b]))) ++b;
    line.erase(0, b);
    if (line.empty()) continue;
    if (line.size() > 16) return error(fmt::format("{}:{}: AE title \"{}\" is longer than 16 characters", origin, n, line));
    for (unsigned char c : line) {
      if (c < 0x20 || c == '\\' || c > 0x7e) {
        return error(fmt::format("{}:{}: AE title \"{}\" has a forbidden character", origin, n, line));
      }
    }
    out.push_back(line);
  }
  return out;
}

Expected<std::vector<std::string>> load_ae_list(const std::string& file, std::string_view embedded_name) {
  if (file.empty()) return parse_ae_list(embedded_data(embedded_name), std::string(embedded_name));
  std::ifstream in(file);
  if (!in) return error(fmt::format("cannot read AE title list {}", file));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_ae_list(ss.str(), file);
}

Expected<bool> validate_ae(const std::string& ae, const std::string& option) {
  auto r = parse_ae_list(ae, option);
  if (!r) return error(r.error());
  if (r->size() != 1 || (*r)[0] != ae) return error(fmt::format("{}: invalid AE title \"{}\"", option, ae));
  return true;
}

// --tls-ca FILE: a readable PEM file holding at least one certificate (the probe reads it again).
Expected<bool> check_ca_bundle(const std::string& file) {
  std::ifstream probe(file);
  if (!probe) return error(fmt::format("--tls-ca: cannot read {}", file));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), &BIO_free);
  int n = 0;
  while (bio) {
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!x) break;
    X509_free(x);
    ++n;
  }
  ERR_clear_error();
  if (n == 0) {
    return error(fmt::format("--tls-ca: no PEM certificate (-----BEGIN CERTIFICATE-----) in {}",
                             file));
  }
  return true;
}

std::string default_out_dir() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "pacscan-%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// ---- interruption: first SIGINT/SIGTERM stops cleanly, a second one exits at once ----
std::atomic<int> g_signals{0};
extern "C" void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(k_exit_interrupted);
}

// pacscan pcap / listen: the same observations.jsonl and reports as an active scan.
int write_passive(ScanResult& r, const std::vector<std::string>& argv, const std::string& out,
                  const std::string& formats) {
  r.meta.command_line = argv;
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  std::ofstream jl(std::filesystem::path(out) / "observations.jsonl");
  for (const auto& o : r.observations) {
    jl << nlohmann::json(o).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  jl.close();
  if (!jl) return log_error("cannot write observations.jsonl in " + out), k_exit_runtime;
  report::Context ctx{r, nullptr};
  auto w = report::write_all(ctx, out, split_list(formats));
  if (!w) return log_error(w.error()), k_exit_runtime;
  return k_exit_ok;
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int fail_on_exit(const ScanResult& r, const std::string& fail_on) {
  if (fail_on.empty()) return k_exit_ok;
  Severity threshold{};
  parse_severity(fail_on, threshold);
  for (const auto& f : r.findings) {
    if (f.severity >= threshold) return k_exit_findings;
  }
  return k_exit_ok;
}

struct ScanOptions {
  std::vector<std::string> targets;
  std::string input_list;
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
  std::uint64_t max_hosts = 65536;
  bool dry_run = false;
  bool force = false;
  bool quiet = false;
  int verbose = 0;
  bool progress = false, no_progress = false;
};

int print_plan(const ScanRequest& req, const std::vector<const ProbeSpec*>& probes) {
  const auto& p = req.policy;
  const auto hosts = req.scope->size();
  const auto endpoints = hosts * req.ports.size();
  fmt::print("pacscan dry run: nothing will be sent.\n\n");
  fmt::print("Scope: {} host(s) from {}", hosts,
             escape_untrusted(fmt::format("{}", fmt::join(req.scope->targets(), " "))));
  if (!req.scope->excludes().empty()) {
    fmt::print(", excluding {}",
               escape_untrusted(fmt::format("{}", fmt::join(req.scope->excludes(), " "))));
  }
  fmt::print("\n");
  for (const auto& r : req.scope->resolved()) fmt::print("  resolved {}\n", escape_untrusted(r));
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

int run_scan_command(const ScanOptions& o, const ScanPolicy& numeric,
                     const std::vector<std::string>& argv) {
  // ---- targets and scope ----
  std::vector<std::string> targets = o.targets;
  if (!o.input_list.empty()) {
    auto t = read_target_file(o.input_list);
    if (!t) return log_error(t.error()), k_exit_usage;
    targets.insert(targets.end(), t->begin(), t->end());
  }
  if (targets.empty()) return log_error("no targets: give addresses, ranges, CIDR or -iL FILE"), k_exit_usage;
  std::vector<std::string> excludes = split_list(o.excludes);
  if (!o.exclude_file.empty()) {
    auto t = read_target_file(o.exclude_file);
    if (!t) return log_error(t.error()), k_exit_usage;
    excludes.insert(excludes.end(), t->begin(), t->end());
  }
  ScopeOptions so;
  so.max_hosts = o.max_hosts;
  auto scope = Scope::parse(targets, excludes, so);
  if (!scope) return log_error(scope.error()), k_exit_usage;
  auto ports = parse_ports(o.ports);
  if (!ports) return log_error(ports.error()), k_exit_usage;

  // ---- policy ----
  ScanRequest req;
  req.scope = &*scope;
  req.ports = *ports;
  req.command_line = argv;
  ScanPolicy& p = req.policy;
  p = numeric;  // rate, per-host limits, workers, attempts: bound directly by CLI11
  struct DurationOpt {
    const std::string& text;
    const char* name;
    Millis& out;
  };
  for (const DurationOpt& d : {DurationOpt{o.connect_timeout, "--connect-timeout", p.connect_timeout},
                               DurationOpt{o.acse_timeout, "--acse-timeout", p.acse_timeout},
                               DurationOpt{o.dimse_timeout, "--dimse-timeout", p.dimse_timeout},
                               DurationOpt{o.io_timeout, "--io-timeout", p.io_timeout},
                               DurationOpt{o.assoc_deadline, "--assoc-deadline", p.assoc_deadline},
                               DurationOpt{o.endpoint_budget, "--endpoint-budget", p.endpoint_budget},
                               DurationOpt{o.host_gap, "--host-gap", p.host_gap}}) {
    auto v = parse_duration(d.text, d.name);
    if (!v) return log_error(v.error()), k_exit_usage;
    d.out = *v;
  }
  if (o.profile == "intrusive") {
    p.profile = Profile::intrusive;
  } else if (o.profile != "safe") {
    return log_error(fmt::format("--profile: \"{}\" is not safe or intrusive", o.profile)), k_exit_usage;
  }
  if (o.discovery == "auto") {
    req.discovery = Discovery::automatic;
  } else if (o.discovery == "arp") {
    req.discovery = Discovery::arp;
  } else if (o.discovery == "tcp") {
    req.discovery = Discovery::tcp;
  } else if (o.discovery == "none") {
    req.discovery = Discovery::none;
  } else {
    return log_error(fmt::format("--discovery: \"{}\" is not auto, arp, tcp or none", o.discovery)), k_exit_usage;
  }
  req.interface = o.interface;
  if (auto v = validate_ae(o.calling_ae, "--calling-aet"); !v) return log_error(v.error()), k_exit_usage;
  p.calling_ae = o.calling_ae;
  for (const auto& h : o.called_hints) {
    if (auto v = validate_ae(h, "--called-aet"); !v) return log_error(v.error()), k_exit_usage;
  }
  p.called_ae_hints = o.called_hints;
  auto called = load_ae_list(o.called_list_file, "called-ae-titles.txt");
  if (!called) return log_error(called.error()), k_exit_usage;
  auto calling = load_ae_list(o.calling_list_file, "calling-ae-titles.txt");
  if (!calling) return log_error(calling.error()), k_exit_usage;
  p.called_ae_list = *called;
  p.calling_ae_list = *calling;
  if (!p.tls_ca_file.empty()) {
    if (auto v = check_ca_bundle(p.tls_ca_file); !v) return log_error(v.error()), k_exit_usage;
  }
  if (!p.tls_cert_file.empty() || !p.tls_key_file.empty()) {
    auto c = tls::check_client_credential(p.tls_cert_file, p.tls_key_file);
    if (!c) return log_error(c.error()), k_exit_usage;
    log_info(o.quiet, fmt::format("TLS client certificate '{}' (SHA-256 {}): presented only in "
                                  "the known peer's view, reported apart",
                                  c->cert.subject, c->sha256));
  }
  p.probes = split_list(o.probes);
  auto probes = select_probes(p);
  if (!probes) return log_error(probes.error()), k_exit_usage;
  Severity sev{};
  if (!o.fail_on.empty() && !parse_severity(o.fail_on, sev)) {
    return log_error(fmt::format("--fail-on: \"{}\" is not info, low, medium, high or critical", o.fail_on)), k_exit_usage;
  }
  const auto formats = split_list(o.formats);
  for (const auto& f : formats) {
    if (!report::find_format(f)) return log_error(fmt::format("--format: unknown format \"{}\"", f)), k_exit_usage;
  }
  std::optional<ScanResult> baseline;
  if (!o.baseline.empty()) {
    auto b = report::load_scan(o.baseline);
    if (!b) return log_error(b.error()), k_exit_usage;
    baseline = std::move(*b);
  }

  if (o.dry_run) return print_plan(req, *probes);

  if (p.profile == Profile::intrusive) {
    log_info(false, fmt::format(
        "WARNING: intrusive profile: dicom_data_query counts the patients, studies and worklist "
        "entries an unknown peer can list (values discarded unread, C-CANCEL after {}); "
        "dicom_store_test writes one labelled synthetic image to every archive that accepts it "
        "(UIDs listed in the report for deletion); dicom_move_self listens on port {} as AE "
        "'{}' and asks the archive to send that image there",
        p.max_data_matches, p.listen_port, p.calling_ae));
  }
  auto init = dicom::init_library(p, o.verbose + 1);
  if (!init) return log_error(init.error()), k_exit_runtime;

  req.out_dir = o.out_dir.empty() ? default_out_dir() : o.out_dir;
  if (auto ready = report::prepare_output_dir(req.out_dir, o.force); !ready) {
    return log_error(ready.error()), k_exit_usage;
  }
  req.progress = !o.quiet && !o.no_progress && (o.progress || ::isatty(STDERR_FILENO));
  req.quiet = o.quiet;
  log_info(o.quiet, fmt::format("scanning {} host(s) x {} port(s); results in {}", scope->size(),
                                req.ports.size(), req.out_dir.string()));

  // Signals: the first stops the scan cleanly (what was observed is kept and reported).
  install_signal_handlers();
  std::stop_source stop;
  std::jthread watcher([&](std::stop_token ws) {
    while (!ws.stop_requested()) {
      if (g_signals.load() > 0) {
        fmt::print(stderr, "\npacscan: interrupted: stopping, keeping what was observed "
                           "(press Ctrl-C again to quit at once)\n");
        stop.request_stop();
        dicom::shutdown_all_connections();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  auto result = run_scan(req, stop.get_token());
  watcher.request_stop();
  watcher.join();
  if (!result) return log_error(result.error()), k_exit_runtime;
  result->meta.options = {
      {"rate_per_s", p.rate_per_s},          {"max_per_host", p.max_per_host},
      {"sweep_per_host", p.sweep_per_host},  {"sweep_in_flight", p.sweep_in_flight},
      {"host_gap_ms", p.host_gap.count()},   {"connect_timeout_ms", p.connect_timeout.count()},
      {"acse_timeout_ms", p.acse_timeout.count()}, {"dimse_timeout_ms", p.dimse_timeout.count()},
      {"io_timeout_ms", p.io_timeout.count()}, {"assoc_deadline_ms", p.assoc_deadline.count()},
      {"endpoint_budget_ms", p.endpoint_budget.count()}, {"workers", p.workers},
      {"max_ae_attempts", p.max_ae_attempts}, {"calling_ae", p.calling_ae},
      {"called_ae_hints", p.called_ae_hints}, {"max_hosts", o.max_hosts},
      {"discovery", o.discovery},            {"interface", o.interface}};

  std::optional<report::Diff> diff;
  if (baseline) diff = report::compare(*baseline, *result);
  report::Context ctx{*result, diff ? &*diff : nullptr};
  auto written = report::write_all(ctx, req.out_dir, formats);
  if (!written) return log_error(written.error()), k_exit_runtime;
  if (!result->output_error.empty()) return log_error(result->output_error), k_exit_runtime;

  std::size_t by[5] = {};
  for (const auto& f : result->findings) by[static_cast<int>(f.severity)]++;
  log_info(o.quiet, fmt::format("{} host(s) up, {} open port(s), {} DICOM endpoint(s); findings: "
                                "{} critical, {} high, {} medium, {} low, {} info; report: {}",
                                result->hosts.size(),
                                std::count_if(result->endpoints.begin(), result->endpoints.end(),
                                              [](auto& e) { return e.state == PortState::open; }),
                                std::count_if(result->endpoints.begin(), result->endpoints.end(),
                                              [](auto& e) { return e.speaks_dicom; }),
                                by[4], by[3], by[2], by[1], by[0],
                                (req.out_dir / "report.md").string()));
  if (result->meta.interrupted) return k_exit_interrupted;
  return fail_on_exit(*result, o.fail_on);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pacscan: DICOM/PACS network exposure scanner for imaging networks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pacscan ") + PACSCAN_VERSION);

  ScanOptions so;
  auto* scan = app.add_subcommand("scan", "Scan targets: sweep ports, probe DICOM endpoints, judge, report");
  scan->add_option("targets", so.targets, "Addresses, CIDR, ranges (198.18.0.1-50, 198.18.0-3.1), host names");
  scan->add_option("-i,--iL,--input-list", so.input_list, "Read targets from FILE (nmap -iL)");
  scan->add_option("--exclude", so.excludes, "Comma-separated targets never to contact");
  scan->add_option("--exclude-file", so.exclude_file, "Read targets never to contact from FILE");
  scan->add_option("-p,--ports", so.ports, "Ports to sweep")->capture_default_str();
  scan->add_option("-o,--output", so.out_dir, "Output folder (default pacscan-<UTC time>)");
  scan->add_option("--called-aet", so.called_hints, "Called AE title(s) known to the auditor (tried first)");
  scan->add_option("--calling-aet", so.calling_ae, "The scanner's calling AE title")->capture_default_str();
  scan->add_option("--called-ae-list", so.called_list_file, "Well-known called AE titles (default: built in)");
  scan->add_option("--calling-ae-list", so.calling_list_file, "Well-known calling AE titles (default: built in)");
  ScanPolicy defaults;  // numeric options bind here
  auto& pol = defaults;
  scan->add_option("--rate", pol.rate_per_s, "New connections per second (whole scan)")->capture_default_str()->check(CLI::Range(0.1, 100000.0));
  scan->add_option("--max-per-host", pol.max_per_host, "Concurrent associations per host")->capture_default_str()->check(CLI::Range(1, 16));
  scan->add_option("--sweep-per-host", pol.sweep_per_host, "Concurrent TCP connects per host while sweeping")->capture_default_str()->check(CLI::Range(1, 64));
  scan->add_option("--sweep-in-flight", pol.sweep_in_flight, "Concurrent TCP connects while sweeping")->capture_default_str()->check(CLI::Range(1, 4096));
  scan->add_option("--workers", pol.workers, "Endpoints probed in parallel (on different hosts)")->capture_default_str()->check(CLI::Range(1, 256));
  scan->add_option("--max-ae-attempts", pol.max_ae_attempts, "AE-title guesses per endpoint")->capture_default_str()->check(CLI::Range(1, 200));
  scan->add_option("--max-hosts", so.max_hosts, "Refuse scopes larger than this")->capture_default_str();
  scan->add_option("--host-gap", so.host_gap, "Minimum gap between two associations to one host")->capture_default_str();
  scan->add_option("--connect-timeout", so.connect_timeout, "TCP connect timeout")->capture_default_str();
  scan->add_option("--acse-timeout", so.acse_timeout, "Wait for the A-ASSOCIATE answer")->capture_default_str();
  scan->add_option("--dimse-timeout", so.dimse_timeout, "Wait for a DIMSE response")->capture_default_str();
  scan->add_option("--io-timeout", so.io_timeout, "Socket send/receive timeout")->capture_default_str();
  scan->add_option("--assoc-deadline", so.assoc_deadline, "Hard limit for one association")->capture_default_str();
  scan->add_option("--endpoint-budget", so.endpoint_budget, "Time limit for all probes of one endpoint")->capture_default_str();
  scan->add_option("--tls-ca", pol.tls_ca_file, "PEM bundle of the site's own CA(s): TLS certificates are verified against it and the system store");
  scan->add_option("--tls-cert", pol.tls_cert_file, "The site's TLS client certificate (PEM), with --tls-key: DICOM TLS is also measured as a known peer, reported apart");
  scan->add_option("--tls-key", pol.tls_key_file, "The unencrypted private key (PEM) of --tls-cert; read, never logged or reported");
  scan->add_option("--probes", so.probes, "Comma-separated probes to run (default: all of the profile)");
  scan->add_option("--profile", so.profile, "safe (default) or intrusive")->capture_default_str();
  scan->add_option("--max-data-matches", pol.max_data_matches,
                   "Intrusive: entries a universal query may return before C-CANCEL")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  scan->add_option("--listen-port", pol.listen_port,
                   "Intrusive: port of the scanner's own storage SCP (AE = --calling-aet) for "
                   "the C-MOVE test")
      ->capture_default_str()->check(CLI::Range(1, 65535));
  scan->add_option("--discovery", so.discovery, "Host discovery: auto (ARP on an attached segment when capture is allowed, else tcp), arp, tcp, none (sweep every address)")->capture_default_str();
  scan->add_option("--interface", so.interface, "Interface for ARP discovery (default: the one whose subnet holds the targets)");
  scan->add_option("--format", so.formats, "Comma-separated report formats (default: all)");
  scan->add_option("--baseline", so.baseline, "Previous scan.json: report new / still open / fixed");
  scan->add_option("--fail-on", so.fail_on, "Exit 1 when a finding is at or above this severity");
  scan->add_flag("--dry-run", so.dry_run, "Print the plan (endpoints, probes, worst-case time); send nothing");
  scan->add_flag("--force", so.force, "Replace an earlier scan's files in the output folder");
  scan->add_flag("-q,--quiet", so.quiet, "Only errors on stderr");
  scan->add_flag("-v,--verbose", so.verbose, "More logging on stderr (-vv: DCMTK debug)");
  scan->add_flag("--progress", so.progress, "Progress line on stderr even when not a terminal");
  scan->add_flag("--no-progress", so.no_progress, "No progress line");

  std::string report_in, report_out, report_formats, report_baseline;
  auto* rep = app.add_subcommand("report", "Re-render reports from a scan.json");
  rep->add_option("scan", report_in, "scan.json")->required();
  rep->add_option("-o,--output", report_out, "Output folder")->required();
  rep->add_option("--format", report_formats, "Comma-separated formats (default: all)");
  rep->add_option("--baseline", report_baseline, "Previous scan.json to compare with");

  std::string diff_old, diff_new, diff_format = "md";
  auto* dif = app.add_subcommand("diff", "Compare two scans: new, still open and fixed findings");
  dif->add_option("old", diff_old, "Older scan.json")->required();
  dif->add_option("new", diff_new, "Newer scan.json")->required();
  dif->add_option("--format", diff_format, "md or json")->capture_default_str();

  std::string rules_format = "md";
  auto* rul = app.add_subcommand("rules", "List the rules catalogue");
  rul->add_option("--format", rules_format, "md or json")->capture_default_str();

  app.add_subcommand("probes", "List the probes and their level");

  passive::Options pcap_opts;
  std::string pcap_out, pcap_formats, pcap_fail_on;
  bool pcap_force = false, listen_force = false;
  auto* pcap = app.add_subcommand("pcap", "Find DICOM traffic in pcap/pcapng captures (sends nothing)");
  pcap->add_option("files", pcap_opts.files, "Capture files")->required();
  pcap->add_option("-o,--output", pcap_out, "Output folder")->required();
  pcap->add_option("--format", pcap_formats, "Comma-separated report formats (default: all)");
  pcap->add_option("--max-flows", pcap_opts.max_flows, "Concurrent TCP flows tracked")->capture_default_str();
  pcap->add_option("--max-buffered", pcap_opts.max_buffered_bytes, "Bytes buffered for reassembly, all flows")->capture_default_str();
  pcap->add_option("--fail-on", pcap_fail_on, "Exit 1 when a finding is at or above this severity");
  pcap->add_flag("--force", pcap_force, "Replace an earlier run's files in the output folder");

  passive::Options listen_opts;
  std::string listen_iface, listen_out, listen_formats, listen_fail_on, listen_duration = "60s";
  auto* lis = app.add_subcommand("listen", "Find DICOM traffic on a live interface (sends nothing)");
  lis->add_option("-i,--interface", listen_iface, "Interface to capture on (e.g. a SPAN port)")->required();
  lis->add_option("-o,--output", listen_out, "Output folder")->required();
  lis->add_option("--duration", listen_duration, "How long to listen")->capture_default_str();
  lis->add_option("--format", listen_formats, "Comma-separated report formats (default: all)");
  lis->add_option("--max-flows", listen_opts.max_flows, "Concurrent TCP flows tracked")->capture_default_str();
  lis->add_option("--max-buffered", listen_opts.max_buffered_bytes, "Bytes buffered for reassembly, all flows")->capture_default_str();
  lis->add_option("--fail-on", listen_fail_on, "Exit 1 when a finding is at or above this severity");
  lis->add_flag("--force", listen_force, "Replace an earlier run's files in the output folder");

  std::vector<std::string> argv_copy(argv, argv + argc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? k_exit_ok : k_exit_usage;
  }

  if (scan->parsed()) {
    return run_scan_command(so, defaults, argv_copy);
  }
  if (rep->parsed()) {
    auto scan_result = report::load_scan(report_in);
    if (!scan_result) return log_error(scan_result.error()), k_exit_usage;
    std::optional<ScanResult> base;
    std::optional<report::Diff> d;
    if (!report_baseline.empty()) {
      auto b = report::load_scan(report_baseline);
      if (!b) return log_error(b.error()), k_exit_usage;
      d = report::compare(*b, *scan_result);
    }
    report::Context ctx{*scan_result, d ? &*d : nullptr};
    auto w = report::write_all(ctx, report_out, split_list(report_formats));
    if (!w) return log_error(w.error()), k_exit_runtime;
    return k_exit_ok;
  }
  if (dif->parsed()) {
    auto a = report::load_scan(diff_old);
    if (!a) return log_error(a.error()), k_exit_usage;
    auto b = report::load_scan(diff_new);
    if (!b) return log_error(b.error()), k_exit_usage;
    const auto d = report::compare(*a, *b);
    if (diff_format == "json") {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& c : d.findings) {
        j.push_back({{"change", c.change == report::Change::added        ? "new"
                                : c.change == report::Change::still_open ? "still_open"
                                : c.change == report::Change::fixed      ? "fixed"
                                                                         : "not_retested"},
                     {"id", c.finding.id}, {"rule_id", c.finding.rule_id},
                     {"asset", c.finding.asset}, {"severity", c.finding.severity}});
      }
      nlohmann::json e = nlohmann::json::array();
      for (const auto& c : d.endpoints) {
        e.push_back({{"change", c.appeared ? "appeared" : "disappeared"},
                     {"endpoint", c.endpoint.ip + ":" + std::to_string(c.endpoint.port)}});
      }
      fmt::print("{}\n", nlohmann::json{{"findings", j}, {"endpoints", e}}.dump(2));
    } else {
      for (const auto& c : d.findings) {
        fmt::print("{:<13} {} {} {} ({})\n",
                   c.change == report::Change::added        ? "NEW"
                   : c.change == report::Change::still_open ? "OPEN"
                   : c.change == report::Change::fixed      ? "FIXED"
                                                            : "NOT-RETESTED",
                   c.finding.id, c.finding.rule_id, c.finding.asset, to_string(c.finding.severity));
      }
      for (const auto& c : d.endpoints) {
        fmt::print("{:<10} endpoint {}:{}\n", c.appeared ? "APPEARED" : "GONE", c.endpoint.ip,
                   c.endpoint.port);
      }
    }
    return k_exit_ok;
  }
  if (pcap->parsed()) {
    Severity sev{};
    if (!pcap_fail_on.empty() && !parse_severity(pcap_fail_on, sev)) {
      return log_error(fmt::format("--fail-on: \"{}\" is not a severity", pcap_fail_on)), k_exit_usage;
    }
    if (auto ready = report::prepare_output_dir(pcap_out, pcap_force); !ready) {
      return log_error(ready.error()), k_exit_usage;
    }
    auto r = passive::analyze_files(pcap_opts);
    if (!r) return log_error(r.error()), k_exit_runtime;
    if (int rc = write_passive(*r, argv_copy, pcap_out, pcap_formats); rc != k_exit_ok) return rc;
    return fail_on_exit(*r, pcap_fail_on);
  }
  if (lis->parsed()) {
    auto duration = parse_duration(listen_duration, "--duration");
    if (!duration) return log_error(duration.error()), k_exit_usage;
    if (auto ready = report::prepare_output_dir(listen_out, listen_force); !ready) {
      return log_error(ready.error()), k_exit_usage;
    }
    install_signal_handlers();
    std::stop_source stop;
    std::jthread watcher([&](std::stop_token ws) {
      while (!ws.stop_requested() && g_signals.load() == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (g_signals.load() > 0) stop.request_stop();
    });
    fmt::print(stderr, "pacscan: listening on {} for {} ms (Ctrl-C ends early); nothing is sent\n",
               escape_untrusted(listen_iface), duration->count());
    auto r = passive::analyze_live(listen_opts, listen_iface, *duration, stop.get_token());
    watcher.request_stop();
    watcher.join();
    if (!r) return log_error(r.error()), k_exit_runtime;
    if (int rc = write_passive(*r, argv_copy, listen_out, listen_formats); rc != k_exit_ok) return rc;
    return r->meta.interrupted ? k_exit_interrupted : fail_on_exit(*r, listen_fail_on);
  }
  if (rul->parsed()) {
    if (rules_format != "md" && rules_format != "json") {
      return log_error("rules --format: md or json"), k_exit_usage;
    }
    fmt::print("{}", report::render_rules(rules_format));
    return k_exit_ok;
  }
  // probes
  for (const ProbeSpec* p : all_probes()) {
    fmt::print("{:<19} {:<9} {}\n", p->name, p->level == ProbeLevel::safe ? "safe" : "intrusive",
               p->summary);
  }
  return k_exit_ok;
}

}  // namespace pacscan::cli
