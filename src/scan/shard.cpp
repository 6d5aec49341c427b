// SPDX-License-Identifier: Apache-2.0
// --shard K/N: which share of the scope this scanner takes (declared in scan/engine.hpp).
#include <pacscan/scan/engine.hpp>

#include <fmt/format.h>

namespace pacscan {

std::string Shard::str() const { return fmt::format("{}/{}", k, n); }

Expected<Shard> parse_shard(std::string_view text) {
  Shard s;
  const auto slash = text.find('/');
  const auto num = [](std::string_view t, int& out) {
    if (t.empty() || t.size() > 4) return false;
    out = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    return true;
  };
  if (slash == std::string_view::npos || !num(text.substr(0, slash), s.k) ||
      !num(text.substr(slash + 1), s.n) || s.n < 1 || s.n > 1024 || s.k < 1 || s.k > s.n) {
    return error(fmt::format("--shard: \"{}\" is not K/N with 1 <= K <= N <= 1024 (e.g. 2/3)",
                             text));
  }
  return s;
}

std::vector<Ipv4> shard_hosts(const std::vector<Ipv4>& hosts, const Shard& s) {
  if (!s.active()) return hosts;
  std::vector<Ipv4> out;
  for (std::size_t i = static_cast<std::size_t>(s.k - 1); i < hosts.size();
       i += static_cast<std::size_t>(s.n)) {
    out.push_back(hosts[i]);
  }
  return out;
}

}  // namespace pacscan
