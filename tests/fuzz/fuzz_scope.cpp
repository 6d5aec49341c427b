// libFuzzer target: arbitrary bytes into the target/port parsers, with invariant checks.
// Build: clang++ -std=c++20 -fsanitize=fuzzer,address -Iinclude tests/fuzz/fuzz_scope.cpp \
//          src/core/scope.cpp src/core/net.cpp
// No DNS: Scope::parse gets a fake resolver with odd answers.
#include <pacscan/core/net.hpp>
#include <pacscan/core/scope.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace pacscan;

void check(bool ok) {
  if (!ok) std::abort();
}

// No DNS: names resolve to odd answers chosen by the name's length, so the fuzzer meets what a
// real resolver may return: 0.0.0.0, broadcast, multicast, loopback, link-local, many addresses.
Expected<std::vector<Ipv4>> odd_resolver(const std::string& name) {
  switch (name.size() % 8) {
    case 0: return error("fuzz: no such name");
    case 1: return std::vector<Ipv4>{};
    case 2: return std::vector<Ipv4>{Ipv4{0}, Ipv4{0xffffffffu}};
    case 3: return std::vector<Ipv4>{Ipv4{0xe00000fbu}, Ipv4{0xeffffffau}};  // multicast
    case 4: return std::vector<Ipv4>{Ipv4{0x7f000001u}, Ipv4{0xa9fe0102u}, Ipv4{0xf0000001u}};
    case 5: {
      std::vector<Ipv4> many;
      for (std::uint32_t i = 0; i < 300; ++i) many.push_back(Ipv4{0xc6120000u + i * 7});
      return many;
    }
    default: return std::vector<Ipv4>{Ipv4{0xc6120000u + static_cast<std::uint32_t>(name.size())}};
  }
}

std::uint64_t dropped_count(const Scope& s) {
  std::uint64_t n = 0;
  for (const auto& d : s.dropped()) {
    check(d.count != 0 && !d.ranges.empty() && d.ranges.size() <= k_listed_ranges);
    check(!d.reason.empty());
    for (const auto& r : d.ranges) check(!s.contains(r.first) && !s.contains(r.last));
    n += d.count;
  }
  return n;
}

// Sorted, disjoint, non-adjacent, first <= last.
void check_ranges(const std::vector<Ipv4Range>& ranges) {
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    check(ranges[i].first <= ranges[i].last);
    if (i != 0) check(std::uint64_t{ranges[i - 1].last.value} + 1 < ranges[i].first.value);
  }
}

void fuzz_token(const std::string& text) {
  const auto ranges = parse_target_token(text);
  if (!ranges) {
    check(!ranges.error().empty());
    return;
  }
  check(!ranges->empty());
  check_ranges(*ranges);
  // A token that parses as one address is exactly that address, and prints back the same.
  if (const auto ip = Ipv4::parse(text)) {
    check(ranges->size() == 1 && (*ranges)[0].first == *ip && (*ranges)[0].last == *ip);
    check(ip->str() == text);
  }

  // Through Scope, with itself as target and a small cap so hosts() stays cheap. Odd addresses
  // (0.0.0.0, a CIDR's network and broadcast, multicast, 240/4) are dropped and accounted for.
  ScopeOptions options;
  options.max_hosts = 4096;
  options.resolver = &odd_resolver;
  const auto scope = Scope::parse({text}, {}, options);
  std::uint64_t total = 0;
  for (const auto& r : *ranges) total += r.size();
  if (!scope) {
    check(total > options.max_hosts || scope.error().find("scope is empty") == 0);
    return;
  }
  check(scope->size() + dropped_count(*scope) == total);
  if (Ipv4::parse(text)) check(scope->dropped().empty());  // an address named singly is kept
  total = scope->size();
  check_ranges(scope->ranges());
  const auto hosts = scope->hosts();
  check(hosts.size() == total);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    check(scope->contains(hosts[i]));
    if (i != 0) check(hosts[i - 1] < hosts[i]);
  }
  // Excluding the first host leaves one fewer (or an empty-scope error); so does listing it as
  // do-not-probe, which is reported with what it covered.
  const auto minus = Scope::parse({text}, {hosts.front().str()}, options);
  ScopeOptions dnp = options;
  dnp.do_not_probe = {{hosts.front().str(), "fuzz", "fuzz:1"}};
  const auto listed = Scope::parse({text}, {}, dnp);
  if (total == 1) {
    check(!minus && !listed);
  } else {
    check(minus && minus->size() == total - 1 && !minus->contains(hosts.front()));
    check(listed && listed->size() == total - 1 && !listed->contains(hosts.front()));
    check(listed->not_probed().size() == 1 && listed->not_probed()[0].count == 1);
    check(listed->do_not_probe(hosts.front()));
  }
}

// Host names through the odd resolver: whatever it answers, nothing odd is in the scope.
void fuzz_name(const std::string& text) {
  if (text.empty() || text.size() > 60) return;
  std::string name;
  for (const char c : text) name += (c >= 'a' && c <= 'z') ? c : 'x';
  name += ".test";
  ScopeOptions options;
  options.resolver = &odd_resolver;
  const auto scope = Scope::parse({name}, {}, options);
  if (!scope) return;
  for (const auto& r : scope->ranges()) {
    for (std::uint64_t v = r.first.value; v <= r.last.value; ++v) {
      const auto a = static_cast<std::uint32_t>(v);
      check(a != 0 && a >> 28 < 0xe && a >> 24 != 127 && a >> 16 != 0xa9fe);
    }
  }
  dropped_count(*scope);
}

// One line of a do-not-probe file: parses or says why, never crashes.
void fuzz_do_not_probe(const std::string& text) {
  const auto entries = parse_do_not_probe(text, "fuzz");
  if (!entries) {
    check(entries.error().rfind("fuzz", 0) == 0);
    return;
  }
  for (const auto& e : *entries) check(!e.target.empty() && !e.reason.empty());
}

void fuzz_ports(const std::string& text) {
  const auto ports = parse_ports(text);
  if (!ports) {
    check(!ports.error().empty());
    return;
  }
  check(!ports->empty());
  for (std::size_t i = 0; i < ports->size(); ++i) {
    check((*ports)[i] != 0);
    if (i != 0) check((*ports)[i - 1] < (*ports)[i]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz_token(text);
  fuzz_name(text);
  fuzz_do_not_probe(text);
  fuzz_ports(text);
  (void)pacscan::Ipv4::parse(text);
  return 0;
}
