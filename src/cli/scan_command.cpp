// SPDX-License-Identifier: Apache-2.0
// pacscan scan: options -> plan or scan -> reports; --resume continues an interrupted scan.
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pacscan/cli/cli.hpp>
#include <pacscan/core/embedded.hpp>
#include <pacscan/dicom/association.hpp>
#include <pacscan/report/report.hpp>
#include <pacscan/rules/rules.hpp>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/plan.hpp"
#include "cli/scan_options.hpp"
#include "cli/terminal.hpp"

namespace pacscan::cli {
namespace {

nlohmann::json options_json(const ScanOptions& o, const ScanPolicy& p) {
  return {{"rate_per_s", p.rate_per_s},          {"max_per_host", p.max_per_host},
          {"sweep_per_host", p.sweep_per_host},  {"sweep_in_flight", p.sweep_in_flight},
          {"host_gap_ms", p.host_gap.count()},   {"connect_timeout_ms", p.connect_timeout.count()},
          {"acse_timeout_ms", p.acse_timeout.count()}, {"dimse_timeout_ms", p.dimse_timeout.count()},
          {"io_timeout_ms", p.io_timeout.count()}, {"assoc_deadline_ms", p.assoc_deadline.count()},
          {"endpoint_budget_ms", p.endpoint_budget.count()}, {"workers", p.workers},
          {"max_ae_attempts", p.max_ae_attempts}, {"calling_ae", p.calling_ae},
          {"called_ae_hints", p.called_ae_hints}, {"max_hosts", o.max_hosts},
          {"discovery", o.discovery},            {"interface", o.interface},
          {"input_xml", o.input_xml},            {"do_not_probe_file", o.do_not_probe},
          {"learn", o.learn},                    {"ae_wordlist", o.ae_wordlist},
          {"reverse_dns", p.reverse_dns},
          {"recheck_pause_ms", p.recheck_pause.count()}, {"resume_fragile", p.resume_fragile}};
}

// What the auditor should know about the inputs: the nmap file, installed data files, --learn.
void input_notes(ScanResult& r, const ScanOptions& o, const ScanSetup& setup) {
  r.meta.notes.insert(r.meta.notes.end(), setup.notes.begin(), setup.notes.end());
  if (const auto& x = setup.nmap_xml) {
    std::size_t probed = 0;
    for (const auto& ep : x->open) probed += setup.scope->contains(ep.ip) ? 1 : 0;
    r.meta.notes.push_back(fmt::format(
        "Input: {} open TCP port(s) on {} host(s) listed in {} (nmap {}); no host discovery and no "
        "sweep: {} of them in scope were probed, {} left out (out of scope, excluded or on the "
        "do-not-probe list).",
        x->open.size(), x->hosts, o.input_xml,
        x->nmap_args.empty() ? std::string("arguments not recorded") : x->nmap_args, probed,
        x->open.size() - probed));
    if (x->skipped_count > 0) {
      r.meta.notes.push_back(fmt::format("{}: {} entr(y/ies) not used: {}", o.input_xml,
                                         x->skipped_count, fmt::join(x->skipped, "; ")));
    }
  }
  for (const char* name :
       {"ae-titles.tsv", "vulnerable-versions.txt"}) {
    if (const auto d = data_file(name); d.origin != "built in") {
      r.meta.notes.push_back(
          fmt::format("Data file {} read from {} (installed copy).", name, d.origin));
    }
  }
}

void announce_intrusive(const ScanPolicy& p) {
  log_info(false, fmt::format(
      "WARNING: intrusive profile: dicom_data_query counts the patients, studies and worklist "
      "entries an unknown peer can list (values discarded unread, C-CANCEL after {}); "
      "dicom_store_test writes one labelled synthetic image to every archive that accepts it "
      "(UIDs listed in the report for deletion); dicom_move_self listens on port {} as AE "
      "'{}' and asks the archive to send that image there",
      p.max_data_matches, p.listen_port, p.calling_ae));
}

int summarise(const ScanResult& r, const ScanOptions& o, const ScanRequest& req) {
  std::size_t by[5] = {};
  for (const auto& f : r.findings) by[static_cast<int>(f.severity)]++;
  for (const auto& f : r.findings) {  // first: these devices need a look now
    if (f.rule_id == "DEVICE-STOPPED-ANSWERING") {
      log_info(o.quiet, fmt::format("DEVICE STOPPED ANSWERING: {}: {} ({})", f.ip, f.summary,
                                    f.id));
    }
  }
  log_info(o.quiet, fmt::format("{} host(s) up, {} open port(s), {} DICOM endpoint(s); findings: "
                                "{} critical, {} high, {} medium, {} low, {} info; report: {}",
                                r.hosts.size(),
                                std::count_if(r.endpoints.begin(), r.endpoints.end(),
                                              [](auto& e) { return e.state == PortState::open; }),
                                std::count_if(r.endpoints.begin(), r.endpoints.end(),
                                              [](auto& e) { return e.speaks_dicom; }),
                                by[4], by[3], by[2], by[1], by[0],
                                (req.out_dir / "report.md").string()));
  if (r.meta.interrupted) return k_exit_interrupted;
  return fail_on_exit(r, o.fail_on);
}

int run(ScanOptions o, const std::vector<std::string>& argv, std::optional<ResumeState> resume) {
  auto setup = build_scan(o, argv);
  if (!setup) return log_error(setup.error()), k_exit_usage;
  ScanRequest& req = (*setup)->req;
  const auto& p = req.policy;
  for (const auto& n : (*setup)->notes) log_info(o.quiet, n);
  if (o.dry_run) return print_plan(req, (*setup)->probes);
  if (p.profile == Profile::intrusive) announce_intrusive(p);
  auto init = dicom::init_library(p, o.verbose + 1);
  if (!init) return log_error(init.error()), k_exit_runtime;
  req.progress = req.progress || (!o.quiet && !o.no_progress && ::isatty(STDERR_FILENO));
  if (resume) {
    req.resume = std::move(resume);
  } else if (auto ready = report::prepare_output_dir(req.out_dir, o.force); !ready) {
    return log_error(ready.error()), k_exit_usage;
  }
  if (req.given_open) {
    log_info(o.quiet, fmt::format("{} the open ports of {} in-scope host(s) listed in {} (no "
                                  "sweep); results in {}",
                                  req.resume ? "resuming probing" : "probing", req.scope->size(),
                                  o.input_xml, req.out_dir.string()));
  } else {
    log_info(o.quiet, fmt::format("{} {} host(s) x {} port(s); results in {}",
                                  req.resume ? "resuming the scan of" : "scanning",
                                  req.scope->size(), req.ports.size(), req.out_dir.string()));
  }

  InterruptWatch interrupt([] {
    fmt::print(stderr, "\npacscan: interrupted: stopping, keeping what was observed "
                       "(press Ctrl-C again to quit at once)\n");
    dicom::shutdown_all_connections();
  });
  auto result = run_scan(req, interrupt.token());
  if (!result) return log_error(result.error()), k_exit_runtime;
  result->meta.options = options_json(o, p);
  input_notes(*result, o, **setup);

  std::optional<report::Diff> diff;
  if ((*setup)->baseline) diff = report::compare(*(*setup)->baseline, *result);
  report::Context ctx{*result, diff ? &*diff : nullptr};
  const auto reports_from = std::chrono::steady_clock::now();
  auto written = report::write_all(ctx, req.out_dir, (*setup)->formats);
  if (!written) return log_error(written.error()), k_exit_runtime;
  if (req.timings) {
    log_info(false, fmt::format("reports written in {:.2f} s",
                                std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                              reports_from).count()));
  }
  if (!result->output_error.empty()) return log_error(result->output_error), k_exit_runtime;
  return summarise(*result, o, req);
}

// --resume DIR: the recorded command line, run again on the same folder, minus what was done.
int resume_scan(const CLI::App& sub, const ScanOptions& given) {
  for (const CLI::Option* opt : sub.get_options()) {
    if (opt->count() > 0 && !allowed_with_resume(opt->get_name())) {
      return log_error(fmt::format("--resume continues the recorded scan as it was: {} cannot "
                                   "be changed (only -q, -v, --progress, --no-progress)",
                                   opt->get_name())),
             k_exit_usage;
    }
  }
  const std::filesystem::path dir = given.resume;
  std::vector<std::string> recorded;
  auto state = prepare_resume(dir, recorded);
  if (!state) return log_error(state.error()), k_exit_usage;
  auto o = parse_scan_argv(recorded);
  if (!o) return log_error(o.error()), k_exit_usage;
  o->out_dir = dir.string();
  o->dry_run = o->force = false;
  o->quiet = given.quiet;
  o->verbose = given.verbose;
  o->progress = given.progress;
  o->no_progress = given.no_progress;
  return run(std::move(*o), recorded, std::move(*state));
}

}  // namespace

Command add_scan_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto* sub = app.add_subcommand("scan", "Scan targets: sweep ports, probe DICOM endpoints, judge, report");
  auto o = std::make_shared<ScanOptions>();
  add_scan_options(*sub, *o);
  return {sub, [sub, o, argv] {
            if (!o->resume.empty()) return resume_scan(*sub, *o);
            return run(*o, argv, std::nullopt);
          }};
}

}  // namespace pacscan::cli
