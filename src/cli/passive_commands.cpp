// pacscan pcap / listen: capture analysis; nothing is sent. Same outputs as an active scan.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pacscan/cli/cli.hpp>
#include <pacscan/cli/options.hpp>
#include <pacscan/core/text.hpp>
#include <pacscan/passive/passive.hpp>
#include <pacscan/report/report.hpp>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/terminal.hpp"

namespace pacscan::cli {
namespace {

struct PassiveOptions {
  passive::Options analysis;
  std::string out, formats, fail_on;
  bool force = false;
  std::string iface, duration = "60s";  // listen only
};

void add_common(CLI::App* sub, PassiveOptions& o) {
  sub->add_option("-o,--output", o.out, "Output folder")->required();
  sub->add_option("--format", o.formats, "Comma-separated report formats (default: all)");
  sub->add_option("--max-flows", o.analysis.max_flows, "Concurrent TCP flows tracked")->capture_default_str();
  sub->add_option("--max-buffered", o.analysis.max_buffered_bytes, "Bytes buffered for reassembly, all flows")->capture_default_str();
  sub->add_option("--max-summary", o.analysis.max_summary_bytes, "Bytes of association summaries kept")->capture_default_str();
  sub->add_option("--fail-on", o.fail_on, "Exit 1 when a finding is at or above this severity");
  sub->add_flag("--force", o.force, "Replace an earlier run's files in the output folder");
}

// Checks made before any capture is read: a usage error costs nothing.
int check(const PassiveOptions& o) {
  Severity sev{};
  if (!o.fail_on.empty() && !parse_severity(o.fail_on, sev)) {
    return log_error(fmt::format("--fail-on: \"{}\" is not a severity", o.fail_on)), k_exit_usage;
  }
  if (auto ready = report::prepare_output_dir(o.out, o.force); !ready) {
    return log_error(ready.error()), k_exit_usage;
  }
  return k_exit_ok;
}

int write_outputs(ScanResult& r, const std::vector<std::string>& argv, const PassiveOptions& o) {
  r.meta.command_line = argv;
  std::ofstream jl(std::filesystem::path(o.out) / "observations.jsonl");
  for (const auto& obs : r.observations) {
    jl << nlohmann::json(obs).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  jl.close();
  if (!jl) return log_error("cannot write observations.jsonl in " + o.out), k_exit_runtime;
  report::Context ctx{r, nullptr};
  auto w = report::write_all(ctx, o.out, split_list(o.formats));
  if (!w) return log_error(w.error()), k_exit_runtime;
  return r.meta.interrupted ? k_exit_interrupted : fail_on_exit(r, o.fail_on);
}

}  // namespace

Command add_pcap_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto o = std::make_shared<PassiveOptions>();
  auto* sub = app.add_subcommand("pcap", "Find DICOM traffic in pcap/pcapng captures (sends nothing)");
  sub->add_option("files", o->analysis.files, "Capture files")->required();
  add_common(sub, *o);
  return {sub, [o, argv] {
            if (int rc = check(*o); rc != k_exit_ok) return rc;
            auto r = passive::analyze_files(o->analysis);
            if (!r) return log_error(r.error()), k_exit_runtime;
            return write_outputs(*r, argv, *o);
          }};
}

Command add_listen_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto o = std::make_shared<PassiveOptions>();
  auto* sub = app.add_subcommand("listen", "Find DICOM traffic on a live interface (sends nothing)");
  sub->add_option("-i,--interface", o->iface, "Interface to capture on (e.g. a SPAN port)")->required();
  sub->add_option("--duration", o->duration, "How long to listen")->capture_default_str();
  add_common(sub, *o);
  return {sub, [o, argv] {
            auto duration = parse_duration(o->duration, "--duration");
            if (!duration) return log_error(duration.error()), k_exit_usage;
            if (int rc = check(*o); rc != k_exit_ok) return rc;
            InterruptWatch interrupt;
            fmt::print(stderr,
                       "pacscan: listening on {} for {} ms (Ctrl-C ends early); nothing is sent\n",
                       escape_untrusted(o->iface), duration->count());
            auto r = passive::analyze_live(o->analysis, o->iface, *duration, interrupt.token());
            if (!r) return log_error(r.error()), k_exit_runtime;
            return write_outputs(*r, argv, *o);
          }};
}

}  // namespace pacscan::cli
