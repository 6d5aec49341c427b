// libFuzzer target: TCP segments with arbitrary sequence numbers, times, flags and payloads into
// the flow table at its default limits (FlowLimits{}, ReaderLimits{}).
// Input: records of 12 bytes and a payload:
//   [0] flags (bit 0 SYN, 1 FIN, 2 RST, 3 truncated, 4 direction B->A)
//   [1] flow (low 3 bits pick one of 8 client ports; the rest of the byte picks a client address)
//   [2..5] sequence number (LE)   [6..9] time step in ms (LE, signed: time may run backwards)
//   [10..11] payload length (LE, capped by what is left)
// (tests/fuzz/make-seeds.py writes the sample captures in this form.)
// Invariants: the bytes counted never pass max_buffered_bytes, open flows never pass max_flows,
// flush() leaves nothing counted, the work stays linear in the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "passive/flow_table.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pacscan::passive;
  const FlowLimits limits;
  std::size_t closed_assocs = 0;
  FlowTable table(limits, {}, [&](ClosedFlow&& f) {
    check(!f.associations.empty() && f.associations.size() <= ReaderLimits{}.max_associations);
    closed_assocs += f.associations.size();
  });
  std::int64_t t = 1'700'000'000'000'000;
  std::size_t off = 0, records = 0;
  while (size - off >= 12) {
    const std::uint8_t* r = data + off;
    TcpSegment s;
    const bool b_to_a = (r[0] & 0x10) != 0;
    const std::uint32_t client = 0xC6130000u | r[1];  // 198.19.0.x
    const std::uint16_t cport = static_cast<std::uint16_t>(40000 + (r[1] & 7));
    s.src_ip = b_to_a ? 0xC612000Au : client;
    s.dst_ip = b_to_a ? client : 0xC612000Au;
    s.src_port = b_to_a ? 104 : cport;
    s.dst_port = b_to_a ? cport : 104;
    s.syn = (r[0] & 1) != 0;
    s.fin = (r[0] & 2) != 0;
    s.rst = (r[0] & 4) != 0;
    s.truncated = (r[0] & 8) != 0;
    std::memcpy(&s.seq, r + 2, 4);
    std::int32_t step = 0;
    std::memcpy(&step, r + 6, 4);
    t += std::int64_t{step} * 1000;
    s.time_us = t;
    const std::size_t len = std::min<std::size_t>(r[10] | (r[11] << 8), size - off - 12);
    s.payload = std::span<const std::uint8_t>(r + 12, len);
    off += 12 + len;
    ++records;
    table.add(s);
    check(table.memory() <= limits.max_buffered_bytes);
    check(table.open_flows() <= limits.max_flows);
  }
  table.flush();
  check(table.memory() == 0 && table.open_flows() == 0);
  check(table.stats().peak_bytes <= limits.max_buffered_bytes + FlowTable::k_overshoot);
  check(table.stats().work <= 8 * size + 16 * records + 64);
  return 0;
}
