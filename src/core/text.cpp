// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/text.hpp>

#include <fmt/format.h>

namespace pacscan {

Utf8Char decode_utf8(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1};
  std::size_t len = 0;
  long cp = 0;
  long min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {};
  }
  if (i + len > s.size()) return {};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, len};
}

bool is_control_or_invisible(long cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)  // C0, DEL, C1
         || cp == 0x00AD || cp == 0x061C || cp == 0x180E      // soft hyphen, ALM, MVS
         || (cp >= 0x200B && cp <= 0x200F)                    // zero width, LRM, RLM
         || (cp >= 0x2028 && cp <= 0x202E)                    // line/para separators, bidi
         || (cp >= 0x2060 && cp <= 0x206F)                    // word joiner, bidi isolates
         || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB)    // BOM, interlinear annotation
         || (cp >= 0xE0000 && cp <= 0xE007F);                 // tag characters
}

std::string escape_untrusted(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    const auto c = decode_utf8(raw, i);
    if (c.cp < 0 || (c.cp < 0x80 && is_control_or_invisible(c.cp))) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(raw[i]));
    } else if (is_control_or_invisible(c.cp)) {
      out += fmt::format("\\u{{{:04X}}}", c.cp);
    } else {
      out.append(raw.substr(i, c.len));
    }
    i += c.len;
  }
  return out;
}

bool needs_escape(std::string_view raw) {
  for (std::size_t i = 0; i < raw.size();) {
    const auto c = decode_utf8(raw, i);
    if (c.cp < 0 || is_control_or_invisible(c.cp)) return true;
    i += c.len;
  }
  return false;
}

std::string hex_bytes(std::string_view raw, std::size_t max_bytes) {
  std::string out;
  const std::size_t n = std::min(raw.size(), max_bytes);
  out.reserve(2 * n + 3);
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", static_cast<unsigned char>(raw[i]));
  if (n < raw.size()) out += "...";
  return out;
}

}  // namespace pacscan
