// SPDX-License-Identifier: Apache-2.0
// --shard K/N: deterministic, interleaved, disjoint shares that together cover the scope.
#include <doctest/doctest.h>

#include <set>

#include <pacscan/scan/engine.hpp>

using namespace pacscan;

TEST_CASE("shards are interleaved, disjoint and cover every host") {
  std::vector<Ipv4> hosts;
  for (std::uint32_t i = 0; i < 1000; ++i) hosts.push_back(Ipv4{0xC6120000u + i});
  for (int n : {1, 2, 3, 7, 1000, 1024}) {
    std::set<std::uint32_t> all;
    std::size_t total = 0;
    for (int k = 1; k <= n; ++k) {
      const auto part = shard_hosts(hosts, Shard{k, n});
      total += part.size();
      CHECK(part.size() >= hosts.size() / static_cast<std::size_t>(n));
      CHECK(part.size() <= hosts.size() / static_cast<std::size_t>(n) + 1);
      for (auto ip : part) all.insert(ip.value);
      if (!part.empty()) CHECK(part.front().value == hosts[static_cast<std::size_t>(k - 1)].value);
      CHECK(shard_hosts(hosts, Shard{k, n}) == part);  // deterministic
    }
    CHECK(total == hosts.size());
    CHECK(all.size() == hosts.size());
  }
}

TEST_CASE("--shard parses K/N and refuses anything else") {
  CHECK(parse_shard("2/3")->k == 2);
  CHECK(parse_shard("2/3")->n == 3);
  CHECK(parse_shard("1/1"));
  for (const char* bad : {"", "3", "0/3", "4/3", "1/0", "a/b", "1/2/3", "-1/3", "1/99999", " 1/2"}) {
    CHECK_MESSAGE(!parse_shard(bad), bad);
  }
}
