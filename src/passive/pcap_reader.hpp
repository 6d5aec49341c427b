#pragma once
// Reads a pcap or pcapng file with libpcap and hands out its IPv4 TCP segments. Link types:
// Ethernet (with up to two VLAN tags), Linux cooked (SLL, SLL2), raw IPv4, BSD loopback
// (NULL/LOOP). Everything else is counted and skipped. A file that ends mid-packet (pcap_next_ex
// error) is a warning, not a failure.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <pacscan/core/expected.hpp>

#include "flow_table.hpp"

namespace pacscan::passive {

struct CaptureStats {
  std::uint64_t packets = 0;
  std::uint64_t tcp_segments = 0;
  std::uint64_t bytes = 0;           // captured bytes of the file's packets
  std::uint64_t skipped_non_ip = 0;  // not IPv4 (ARP, IPv6, ...) or unknown link type
  std::uint64_t skipped_fragments = 0;
  std::uint64_t malformed = 0;        // headers cut or inconsistent
  std::uint64_t clamped_times = 0;    // timestamps outside 1970..9999, clamped
  std::vector<std::string> warnings;  // truncated file ...
};

// Fails only when the file cannot be opened or its link type is not supported.
Expected<CaptureStats> read_capture(const std::string& path,
                                    const std::function<void(const TcpSegment&)>& on_segment);

// Live capture on an interface (promiscuous, BPF "tcp") until should_stop() says so.
Expected<CaptureStats> read_live(const std::string& iface,
                                 const std::function<bool()>& should_stop,
                                 const std::function<void(const TcpSegment&)>& on_segment);

// Same, on a capture already in memory (used by the fuzzer).
Expected<CaptureStats> read_capture_buffer(
    const std::vector<std::uint8_t>& bytes,
    const std::function<void(const TcpSegment&)>& on_segment);

}  // namespace pacscan::passive
