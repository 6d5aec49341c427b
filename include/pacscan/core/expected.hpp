// SPDX-License-Identifier: Apache-2.0
#pragma once
// Minimal expected<T, E> (std::expected is C++23; this toolchain lacks it).
#include <string>
#include <utility>
#include <variant>

namespace pacscan {

template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected(E) -> Unexpected<E>;

template <typename T, typename E = std::string>
class Expected {
 public:
  Expected(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
  template <typename U>
  Expected(Unexpected<U> u) : m_v(std::in_place_index<1>, E(std::move(u.error))) {}
  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const { return std::get<1>(m_v); }

 private:
  std::variant<T, E> m_v;
};

// Success without a value (instead of Expected<bool> that is always true).
template <typename E>
class Expected<void, E> {
 public:
  Expected() = default;
  template <typename U>
  Expected(Unexpected<U> u) : m_error(E(std::move(u.error))), m_ok(false) {}
  bool has_value() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  const E& error() const { return m_error; }

 private:
  E m_error{};
  bool m_ok = true;
};

inline Unexpected<std::string> error(std::string message) { return {std::move(message)}; }

}  // namespace pacscan
