// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_ae_policy": which called and calling AE titles the server accepts, and
// every association tried to find out.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/ae_titles.hpp>
#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

NLOHMANN_JSON_SERIALIZE_ENUM(AeRole, {{AeRole::called, "called"}, {AeRole::calling, "calling"}})

// A title the search tried (random titles aside) and where it came from.
struct AeTitleTried {
  std::string title;
  AeRole role = AeRole::called;
  AeSource source = AeSource::none;  // how it was found (the first source that proposed it)
  AeSource judged = AeSource::none;  // how the rules judge it: well_known when it is also a
                                     // vendor default, else as found
  std::string detail;                // "seen in site.pcapng: 10.0.0.5 'FINDSCU' -> ..." ...
};
PACSCAN_JSON_TYPE(AeTitleTried, title, role, source, judged, detail)

// A candidate pair the attempt cap left untried.
struct AePairLeft {
  std::string calling_ae, called_ae;
  AeSource calling_source = AeSource::none, called_source = AeSource::none;
};
PACSCAN_JSON_TYPE(AePairLeft, calling_ae, called_ae, calling_source, called_source)

struct AePolicyData {
  std::string random_called_ae;
  Tri any_called = Tri::unknown;       // a random called AE title was accepted
  std::string working_called_ae;       // a called AE title the server accepts
  AeSource working_called_source = AeSource::none;
  std::string random_calling_ae;
  Tri any_calling = Tri::unknown;      // a random calling AE title was accepted
  std::string admitted_calling_ae;     // a calling AE title the server admits
  AeSource admitted_calling_source = AeSource::none;
  // A called title the server recognised without accepting us: it answered "calling AE title not
  // recognized" (PS3.8 reason 3) where a random called title got another reason.
  std::string recognized_called_ae;
  AeSource recognized_called_source = AeSource::none;
  bool budget_exhausted = false;
  std::vector<AssocAttempt> attempts;  // every association tried, in order
  // How the titles above were found (AeSource), in words, and the judged source's origin: a
  // title found in a capture that is also a vendor default is *_source well_known, *_found_by
  // learned.
  AeSource working_called_found_by = AeSource::none;
  std::string working_called_detail;
  AeSource admitted_calling_found_by = AeSource::none;
  std::string admitted_calling_detail;
  // The server's rejects did not tell a wrong called title from a wrong calling one, so
  // (calling, called) pairs were tried, the most likely first: how many.
  bool pair_search = false;
  int pairs_tried = 0;
  std::vector<AeTitleTried> titles;          // every title tried, with its source
  // When the --max-ae-attempts cap ended the search: the next candidates, in the order they would
  // have been tried (at most k_max_left), and how many were left in all.
  std::vector<AePairLeft> candidates_left;
  int candidates_left_total = 0;
  int site_titles_known = 0;  // titles of the scan's other hosts known when this search started
  static constexpr std::size_t k_max_left = 20;
};
PACSCAN_JSON_TYPE(AePolicyData, random_called_ae, any_called, working_called_ae,
                  working_called_source, random_calling_ae, any_calling, admitted_calling_ae,
                  admitted_calling_source, recognized_called_ae, recognized_called_source,
                  budget_exhausted, attempts, working_called_found_by, working_called_detail,
                  admitted_calling_found_by, admitted_calling_detail, pair_search, pairs_tried,
                  titles, candidates_left, candidates_left_total, site_titles_known)

template <>
struct ProbeDataTraits<AePolicyData> : JudgedOnDicomEndpoints {
  static constexpr std::string_view name = "dicom_ae_policy";
};

}  // namespace pacscan
