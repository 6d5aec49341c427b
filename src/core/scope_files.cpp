// The files and lists that feed the scope: port lists (-p), target files (-iL) and the
// site's do-not-probe list, each parsed with a clear error for the first bad line.
#include <pacscan/core/scope.hpp>

#include <algorithm>
#include <string_view>

#include "scope_syntax.hpp"

namespace pacscan {

using namespace scope_syntax;

namespace {

// A target file of 64 MiB already lists millions of addresses, far over any --max-hosts.
constexpr std::size_t k_max_target_file_bytes = std::size_t{64} << 20;

}  // namespace

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
  auto content = read_small_file(path, "target file", k_max_target_file_bytes);
  if (!content) return error(content.error());
  // Whitespace separates tokens; '#' comments to end of line. Commas are octet syntax, kept.
  std::vector<std::string> tokens;
  std::string current;
  bool in_comment = false;
  for (const char c : *content) {
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
  auto content = read_small_file(path, "do-not-probe file", k_max_do_not_probe_bytes);
  if (!content) return error(content.error());
  return parse_do_not_probe(*content, path);
}


}  // namespace pacscan
