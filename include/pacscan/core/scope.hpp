#pragma once
// The scope: the only yes/no on addresses. Every connection passes Gate, which asks Scope.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/net.hpp>

namespace pacscan {

struct Ipv4Range {
  Ipv4 first, last;  // inclusive
  std::uint64_t size() const { return std::uint64_t{last.value} - first.value + 1; }
  std::string str() const;  // "198.18.0.5" or "198.18.0.5-198.18.0.9"
};

// Resolves a host name to IPv4 addresses (once). Injected so tests and the fuzz target never
// touch DNS and can feed odd answers (0.0.0.0, multicast, loopback ...).
using Resolver = std::function<Expected<std::vector<Ipv4>>(const std::string& name)>;
Expected<std::vector<Ipv4>> system_resolver(const std::string& name);

// One line of a --do-not-probe file: these addresses get no packet at all (not even ARP),
// whatever the targets say, and are reported as listed but not probed, with the reason.
struct DoNotProbeEntry {
  std::string target;  // address, CIDR or range, as written (no host names)
  std::string reason;  // free text from the file (user-controlled: escape it in reports)
  std::string origin;  // "file:line"
};

// "198.18.0.5  Swisslog controller, vendor forbids scans" per line; the reason follows the
// target after whitespace or a comma; '#' starts a comment line. Errors say origin:line.
Expected<std::vector<DoNotProbeEntry>> parse_do_not_probe(std::string_view text,
                                                          const std::string& origin);
Expected<std::vector<DoNotProbeEntry>> read_do_not_probe_file(const std::string& path);

struct ScopeOptions {
  std::uint64_t max_hosts = 65536;  // a /16; larger scopes need an explicit override
  Resolver resolver = &system_resolver;
  std::vector<DoNotProbeEntry> do_not_probe;
};

// Addresses a target brought in that are left out without the user excluding them: 0.0.0.0,
// a CIDR's network and broadcast address, multicast, 240/4, and loopback or link-local answers
// for a host name. Only an address written singly as a target is kept whatever it is.
struct DroppedAddresses {
  std::string target;               // the token that brought them in
  std::string reason;
  std::uint64_t count = 0;          // addresses dropped for this reason
  std::vector<Ipv4Range> ranges;    // the first k_listed_ranges of them
};

// A do-not-probe entry and the addresses of the targets it took out of the scope.
struct NotProbed {
  DoNotProbeEntry entry;
  std::uint64_t count = 0;          // in-scope addresses it covered (0: none of the targets)
  std::vector<Ipv4Range> ranges;    // the first k_listed_ranges of them
};

inline constexpr std::size_t k_listed_ranges = 64;

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
  const std::vector<DroppedAddresses>& dropped() const { return m_dropped; }
  const std::vector<NotProbed>& not_probed() const { return m_not_probed; }
  // True when the do-not-probe list holds ip (whether or not it was a target).
  bool do_not_probe(Ipv4 ip) const;

 private:
  std::vector<Ipv4Range> m_ranges;  // sorted, disjoint, merged, excludes already removed
  std::vector<Ipv4Range> m_do_not_probe;  // sorted, merged
  std::vector<std::string> m_targets, m_excludes, m_resolved;
  std::vector<DroppedAddresses> m_dropped;
  std::vector<NotProbed> m_not_probed;
};

// One target token to ranges (no DNS: names are handled by Scope::parse). Exposed for tests.
Expected<std::vector<Ipv4Range>> parse_target_token(const std::string& token);

// "104,11112,8000-8010" -> sorted unique list; ports 1..65535.
Expected<std::vector<std::uint16_t>> parse_ports(const std::string& spec);

// Reads a target list file (nmap -iL): whitespace separated, '#' comments.
Expected<std::vector<std::string>> read_target_file(const std::string& path);

}  // namespace pacscan
