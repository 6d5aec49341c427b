// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of "arp_discovery" (one observation per host that answered an ARP who-has on a directly
// attached Ethernet segment). The MAC is formatted by us from the reply's sender hardware
// address; the vendor comes from the local IEEE OUI registry (Debian's ieee-data), never from
// the wire. ("requests", not "attempts": in observation data "attempts" always lists
// association attempts.)
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

struct ArpData {
  std::string mac;        // "02:5e:1a:00:00:0a", lower case
  std::string vendor;     // IEEE OUI registry name, "" when unknown or the registry is missing
  std::string interface;  // interface the request went out on ("eth0")
  int requests = 0;       // who-has requests sent before the reply (1, or 2 after the retry)
  double rtt_ms = 0;      // from the last request sent to the reply
};
PACSCAN_JSON_TYPE(ArpData, mac, vendor, interface, requests, rtt_ms)

template <>
struct ProbeDataTraits<ArpData> : JudgedWhereObserved {
  static constexpr std::string_view name = "arp_discovery";
};
}  // namespace pacscan
