// SPDX-License-Identifier: Apache-2.0
#pragma once
// One file per subcommand: each adds its options to the CLI11 app and returns how to run it once
// parsed. src/cli/cli.cpp only builds the app and dispatches.
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace pacscan::cli {

struct Command {
  CLI::App* sub = nullptr;
  std::function<int()> run;
};

// argv: the whole command line, recorded in scan.json.
Command add_scan_command(CLI::App& app, const std::vector<std::string>& argv);
Command add_pcap_command(CLI::App& app, const std::vector<std::string>& argv);
Command add_listen_command(CLI::App& app, const std::vector<std::string>& argv);
Command add_report_command(CLI::App& app);
Command add_diff_command(CLI::App& app);
Command add_merge_command(CLI::App& app, const std::vector<std::string>& argv);
Command add_rules_command(CLI::App& app);
Command add_probes_command(CLI::App& app);

}  // namespace pacscan::cli
