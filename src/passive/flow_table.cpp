// TCP reassembly per direction (see flow_table.hpp). Sequence numbers compare modulo 2^32;
// bytes already delivered (retransmissions, overlaps) are trimmed; segments ahead of the next
// expected byte are held, within caps, until the hole is filled. A hole that cannot be filled
// ends the reading of that direction (the conversation is told about the gap).
#include "flow_table.hpp"

#include <algorithm>

namespace pacscan::passive {
namespace {

std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b);
}

std::uint64_t end_key(std::uint32_t ip, std::uint16_t port) {
  return (std::uint64_t{ip} << 16) | port;
}

}  // namespace

FlowTable::FlowTable(FlowLimits limits, ReaderLimits reader) : m_limits(limits), m_reader(reader) {}

void FlowTable::add(const TcpSegment& seg) {
  expire(seg.time_us);
  const std::uint64_t s = end_key(seg.src_ip, seg.src_port);
  const std::uint64_t d = end_key(seg.dst_ip, seg.dst_port);
  const Key key = s < d ? Key{s, d} : Key{d, s};
  auto it = m_flows.find(key);
  if (it == m_flows.end()) {
    if (seg.rst || (seg.fin && seg.payload.empty())) return;  // the end of a flow we never saw
    if (m_flows.size() >= m_limits.max_flows) {
      ++m_stats.flows_not_tracked;
      return;
    }
    ++m_stats.flows_seen;
    Flow f;
    f.a_ip = seg.src_ip;
    f.a_port = seg.src_port;
    f.b_ip = seg.dst_ip;
    f.b_port = seg.dst_port;
    f.conv = Conversation(m_reader);
    it = m_flows.emplace(key, std::move(f)).first;
  }
  Flow& f = it->second;
  f.last_us = seg.time_us;
  const int from = (seg.src_ip == f.a_ip && seg.src_port == f.a_port) ? 0 : 1;
  segment(f, from, seg);
  if (seg.rst || (f.half[0].fin && f.half[1].fin)) close(it);
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
  std::uint32_t seq = seg.seq;
  const std::int32_t delta = seq_diff(seq, h.next);
  if (delta < 0) {  // retransmission or overlap: keep only the new part
    const auto old = static_cast<std::size_t>(-static_cast<std::int64_t>(delta));
    if (old >= data.size()) return;
    data = data.subspan(old);
    seq = h.next;
  }
  if (seq == h.next) {
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
      m_buffered + data.size() > m_limits.max_buffered_bytes) {
    ++m_stats.dropped_out_of_order;
    lose(f, from, "segments missing or beyond the reassembly limits");
    return;
  }
  h.held.emplace_back(seq, std::vector<std::uint8_t>(data.begin(), data.end()));
  h.held_bytes += data.size();
  m_buffered += data.size();
}

void FlowTable::deliver(Flow& f, int from, std::span<const std::uint8_t> bytes, std::int64_t t) {
  Half& h = f.half[from];
  h.next += static_cast<std::uint32_t>(bytes.size());
  f.conv.feed(from == 0, bytes, t);
  if (f.conv.done()) {
    release(f, 0);
    release(f, 1);
  }
}

void FlowTable::drain(Flow& f, int from, std::int64_t t) {
  Half& h = f.half[from];
  bool progress = true;
  while (progress && !h.held.empty() && !h.broken && !f.conv.done()) {
    progress = false;
    for (std::size_t i = 0; i < h.held.size(); ++i) {
      const std::int32_t delta = seq_diff(h.held[i].first, h.next);
      if (delta > 0) continue;
      auto seg = std::move(h.held[i]);
      h.held.erase(h.held.begin() + static_cast<std::ptrdiff_t>(i));
      h.held_bytes -= seg.second.size();
      m_buffered -= seg.second.size();
      const auto old = static_cast<std::size_t>(-static_cast<std::int64_t>(delta));
      if (old < seg.second.size()) {
        deliver(f, from, std::span<const std::uint8_t>(seg.second).subspan(old), t);
      }
      progress = true;
      break;
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
  m_buffered -= h.held_bytes;
  h.held_bytes = 0;
  h.held.clear();
  h.held.shrink_to_fit();
}

void FlowTable::close(std::map<Key, Flow>::iterator it) {
  Flow& f = it->second;
  for (int from = 0; from < 2; ++from) {
    if (!f.half[from].held.empty()) lose(f, from, "segments missing at the end of the connection");
    release(f, from);
  }
  f.conv.finish();
  const StreamKind kind = f.conv.kind();
  if ((kind == StreamKind::dicom || kind == StreamKind::tls) && !f.conv.associations().empty()) {
    ClosedFlow c;
    const bool a_client = f.conv.client_is_a();
    c.client_ip = a_client ? f.a_ip : f.b_ip;
    c.client_port = a_client ? f.a_port : f.b_port;
    c.server_ip = a_client ? f.b_ip : f.a_ip;
    c.server_port = a_client ? f.b_port : f.a_port;
    c.kind = kind;
    c.associations = f.conv.associations();
    m_closed.push_back(std::move(c));
  }
  m_flows.erase(it);
}

void FlowTable::expire(std::int64_t now_us) {
  if (now_us - m_last_sweep_us < 1000 * 1000 && now_us >= m_last_sweep_us) return;
  m_last_sweep_us = now_us;
  for (auto it = m_flows.begin(); it != m_flows.end();) {
    auto next = std::next(it);
    if (now_us - it->second.last_us > m_limits.idle_timeout_us) {
      ++m_stats.idle_closed;
      close(it);
    }
    it = next;
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
