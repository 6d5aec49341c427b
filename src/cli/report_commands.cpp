// pacscan report / diff / rules / probes: nothing is sent; every input file is untrusted.
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
