#pragma once
// Data of probe "http_imaging" (imaging web interfaces). Owned by that probe; counts only, never
// response bodies.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pacscan {

struct HttpData {
  bool placeholder = false;  // replaced by the http_imaging implementation
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HttpData, placeholder)

}  // namespace pacscan
