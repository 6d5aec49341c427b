#include <pacscan/core/scope.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>

#include "scope_syntax.hpp"

namespace pacscan {

using namespace scope_syntax;

namespace {

// What a token is: it decides which odd addresses it may bring into the scope.
enum class TokenKind { single, cidr, multi, name };

struct TokenSpans {
  TokenKind kind = TokenKind::multi;
  int prefix = 32;  // cidr only
  std::vector<Span> spans;
};

// Resolves names once (cache), parses the rest.
class TokenReader {
 public:
  TokenReader(const Resolver& resolver, std::vector<std::string>& resolved)
      : m_resolver(resolver), m_resolved(resolved) {}

  Expected<TokenSpans> read(const std::string& token, const char* kind) {
    TokenSpans out;
    if (!is_name_token(token)) {
      auto parsed = parse_token(token, kind);
      if (!parsed) return error(parsed.error());
      out.spans = std::move(*parsed);
      if (Ipv4::parse(token)) {
        out.kind = TokenKind::single;
      } else if (const auto slash = token.find('/'); slash != std::string::npos) {
        out.kind = TokenKind::cidr;
        out.prefix = std::stoi(token.substr(slash + 1));  // digits only, checked by parse_token
      }
      return out;
    }
    out.kind = TokenKind::name;
    auto cached = m_cache.find(token);
    if (cached == m_cache.end()) {
      if (!m_resolver) {
        return error(std::string("cannot resolve ") + kind + " " + quote(token) + ": no resolver");
      }
      auto addresses = m_resolver(token);
      if (!addresses) {
        return error(std::string("cannot resolve ") + kind + " " + quote(token) + ": " +
                     addresses.error());
      }
      if (addresses->empty()) {
        return error(std::string("cannot resolve ") + kind + " " + quote(token) +
                     ": no IPv4 address");
      }
      std::string line = token + " ->";
      for (std::size_t i = 0; i < addresses->size(); ++i) {
        line += i == 0 ? " " : ", ";
        line += (*addresses)[i].str();
      }
      m_resolved.push_back(std::move(line));
      cached = m_cache.emplace(token, std::move(*addresses)).first;
    }
    for (const Ipv4& ip : cached->second) out.spans.push_back({ip.value, ip.value});
    normalize(out.spans);
    return out;
  }

 private:
  const Resolver& m_resolver;
  std::vector<std::string>& m_resolved;
  std::map<std::string, std::vector<Ipv4>> m_cache;
};

std::vector<Ipv4Range> listed_ranges(const std::vector<Span>& spans) {
  std::vector<Span> head(spans.begin(),
                         spans.begin() + static_cast<std::ptrdiff_t>(
                                             std::min(spans.size(), k_listed_ranges)));
  return to_ranges(head);
}

constexpr std::uint64_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (std::uint64_t{a} << 24) | (b << 16) | (c << 8) | d;
}

// Addresses no range or host name may bring into the scope, in the order their reason is given.
struct OddBlock {
  Span span;
  const char* reason;
  bool names_only;  // only when a host name resolved to it (a range of them is deliberate)
};
constexpr OddBlock k_odd_blocks[] = {
    {{0, 0}, "0.0.0.0 means \"this host\" (RFC 1122), not a target", false},
    {{0xffffffffu, 0xffffffffu}, "255.255.255.255 is the limited broadcast address", false},
    {{ip4(224, 0, 0, 0), ip4(239, 255, 255, 255)}, "multicast (224.0.0.0/4)", false},
    {{ip4(240, 0, 0, 0), ip4(255, 255, 255, 254)}, "reserved (240.0.0.0/4)", false},
    {{ip4(127, 0, 0, 0), ip4(127, 255, 255, 255)}, "loopback (127.0.0.0/8)", true},
    {{ip4(169, 254, 0, 0), ip4(169, 254, 255, 255)}, "link-local (169.254.0.0/16)", true},
};

// The odd addresses of one target token, each with its reason; `keep` (addresses written singly,
// and excluded ones) are not reported. Appends to `dropped` and `all`.
void drop_odd(const std::string& token, const TokenSpans& t, const std::vector<Span>& keep,
              std::vector<DroppedAddresses>& dropped, std::vector<Span>& all) {
  if (t.kind == TokenKind::single) return;
  std::vector<Span> rest = t.spans;
  auto take = [&](const Span& block, const std::string& reason) {
    auto hit = subtract(intersect(rest, {block}), keep);
    rest = subtract(rest, {block});
    if (hit.empty()) return;
    DroppedAddresses d;
    d.target = token;
    d.reason = reason;
    d.count = count_spans(hit);
    d.ranges = listed_ranges(hit);
    dropped.push_back(std::move(d));
    all.insert(all.end(), hit.begin(), hit.end());
  };
  for (const OddBlock& b : k_odd_blocks) {
    if (b.names_only && t.kind != TokenKind::name) continue;
    take(b.span, t.kind == TokenKind::name ? std::string(b.reason) + ", returned for host name " + token
                                            : std::string(b.reason));
  }
  if (t.kind == TokenKind::cidr && t.prefix < 31 && !t.spans.empty()) {
    const Span whole = t.spans.front();  // a CIDR is one span
    take({whole.first, whole.first}, "network address of " + token);
    take({whole.last, whole.last}, "broadcast address of " + token);
  }
}

std::string describe_dropped(const std::vector<DroppedAddresses>& dropped) {
  std::string out;
  for (std::size_t i = 0; i < dropped.size() && i < 5; ++i) {
    const auto& d = dropped[i];
    if (i != 0) out += "; ";
    out += d.ranges.empty() ? d.target : d.ranges.front().str();
    const std::uint64_t shown = d.ranges.empty() ? 0 : d.ranges.front().size();
    if (d.count > shown) out += " and " + std::to_string(d.count - shown) + " more";
    out += ": " + d.reason;
  }
  if (dropped.size() > 5) out += "; ...";
  return out;
}

}  // namespace

Expected<std::vector<Ipv4Range>> parse_target_token(const std::string& token) {
  auto spans = parse_token(token, "target");
  if (!spans) return error(spans.error());
  return to_ranges(*spans);
}

Expected<Scope> Scope::parse(const std::vector<std::string>& targets,
                             const std::vector<std::string>& excludes,
                             const ScopeOptions& options) {
  if (targets.empty()) return error("no targets given");
  Scope scope;
  scope.m_targets = targets;
  scope.m_excludes = excludes;
  TokenReader reader(options.resolver, scope.m_resolved);

  std::vector<Span> included, singles;
  std::vector<std::pair<const std::string*, TokenSpans>> read_targets;
  for (const std::string& token : targets) {
    auto t = reader.read(token, "target");
    if (!t) return error(t.error());
    included.insert(included.end(), t->spans.begin(), t->spans.end());
    if (t->kind == TokenKind::single) singles.insert(singles.end(), t->spans.begin(), t->spans.end());
    read_targets.emplace_back(&token, std::move(*t));
  }
  std::vector<Span> excluded;
  for (const std::string& token : excludes) {
    auto t = reader.read(token, "exclude");
    if (!t) return error(t.error());
    excluded.insert(excluded.end(), t->spans.begin(), t->spans.end());
  }
  std::vector<Span> do_not_probe;
  std::vector<std::vector<Span>> entry_spans;
  for (const DoNotProbeEntry& e : options.do_not_probe) {
    auto parsed = parse_token(e.target, "do-not-probe entry");
    if (!parsed) return error(e.origin + ": " + parsed.error());
    do_not_probe.insert(do_not_probe.end(), parsed->begin(), parsed->end());
    entry_spans.push_back(std::move(*parsed));
  }
  normalize(included);
  normalize(singles);
  normalize(excluded);
  normalize(do_not_probe);

  // Odd addresses brought in by ranges and names; an address written singly stays.
  std::vector<Span> keep = singles;
  keep.insert(keep.end(), excluded.begin(), excluded.end());
  normalize(keep);
  std::vector<Span> odd;
  for (const auto& [token, t] : read_targets) drop_odd(*token, t, keep, scope.m_dropped, odd);
  normalize(odd);

  const std::vector<Span> wanted = subtract(subtract(included, excluded), odd);
  for (std::size_t i = 0; i < options.do_not_probe.size(); ++i) {
    std::vector<Span> spans = entry_spans[i];
    normalize(spans);
    const auto covered = intersect(wanted, spans);
    scope.m_not_probed.push_back(
        {options.do_not_probe[i], count_spans(covered), listed_ranges(covered)});
  }
  scope.m_do_not_probe = to_ranges(do_not_probe);
  scope.m_ranges = to_ranges(subtract(wanted, do_not_probe));

  if (scope.m_ranges.empty()) {
    std::string why = "scope is empty after exclusions";
    std::uint64_t listed = 0;
    for (const auto& n : scope.m_not_probed) listed += n.count;
    if (listed != 0) why += "; " + std::to_string(listed) + " address(es) on the do-not-probe list";
    if (!scope.m_dropped.empty()) {
      why += "; left out: " + describe_dropped(scope.m_dropped) +
             " (write an address singly to scan it anyway)";
    }
    return error(why);
  }
  const std::uint64_t hosts = scope.size();
  if (hosts > options.max_hosts) {
    return error(
        "scope has " + std::to_string(hosts) + " hosts, more than the cap of " +
        std::to_string(options.max_hosts) +
        "; narrow the targets or override with --max-hosts N (N >= " + std::to_string(hosts) + ")");
  }
  return scope;
}

bool Scope::do_not_probe(Ipv4 ip) const {
  auto it = std::upper_bound(m_do_not_probe.begin(), m_do_not_probe.end(), ip,
                             [](Ipv4 v, const Ipv4Range& r) { return v < r.first; });
  if (it == m_do_not_probe.begin()) return false;
  return ip <= std::prev(it)->last;
}

std::string Ipv4Range::str() const {
  return first == last ? first.str() : first.str() + "-" + last.str();
}

bool Scope::contains(Ipv4 ip) const {
  // First range whose start is above ip; the candidate is the one before it.
  auto it = std::upper_bound(m_ranges.begin(), m_ranges.end(), ip,
                             [](Ipv4 v, const Ipv4Range& r) { return v < r.first; });
  if (it == m_ranges.begin()) return false;
  return ip <= std::prev(it)->last;
}

std::vector<Ipv4> Scope::hosts() const {
  std::vector<Ipv4> out;
  out.reserve(static_cast<std::size_t>(size()));
  for (const Ipv4Range& r : m_ranges) {
    for (std::uint64_t v = r.first.value; v <= r.last.value; ++v) {
      out.push_back(Ipv4{static_cast<std::uint32_t>(v)});
    }
  }
  return out;
}

std::uint64_t Scope::size() const {
  std::uint64_t n = 0;
  for (const Ipv4Range& r : m_ranges) n += r.size();
  return n;
}

Expected<std::vector<Ipv4>> system_resolver(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &result);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) return error(std::strerror(errno));
    return error(::gai_strerror(rc));
  }
  std::vector<Ipv4> out;
  for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET || ai->ai_addr == nullptr) continue;
    sockaddr_in sin{};
    std::memcpy(&sin, ai->ai_addr, sizeof sin);
    const Ipv4 ip{ntohl(sin.sin_addr.s_addr)};
    if (std::find(out.begin(), out.end(), ip) == out.end()) out.push_back(ip);
  }
  ::freeaddrinfo(result);
  return out;
}

}  // namespace pacscan
