// libFuzzer target: the report escapers (escape_md, escape_html, the CSV cell) on arbitrary
// bytes. Invariants, checked on the output:
//   all three: valid UTF-8, no control character but what the format allows;
//   Markdown: one line, every Markdown-active character escaped by a backslash;
//   HTML: no '<', '>', quote or apostrophe; '&' only as one of the five entities written;
//   CSV: one quoted cell, quotes doubled, never starting with a formula character.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <pacscan/report/report.hpp>

#include "report/common.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF); no C0 control, DEL
// or C1 control, except '\n' and '\t' where the format keeps them (`newlines`).
void check_text(std::string_view s, bool newlines) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      check((c >= 0x20 && c != 0x7F) || (newlines && (c == '\n' || c == '\t')));
      ++i;
      continue;
    }
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      check(false);
    }
    for (std::size_t k = 1; k <= n; ++k) {
      check(i + k < s.size());
      const auto d = static_cast<unsigned char>(s[i + k]);
      check((d & 0xC0) == 0x80);
      cp = (cp << 6) | (d & 0x3F);
    }
    check(cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
    check((n == 1 && cp >= 0x80) || (n == 2 && cp >= 0x800) || (n == 3 && cp >= 0x10000));
    check(!(cp >= 0x80 && cp <= 0x9F));
    i += n + 1;
  }
}

// Markdown: inline-active characters always escaped; block starters ('-', '+', '=' first, "1."
// or "1)" after leading digits) escaped where they would start a block.
void check_md(const std::string& out) {
  check_text(out, false);
  const std::string_view active = "\\`*_[]<>#|~&$";
  std::size_t digits = 0;  // leading digits seen so far
  bool leading = true;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    check(c != '\n' && c != '\r');
    if (c == '\\') {
      check(i + 1 < out.size());
      const char e = out[i + 1];
      const bool block = (i == 0 && (e == '-' || e == '+' || e == '=')) ||
                         ((e == '.' || e == ')') && leading && digits > 0);
      check(active.find(e) != std::string_view::npos || block);
      leading = false;
      ++i;
      continue;
    }
    check(active.find(c) == std::string_view::npos);
    if (i == 0) check(c != '-' && c != '+' && c != '=');
    if ((c == '.' || c == ')') && leading && digits > 0) {
      check(!(i + 1 == out.size() || out[i + 1] == ' '));
    }
    if (leading && c >= '0' && c <= '9') {
      ++digits;
    } else {
      leading = false;
    }
  }
}

void check_html(const std::string& out) {
  check_text(out, true);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    check(c != '<' && c != '>' && c != '"' && c != '\'');
    if (c == '&') {
      const std::string_view rest = std::string_view(out).substr(i);
      check(rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;") ||
            rest.starts_with("&quot;") || rest.starts_with("&#39;"));
    }
  }
}

void check_csv(const std::string& out) {
  check(out.size() >= 2 && out.front() == '"' && out.back() == '"');
  const std::string_view inner = std::string_view(out).substr(1, out.size() - 2);
  check_text(inner, true);
  if (!inner.empty()) {
    const char c = inner.front();
    check(c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r');
  }
  for (std::size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '"') {
      check(i + 1 < inner.size() && inner[i + 1] == '"');
      ++i;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_md(pacscan::report::escape_md(in));
  check_html(pacscan::report::escape_html(in));
  check_csv(pacscan::report::detail::csv_cell(in));
  return 0;
}
