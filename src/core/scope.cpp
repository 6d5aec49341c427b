#include <pacscan/core/scope.hpp>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>

namespace pacscan {

namespace {

// A single octet-syntax token may expand to at most this many disjoint ranges (16 bytes each
// while parsing). Only pathological tokens such as "0-255.0-255.0-255.1,3" come near it; they are
// far above any sane host cap anyway, and refusing them bounds parsing time and memory.
constexpr std::uint64_t k_max_token_ranges = std::uint64_t{1} << 20;
constexpr std::size_t k_max_hostname = 253;
constexpr std::size_t k_max_label = 63;

// Interval with 64-bit bounds so that "last + 1" never wraps at 255.255.255.255.
struct Span {
  std::uint64_t first, last;
};

// Quotes text for an error message: printable ASCII as is, '"' and '\' escaped, the rest \xNN.
std::string quote(std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += k_hex[u >> 4];
      out += k_hex[u & 0xf];
    }
  }
  out += '"';
  return out;
}

std::string describe_char(char c) {
  return quote(std::string_view(&c, 1));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Sorts and merges overlapping or adjacent spans in place.
void normalize(std::vector<Span>& spans) {
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.first < b.first; });
  std::size_t out = 0;
  for (const Span& s : spans) {
    if (out != 0 && s.first <= spans[out - 1].last + 1) {
      spans[out - 1].last = std::max(spans[out - 1].last, s.last);
    } else {
      spans[out++] = s;
    }
  }
  spans.resize(out);
}

// a minus b; both sorted, disjoint, merged. Linear in |a| + |b|.
std::vector<Span> subtract(const std::vector<Span>& a, const std::vector<Span>& b) {
  std::vector<Span> out;
  std::size_t j = 0;
  for (const Span& s : a) {
    std::uint64_t cur = s.first;
    while (j < b.size() && b[j].last < cur) ++j;
    std::size_t k = j;
    while (k < b.size() && b[k].first <= s.last) {
      if (b[k].first > cur) out.push_back({cur, b[k].first - 1});
      cur = std::max(cur, b[k].last + 1);
      if (cur > s.last) break;
      ++k;
    }
    if (cur <= s.last) out.push_back({cur, s.last});
  }
  return out;
}

std::vector<Ipv4Range> to_ranges(const std::vector<Span>& spans) {
  std::vector<Ipv4Range> out;
  out.reserve(spans.size());
  for (const Span& s : spans) {
    out.push_back(
        {Ipv4{static_cast<std::uint32_t>(s.first)}, Ipv4{static_cast<std::uint32_t>(s.last)}});
  }
  return out;
}

// RFC 1123 host name: labels of 1..63 letters, digits, hyphens, not starting or ending with a
// hyphen; at most 253 characters; an optional final dot. The caller requires at least one letter.
bool is_hostname(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > k_max_hostname) return false;
  std::size_t label = 0;
  char prev = '.';
  for (const char c : name) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (is_alpha(c) || is_digit(c) || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > k_max_label) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label != 0 && prev != '-';
}

bool has_alpha(std::string_view text) {
  return std::any_of(text.begin(), text.end(), is_alpha);
}

// Decimal number of 1..3 digits without a leading zero, 0..255. On failure says why.
Expected<unsigned> parse_octet_number(std::string_view digits, int octet) {
  const std::string where = " in octet " + std::to_string(octet);
  if (digits.empty()) return error("empty number" + where);
  for (const char c : digits) {
    if (!is_digit(c)) return error("unexpected character " + describe_char(c) + where);
  }
  if (digits.size() > 3) {
    return error("octet " + std::string(digits) + " out of range 0-255");
  }
  unsigned value = 0;
  for (const char c : digits) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value > 255) return error("octet " + std::to_string(value) + " out of range 0-255");
  if (digits.size() > 1 && digits.front() == '0') {
    return error("octet " + std::to_string(octet) + " has a leading zero: " + std::string(digits));
  }
  return value;
}

// One octet of nmap syntax: "7", "1-50", "1,5,9", "1-3,7". Returns merged value intervals.
Expected<std::vector<Span>> parse_octet_spec(std::string_view spec, int octet) {
  const std::string where = " in octet " + std::to_string(octet);
  if (spec.empty()) return error("empty octet " + std::to_string(octet));
  std::vector<Span> values;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = spec.find(',', start);
    const std::string_view item = spec.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return error("empty list item" + where);
    const std::size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto v = parse_octet_number(item, octet);
      if (!v) return error(v.error());
      values.push_back({*v, *v});
    } else {
      const std::string_view lo_text = item.substr(0, dash);
      const std::string_view hi_text = item.substr(dash + 1);
      if (lo_text.empty() || hi_text.empty()) {
        return error("open range " + quote(item) + where + " (write both ends, e.g. 1-254)");
      }
      auto lo = parse_octet_number(lo_text, octet);
      if (!lo) return error(lo.error());
      auto hi = parse_octet_number(hi_text, octet);  // a second '-' lands here as junk
      if (!hi) return error(hi.error());
      if (*lo > *hi) {
        return error("reversed range " + std::string(item) + where);
      }
      values.push_back({*lo, *hi});
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  normalize(values);
  return values;
}

std::uint64_t count_values(const std::vector<Span>& spans) {
  std::uint64_t n = 0;
  for (const Span& s : spans) n += s.last - s.first + 1;
  return n;
}

// nmap octet syntax: four octet specs separated by '.'. The result is the cross product, built as
// ranges: trailing octets that cover 0-255 fold into the ranges of the last partial octet.
Expected<std::vector<Span>> parse_octet_token(std::string_view token) {
  const auto dots = std::count(token.begin(), token.end(), '.');
  if (dots != 3) {
    std::string message = "expected 4 octets, got " + std::to_string(dots + 1);
    if (dots > 3 && token.find(',') != std::string_view::npos) {
      message += " (separate whole addresses with spaces, not commas)";
    }
    return error(message);
  }
  std::array<std::vector<Span>, 4> octets;
  std::size_t start = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::size_t dot = i < 3 ? token.find('.', start) : token.size();
    auto parsed = parse_octet_spec(token.substr(start, dot - start), static_cast<int>(i) + 1);
    if (!parsed) return error(parsed.error());
    octets[i] = std::move(*parsed);
    start = dot + 1;
  }
  auto is_full = [](const std::vector<Span>& s) {
    return s.size() == 1 && s[0].first == 0 && s[0].last == 255;
  };
  // k: last octet that is not the full 0-255; the octets after it fold into each range.
  std::size_t k = 3;
  while (k > 0 && is_full(octets[k])) --k;
  const auto tail_bits = static_cast<int>(8 * (3 - k));
  const std::uint64_t tail = (std::uint64_t{1} << tail_bits) - 1;
  std::uint64_t range_count = octets[k].size();
  for (std::size_t i = 0; i < k; ++i) range_count *= count_values(octets[i]);
  if (range_count > k_max_token_ranges) {
    return error("expands to " + std::to_string(range_count) + " separate ranges (limit " +
                 std::to_string(k_max_token_ranges) + "); use CIDR or split the target");
  }
  std::vector<Span> out;
  out.reserve(static_cast<std::size_t>(range_count));
  // Odometer over the values of octets [0, k), in ascending order, last octet fastest.
  std::array<std::size_t, 3> index{};
  std::array<std::uint64_t, 3> value{};
  for (std::size_t i = 0; i < k; ++i) value[i] = octets[i][0].first;
  for (;;) {
    std::uint64_t base = 0;
    for (std::size_t i = 0; i < k; ++i) base = (base << 8) | value[i];
    for (const Span& s : octets[k]) {
      out.push_back(
          {((base << 8) | s.first) << tail_bits, ((((base << 8) | s.last)) << tail_bits) | tail});
    }
    bool done = true;
    for (std::size_t i = k; i-- > 0;) {
      if (value[i] < octets[i][index[i]].last) {
        ++value[i];
      } else if (index[i] + 1 < octets[i].size()) {
        value[i] = octets[i][++index[i]].first;
      } else {
        index[i] = 0;
        value[i] = octets[i][0].first;
        continue;  // carry into the octet before
      }
      done = false;
      break;
    }
    if (done) break;
  }
  normalize(out);
  return out;
}

// Parses one numeric token; `kind` is "target" or "exclude" for the message.
Expected<std::vector<Span>> parse_token(const std::string& token, const char* kind) {
  auto fail = [&](const std::string& why) {
    return error(std::string("invalid ") + kind + " " + quote(token) + ": " + why);
  };
  if (token.empty()) return fail("empty");
  for (const char c : token) {
    if (is_space(c)) return fail("contains whitespace");
  }
  if (has_alpha(token)) {
    if (is_hostname(token)) {
      return fail("host name, not an address (only Scope::parse resolves names)");
    }
    return fail("not an IPv4 address, range or valid host name");
  }
  for (const char c : token) {
    if (!is_digit(c) && c != '.' && c != '-' && c != ',' && c != '/') {
      return fail("unexpected character " + describe_char(c));
    }
  }

  // CIDR: a.b.c.d/n
  if (const std::size_t slash = token.find('/'); slash != std::string::npos) {
    const std::string_view addr_text = std::string_view(token).substr(0, slash);
    const std::string_view prefix_text = std::string_view(token).substr(slash + 1);
    const auto addr = Ipv4::parse(addr_text);
    if (!addr) return fail("CIDR needs a plain address before '/', got " + quote(addr_text));
    const bool digits_only =
        !prefix_text.empty() && std::all_of(prefix_text.begin(), prefix_text.end(), is_digit);
    if (!digits_only) return fail("prefix length " + quote(prefix_text) + " is not a number");
    if (prefix_text.size() > 2) {
      return fail("prefix length " + std::string(prefix_text) + " out of range 0-32");
    }
    if (prefix_text.size() == 2 && prefix_text[0] == '0') {
      return fail("prefix length " + std::string(prefix_text) + " has a leading zero");
    }
    int bits = 0;
    for (const char c : prefix_text) bits = bits * 10 + (c - '0');
    if (bits > 32) return fail("prefix length " + std::to_string(bits) + " out of range 0-32");
    const std::uint64_t host_mask = (std::uint64_t{1} << (32 - bits)) - 1;
    const std::uint64_t network = addr->value & ~host_mask & 0xffffffffu;
    return std::vector<Span>{{network, network | host_mask}};
  }

  // Full-address range: a.b.c.d-e.f.g.h (the left side is a whole address).
  if (const std::size_t dash = token.find('-'); dash != std::string::npos) {
    const std::string_view left = std::string_view(token).substr(0, dash);
    const std::string_view right = std::string_view(token).substr(dash + 1);
    if (std::count(left.begin(), left.end(), '.') == 3 &&
        right.find('.') != std::string_view::npos) {
      const auto first = Ipv4::parse(left);
      if (!first) return fail("range start " + quote(left) + " is not an IPv4 address");
      const auto last = Ipv4::parse(right);
      if (!last) return fail("range end " + quote(right) + " is not an IPv4 address");
      if (*first > *last) {
        return fail("reversed range " + first->str() + " to " + last->str());
      }
      return std::vector<Span>{{first->value, last->value}};
    }
  }

  auto spans = parse_octet_token(token);
  if (!spans) return fail(spans.error());
  return std::move(*spans);
}

bool is_name_token(const std::string& token) {
  return has_alpha(token) && is_hostname(token);
}

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

// a intersected with b; both sorted, disjoint, merged.
std::vector<Span> intersect(const std::vector<Span>& a, const std::vector<Span>& b) {
  std::vector<Span> out;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const std::uint64_t lo = std::max(a[i].first, b[j].first);
    const std::uint64_t hi = std::min(a[i].last, b[j].last);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].last < b[j].last) ++i; else ++j;
  }
  return out;
}

std::uint64_t count_spans(const std::vector<Span>& spans) {
  std::uint64_t n = 0;
  for (const Span& s : spans) n += s.last - s.first + 1;
  return n;
}

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

Expected<std::vector<std::uint16_t>> parse_ports(const std::string& spec) {
  auto fail = [&](const std::string& why) {
    return error("invalid port list " + quote(spec) + ": " + why);
  };
  auto parse_number = [](std::string_view text) -> Expected<std::uint16_t> {
    if (text.empty()) return error("missing port number");
    for (const char c : text) {
      if (!is_digit(c)) return error("unexpected character " + describe_char(c));
    }
    std::size_t i = 0;
    while (i + 1 < text.size() && text[i] == '0') ++i;  // leading zeros are harmless here
    const std::string_view digits = text.substr(i);
    if (digits.size() > 5) return error("port " + std::string(text) + " out of range 1-65535");
    unsigned long value = 0;
    for (const char c : digits) value = value * 10 + static_cast<unsigned long>(c - '0');
    if (value == 0 || value > 65535) {
      return error("port " + std::to_string(value) + " out of range 1-65535");
    }
    return static_cast<std::uint16_t>(value);
  };

  if (trim(spec).empty()) return fail("empty");
  std::vector<std::uint16_t> ports;
  const std::string_view all(spec);
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = all.find(',', start);
    const std::string_view item = trim(all.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (item.empty()) return fail("empty item");
    const std::size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto port = parse_number(item);
      if (!port) return fail(port.error());
      ports.push_back(*port);
    } else {
      const std::string_view lo_text = trim(item.substr(0, dash));
      const std::string_view hi_text = trim(item.substr(dash + 1));
      if (lo_text.empty() || hi_text.empty()) {
        return fail("open range " + quote(item) + " (write both ends, e.g. 8000-8010)");
      }
      auto lo = parse_number(lo_text);
      if (!lo) return fail(lo.error());
      auto hi = parse_number(hi_text);  // a second '-' lands here as junk
      if (!hi) return fail(hi.error());
      if (*lo > *hi) {
        return fail("reversed range " + std::to_string(*lo) + "-" + std::to_string(*hi));
      }
      for (unsigned p = *lo; p <= *hi; ++p) ports.push_back(static_cast<std::uint16_t>(p));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

Expected<std::vector<std::string>> read_target_file(const std::string& path) {
  auto fail = [&](int err) {
    return error("cannot read target file " + quote(path) + ": " + std::strerror(err));
  };
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return fail(errno);
  std::string content;
  std::array<char, 65536> buffer;
  std::size_t n = 0;
  errno = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0)
    content.append(buffer.data(), n);
  const int read_errno = errno;
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return fail(read_errno != 0 ? read_errno : EIO);

  // Whitespace separates tokens; '#' comments to end of line. Commas are octet syntax, kept.
  std::vector<std::string> tokens;
  std::string current;
  bool in_comment = false;
  for (const char c : content) {
    if (in_comment) {
      if (c == '\n') in_comment = false;
      continue;
    }
    if (c == '#' || is_space(c)) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
      in_comment = c == '#';
      continue;
    }
    current += c;
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

namespace {

constexpr std::size_t k_max_do_not_probe_bytes = 1 << 20;
constexpr std::size_t k_max_do_not_probe_entries = 10000;
constexpr std::size_t k_max_reason = 300;

bool is_target_char(char c) {
  return is_digit(c) || c == '.' || c == '/' || c == '-' || c == ',';
}

}  // namespace

Expected<std::vector<DoNotProbeEntry>> parse_do_not_probe(std::string_view text,
                                                          const std::string& origin) {
  if (text.size() > k_max_do_not_probe_bytes) {
    return error(origin + ": larger than " + std::to_string(k_max_do_not_probe_bytes) + " bytes");
  }
  std::vector<DoNotProbeEntry> out;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    const std::string where = origin + ":" + std::to_string(line_no) + ": ";
    if (line.empty() || line.front() == '#') continue;
    // The target: the longest run of address characters; a trailing comma separates the reason.
    std::size_t n = 0;
    while (n < line.size() && is_target_char(line[n])) ++n;
    std::string_view target = line.substr(0, n);
    std::string_view rest = line.substr(n);
    const bool comma = !target.empty() && target.back() == ',';
    while (!target.empty() && target.back() == ',') target.remove_suffix(1);
    if (target.empty() || (!comma && !rest.empty() && !is_space(rest.front()))) {
      const std::string_view word = line.substr(0, std::min(line.find_first_of(" \t,"), line.size()));
      if (has_alpha(word) && is_hostname(word)) {
        return error(where + "host name " + quote(word) +
                     " in a do-not-probe list: write its address (a name may resolve elsewhere "
                     "tomorrow)");
      }
      return error(where + "expected an address, CIDR or range, then the reason; got " +
                   quote(word));
    }
    rest = trim(rest);
    if (!rest.empty() && rest.front() == ',') rest = trim(rest.substr(1));
    if (!rest.empty() && rest.front() == '#') rest = trim(rest.substr(1));
    auto parsed = parse_token(std::string(target), "do-not-probe entry");
    if (!parsed) return error(where + parsed.error());
    for (const char c : rest) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        return error(where + "control character in the reason");
      }
    }
    if (rest.size() > k_max_reason) {
      return error(where + "reason longer than " + std::to_string(k_max_reason) + " characters");
    }
    if (out.size() == k_max_do_not_probe_entries) {
      return error(where + "more than " + std::to_string(k_max_do_not_probe_entries) +
                   " entries; use CIDR or ranges");
    }
    out.push_back({std::string(target), rest.empty() ? std::string("(no reason given)")
                                                     : std::string(rest),
                   origin + ":" + std::to_string(line_no)});
  }
  return out;
}

Expected<std::vector<DoNotProbeEntry>> read_do_not_probe_file(const std::string& path) {
  auto fail = [&](int err) {
    return error("cannot read do-not-probe file " + quote(path) + ": " + std::strerror(err));
  };
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return fail(errno);
  std::string content;
  std::array<char, 65536> buffer;
  std::size_t n = 0;
  errno = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
    content.append(buffer.data(), n);
    if (content.size() > k_max_do_not_probe_bytes) break;  // parse_do_not_probe says so
  }
  const int read_errno = errno;
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return fail(read_errno != 0 ? read_errno : EIO);
  return parse_do_not_probe(content, path);
}

}  // namespace pacscan
