// The command line: builds the CLI11 app from one file per subcommand, parses, dispatches.
#include <pacscan/cli/cli.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pacscan/core/text.hpp>
#include <pacscan/core/version.hpp>

#include "cli/commands.hpp"
#include "cli/nmap_args.hpp"

namespace pacscan::cli {

int main(int argc, char** argv) {
  CLI::App app{"pacscan: DICOM/PACS network exposure scanner for imaging networks", "pacscan"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pacscan ") + version());
  const std::vector<std::string> args(argv, argv + argc);
  const Command commands[] = {
      add_scan_command(app, args),  add_report_command(app),      add_diff_command(app),
      add_merge_command(app, args), add_rules_command(app),       add_probes_command(app),
      add_pcap_command(app, args),  add_listen_command(app, args),
  };
  // nmap's -iL/-iX spellings rewritten (CLI11 would read -iL as -i L); argv as typed is recorded.
  auto rewritten = rewrite_nmap_args(args);
  if (!rewritten) {
    fmt::print(stderr, "pacscan: error: {}\n", escape_untrusted(rewritten.error()));
    return k_exit_usage;
  }
  try {
    std::vector<std::string> reversed(rewritten->rbegin(), rewritten->rend() - 1);  // CLI11 order
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? k_exit_ok : k_exit_usage;
  }
  for (const auto& c : commands) {
    if (c.sub->parsed()) return c.run();
  }
  return k_exit_usage;
}

}  // namespace pacscan::cli
