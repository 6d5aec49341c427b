// libFuzzer target: arbitrary bytes as a pcap/pcapng file through libpcap, the link-layer and
// IPv4/TCP decoding, TCP reassembly and the DICOM reader (everything `pacscan pcap` does before
// the rules), at the default limits.
// Invariants: no crash or sanitizer report; the bytes counted stay within the budget; flows are
// all released at the end; timestamps handed on stay within 1970..9999 whatever the pcapng
// options (if_tsresol, if_tsoffset) say.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "passive/pcap_reader.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pacscan::passive;
  const FlowLimits limits;
  FlowTable table(limits);
  const std::vector<std::uint8_t> bytes(data, data + size);
  (void)read_capture_buffer(bytes, [&](const TcpSegment& s) {
    check(s.time_us >= 0 && s.time_us <= 253402300799LL * 1000000 + 999999);
    table.add(s);
    check(table.memory() <= limits.max_buffered_bytes);
  });
  table.flush();
  check(table.memory() == 0 && table.open_flows() == 0);
  for (const auto& f : table.take_closed()) {
    check(!f.associations.empty() && f.associations.size() <= ReaderLimits{}.max_associations);
  }
  return 0;
}
