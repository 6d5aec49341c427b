// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the scan-level inventory rules (inventory_rules.cpp, inventory_clones.cpp) share. Private
// to src/rules.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "evaluators.hpp"

namespace pacscan::rules {

inline std::string trim_ae(std::string s) {
  const auto b = s.find_first_not_of(' ');
  const auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

inline const char* to_string_tri(Tri t) {
  return t == Tri::yes ? "yes" : t == Tri::no ? "no" : "unknown";
}

// At most `max` items, then "and N more": a title or a configuration shared by hundreds of
// endpoints must not make each finding list all the others (quadratic report size).
inline std::string capped_list(const std::vector<std::string>& items, std::size_t max = 10) {
  if (items.size() <= max) return fmt::format("{}", fmt::join(items, ", "));
  std::vector<std::string> head(items.begin(), items.begin() + static_cast<long>(max));
  return fmt::format("{} and {} more", fmt::join(head, ", "), items.size() - max);
}

// The same from the first items only and the count of them all: a rule that lists the others of
// a group for each member makes the list once per member in O(1), not O(group).
inline std::string capped_list_of(const std::vector<std::string>& head, std::size_t total) {
  if (total <= head.size()) return fmt::format("{}", fmt::join(head, ", "));
  return fmt::format("{} and {} more", fmt::join(head, ", "), total - head.size());
}

inline bool dicom_endpoint(const EndpointView& v) {
  return v.speaks_dicom() || !v.all<PassiveData>().empty();
}

}  // namespace pacscan::rules
