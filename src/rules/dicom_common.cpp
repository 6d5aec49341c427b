#include "dicom_common.hpp"

#include <fmt/format.h>

namespace pacscan::rules::dicom {

std::string describe(const AssocAttempt& a) {
  std::string s = fmt::format("called '{}' calling '{}': {}", a.called_ae, a.calling_ae,
                              to_string(a.outcome));
  if (a.reject) {
    s += fmt::format(" (result {}, source {}, reason {}: {})", a.reject->result, a.reject->source,
                     a.reject->reason, a.reject->text);
  }
  if (a.abort) s += fmt::format(" (A-ABORT source {}, reason {})", a.abort->source, a.abort->reason);
  return s;
}

bool unknown_peer(AeSource s) { return s == AeSource::random || s == AeSource::well_known; }

const char* identity_text(AeSource s) {
  switch (s) {
    case AeSource::random: return "a random calling AE title";
    case AeSource::well_known: return "a guessable default calling AE title";
    case AeSource::scanner: return "the scanner's configured calling AE title";
    default: return "an unknown calling AE title";
  }
}

const char* called_source_text(AeSource s) {
  switch (s) {
    case AeSource::random: return "a random title";
    case AeSource::hint: return "given by the auditor (--called-aet)";
    case AeSource::well_known: return "guessed from the well-known list";
    case AeSource::web: return "reported by the host's Orthanc REST /system";
    default: return "source unknown";
  }
}

bool is_find(const std::string& n) { return n == "PatientRootFind" || n == "StudyRootFind"; }
bool is_move(const std::string& n) { return n == "PatientRootMove" || n == "StudyRootMove"; }
bool is_get(const std::string& n) { return n == "PatientRootGet" || n == "StudyRootGet"; }
bool is_mwl(const std::string& n) { return n == "ModalityWorklistFind"; }
bool is_store(const std::string& n) {
  return n.size() > 7 && n.compare(n.size() - 7, 7, "Storage") == 0;
}

}  // namespace pacscan::rules::dicom
