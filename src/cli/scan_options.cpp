// SPDX-License-Identifier: Apache-2.0
#include "cli/scan_options.hpp"

#include <tuple>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pacscan/cli/options.hpp>
#include <pacscan/core/embedded.hpp>
#include <pacscan/core/nmap_xml.hpp>

#include "cli/learn.hpp"
#include "cli/nmap_args.hpp"
#include "cli/terminal.hpp"
#include <pacscan/report/report.hpp>
#include <pacscan/tls/tls.hpp>

namespace pacscan::cli {

void add_scan_options(CLI::App& sub, ScanOptions& o) {
  auto& pol = o.policy;
  sub.add_option("targets", o.targets, "Addresses, CIDR, ranges (198.18.0.1-50, 198.18.0-3.1), host names");
  sub.add_option("-i,--iL,--input-list", o.input_list, "Read targets from FILE (nmap -iL FILE)");
  sub.add_option("--iX,--input-xml", o.input_xml,
                 "Probe the open TCP ports listed in nmap XML output (nmap -oX FILE) without a sweep; -iX FILE");
  sub.add_option("--exclude", o.excludes, "Comma-separated targets never to contact");
  sub.add_option("--exclude-file,--excludefile", o.exclude_file, "Read targets never to contact from FILE");
  sub.add_option("--do-not-probe", o.do_not_probe,
                 "FILE of addresses/ranges with a reason per line: no packet at all, listed as not probed in the reports");
  sub.add_option("-p,--ports", o.ports, "Ports to sweep")->capture_default_str();
  sub.add_option("-o,--output", o.out_dir, "Output folder (default pacscan-<UTC time>)");
  sub.add_option("--resume", o.resume, "Continue the interrupted scan whose output folder is DIR");
  sub.add_option("--shard", o.shard, "Scan the K-th of N interleaved shares of the scope (K/N): several scanners split one scope; join them with pacscan merge");
  sub.add_option("--called-aet", o.called_hints, "Called AE title(s) known to the auditor (tried first)");
  sub.add_option("--calling-aet", o.calling_ae, "The scanner's calling AE title")->capture_default_str();
  sub.add_option("--called-ae-list", o.called_list_file, "Plain list of called AE titles to use instead of the built-in vendor defaults (data/ae-titles.tsv)");
  sub.add_option("--calling-ae-list", o.calling_list_file, "Plain list of calling AE titles to use instead of the built-in vendor defaults (data/ae-titles.tsv)");
  sub.add_option("--learn", o.learn, "Capture (pcap/pcapng, read passively) or pacscan pcap result whose AE title pairs are tried first (repeatable)");
  sub.add_option("--ae-wordlist", o.ae_wordlist, "Intrusive: extra AE titles to try after the vendor defaults, one per line (same cap and pacing)");
  sub.add_flag("--reverse-dns", o.reverse_dns, "Look up probed hosts' reverse DNS names and try them as AE titles (a PTR query to the site's resolver, which is outside the scope)");
  sub.add_option("--rate", pol.rate_per_s, "ARP requests and sweep connects per second, whole scan (probes are paced per host: --max-per-host, --host-gap)")->capture_default_str()->check(CLI::Range(0.1, 100000.0));
  sub.add_option("--max-per-host", pol.max_per_host, "Concurrent associations per host")->capture_default_str()->check(CLI::Range(1, 16));
  sub.add_option("--sweep-per-host", pol.sweep_per_host, "Concurrent TCP connects per host while sweeping")->capture_default_str()->check(CLI::Range(1, 64));
  sub.add_option("--sweep-in-flight", pol.sweep_in_flight, "Concurrent TCP connects while sweeping")->capture_default_str()->check(CLI::Range(1, 4096));
  sub.add_option("--workers", pol.workers, "Hosts probed at once, at most (one association per host at a time; the pool grows with the hosts waiting)")->capture_default_str()->check(CLI::Range(1, 1024));
  sub.add_option("--max-ae-attempts", pol.max_ae_attempts, "AE-title guesses per endpoint")->capture_default_str()->check(CLI::Range(1, 200));
  sub.add_option("--max-hosts", o.max_hosts, "Refuse scopes larger than this")->capture_default_str();
  sub.add_option("--host-gap", o.host_gap, "Minimum gap between two associations to one host")->capture_default_str();
  sub.add_option("--connect-timeout", o.connect_timeout, "TCP connect timeout")->capture_default_str();
  sub.add_option("--acse-timeout", o.acse_timeout, "Wait for the A-ASSOCIATE answer")->capture_default_str();
  sub.add_option("--dimse-timeout", o.dimse_timeout, "Wait for a DIMSE response")->capture_default_str();
  sub.add_option("--io-timeout", o.io_timeout, "Socket send/receive timeout")->capture_default_str();
  sub.add_option("--assoc-deadline", o.assoc_deadline, "Hard limit for one association")->capture_default_str();
  sub.add_option("--recheck-pause", o.recheck_pause, "Pause before the one TCP re-check of a host that stopped answering")->capture_default_str();
  sub.add_flag("--resume-fragile", pol.resume_fragile, "Probe a host that stopped answering and came back again (default: left alone for the rest of the scan)");
  sub.add_option("--endpoint-budget", o.endpoint_budget, "Time limit for all probes of one endpoint")->capture_default_str();
  sub.add_option("--tls-ca", pol.tls_ca_file, "PEM bundle of the site's own CA(s): TLS certificates are verified against it and the system store");
  sub.add_option("--tls-cert", pol.tls_cert_file, "The site's TLS client certificate (PEM), with --tls-key: DICOM TLS is also measured as a known peer, reported apart");
  sub.add_option("--tls-key", pol.tls_key_file, "The unencrypted private key (PEM) of --tls-cert; read, never logged or reported");
  sub.add_option("--probes", o.probes, "Comma-separated probes to run (default: all of the profile)");
  sub.add_option("--profile", o.profile, "safe (default) or intrusive")->capture_default_str();
  sub.add_option("--max-data-matches", pol.max_data_matches,
                 "Intrusive: entries a universal query may return before C-CANCEL")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  sub.add_option("--listen-port", pol.listen_port,
                 "Intrusive: port of the scanner's own storage SCP (AE = --calling-aet) for "
                 "the C-MOVE test")
      ->capture_default_str()->check(CLI::Range(1, 65535));
  sub.add_option("--discovery", o.discovery, "Host discovery: auto (ARP on an attached segment when capture is allowed, else tcp), arp, tcp, none (sweep every address)")->capture_default_str();
  sub.add_option("--interface", o.interface, "Interface for ARP discovery (default: the one whose subnet holds the targets)");
  sub.add_option("--format", o.formats, "Comma-separated report formats (default: all)");
  sub.add_option("--baseline", o.baseline, "Previous scan.json: report new / still open / fixed");
  sub.add_option("--fail-on", o.fail_on, "Exit 1 when a finding is at or above this severity");
  sub.add_flag("--dry-run", o.dry_run, "Print the plan (endpoints, probes, worst-case time); send nothing");
  sub.add_flag("--force", o.force, "Replace an earlier scan's files in the output folder");
  sub.add_flag("-q,--quiet", o.quiet, "Only errors on stderr");
  sub.add_flag("-v,--verbose", o.verbose, "More logging on stderr: when each phase ended (-vv: DCMTK debug too)");
  sub.add_flag("--progress", o.progress, "Progress line on stderr even when not a terminal");
  sub.add_flag("--no-progress", o.no_progress, "No progress line");
}

bool allowed_with_resume(const std::string& name) {
  return name == "--resume" || name == "--quiet" || name == "--verbose" || name == "--progress" ||
         name == "--no-progress";
}

Expected<std::unique_ptr<ScanSetup>> build_scan(const ScanOptions& o,
                                                const std::vector<std::string>& argv) {
  auto setup = std::make_unique<ScanSetup>();
  // ---- targets and scope ----
  std::vector<std::string> targets = o.targets;
  if (!o.input_list.empty()) {
    auto t = read_target_file(o.input_list);
    if (!t) return error(t.error());
    targets.insert(targets.end(), t->begin(), t->end());
  }
  // -iX: the open ports nmap found. Its hosts are the targets unless targets are given too (then
  // those bound the scope and the file's other hosts are left out).
  if (!o.input_xml.empty()) {
    auto x = read_nmap_xml(o.input_xml);
    if (!x) return error(x.error());
    if (targets.empty()) {
      // As /32 blocks, not as addresses written singly: an address the user did not type gets
      // the odd-address rules (a file listing 0.0.0.0 would otherwise reach this host).
      for (const auto& ep : x->open) {
        const std::string token = ep.ip.str() + "/32";
        if (targets.empty() || targets.back() != token) targets.push_back(token);
      }
    }
    setup->nmap_xml = std::move(*x);
  }
  if (targets.empty() && !setup->nmap_xml) {
    return error("no targets: give addresses, ranges, CIDR, -iL FILE or -iX FILE");
  }
  std::vector<std::string> excludes = split_list(o.excludes);
  if (!o.exclude_file.empty()) {
    auto t = read_target_file(o.exclude_file);
    if (!t) return error(t.error());
    excludes.insert(excludes.end(), t->begin(), t->end());
  }
  ScopeOptions so;
  so.max_hosts = o.max_hosts;
  if (!o.do_not_probe.empty()) {
    auto d = read_do_not_probe_file(o.do_not_probe);
    if (!d) return error(d.error());
    so.do_not_probe = std::move(*d);
  }
  // An nmap file with no open port: an empty scope (nothing is sent), and a report that says so.
  auto scope = targets.empty() ? Expected<Scope>(Scope{}) : Scope::parse(targets, excludes, so);
  if (!scope) return error(scope.error());
  setup->scope = std::make_unique<Scope>(std::move(*scope));
  auto ports = parse_ports(o.ports);
  if (!ports) return error(ports.error());
  if (!o.shard.empty()) {
    auto shard = parse_shard(o.shard);
    if (!shard) return error(shard.error());
    setup->req.shard = *shard;
  }

  // ---- policy ----
  ScanRequest& req = setup->req;
  req.scope = setup->scope.get();
  req.ports = *ports;
  req.command_line = argv;
  if (setup->nmap_xml) {
    req.given_open = setup->nmap_xml->open;
    req.given_source = "nmap XML " + o.input_xml;
  }
  ScanPolicy& p = req.policy;
  p = o.policy;  // rate, per-host limits, workers, attempts: bound directly by CLI11
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
                               DurationOpt{o.host_gap, "--host-gap", p.host_gap},
                               DurationOpt{o.recheck_pause, "--recheck-pause", p.recheck_pause}}) {
    auto v = parse_duration(d.text, d.name);
    if (!v) return error(v.error());
    d.out = *v;
  }
  if (o.profile == "intrusive") {
    p.profile = Profile::intrusive;
  } else if (o.profile != "safe") {
    return error(fmt::format("--profile: \"{}\" is not safe or intrusive", o.profile));
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
    return error(fmt::format("--discovery: \"{}\" is not auto, arp, tcp or none", o.discovery));
  }
  req.interface = o.interface;
  if (auto v = validate_ae(o.calling_ae, "--calling-aet"); !v) return error(v.error());
  p.calling_ae = o.calling_ae;
  for (const auto& h : o.called_hints) {
    if (auto v = validate_ae(h, "--called-aet"); !v) return error(v.error());
  }
  p.called_ae_hints = o.called_hints;
  {
    const DataFile data = data_file("ae-titles.tsv");
    auto titles = parse_ae_titles(data.text, data.origin == "built in" ? "ae-titles.tsv"
                                                                       : data.origin);
    if (!titles) return error(titles.error());
    p.ae_titles = std::move(*titles);
  }
  // A plain list replaces one role's vendor defaults (the auditor's own list, in its order).
  for (const auto& [file, role, option] :
       {std::tuple{o.called_list_file, AeRole::called, "--called-ae-list"},
        std::tuple{o.calling_list_file, AeRole::calling, "--calling-ae-list"}}) {
    if (file.empty()) continue;
    auto list = load_ae_list(file, "");
    if (!list) return error(list.error());
    std::erase_if(p.ae_titles, [r = role](const AeTitleEntry& e) { return e.role == r; });
    for (const auto& t : *list) {
      p.ae_titles.push_back({t, role, 1, {}, fmt::format("listed in {} {}", option, file), file});
    }
  }
  for (const auto& f : o.learn) {
    std::string note;
    auto pairs = learn_ae_pairs(f, note);
    if (!pairs) return error(pairs.error());
    p.learned_ae_pairs.insert(p.learned_ae_pairs.end(), pairs->begin(), pairs->end());
    setup->notes.push_back(std::move(note));
  }
  if (!o.ae_wordlist.empty()) {
    if (p.profile != Profile::intrusive) {
      return error("--ae-wordlist needs --profile intrusive: a word list of AE titles is a guessing "
                   "attack, never part of the safe profile");
    }
    auto words = load_ae_wordlist(o.ae_wordlist);
    if (!words) return error(words.error());
    p.ae_wordlist = std::move(*words);
    setup->notes.push_back(fmt::format(
        "--ae-wordlist {}: {} title(s), tried after the vendor defaults within the same cap "
        "(--max-ae-attempts {}) and per-host pacing",
        o.ae_wordlist, p.ae_wordlist.size(), p.max_ae_attempts));
  }
  p.reverse_dns = o.reverse_dns;
  if (!p.tls_ca_file.empty()) {
    if (auto v = check_ca_bundle(p.tls_ca_file); !v) return error(v.error());
  }
  if (!p.tls_cert_file.empty() || !p.tls_key_file.empty()) {
    auto c = tls::check_client_credential(p.tls_cert_file, p.tls_key_file);
    if (!c) return error(c.error());
    log_info(o.quiet, fmt::format("TLS client certificate '{}' (SHA-256 {}): presented only in "
                                  "the known peer's view, reported apart",
                                  c->cert.subject, c->sha256));
  }
  p.probes = split_list(o.probes);
  auto probes = select_probes(p);
  if (!probes) return error(probes.error());
  setup->probes = *probes;
  Severity sev{};
  if (!o.fail_on.empty() && !parse_severity(o.fail_on, sev)) {
    return error(fmt::format("--fail-on: \"{}\" is not info, low, medium, high or critical", o.fail_on));
  }
  setup->formats = split_list(o.formats);
  for (const auto& f : setup->formats) {
    if (!report::find_format(f)) return error(fmt::format("--format: unknown format \"{}\"", f));
  }
  if (!o.baseline.empty()) {
    auto b = report::load_scan(o.baseline);
    if (!b) return error(b.error());
    setup->baseline = std::move(*b);
  }
  req.out_dir = o.out_dir.empty() ? default_out_dir() : o.out_dir;
  req.progress = !o.quiet && !o.no_progress && o.progress;  // the caller adds "is a terminal"
  req.quiet = o.quiet;
  req.timings = o.verbose > 0 && !o.quiet;
  return setup;
}

Expected<ScanOptions> parse_scan_argv(const std::vector<std::string>& argv) {
  ScanOptions o;
  CLI::App app{"pacscan"};
  auto* sub = app.add_subcommand("scan");
  add_scan_options(*sub, o);
  if (argv.size() < 2 || argv[1] != "scan") {
    return error("the recorded command line is not a `pacscan scan` command");
  }
  auto rewritten = rewrite_nmap_args(argv);  // the recorded line is as typed (-iL FILE ...)
  if (!rewritten) return error(rewritten.error());
  std::vector<std::string> args(rewritten->rbegin(), rewritten->rend() - 1);  // CLI11: from the back
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return error(fmt::format("the recorded command line no longer parses: {}", e.what()));
  }
  return o;
}

}  // namespace pacscan::cli
