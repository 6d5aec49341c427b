#include "nmap_args.hpp"

#include <array>
#include <string_view>

namespace pacscan::cli {
namespace {

struct Mapping {
  std::string_view nmap;
  std::string_view ours;
};
constexpr std::array<Mapping, 2> k_mapped{{{"-iL", "--input-list"}, {"-iX", "--input-xml"}}};

struct Refusal {
  std::string_view nmap;
  std::string_view why;
};
constexpr std::array<Refusal, 7> k_refused{{
    {"-iR", "random targets are never scanned; give the targets"},
    {"-oX", "pacscan writes every report format into the folder given with -o DIR"},
    {"-oN", "pacscan writes every report format into the folder given with -o DIR"},
    {"-oG", "pacscan writes every report format into the folder given with -o DIR"},
    {"-oA", "pacscan writes every report format into the folder given with -o DIR"},
    {"-oS", "pacscan writes every report format into the folder given with -o DIR"},
    {"-oM", "pacscan writes every report format into the folder given with -o DIR"},
}};

// "-iL" or "-iL=..." (the value after '=' in *value).
bool spelled(std::string_view arg, std::string_view opt, std::string_view* value) {
  if (arg.size() < opt.size() || arg.substr(0, opt.size()) != opt) return false;
  if (arg.size() == opt.size()) {
    *value = {};
    return true;
  }
  if (arg[opt.size()] != '=') return false;
  *value = arg.substr(opt.size() + 1);
  return true;
}

}  // namespace

Expected<std::vector<std::string>> rewrite_nmap_args(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  out.reserve(args.size() + 2);
  bool in_scan = false;
  bool done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i == 0 || done) {
      out.push_back(a);
      continue;
    }
    if (!in_scan) {
      in_scan = a == "scan";
      out.push_back(a);
      if (!a.empty() && a[0] != '-' && !in_scan) done = true;  // another subcommand
      continue;
    }
    if (a == "--") {
      done = true;
      out.push_back(a);
      continue;
    }
    std::string_view value;
    bool handled = false;
    for (const Mapping& m : k_mapped) {
      if (!spelled(a, m.nmap, &value)) continue;
      out.emplace_back(m.ours);
      if (!value.empty() || a.size() > m.nmap.size()) {
        if (value.empty()) return error(std::string(m.nmap) + "=: the file name is empty");
        out.emplace_back(value);
      }
      handled = true;
      break;
    }
    if (handled) continue;
    for (const Refusal& r : k_refused) {
      if (spelled(a, r.nmap, &value)) {
        return error(std::string(r.nmap) + " is an nmap option pacscan does not have: " +
                     std::string(r.why));
      }
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace pacscan::cli
