// libFuzzer target: arbitrary bytes as a pcap/pcapng file through libpcap, the link-layer and
// IPv4/TCP decoding, TCP reassembly and the DICOM reader (everything `pacscan pcap` does before
// the rules). Small caps so the table limits are exercised too.
// Build (from the repository root):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//     tests/fuzz/fuzz_pcap.cpp src/passive/pcap_reader.cpp src/passive/flow_table.cpp \
//     src/passive/pdu_reader.cpp -lpcap -lfmt -o fuzz_pcap
//   ./fuzz_pcap -max_total_time=60 CORPUS_DIR   (seed it with samples/pcaps/*.pcap)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "passive/pcap_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pacscan::passive;
  FlowLimits limits;
  limits.max_flows = 8;
  limits.max_buffered_bytes = 4096;
  limits.max_segments_per_direction = 4;
  FlowTable table(limits);
  const std::vector<std::uint8_t> bytes(data, data + size);
  (void)read_capture_buffer(bytes, [&](const TcpSegment& s) { table.add(s); });
  table.flush();
  for (const auto& f : table.take_closed()) {
    if (f.associations.empty() || f.associations.size() > ReaderLimits{}.max_associations) {
      std::abort();
    }
  }
  return 0;
}
