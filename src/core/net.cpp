// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/net.hpp>

namespace pacscan {

std::string Ipv4::str() const {
  std::string out;
  out.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((value >> shift) & 0xffu);
    if (shift != 0) out += '.';
  }
  return out;
}

// Exactly four decimal octets 0..255 separated by '.', nothing else: no sign, no whitespace,
// no empty octet, no leading zero (so "010" is never read as octal by anyone).
std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  std::uint32_t result = 0;
  std::size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet != 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    const std::size_t start = pos;
    unsigned number = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 3) {
      number = number * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - start;
    if (digits == 0 || number > 255) return std::nullopt;
    if (digits > 1 && text[start] == '0') return std::nullopt;
    result = (result << 8) | number;
  }
  if (pos != text.size()) return std::nullopt;  // also catches a fourth digit or a fifth octet
  return Ipv4{result};
}

std::string Endpoint::str() const {
  return ip.str() + ':' + std::to_string(port);
}

}  // namespace pacscan
