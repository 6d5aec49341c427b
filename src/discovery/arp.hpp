// SPDX-License-Identifier: Apache-2.0
#pragma once
// ARP discovery of a directly attached Ethernet segment, whatever its prefix: who-has requests
// injected with libpcap (paced by the Gate, in-scope addresses only), replies captured with
// libpcap, one retry for the silent ones. Vendors come from the IEEE OUI registry of Debian's ieee-data, read at run time.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <pacscan/core/expected.hpp>
#include <pacscan/core/gate.hpp>
#include <pacscan/core/net.hpp>
#include <pacscan/core/rtt.hpp>

namespace pacscan::discovery {

using Mac = std::array<std::uint8_t, 6>;
std::string mac_str(const Mac& mac);  // "02:5e:1a:00:00:0a"

inline constexpr const char* k_oui_file = "/usr/share/ieee-data/oui.txt";

// IEEE MA-L registry: 24-bit prefix -> organisation name.
class OuiTable {
 public:
  // Lines "00-1A-2B   (hex)\t\tVendor Name" (CRLF or LF); every other line is ignored.
  static OuiTable parse(std::string_view text);
  // Read line by line: the registry is 5 MB of text for 1 MB of table.
  static Expected<OuiTable> load(const std::string& path = k_oui_file);
  std::string vendor(const Mac& mac) const;  // "" when unknown or locally administered
  std::size_t size() const { return m_entries.size(); }

 private:
  void add_line(std::string_view line);
  void finish();  // sorts by prefix; the first entry for a prefix wins
  // Sorted by prefix, names in one pool: a std::map of 32,000 strings took 3 MB.
  struct Entry {
    std::uint32_t prefix;
    std::uint32_t offset;
    std::uint32_t length;
  };
  std::vector<Entry> m_entries;
  std::string m_names;
};

// A local interface with an IPv4 subnet that holds some of the targets.
struct Segment {
  std::string iface;
  Ipv4 addr;              // our address on it (the ARP sender address)
  int prefix = 0;
  Mac mac{};              // our MAC (the ARP sender hardware address)
  std::vector<Ipv4> targets;  // the given hosts on this subnet, our own address left out
};

// The hosts a segment addr/prefix would ask: those of `hosts` on it, except its own address and
// the network and broadcast addresses. Any prefix from /1 to /30 (nothing for /31, /32).
std::vector<Ipv4> segment_targets(Ipv4 addr, int prefix, const std::vector<Ipv4>& hosts);
// The Ethernet interface (up, not loopback, not point-to-point) whose IPv4 subnet holds the most
// of `hosts` (only `iface` when it is not empty). nullopt with `why` when none does.
std::optional<Segment> find_segment(const std::vector<Ipv4>& hosts, const std::string& iface,
                                    std::string* why);

struct ArpReply {
  Ipv4 ip;
  Mac mac{};
  int requests = 0;  // who-has requests sent when the reply came
  double rtt_ms = 0;
};

// How long to wait for a reply adapts to the replies' round trips, as nmap's ARP discovery does
// (RttEstimate: srtt + 4 rttvar), within [min_wait, wait]; `wait` until the first reply. On a
// LAN replies come in milliseconds, so the retries and the end of discovery no longer wait a
// second for the silent addresses. The floor is above nmap's 100 ms: a busy embedded device
// may answer late, and the retry is its second chance.
struct ArpOptions {
  std::chrono::milliseconds wait{1000};     // the longest wait for a reply (and the first one)
  std::chrono::milliseconds min_wait{250};  // the shortest, however fast the replies
  int rounds = 2;                           // requests per address: the first and one retry
};

struct ArpScan {
  std::vector<ArpReply> replies;  // in address order
  std::chrono::milliseconds last_wait{0};  // the reply wait in force at the end
};

// Asks every target of the segment (each one through the gate: never an address out of scope),
// in address order, asking a silent one again once its wait is over while the first requests go
// on. Each reply is handed to `on_reply` as it comes (its host can be swept at once); all of
// them are returned at the end. An error (one line) when capture is not possible on the
// interface: not root, no CAP_NET_RAW.
using ReplySink = std::function<void(const ArpReply&)>;
Expected<ArpScan> arp_scan(const Segment& seg, Gate& gate, std::stop_token stop,
                           const ArpOptions& options = {}, const ReplySink& on_reply = {});

}  // namespace pacscan::discovery
