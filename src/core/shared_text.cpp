// SPDX-License-Identifier: Apache-2.0
#include <pacscan/core/shared_text.hpp>

#include <nlohmann/json.hpp>

namespace pacscan {

void to_json(nlohmann::json& j, const SharedText& t) { j = t.str(); }

void from_json(const nlohmann::json& j, SharedText& t) { t = SharedText(j.get<std::string>()); }

SharedText TextPool::operator()(std::string_view s) {
  if (s.empty()) return {};
  if (auto it = m_texts.find(s); it != m_texts.end()) return *it;
  return *m_texts.emplace(s).first;
}

}  // namespace pacscan
