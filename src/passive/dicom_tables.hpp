#pragma once
// Fixed DICOM tables of the passive reader: patient-identifying attributes, VRs, command names.
#include <cstdint>

namespace pacscan::passive {

struct PhiTag {
  std::uint16_t group, element;
  const char* name;
  const char* vr;
};

// The table entry of a patient-identifying attribute, or nullptr (binary search: called for
// every candidate position of the conservative scan).
const PhiTag* find_phi(std::uint16_t group, std::uint16_t element);

// Two bytes that spell a VR of PS3.5 Table 6.2-1.
bool valid_vr(const std::uint8_t* p);
// VRs with a 2-byte reserved field and a 4-byte length (PS3.5 Table 7.1-1).
bool long_vr(const std::uint8_t* p);

}  // namespace pacscan::passive
