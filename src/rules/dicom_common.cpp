// SPDX-License-Identifier: Apache-2.0
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

// Guessable titles, and titles an open web API publishes (anyone who reads it has them).
bool unknown_peer(AeSource s) { return guessable(s) || s == AeSource::web; }

const char* identity_text(AeSource s) {
  switch (s) {
    case AeSource::random: return "a random calling AE title";
    case AeSource::well_known: return "a guessable default calling AE title";
    case AeSource::wordlist: return "a guessable calling AE title from the auditor's word list";
    case AeSource::reverse_dns: return "a host name as calling AE title, guessable from reverse DNS";
    case AeSource::web:
      return "a calling AE title an open web API of the site publishes (Orthanc /modalities)";
    case AeSource::learned: return "a calling AE title seen in the site's own traffic";
    case AeSource::scanner: return "the scanner's configured calling AE title";
    default: return "an unknown calling AE title";
  }
}

const char* called_source_text(AeSource s) {
  switch (s) {
    case AeSource::random: return "a random title";
    case AeSource::hint: return "given by the auditor (--called-aet)";
    case AeSource::well_known: return "guessed from the vendor-default list";
    case AeSource::web: return "reported by the host's Orthanc REST /system";
    case AeSource::learned: return "seen in the site's own traffic (--learn)";
    case AeSource::site: return "accepted by another host of this scan";
    case AeSource::reverse_dns: return "the host's reverse DNS name";
    case AeSource::wordlist: return "guessed from the auditor's word list (--ae-wordlist)";
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
