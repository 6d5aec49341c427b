// SPDX-License-Identifier: Apache-2.0
#pragma once
// Plain value types for addresses. Numeric only: names are resolved once, in Scope.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pacscan {

struct Ipv4 {
  std::uint32_t value = 0;  // host byte order
  auto operator<=>(const Ipv4&) const = default;
  std::string str() const;
  static std::optional<Ipv4> parse(std::string_view text);  // strict dotted quad
};

struct Endpoint {
  Ipv4 ip;
  std::uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
  std::string str() const;  // "198.18.0.10:104"
};

}  // namespace pacscan
