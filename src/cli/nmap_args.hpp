#pragma once
// nmap spells some options with one dash and two letters (-iL FILE). CLI11 reads "-iL" as the
// short option -i with the value "L", so these are rewritten before CLI11 sees the arguments.
#include <string>
#include <vector>

#include <pacscan/core/expected.hpp>

namespace pacscan::cli {

// Rewrites the arguments after the `scan` subcommand (up to a "--"):
//   -iL FILE, -iL=FILE  -> --input-list FILE     (nmap: target list)
//   -iX FILE, -iX=FILE  -> --input-xml FILE      (pacscan: nmap -oX output as input)
// nmap options that pacscan does not have but that CLI11 would silently misread as a short
// option with a value (-oX out.xml would become the output folder "X", -iR 100 an input list
// "R") are refused with a message that says what to use instead. argv[0] is kept.
Expected<std::vector<std::string>> rewrite_nmap_args(const std::vector<std::string>& args);

}  // namespace pacscan::cli
