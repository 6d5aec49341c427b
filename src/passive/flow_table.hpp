#pragma once
// TCP flows of a capture, reassembled per direction into a DICOM Conversation each.
// Bounded: at most `max_flows` flows, at most `max_buffered_bytes` of out-of-order data over all
// flows, flows idle (by capture time) longer than `idle_timeout_us` are closed.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "pdu_reader.hpp"

namespace pacscan::passive {

struct TcpSegment {
  std::uint32_t src_ip = 0, dst_ip = 0;  // host byte order
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t seq = 0;
  bool syn = false, fin = false, rst = false;
  std::span<const std::uint8_t> payload;
  bool truncated = false;  // the capture holds fewer payload bytes than the packet carried
  std::int64_t time_us = 0;
};

// A connection whose conversation turned out to be DICOM or TLS, as handed out when it closes.
struct ClosedFlow {
  std::uint32_t client_ip = 0, server_ip = 0;
  std::uint16_t client_port = 0, server_port = 0;
  StreamKind kind = StreamKind::other;
  std::vector<AssociationRecord> associations;
};

struct FlowLimits {
  std::size_t max_flows = 10000;
  std::size_t max_buffered_bytes = 64 * 1024 * 1024;
  std::size_t max_segments_per_direction = 256;
  std::int64_t idle_timeout_us = 300LL * 1000 * 1000;
};

struct FlowStats {
  std::uint64_t flows_seen = 0;
  std::uint64_t flows_not_tracked = 0;   // table full
  std::uint64_t gaps = 0;                // directions with missing bytes
  std::uint64_t truncated_segments = 0;  // snaplen-cut
  std::uint64_t dropped_out_of_order = 0;
  std::uint64_t idle_closed = 0;
};

class FlowTable {
 public:
  explicit FlowTable(FlowLimits limits, ReaderLimits reader = {});
  void add(const TcpSegment& seg);
  // Closes every flow (end of input).
  void flush();
  // Flows closed so far (DICOM or TLS only); moves them out.
  std::vector<ClosedFlow> take_closed();
  const FlowStats& stats() const { return m_stats; }

 private:
  struct Half {
    bool synced = false;
    bool fin = false;
    bool broken = false;
    std::uint32_t next = 0;
    std::vector<std::pair<std::uint32_t, std::vector<std::uint8_t>>> held;  // out of order
    std::size_t held_bytes = 0;
  };
  struct Flow {
    std::uint32_t a_ip = 0, b_ip = 0;
    std::uint16_t a_port = 0, b_port = 0;
    Half half[2];  // [0] from A, [1] from B
    Conversation conv;
    std::int64_t last_us = 0;
  };
  using Key = std::pair<std::uint64_t, std::uint64_t>;  // (ip<<16|port) of the two ends, sorted

  void segment(Flow& f, int from, const TcpSegment& seg);
  void deliver(Flow& f, int from, std::span<const std::uint8_t> bytes, std::int64_t t);
  void drain(Flow& f, int from, std::int64_t t);
  void lose(Flow& f, int from, const std::string& why);
  void release(Flow& f, int from);
  void close(std::map<Key, Flow>::iterator it);
  void expire(std::int64_t now_us);

  FlowLimits m_limits;
  ReaderLimits m_reader;
  std::map<Key, Flow> m_flows;
  std::size_t m_buffered = 0;
  std::int64_t m_last_sweep_us = 0;
  std::vector<ClosedFlow> m_closed;
  FlowStats m_stats;
};

}  // namespace pacscan::passive
