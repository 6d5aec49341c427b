// SPDX-License-Identifier: Apache-2.0
// SharedText: an immutable string whose copies share one buffer. A scan's findings and checks
// repeat the same rule titles, remediations, summaries and evidence lines thousands of times
// (2,000 endpoints: 21,000 findings with 64,000 evidence lines, 18,000 of them distinct); as
// std::string every copy had its own heap block. Texts made through one TextPool with equal
// contents share one buffer.
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json_fwd.hpp>

namespace pacscan {

class SharedText {
 public:
  SharedText() = default;
  SharedText(std::string s)  // NOLINT(google-explicit-constructor): a drop-in for std::string
      : m_p(s.empty() ? nullptr : std::make_shared<const std::string>(std::move(s))) {}
  SharedText(std::string_view s) : SharedText(std::string(s)) {}  // NOLINT
  SharedText(const char* s) : SharedText(std::string(s)) {}        // NOLINT

  const std::string& str() const noexcept { return m_p ? *m_p : empty_string(); }
  operator const std::string&() const noexcept { return str(); }  // NOLINT
  operator std::string_view() const noexcept { return str(); }    // NOLINT
  bool empty() const noexcept { return m_p == nullptr; }
  std::size_t size() const noexcept { return str().size(); }
  const char* c_str() const noexcept { return str().c_str(); }
  const char* data() const noexcept { return str().data(); }
  auto begin() const noexcept { return str().begin(); }
  auto end() const noexcept { return str().end(); }
  std::size_t find(std::string_view s, std::size_t pos = 0) const noexcept {
    return str().find(s, pos);
  }
  std::size_t find(char c, std::size_t pos = 0) const noexcept { return str().find(c, pos); }
  bool starts_with(std::string_view s) const noexcept { return str().starts_with(s); }
  bool ends_with(std::string_view s) const noexcept { return str().ends_with(s); }
  // Two texts share one buffer (both empty counts).
  bool same_buffer(const SharedText& o) const noexcept { return m_p == o.m_p; }

  template <class T>
    requires std::convertible_to<const T&, std::string_view>
  friend bool operator==(const SharedText& a, const T& b) noexcept {
    return std::string_view(a) == std::string_view(b);
  }
  template <class T>
    requires std::convertible_to<const T&, std::string_view>
  friend std::strong_ordering operator<=>(const SharedText& a, const T& b) noexcept {
    return std::string_view(a).compare(std::string_view(b)) <=> 0;
  }

 private:
  static const std::string& empty_string() noexcept {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const std::string> m_p;
};

void to_json(nlohmann::json& j, const SharedText& t);
void from_json(const nlohmann::json& j, SharedText& t);

// Hands out one SharedText per distinct content. Used where one pass makes many equal texts
// (judging a scan); a pool holds its texts until it is destroyed.
class TextPool {
 public:
  SharedText operator()(std::string_view s);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  };
  std::unordered_set<SharedText, Hash, Eq> m_texts;
};

}  // namespace pacscan

template <>
struct fmt::formatter<pacscan::SharedText> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const pacscan::SharedText& t, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(t), ctx);
  }
};
