// SPDX-License-Identifier: Apache-2.0
#pragma once
// Which AE titles dicom_ae_policy tries, and in which order: pure (no network), fed by what the
// scan knows when the search starts. What the site itself says comes first (its own traffic, the
// auditor's hints, the host's web API, titles another host of this scan accepted), then the
// host's reverse DNS name, then vendor defaults by likelihood, then the auditor's word list.
//
// Tiers (lower is tried first):
//   0  seen accepted (or recognised) at this very endpoint in the site's traffic
//   1  the auditor's --called-aet, the host's web API, another host of this scan, a title seen in
//      the site's traffic elsewhere, and the scanner's own calling title
//   2  this host's reverse DNS name (called)
//   3/4/5  vendor default of high / medium / low likelihood; reverse DNS names of other hosts
//      (calling) are 5
//   6  the auditor's --ae-wordlist
// Pairs, when the server's rejects do not tell a wrong called title from a wrong calling one:
// pairs seen accepted at this endpoint, then pairs seen accepted elsewhere (other ports, other
// hosts, another host of this scan), then every other (calling, called) combination by the sum of
// the two tiers, then whether they share a product family (shipped together), then the worse tier;
// pairs with a word-list title come after all others.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pacscan/core/ae_titles.hpp>
#include <pacscan/core/assoc.hpp>
#include <pacscan/core/net.hpp>
#include <pacscan/scan/site_titles.hpp>

namespace pacscan::probes {

struct AeCandidate {
  std::string title;
  AeSource source = AeSource::none;  // how it was found (the first source that proposed it)
  AeSource judged = AeSource::none;  // how the rules judge it (well_known when a vendor default)
  std::string detail;
  int tier = 6;
  std::vector<std::string> families;  // product families, when the title is a vendor default
};

struct AePairCandidate {
  std::size_t calling = 0;  // index into AeCandidates::calling
  std::size_t called = 0;   // index into AeCandidates::called
  bool seen_together = false;  // the two were seen accepted together (traffic, another host)
  bool operator==(const AePairCandidate&) const = default;
};

struct AeCandidateInput {
  Endpoint ep;
  std::string ours;                          // the scanner's calling title (--calling-aet)
  std::vector<std::string> hints;            // --called-aet
  const std::vector<AeTitleEntry>* vendor = nullptr;
  const std::vector<LearnedAePair>* learned = nullptr;
  std::vector<SiteAeTitle> site;             // what other hosts of the scan accepted or published
  std::string web_called, web_called_detail;         // Orthanc /system DicomAet of this host
  std::vector<std::string> web_calling;              // Orthanc /modalities AETs of this host
  std::string web_calling_detail;
  std::string reverse_name;                  // this host's reverse DNS name (raw)
  std::vector<std::string> wordlist;         // --ae-wordlist (intrusive profile only)
};

struct AeCandidates {
  std::vector<AeCandidate> called;
  std::vector<AeCandidate> calling;  // calling[0] is the scanner's own title
  std::vector<AePairCandidate> pairs;  // every (calling, called) combination, in the order tried
  // (calling, called) pairs this endpoint was seen refusing in the site's traffic: not tried.
  std::vector<std::pair<std::string, std::string>> refused;
};

AeCandidates build_ae_candidates(const AeCandidateInput& in);

// "pacs-01.clinic.example" -> "PACS-01": the first label, upper case, at most 16 characters;
// "" when that is no valid AE title.
std::string reverse_dns_title(std::string_view host_name);

}  // namespace pacscan::probes
