// libFuzzer target: arbitrary bytes into the target/port parsers, with invariant checks.
// Build: clang++ -std=c++20 -fsanitize=fuzzer,address -Iinclude tests/fuzz/fuzz_scope.cpp \
//          src/core/scope.cpp src/core/net.cpp
// No DNS: Scope::parse gets a resolver that never resolves.
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

Expected<std::vector<Ipv4>> no_resolver(const std::string&) {
  return error("fuzz: no DNS");
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

  // Through Scope, with itself as target and a small cap so hosts() stays cheap.
  ScopeOptions options;
  options.max_hosts = 4096;
  options.resolver = &no_resolver;
  const auto scope = Scope::parse({text}, {}, options);
  std::uint64_t total = 0;
  for (const auto& r : *ranges) total += r.size();
  if (!scope) {
    check(total > options.max_hosts);
    return;
  }
  check(scope->size() == total);
  check_ranges(scope->ranges());
  const auto hosts = scope->hosts();
  check(hosts.size() == total);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    check(scope->contains(hosts[i]));
    if (i != 0) check(hosts[i - 1] < hosts[i]);
  }
  // Excluding the first host leaves one fewer (or an empty-scope error).
  const auto minus = Scope::parse({text}, {hosts.front().str()}, options);
  if (total == 1) {
    check(!minus);
  } else {
    check(minus && minus->size() == total - 1 && !minus->contains(hosts.front()));
  }
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
  fuzz_ports(text);
  (void)pacscan::Ipv4::parse(text);
  return 0;
}
