// SPDX-License-Identifier: Apache-2.0
#pragma once
// pacscan scan --learn FILE: the (calling, called) AE title pairs a site's own traffic shows, from
// a capture (analysed passively: nothing is sent) or from a `pacscan pcap` result.
#include <string>
#include <vector>

#include <pacscan/core/ae_titles.hpp>
#include <pacscan/core/expected.hpp>
#include <pacscan/core/observation.hpp>

namespace pacscan::cli {

// The pairs in "passive_dicom" observations, folded per (calling, called, server, port); titles
// that are no valid AE title (a capture is untrusted) are left out. Accepted pairs first.
std::vector<LearnedAePair> learned_pairs(const std::vector<Observation>& observations,
                                         const std::string& origin);

// FILE: a pcap/pcapng capture (by its magic number), else scan.json, observations.jsonl or an
// output folder. `note` says what was learned (for the scan's notes).
Expected<std::vector<LearnedAePair>> learn_ae_pairs(const std::string& file, std::string& note);

// --ae-wordlist FILE: one title per line ('#' comments); at most k_max_wordlist_bytes.
inline constexpr std::size_t k_max_wordlist_bytes = 1 << 20;
Expected<std::vector<std::string>> load_ae_wordlist(const std::string& file);

}  // namespace pacscan::cli
