// Target syntax shared by the scope and its files: address spans and their set operations,
// nmap's target forms (address, CIDR, a.b.c.d-e.f.g.h, octet ranges and lists), host names.
#include "scope_syntax.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <algorithm>
#include <array>

namespace pacscan::scope_syntax {

namespace {

// A single octet-syntax token may expand to at most this many disjoint ranges (16 bytes each
// while parsing). Only pathological tokens such as "0-255.0-255.0-255.1,3" come near it; they are
// far above any sane host cap anyway, and refusing them bounds parsing time and memory.
constexpr std::uint64_t k_max_token_ranges = std::uint64_t{1} << 20;
constexpr std::size_t k_max_hostname = 253;
constexpr std::size_t k_max_label = 63;

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
  for (std::size_t i = 0; i < k; ++i) range_count *= count_spans(octets[i]);
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

}  // namespace

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

Expected<std::string> read_small_file(const std::string& path, const char* what,
                                      std::size_t max_bytes) {
  auto fail = [&](int err) {
    return error(std::string("cannot read ") + what + " " + quote(path) + ": " +
                 std::strerror(err));
  };
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return fail(errno);
  std::string content;
  std::array<char, 65536> buffer;
  std::size_t n = 0;
  errno = 0;
  bool too_big = false;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
    content.append(buffer.data(), n);
    if (content.size() > max_bytes) {
      too_big = true;
      break;
    }
  }
  const int read_errno = errno;
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return fail(read_errno != 0 ? read_errno : EIO);
  if (too_big) {
    return error(std::string(what) + " " + quote(path) + " is larger than " +
                 std::to_string(max_bytes) + " bytes");
  }
  return content;
}

}  // namespace pacscan::scope_syntax
