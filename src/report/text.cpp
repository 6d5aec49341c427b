// SPDX-License-Identifier: Apache-2.0
// Text for the formats: the escapers (Markdown, HTML), one-line cleaning, lists, shell quoting,
// safe file names.
#include "report/common.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <pacscan/core/text.hpp>

namespace pacscan::report {
namespace detail {

std::string clean_text(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    // Printable ASCII, nearly all of a report's text, as is (decoding it is a report's hot path).
    std::size_t plain = i;
    while (plain < s.size() && s[plain] >= 0x20 && s[plain] < 0x7F) ++plain;
    if (plain > i) {
      out.append(s.substr(i, plain - i));
      i = plain;
      continue;
    }
    const auto [cp, len] = decode_utf8(s, i);
    if (cp < 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
    } else if (cp == '\r') {
      if (keep_newlines) out += (i + 1 < s.size() && s[i + 1] == '\n') ? "" : "\n";
    } else if (cp == '\n' || cp == 0x2028 || cp == 0x2029) {
      out += keep_newlines ? "\n" : " ";
    } else if (cp == '\t') {
      out += keep_newlines ? "\t" : " ";
    } else if (is_control_or_invisible(cp)) {
      // dropped
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string one_line(std::string_view s) {
  const std::string cleaned = clean_text(s, false);
  std::string out;
  out.reserve(cleaned.size());
  bool space = false;
  for (char c : cleaned) {
    if (c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

bool ip_less(const std::string& a, const std::string& b) {
  const auto pa = Ipv4::parse(a);
  const auto pb = Ipv4::parse(b);
  if (pa && pb) return pa->value < pb->value;
  if (pa != pb && (pa || pb)) return pa.has_value();
  return a < b;
}

std::string shell_quote(std::string_view s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           c == ':' || c == '/' || c == '@' || c == '%' || c == '+' || c == ',';
  });
  if (plain && s.front() != '-') return std::string(s);
  std::string out = "'";
  for (char c : one_line(s)) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool usable_called_ae(std::string_view ae) {
  if (ae.empty() || ae.size() > 16 || ae.front() == ' ' || ae.back() == ' ') return false;
  return std::all_of(ae.begin(), ae.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e && c != '\\' && c != '#'; });
}

std::string safe_id(std::string_view id, std::size_t index) {
  std::string out;
  for (char c : id.substr(0, 100)) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                    (c == '.' && !out.empty());
    out += ok ? c : '_';
  }
  if (out.empty()) return fmt::format("finding-{}", index + 1);
  if (out != id) out += fmt::format("-{}", index + 1);  // keeps altered names apart
  return out;
}

std::vector<std::string> option_lines(const nlohmann::json& options) {
  std::vector<std::string> out;
  if (!options.is_object()) return out;
  for (const auto& [key, value] : options.items()) {
    out.push_back(key + ": " + (value.is_string() ? value.get<std::string>() : dump_json(value)));
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string or_dash(std::string_view s, std::string (*esc)(std::string_view)) {
  return s.empty() ? "—" : esc(s);
}

std::string list_or_dash(const std::vector<std::string>& items,
                         std::string (*esc)(std::string_view)) {
  if (items.empty()) return "—";
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(esc(i));
  return join(out, ", ");
}

std::string ports_text(const std::vector<int>& ports) {
  if (ports.empty()) return "—";
  std::vector<std::string> out;
  for (int p : ports) out.push_back(std::to_string(p));
  return join(out, ", ");
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace detail

std::string escape_md(std::string_view s) {
  const std::string text = detail::one_line(s);
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      // Links and images need '[' and ']'; autolinks and raw HTML need '<'. Parentheses and
      // '!' are harmless without them and stay readable.
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '#':
      case '|':
      case '~':
      case '&':
      case '$':
        out += '\\';
        out += c;
        continue;
      default:
        break;
    }
    // Characters that start a list, heading or quote only at the start of a line.
    if (i == 0 && (c == '-' || c == '+' || c == '=')) {
      out += '\\';
    } else if ((c == '.' || c == ')') && i > 0 && (i + 1 == text.size() || text[i + 1] == ' ') &&
               std::all_of(text.begin(), text.begin() + static_cast<long>(i),
                           [](char d) { return std::isdigit(static_cast<unsigned char>(d)); })) {
      out += '\\';  // "1." would start an ordered list
    }
    out += c;
  }
  return out;
}

std::string escape_html(std::string_view s) {
  const std::string text = detail::clean_text(s, true);
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace pacscan::report
