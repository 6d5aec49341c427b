// TCP reassembly per direction (see flow_table.hpp). Sequence numbers compare modulo 2^32 and
// are turned into 64-bit offsets from the start of each direction, which key the segments held
// out of order; bytes already delivered (retransmissions, overlaps) are trimmed. A hole that
// cannot be filled ends the reading of that direction (the conversation is told about the gap).
#include "flow_table.hpp"

#include <algorithm>

namespace pacscan::passive {
namespace {

constexpr std::size_t k_segment_overhead = 96;  // map node + vector header of a held segment

std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b);
}

std::uint64_t end_key(std::uint32_t ip, std::uint16_t port) {
  return (std::uint64_t{ip} << 16) | port;
}

// `last` is never after `clock` (flows are stamped with the clock); the difference is computed
// without overflow whatever the timestamps.
bool idle_for(std::int64_t clock, std::int64_t last, std::int64_t timeout) {
  if (clock <= last) return false;
  const std::uint64_t d = static_cast<std::uint64_t>(clock) - static_cast<std::uint64_t>(last);
  return d > static_cast<std::uint64_t>(std::max<std::int64_t>(timeout, 0));
}

}  // namespace

std::size_t FlowTable::flow_cost() {
  static const std::size_t empty_conversation = Conversation().memory();
  return sizeof(std::pair<const Key, Flow>) + 64 + sizeof(Key) + 32 + empty_conversation;
}

FlowTable::FlowTable(FlowLimits limits, ReaderLimits reader,
                     std::function<void(ClosedFlow&&)> on_close)
    : m_limits(limits), m_reader(reader), m_on_close(std::move(on_close)) {}

void FlowTable::add(const TcpSegment& seg) {
  ++m_stats.segments;
  ++m_stats.work;
  m_stats.payload_bytes += seg.payload.size();
  if (!m_have_clock || seg.time_us > m_clock) {
    m_clock = seg.time_us;
    m_have_clock = true;
  } else if (seg.time_us < m_clock) {
    ++m_stats.time_backwards;
  }
  expire();
  const std::uint64_t s = end_key(seg.src_ip, seg.src_port);
  const std::uint64_t d = end_key(seg.dst_ip, seg.dst_port);
  const Key key = s < d ? Key{s, d} : Key{d, s};
  auto it = m_flows.find(key);
  if (it == m_flows.end()) {
    // Only a SYN or data opens a flow: the last ACK or the FIN of a closed (or never seen)
    // connection must not sit in the table until it idles out.
    if (seg.rst || (!seg.syn && seg.payload.empty())) return;
    const bool full = m_flows.size() >= m_limits.max_flows;
    const bool no_room = m_bytes + flow_cost() > m_limits.max_buffered_bytes;
    if (full || no_room) {
      if (m_lru[0].empty()) {
        ++(full ? m_stats.flows_not_tracked : m_stats.flows_dropped_memory);
        return;
      }
      ++m_stats.flows_evicted;  // the least recently active flow not (yet) seen to carry DICOM
      close(m_flows.find(m_lru[0].front()));
      if (m_bytes + flow_cost() > m_limits.max_buffered_bytes) {
        ++m_stats.flows_dropped_memory;
        return;
      }
    }
    ++m_stats.flows_seen;
    Flow f;
    f.a_ip = seg.src_ip;
    f.a_port = seg.src_port;
    f.b_ip = seg.dst_ip;
    f.b_port = seg.dst_port;
    f.conv = Conversation(m_reader);
    it = m_flows.emplace(key, std::move(f)).first;
    it->second.pos = m_lru[0].insert(m_lru[0].end(), key);
    recount(it->second);
  }
  touch(it);
  Flow& f = it->second;
  const int from = (seg.src_ip == f.a_ip && seg.src_port == f.a_port) ? 0 : 1;
  if (f.ignored) {
    if (seg.fin) f.half[from].fin = true;
  } else {
    segment(f, from, seg);
    const StreamKind kind = f.conv.kind();
    if (f.lru == 0 && (kind == StreamKind::dicom || kind == StreamKind::tls)) {
      m_lru[1].splice(m_lru[1].end(), m_lru[0], f.pos);
      f.lru = 1;
    }
    recount(f);
    if (m_bytes > m_limits.max_buffered_bytes) drop(it);
  }
  if (seg.rst || (f.half[0].fin && f.half[1].fin)) close(it);
}

void FlowTable::touch(Iter it) {
  Flow& f = it->second;
  f.last_us = m_clock;
  m_lru[f.lru].splice(m_lru[f.lru].end(), m_lru[f.lru], f.pos);
}

void FlowTable::recount(Flow& f) {
  static const std::size_t empty_conversation = Conversation().memory();
  std::size_t n = flow_cost() - empty_conversation + f.conv.memory();
  for (const Half& h : f.half) n += h.held_bytes + h.held.size() * k_segment_overhead;
  m_bytes = m_bytes - f.charged + n;
  f.charged = n;
  m_stats.peak_bytes = std::max(m_stats.peak_bytes, m_bytes);
}

void FlowTable::segment(Flow& f, int from, const TcpSegment& seg) {
  Half& h = f.half[from];
  if (seg.fin) h.fin = true;
  if (seg.syn) {
    if (!h.synced) {
      h.synced = true;
      h.next = seg.seq + 1;
    }
    return;  // data on a SYN is not DICOM
  }
  if (h.broken || f.conv.done()) return;
  if (seg.truncated) ++m_stats.truncated_segments;
  if (seg.payload.empty()) {
    if (seg.truncated) lose(f, from, "packets cut by the capture's snap length");
    return;
  }
  if (!h.synced) {  // the capture started after the handshake: take this as the start
    h.synced = true;
    h.next = seg.seq;
  }
  std::span<const std::uint8_t> data = seg.payload;
  std::int32_t delta = seq_diff(seg.seq, h.next);
  if (delta < 0) {  // retransmission or overlap: keep only the new part
    const auto old = static_cast<std::size_t>(-static_cast<std::int64_t>(delta));
    if (old >= data.size()) return;
    data = data.subspan(old);
    delta = 0;
  }
  if (delta == 0) {
    deliver(f, from, data, seg.time_us);
    if (seg.truncated) {
      lose(f, from, "packets cut by the capture's snap length");
      return;
    }
    drain(f, from, seg.time_us);
    return;
  }
  // Ahead of the next expected byte: hold it, within the caps.
  if (seg.truncated || h.held.size() >= m_limits.max_segments_per_direction ||
      m_bytes + data.size() + k_segment_overhead > m_limits.max_buffered_bytes) {
    ++m_stats.dropped_out_of_order;
    lose(f, from, "segments missing or beyond the reassembly limits");
    return;
  }
  auto [slot, inserted] = h.held.try_emplace(h.next_abs + static_cast<std::uint64_t>(delta));
  if (!inserted && slot->second.size() >= data.size()) return;  // the same bytes again
  h.held_bytes = h.held_bytes - slot->second.size() + data.size();
  slot->second.assign(data.begin(), data.end());
}

void FlowTable::deliver(Flow& f, int from, std::span<const std::uint8_t> bytes, std::int64_t t) {
  Half& h = f.half[from];
  h.next += static_cast<std::uint32_t>(bytes.size());
  h.next_abs += bytes.size();
  f.conv.feed(from == 0, bytes, t);
  if (f.conv.done()) {
    release(f, 0);
    release(f, 1);
  }
}

void FlowTable::drain(Flow& f, int from, std::int64_t t) {
  Half& h = f.half[from];
  while (!h.held.empty() && !h.broken && !f.conv.done()) {
    ++m_stats.work;
    auto first = h.held.begin();
    if (first->first > h.next_abs) break;
    auto node = h.held.extract(first);
    h.held_bytes -= node.mapped().size();
    const std::uint64_t old = h.next_abs - node.key();
    if (old < node.mapped().size()) {
      deliver(f, from, std::span<const std::uint8_t>(node.mapped()).subspan(old), t);
    }
  }
}

void FlowTable::lose(Flow& f, int from, const std::string& why) {
  Half& h = f.half[from];
  if (h.broken) return;
  h.broken = true;
  ++m_stats.gaps;
  release(f, from);
  f.conv.gap(from == 0, why);
}

void FlowTable::release(Flow& f, int from) {
  Half& h = f.half[from];
  h.held_bytes = 0;
  h.held.clear();
}

// Hands out the flow's associations (DICOM or TLS), each with `note` when given.
void FlowTable::emit(Flow& f, const std::string& note) {
  if (f.ignored) return;  // already handed out when it was dropped
  f.conv.finish();
  m_stats.work += f.conv.work();
  const StreamKind kind = f.conv.kind();
  if ((kind != StreamKind::dicom && kind != StreamKind::tls) || f.conv.associations().empty()) {
    return;
  }
  ClosedFlow c;
  const bool a_client = f.conv.client_is_a();
  c.client_ip = a_client ? f.a_ip : f.b_ip;
  c.client_port = a_client ? f.a_port : f.b_port;
  c.server_ip = a_client ? f.b_ip : f.a_ip;
  c.server_port = a_client ? f.b_port : f.a_port;
  c.kind = kind;
  c.associations = f.conv.take_associations();
  if (!note.empty()) {
    for (auto& r : c.associations) r.data.notes.push_back(note);
  }
  if (m_on_close) {
    m_on_close(std::move(c));
  } else {
    m_closed.push_back(std::move(c));
  }
}

// Past the memory budget: what the flow found so far is handed out, its buffers are released and
// the rest of the connection is ignored (the entry stays, at its fixed cost, until it ends).
void FlowTable::drop(Iter it) {
  Flow& f = it->second;
  ++m_stats.flows_dropped_memory;
  for (int from = 0; from < 2; ++from) release(f, from);
  emit(f, "the connection was dropped at the memory budget (--max-buffered): what followed was "
          "not read");
  f.conv = Conversation(m_reader);
  f.ignored = true;
  if (f.lru == 1) {  // nothing left to protect: it may make room for new flows
    m_lru[0].splice(m_lru[0].end(), m_lru[1], f.pos);
    f.lru = 0;
  }
  recount(f);
}

void FlowTable::close(Iter it, const std::string& note) {
  Flow& f = it->second;
  for (int from = 0; from < 2; ++from) {
    if (!f.half[from].held.empty()) lose(f, from, "segments missing at the end of the connection");
    release(f, from);
  }
  emit(f, note);
  m_bytes -= f.charged;
  m_lru[f.lru].erase(f.pos);
  m_flows.erase(it);
}

void FlowTable::expire() {
  for (auto& lru : m_lru) {
    while (!lru.empty()) {
      ++m_stats.work;
      const auto it = m_flows.find(lru.front());
      if (!idle_for(m_clock, it->second.last_us, m_limits.idle_timeout_us)) break;
      ++m_stats.idle_closed;
      close(it);
    }
  }
}

void FlowTable::flush() {
  while (!m_flows.empty()) close(m_flows.begin());
}

std::vector<ClosedFlow> FlowTable::take_closed() {
  std::vector<ClosedFlow> out;
  out.swap(m_closed);
  return out;
}

}  // namespace pacscan::passive
