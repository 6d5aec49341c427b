// libFuzzer target: arbitrary bytes into the passive DICOM reader, with its real limits
// (ReaderLimits{}), and invariant checks.
// Input: records of one header byte (bit 0: side, bits 1-7: length - 1) and that many bytes
// (tests/fuzz/make-seeds.py writes the sample captures' streams in this form).
// Invariants: no crash or sanitizer report, bounded output, work linear in the bytes fed, the
// memory counted for the conversation below its caps, and the same facts when consecutive chunks
// of one side are merged (the reader does not depend on how its input is split).
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

nlohmann::json run(const std::vector<Chunk>& chunks, std::size_t total) {
  const ReaderLimits limits;
  Conversation c(limits);
  std::size_t peak = 0;
  for (const auto& ch : chunks) {
    c.feed(ch.from_a, ch.bytes);
    peak = std::max(peak, c.memory());
  }
  c.finish();
  // Buffers: one PDU per direction, one command set, the held bytes; records: at most what the
  // bytes described (a small multiple) plus fixed costs.
  check(peak <= 2 * limits.max_pdu_length + 2 * limits.max_command_bytes +
                    limits.max_pending_bytes + 64 * total + 256 * 1024);
  check(c.work() <= 8 * total + 4 * chunks.size() + 64);
  check(c.associations().size() <= limits.max_associations);
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : c.associations()) {
    check(r.data.commands.size() <= limits.max_commands);
    check(r.data.notes.size() <= 16);
    check(r.data.phi_tags.size() <= 64);
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
  check(run(chunks, size) == run(merged, size));
  return 0;
}
