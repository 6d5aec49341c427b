// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: arbitrary bytes into the nesting guard (dicom/nesting_guard.hpp), as a PDU
// stream and as one element stream of each transfer syntax.
// Built with -DPACSCAN_FUZZ=ON (tests/CMakeLists.txt); run by `ctest -L fuzz`, or for longer:
//   tests/fuzz/run.sh build-fuzz/tests/fuzz_nesting_guard 60 /tmp/fuzz_nesting_guard
// Input: one byte choosing the chunk size, then the stream.
// Invariants: no crash; the answer does not depend on how the bytes are split; a walker that did
// not stop never saw more open sequences than its limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include <pacscan/dicom/nesting_guard.hpp>

using namespace pacscan::dicom;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <typename Guard>
bool feed_chunks(Guard& g, std::span<const std::uint8_t> in, std::size_t chunk) {
  bool ok = true;
  for (std::size_t at = 0; at < in.size() && ok; at += chunk) {
    ok = g.feed(in.subspan(at, std::min(chunk, in.size() - at)));
  }
  return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0] % 37;
  const std::span<const std::uint8_t> in(data + 1, size - 1);
  const GuardLimits limits{8, 4096};  // small limits: the fuzzer reaches them

  PduGuard whole(limits), split(limits);
  whole.set_context(1, true);
  split.set_context(1, true);
  const bool a = whole.feed(in);
  const bool b = feed_chunks(split, in, chunk);
  check(a == b && whole.why() == split.why());

  for (bool explicit_vr : {false, true}) {
    ElementWalker w1(explicit_vr, classify_without_dictionary, 8);
    ElementWalker w2(explicit_vr, classify_without_dictionary, 8);
    const bool x = w1.feed(in);
    const bool y = feed_chunks(w2, in, chunk);
    check(x == y && w1.why() == w2.why() && w1.stopped() == w2.stopped());
    check(!x || w1.max_depth_seen() <= 8);
  }
  return 0;
}
