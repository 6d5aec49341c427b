// SPDX-License-Identifier: Apache-2.0
// pacscan report / diff / rules / probes: nothing is sent; every input file is untrusted.
#include <fstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pacscan/cli/cli.hpp>
#include <pacscan/cli/options.hpp>
#include <pacscan/report/report.hpp>
#include <pacscan/scan/probe.hpp>

#include "cli/commands.hpp"
#include "cli/terminal.hpp"

namespace pacscan::cli {

Command add_report_command(CLI::App& app) {
  struct Opts {
    std::string in, out, formats, baseline;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "report", "Re-render reports from a scan.json, an observations.jsonl or an output folder");
  sub->add_option("scan", o->in, "scan.json, observations.jsonl, or an output folder")->required();
  sub->add_option("-o,--output", o->out, "Output folder")->required();
  sub->add_option("--format", o->formats, "Comma-separated formats (default: all)");
  sub->add_option("--baseline", o->baseline, "Previous scan.json to compare with");
  return {sub, [o] {
            auto scan = report::load_any(o->in);
            if (!scan) return log_error(scan.error()), k_exit_usage;
            std::optional<report::Diff> d;
            if (!o->baseline.empty()) {
              auto b = report::load_any(o->baseline);
              if (!b) return log_error(b.error()), k_exit_usage;
              d = report::compare(*b, *scan);
            }
            report::Context ctx{*scan, d ? &*d : nullptr};
            auto w = report::write_all(ctx, o->out, split_list(o->formats));
            if (!w) return log_error(w.error()), k_exit_runtime;
            return k_exit_ok;
          }};
}

Command add_diff_command(CLI::App& app) {
  struct Opts {
    std::string old_scan, new_scan, format = "md";
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("diff", "Compare two scans: new, still open and fixed findings");
  sub->add_option("old", o->old_scan, "Older scan.json")->required();
  sub->add_option("new", o->new_scan, "Newer scan.json")->required();
  sub->add_option("--format", o->format, "md or json")->capture_default_str();
  return {sub, [o] {
            if (o->format != "md" && o->format != "json") {
              return log_error("diff --format: md or json"), k_exit_usage;
            }
            auto a = report::load_any(o->old_scan);
            if (!a) return log_error(a.error()), k_exit_usage;
            auto b = report::load_any(o->new_scan);
            if (!b) return log_error(b.error()), k_exit_usage;
            fmt::print("{}", report::render_diff(report::compare(*a, *b), o->format));
            return k_exit_ok;
          }};
}

Command add_merge_command(CLI::App& app, const std::vector<std::string>& argv) {
  struct Opts {
    std::vector<std::string> inputs;
    std::string out, formats;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "merge", "Join scans (shards of one scope, or several sites) into one scan and its reports");
  sub->add_option("scans", o->inputs, "scan.json files (or output folders), two or more")
      ->required()->expected(2, 4096);
  sub->add_option("-o,--output", o->out, "Output folder")->required();
  sub->add_option("--format", o->formats, "Comma-separated formats (default: all)");
  sub->add_flag("--force", o->force, "Replace an earlier run's files in the output folder");
  return {sub, [o, argv] {
            std::vector<ScanResult> scans;
            for (const auto& in : o->inputs) {
              auto s = report::load_any(in);
              if (!s) return log_error(s.error()), k_exit_usage;
              scans.push_back(std::move(*s));
            }
            if (auto ready = report::prepare_output_dir(o->out, o->force); !ready) {
              return log_error(ready.error()), k_exit_usage;
            }
            ScanResult merged = report::merge_scans(scans, o->inputs);
            merged.meta.command_line = argv;
            std::ofstream jl(std::filesystem::path(o->out) / "observations.jsonl");
            for (const auto& obs : merged.observations) {
              jl << nlohmann::json(obs).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace)
                 << '\n';
            }
            jl.close();
            if (!jl) return log_error("cannot write observations.jsonl in " + o->out), k_exit_runtime;
            report::Context ctx{merged, nullptr};
            auto w = report::write_all(ctx, o->out, split_list(o->formats));
            if (!w) return log_error(w.error()), k_exit_runtime;
            log_info(false, fmt::format("merged {} scan(s): {} host(s), {} finding(s); report: {}",
                                        scans.size(), merged.hosts.size(), merged.findings.size(),
                                        (std::filesystem::path(o->out) / "report.md").string()));
            return k_exit_ok;
          }};
}

Command add_rules_command(CLI::App& app) {
  auto format = std::make_shared<std::string>("md");
  auto* sub = app.add_subcommand("rules", "List the rules catalogue");
  sub->add_option("--format", *format, "md or json")->capture_default_str();
  return {sub, [format] {
            if (*format != "md" && *format != "json") {
              return log_error("rules --format: md or json"), k_exit_usage;
            }
            fmt::print("{}", report::render_rules(*format));
            return k_exit_ok;
          }};
}

Command add_probes_command(CLI::App& app) {
  auto* sub = app.add_subcommand("probes", "List the probes and their level");
  return {sub, [] {
            for (const ProbeSpec* p : all_probes()) {
              fmt::print("{:<19} {:<9} {}\n", p->name,
                         p->level == ProbeLevel::safe ? "safe" : "intrusive", p->summary);
            }
            return k_exit_ok;
          }};
}

}  // namespace pacscan::cli
