#pragma once
// Data of "passive_dicom" observations: one DICOM association seen in a capture. Tag lists only,
// never attribute values.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pacscan {

struct PassiveData {
  bool placeholder = false;  // replaced by the passive analysis implementation
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PassiveData, placeholder)

}  // namespace pacscan
