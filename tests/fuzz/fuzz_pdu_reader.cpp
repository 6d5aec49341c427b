// libFuzzer target: arbitrary bytes into the passive DICOM reader, with invariant checks.
// Build (from the repository root):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
//     tests/fuzz/fuzz_pdu_reader.cpp src/passive/pdu_reader.cpp -lfmt -o fuzz_pdu_reader
//   ./fuzz_pdu_reader -max_total_time=60 -max_len=65536 [CORPUS_DIR]
// Input: records of one header byte (bit 0: side, bits 1-7: length - 1) and that many bytes.
// Invariants: no crash, bounded output, and the same facts when consecutive chunks of one side are
// merged (the reader does not depend on how its input is split).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "passive/pdu_reader.hpp"

namespace {

using namespace pacscan::passive;

struct Chunk {
  bool from_a;
  std::vector<std::uint8_t> bytes;
};

void check(bool ok) {
  if (!ok) std::abort();
}

nlohmann::json run(const std::vector<Chunk>& chunks) {
  Conversation c;
  for (const auto& ch : chunks) c.feed(ch.from_a, ch.bytes);
  c.finish();
  check(c.associations().size() <= ReaderLimits{}.max_associations);
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : c.associations()) {
    check(r.data.commands.size() <= ReaderLimits{}.max_commands);
    check(r.data.notes.size() <= 16);
    j.push_back(r.data);
  }
  return nlohmann::json{{"kind", static_cast<int>(c.kind())}, {"a", j}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<Chunk> chunks;
  std::size_t off = 0;
  while (off < size) {
    const std::uint8_t h = data[off++];
    const std::size_t len = std::min<std::size_t>((h >> 1) + 1, size - off);
    chunks.push_back({(h & 1) != 0, std::vector<std::uint8_t>(data + off, data + off + len)});
    off += len;
  }
  std::vector<Chunk> merged;
  for (const auto& ch : chunks) {
    if (!merged.empty() && merged.back().from_a == ch.from_a) {
      merged.back().bytes.insert(merged.back().bytes.end(), ch.bytes.begin(), ch.bytes.end());
    } else {
      merged.push_back(ch);
    }
  }
  check(run(chunks) == run(merged));
  return 0;
}
