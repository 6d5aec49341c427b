// Fixed DICOM tables of the passive reader (see dicom_tables.hpp) and the public name look-ups of
// pdu_reader.hpp.
#include "dicom_tables.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "pdu_reader.hpp"

namespace pacscan::passive {
namespace {

// Sorted by (group, element): find_phi() searches it by bisection.
constexpr std::array<PhiTag, 40> k_phi_tags{{
    {0x0008, 0x0050, "AccessionNumber", "SH"},
    {0x0008, 0x0080, "InstitutionName", "LO"},
    {0x0008, 0x0081, "InstitutionAddress", "ST"},
    {0x0008, 0x0090, "ReferringPhysicianName", "PN"},
    {0x0008, 0x0092, "ReferringPhysicianAddress", "ST"},
    {0x0008, 0x0094, "ReferringPhysicianTelephoneNumbers", "SH"},
    {0x0008, 0x1048, "PhysiciansOfRecord", "PN"},
    {0x0008, 0x1050, "PerformingPhysicianName", "PN"},
    {0x0008, 0x1060, "NameOfPhysiciansReadingStudy", "PN"},
    {0x0008, 0x1070, "OperatorsName", "PN"},
    {0x0010, 0x0010, "PatientName", "PN"},
    {0x0010, 0x0020, "PatientID", "LO"},
    {0x0010, 0x0021, "IssuerOfPatientID", "LO"},
    {0x0010, 0x0030, "PatientBirthDate", "DA"},
    {0x0010, 0x0032, "PatientBirthTime", "TM"},
    {0x0010, 0x0040, "PatientSex", "CS"},
    {0x0010, 0x1000, "OtherPatientIDs", "LO"},
    {0x0010, 0x1001, "OtherPatientNames", "PN"},
    {0x0010, 0x1002, "OtherPatientIDsSequence", "SQ"},
    {0x0010, 0x1005, "PatientBirthName", "PN"},
    {0x0010, 0x1010, "PatientAge", "AS"},
    {0x0010, 0x1020, "PatientSize", "DS"},
    {0x0010, 0x1030, "PatientWeight", "DS"},
    {0x0010, 0x1040, "PatientAddress", "LO"},
    {0x0010, 0x1060, "PatientMotherBirthName", "PN"},
    {0x0010, 0x2154, "PatientTelephoneNumbers", "SH"},
    {0x0010, 0x2160, "EthnicGroup", "SH"},
    {0x0010, 0x21B0, "AdditionalPatientHistory", "LT"},
    {0x0010, 0x4000, "PatientComments", "LT"},
    {0x0032, 0x1032, "RequestingPhysician", "PN"},
    {0x0032, 0x1033, "RequestingService", "LO"},
    {0x0032, 0x1060, "RequestedProcedureDescription", "LO"},
    {0x0040, 0x0006, "ScheduledPerformingPhysicianName", "PN"},
    {0x0040, 0x0100, "ScheduledProcedureStepSequence", "SQ"},
    {0x0040, 0x0244, "PerformedProcedureStepStartDate", "DA"},
    {0x0040, 0x0253, "PerformedProcedureStepID", "SH"},
    {0x0040, 0x1001, "RequestedProcedureID", "SH"},
    {0x0040, 0x2016, "PlacerOrderNumberImagingServiceRequest", "LO"},
    {0x0040, 0x2017, "FillerOrderNumberImagingServiceRequest", "LO"},
    {0x0040, 0xA123, "PersonName", "PN"},
}};

constexpr bool sorted_table() {
  for (std::size_t i = 1; i < k_phi_tags.size(); ++i) {
    const auto& a = k_phi_tags[i - 1];
    const auto& b = k_phi_tags[i];
    if (a.group > b.group || (a.group == b.group && a.element >= b.element)) return false;
  }
  return true;
}
static_assert(sorted_table(), "k_phi_tags must stay sorted by (group, element)");

constexpr std::array<std::string_view, 34> k_vrs{
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT",
    "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
    "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};

}  // namespace

const PhiTag* find_phi(std::uint16_t g, std::uint16_t e) {
  const std::uint32_t key = (std::uint32_t{g} << 16) | e;
  const auto it = std::lower_bound(k_phi_tags.begin(), k_phi_tags.end(), key,
                                   [](const PhiTag& t, std::uint32_t k) {
                                     return ((std::uint32_t{t.group} << 16) | t.element) < k;
                                   });
  if (it == k_phi_tags.end() || it->group != g || it->element != e) return nullptr;
  return &*it;
}

bool valid_vr(const std::uint8_t* p) {
  const std::string_view vr(reinterpret_cast<const char*>(p), 2);
  return std::find(k_vrs.begin(), k_vrs.end(), vr) != k_vrs.end();
}

bool long_vr(const std::uint8_t* p) {
  const std::string_view vr(reinterpret_cast<const char*>(p), 2);
  for (std::string_view l :
       {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"}) {
    if (vr == l) return true;
  }
  return false;
}

std::string command_name(std::uint16_t f) {
  switch (f) {
    case 0x0001: return "C-STORE-RQ";
    case 0x8001: return "C-STORE-RSP";
    case 0x0010: return "C-GET-RQ";
    case 0x8010: return "C-GET-RSP";
    case 0x0020: return "C-FIND-RQ";
    case 0x8020: return "C-FIND-RSP";
    case 0x0021: return "C-MOVE-RQ";
    case 0x8021: return "C-MOVE-RSP";
    case 0x0030: return "C-ECHO-RQ";
    case 0x8030: return "C-ECHO-RSP";
    case 0x0FFF: return "C-CANCEL-RQ";
    case 0x0100: return "N-EVENT-REPORT-RQ";
    case 0x8100: return "N-EVENT-REPORT-RSP";
    case 0x0110: return "N-GET-RQ";
    case 0x8110: return "N-GET-RSP";
    case 0x0120: return "N-SET-RQ";
    case 0x8120: return "N-SET-RSP";
    case 0x0130: return "N-ACTION-RQ";
    case 0x8130: return "N-ACTION-RSP";
    case 0x0140: return "N-CREATE-RQ";
    case 0x8140: return "N-CREATE-RSP";
    case 0x0150: return "N-DELETE-RQ";
    case 0x8150: return "N-DELETE-RSP";
    default: return fmt::format("0x{:04x}", f);
  }
}

std::string phi_tag_name(std::uint16_t group, std::uint16_t element) {
  const PhiTag* t = find_phi(group, element);
  return t ? t->name : "";
}

bool is_phi_tag(std::uint16_t g, std::uint16_t e) {
  if (e == 0x0000) return false;  // group lengths
  if (g == 0x0010 || g == 0x0032 || g == 0x0040) return true;
  return g == 0x0008 && find_phi(g, e) != nullptr;
}

}  // namespace pacscan::passive
