// SPDX-License-Identifier: Apache-2.0
#pragma once
// AE titles the scanner may try, as data: the sourced vendor-default list (data/ae-titles.tsv)
// and the (calling, called) pairs a site's own traffic shows (pacscan scan --learn).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/net.hpp>

namespace pacscan {

enum class AeRole { called, calling };
const char* to_string(AeRole r);

// One line of data/ae-titles.tsv: a product's default title and where that was read.
struct AeTitleEntry {
  std::string title;
  AeRole role = AeRole::called;
  int likelihood = 2;                  // 0 high, 1 medium, 2 low
  std::vector<std::string> families;   // products shipped together ("dcmtk", "orthanc" ...)
  std::string product;
  std::string source;
};
const char* likelihood_text(int likelihood);  // "high", "medium", "low"

// PS3.5 AE VR as pacscan sends it: 1-16 printable ASCII characters, no backslash, not only
// spaces.
bool valid_ae_title(std::string_view title);

// TITLE<TAB>ROLE<TAB>LIKELIHOOD<TAB>FAMILY<TAB>PRODUCT<TAB>SOURCE lines, '#' comment lines and
// blank lines skipped. A bad line is an error naming origin:line. Order is kept (it is the order
// tried within one likelihood); a title listed twice in one role keeps its first line.
Expected<std::vector<AeTitleEntry>> parse_ae_titles(std::string_view text,
                                                    const std::string& origin);

// A (calling, called) pair seen in a capture (or in a `pacscan pcap` result): an association the
// site's own peers really made.
struct LearnedAePair {
  std::string calling_ae;
  std::string called_ae;
  Ipv4 client_ip;
  Ipv4 server_ip;
  std::uint16_t server_port = 0;
  bool accepted = false;   // an A-ASSOCIATE-AC was seen
  bool rejected = false;   // an A-ASSOCIATE-RJ was seen (reject_* below)
  int reject_source = 0, reject_reason = 0;
  int count = 0;           // associations folded into this pair
  std::string origin;      // the file it was learned from
};

}  // namespace pacscan
