#pragma once
// Byte-level helpers shared by the passive readers: fixed-width integers in either byte order and
// device-controlled text made safe to keep (printable ASCII, trimmed, capped).
#include <cstddef>
#include <cstdint>
#include <string>

namespace pacscan::passive {

inline std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}
inline std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

constexpr std::size_t k_max_uid = 64;

// AE titles and UIDs are device-controlled: printable ASCII only, padding trimmed, capped.
inline std::string clean_text(const std::uint8_t* p, std::size_t n, std::size_t cap) {
  std::string s;
  for (std::size_t i = 0; i < n && s.size() < cap; ++i) {
    const auto c = static_cast<char>(p[i]);
    s.push_back(p[i] >= 0x20 && p[i] < 0x7F ? c : (p[i] == 0 ? ' ' : '?'));
  }
  const auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

// A UID: digits and dots only (anything else becomes '?'), padding removed.
inline std::string clean_uid(const std::uint8_t* p, std::size_t n) {
  std::string s = clean_text(p, n, k_max_uid);
  for (char& c : s) {
    if (!((c >= '0' && c <= '9') || c == '.')) c = '?';
  }
  return s;
}

}  // namespace pacscan::passive
