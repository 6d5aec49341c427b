#pragma once
// The scope: the only yes/no on addresses. Every connection passes Gate, which asks Scope.
#include <cstdint>
#include <string>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/net.hpp>

namespace pacscan {

struct Ipv4Range {
  Ipv4 first, last;  // inclusive
  std::uint64_t size() const { return std::uint64_t{last.value} - first.value + 1; }
};

// Resolves a host name to IPv4 addresses (once). Injected so tests never touch DNS.
using Resolver = Expected<std::vector<Ipv4>> (*)(const std::string& name);
Expected<std::vector<Ipv4>> system_resolver(const std::string& name);

struct ScopeOptions {
  std::uint64_t max_hosts = 65536;  // a /16; larger scopes need an explicit override
  Resolver resolver = &system_resolver;
};

class Scope {
 public:
  // targets: "198.18.0.10", "198.18.0.0/24", "198.18.0.1-50", "198.18.0-3.1", "198.18.0.1,5,9", "host.name"
  // excludes: same syntax. Errors name the offending token.
  static Expected<Scope> parse(const std::vector<std::string>& targets,
                               const std::vector<std::string>& excludes,
                               const ScopeOptions& options = {});
  bool contains(Ipv4 ip) const;
  std::vector<Ipv4> hosts() const;    // sorted, unique, excludes removed
  std::uint64_t size() const;         // number of hosts
  const std::vector<Ipv4Range>& ranges() const { return m_ranges; }
  const std::vector<std::string>& targets() const { return m_targets; }
  const std::vector<std::string>& excludes() const { return m_excludes; }
  // Names resolved while parsing: "name -> ip, ip"
  const std::vector<std::string>& resolved() const { return m_resolved; }

 private:
  std::vector<Ipv4Range> m_ranges;  // sorted, disjoint, merged, excludes already removed
  std::vector<std::string> m_targets, m_excludes, m_resolved;
};

// One target token to ranges (no DNS: names are handled by Scope::parse). Exposed for tests.
Expected<std::vector<Ipv4Range>> parse_target_token(const std::string& token);

// "104,11112,8000-8010" -> sorted unique list; ports 1..65535.
Expected<std::vector<std::uint16_t>> parse_ports(const std::string& spec);

// Reads a target list file (nmap -iL): whitespace separated, '#' comments.
Expected<std::vector<std::string>> read_target_file(const std::string& path);

}  // namespace pacscan
