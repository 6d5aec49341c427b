#pragma once
// TCP flows of a capture, reassembled per direction into a DICOM Conversation each.
//
// Bounded in memory: every byte held for open flows is counted against `max_buffered_bytes`:
// out-of-order segments, each conversation's buffers and association records, and a fixed cost
// per flow. A flow whose growth would pass the budget is dropped (its associations so far are
// handed out with a note, the rest of the connection is ignored) and counted; the analysis goes
// on. At most `max_flows` flows are open; when the table is full the least recently active flow
// that has not shown DICOM or TLS makes room (counted), else the new flow is not tracked.
//
// Bounded in time: each segment costs O(log flows + log held segments). Idle flows are found on
// two lists kept in order of activity, stamped with the capture clock, which only moves forward:
// timestamps running backwards or jumping (merged captures, clock steps) cannot make a sweep run
// per packet.
#include <cstdint>
#include <functional>
#include <list>
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
  std::uint64_t flows_not_tracked = 0;     // table full of DICOM/TLS flows
  std::uint64_t flows_evicted = 0;         // closed early to make room for a new flow
  std::uint64_t flows_dropped_memory = 0;  // dropped at the memory budget
  std::uint64_t gaps = 0;                  // directions with missing bytes
  std::uint64_t truncated_segments = 0;    // snaplen-cut
  std::uint64_t dropped_out_of_order = 0;
  std::uint64_t idle_closed = 0;
  std::uint64_t time_backwards = 0;  // segments older than the latest one seen
  std::uint64_t segments = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t work = 0;         // table steps + the reader work of closed flows
  std::size_t peak_bytes = 0;     // most bytes counted at once
};

class FlowTable {
 public:
  // `on_close` receives each DICOM or TLS flow as it closes; without it they are kept for
  // take_closed().
  explicit FlowTable(FlowLimits limits, ReaderLimits reader = {},
                     std::function<void(ClosedFlow&&)> on_close = {});
  void add(const TcpSegment& seg);
  // Closes every flow (end of input).
  void flush();
  // Flows closed so far (DICOM or TLS only); moves them out.
  std::vector<ClosedFlow> take_closed();
  const FlowStats& stats() const { return m_stats; }
  // Bytes counted now against max_buffered_bytes.
  std::size_t memory() const { return m_bytes; }
  std::size_t open_flows() const { return m_flows.size(); }

  // The fixed cost counted for one flow.
  static std::size_t flow_cost();
  // How far the count can pass max_buffered_bytes for a moment: one segment's growth of one
  // flow (a 64 KiB step of a PDU buffer, a command set, held bytes) before that flow is dropped.
  static constexpr std::size_t k_overshoot = 256 * 1024;

 private:
  using Key = std::pair<std::uint64_t, std::uint64_t>;  // (ip<<16|port) of the two ends, sorted
  struct Half {
    bool synced = false;
    bool fin = false;
    bool broken = false;
    std::uint32_t next = 0;       // next expected sequence number
    std::uint64_t next_abs = 0;   // the same, counted from the start of the direction (no wrap)
    std::map<std::uint64_t, std::vector<std::uint8_t>> held;  // out of order, by offset
    std::size_t held_bytes = 0;
  };
  struct Flow {
    std::uint32_t a_ip = 0, b_ip = 0;
    std::uint16_t a_port = 0, b_port = 0;
    Half half[2];  // [0] from A, [1] from B
    Conversation conv;
    std::int64_t last_us = 0;  // capture clock at the last segment
    int lru = 0;               // 0: plain, 1: DICOM or TLS
    std::list<Key>::iterator pos;
    std::size_t charged = 0;  // bytes counted for this flow
    bool ignored = false;     // dropped at the memory budget: later segments are ignored
  };
  using Iter = std::map<Key, Flow>::iterator;

  void segment(Flow& f, int from, const TcpSegment& seg);
  void deliver(Flow& f, int from, std::span<const std::uint8_t> bytes, std::int64_t t);
  void drain(Flow& f, int from, std::int64_t t);
  void lose(Flow& f, int from, const std::string& why);
  void release(Flow& f, int from);
  void recount(Flow& f);
  void touch(Iter it);
  void drop(Iter it);
  void close(Iter it, const std::string& note = {});
  void expire();
  void emit(Flow& f, const std::string& note);

  FlowLimits m_limits;
  ReaderLimits m_reader;
  std::function<void(ClosedFlow&&)> m_on_close;
  std::map<Key, Flow> m_flows;
  std::list<Key> m_lru[2];
  std::size_t m_bytes = 0;
  bool m_have_clock = false;
  std::int64_t m_clock = 0;  // the latest capture time seen
  std::vector<ClosedFlow> m_closed;
  FlowStats m_stats;
};

}  // namespace pacscan::passive
