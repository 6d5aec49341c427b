// SPDX-License-Identifier: Apache-2.0
// The nesting guard in front of DCMTK's recursive parser (CVE-2026-44031): what it cuts, what it
// lets through, and that where the bytes are split changes nothing.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include <pacscan/dicom/nesting_guard.hpp>

using namespace pacscan::dicom;
using Bytes = std::vector<std::uint8_t>;

namespace {

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v));
  put16(b, static_cast<std::uint16_t>(v >> 16));
}
void be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
constexpr std::uint32_t U = 0xFFFFFFFF;

// Implicit VR element header / item header.
Bytes imp(std::uint16_t g, std::uint16_t e, std::uint32_t len) {
  Bytes b;
  put16(b, g);
  put16(b, e);
  put32(b, len);
  return b;
}
Bytes item(std::uint32_t len) { return imp(0xFFFE, 0xE000, len); }
Bytes item_end() { return imp(0xFFFE, 0xE00D, 0); }
Bytes seq_end() { return imp(0xFFFE, 0xE0DD, 0); }
// Explicit VR header: 2-byte length for short VRs, reserved + 4-byte length for the others.
Bytes exp(std::uint16_t g, std::uint16_t e, const char* vr, std::uint32_t len) {
  Bytes b;
  put16(b, g);
  put16(b, e);
  b.push_back(static_cast<std::uint8_t>(vr[0]));
  b.push_back(static_cast<std::uint8_t>(vr[1]));
  const std::string v(vr);
  if (v == "SQ" || v == "OB" || v == "OW" || v == "UN" || v == "UT") {
    put16(b, 0);
    put32(b, len);
  } else {
    put16(b, static_cast<std::uint16_t>(len));
  }
  return b;
}
Bytes value(std::size_t n, std::uint8_t fill = 'A') { return Bytes(n, fill); }

// depth levels of an undefined-length sequence holding an undefined-length item (the attack).
Bytes nested(int depth) {
  Bytes b;
  for (int i = 0; i < depth; ++i) b = cat({b, imp(0x0008, 0x1115, U), item(U)});
  return b;
}
Bytes nested_explicit(int depth) {
  Bytes b;
  for (int i = 0; i < depth; ++i) b = cat({b, exp(0x0008, 0x1115, "SQ", U), item(U)});
  return b;
}

// One message as P-DATA-TF PDUs of at most `max` data bytes per PDV.
Bytes pdata(std::uint8_t pcid, bool command, const Bytes& data, std::size_t max = 16000) {
  Bytes out;
  std::size_t at = 0;
  do {
    const std::size_t n = std::min(max, data.size() - at);
    const bool last = at + n == data.size();
    Bytes pdv;
    be32(pdv, static_cast<std::uint32_t>(n + 2));
    pdv.push_back(pcid);
    pdv.push_back(static_cast<std::uint8_t>((command ? 1 : 0) | (last ? 2 : 0)));
    pdv.insert(pdv.end(), data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + n));
    out.push_back(0x04);
    out.push_back(0x00);
    be32(out, static_cast<std::uint32_t>(pdv.size()));
    out.insert(out.end(), pdv.begin(), pdv.end());
    at += n;
  } while (at < data.size());
  return out;
}

Bytes command_fields() {  // a plausible C-ECHO-RSP command
  return cat({imp(0x0000, 0x0100, 2), {0x30, 0x80}, imp(0x0000, 0x0120, 2), {1, 0},
              imp(0x0000, 0x0800, 2), {0x01, 0x01}, imp(0x0000, 0x0900, 2), {0, 0}});
}

TagKind test_dictionary(std::uint16_t g, std::uint16_t e) {
  if (g == 0x0008 && e == 0x1115) return TagKind::sequence;  // Referenced Series Sequence
  if (g == 0x0040 && e == 0x0100) return TagKind::sequence;  // Scheduled Procedure Step Seq.
  if (g == 0x0010 && e == 0x0010) return TagKind::other;
  return classify_without_dictionary(g, e);
}

bool walk(const Bytes& b, bool explicit_vr = false, int max_depth = 64, std::string* why = nullptr,
          TagClassifier dict = test_dictionary) {
  ElementWalker w(explicit_vr, dict, max_depth);
  const bool ok = w.feed(b);
  if (why) *why = w.why();
  return ok;
}

}  // namespace

TEST_CASE("a command set nested 20,000 deep (the DCMTK crash) is cut, with the reason") {
  PduGuard g;
  const Bytes stream = pdata(1, true, cat({command_fields(), nested(20000)}));
  CHECK(stream.size() > 320000);
  CHECK_FALSE(g.feed(stream));
  CHECK(g.tripped());
  CHECK(g.why().find("command set nested deeper than 64 levels") != std::string::npos);
  CHECK(g.why().find("CVE-2026-44031") != std::string::npos);
  CHECK_FALSE(g.feed(Bytes{0x04}));  // and from then on
}

TEST_CASE("the limit: 64 levels pass, 65 do not; split anywhere, the same answer") {
  CHECK(walk(nested(64)));
  std::string why;
  CHECK_FALSE(walk(nested(65), false, 64, &why));
  CHECK(why == "nested deeper than 64 levels");
  CHECK_FALSE(walk(nested_explicit(65), true));
  CHECK(walk(nested_explicit(64), true));
  const Bytes attack = pdata(3, false, nested(100), 7);  // tiny PDVs
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{13}, std::size_t{4096}}) {
    PduGuard g;
    g.set_context(3, false);
    bool ok = true;
    for (std::size_t at = 0; at < attack.size() && ok; at += chunk) {
      ok = g.feed({attack.data() + at, std::min(chunk, attack.size() - at)});
    }
    CHECK_FALSE(ok);
    CHECK(g.why().find("data set nested deeper than 64 levels") != std::string::npos);
  }
}

TEST_CASE("real data sets pass: nested sequences of every length form, both transfer syntaxes") {
  // Implicit: an SQ of defined length holding an item of defined length, an undefined-length SQ
  // with undefined-length items, values, a worklist-style query.
  const Bytes inner = cat({imp(0x0010, 0x0010, 4), value(4)});
  const Bytes defined_item = cat({item(static_cast<std::uint32_t>(inner.size())), inner});
  const Bytes ds = cat({imp(0x0008, 0x0052, 6), value(6),
                        imp(0x0008, 0x1115, static_cast<std::uint32_t>(defined_item.size())),
                        defined_item,
                        imp(0x0040, 0x0100, U), item(U), inner, item_end(), item(U), item_end(),
                        seq_end(), imp(0x0020, 0x000D, 8), value(8)});
  ElementWalker w(false, test_dictionary, 64);
  CHECK(w.feed(ds));
  CHECK(w.max_depth_seen() == 1);
  CHECK_FALSE(w.stopped());
  // Explicit: SQ undefined in SQ defined.
  const Bytes leaf = cat({exp(0x0010, 0x0010, "PN", 4), value(4)});
  const Bytes lvl2 = cat({exp(0x0040, 0x0100, "SQ", U), item(U), leaf, item_end(), seq_end()});
  const Bytes lvl1_item = cat({item(static_cast<std::uint32_t>(lvl2.size())), lvl2});
  const Bytes eds = cat({exp(0x0008, 0x1115, "SQ", static_cast<std::uint32_t>(lvl1_item.size())),
                         lvl1_item, exp(0x0008, 0x0060, "CS", 2), value(2)});
  ElementWalker e(true, test_dictionary, 64);
  CHECK(e.feed(eds));
  CHECK(e.max_depth_seen() == 2);
}

TEST_CASE("values are skipped unread, whatever their bytes look like") {
  // 100 levels of item headers inside an OB value (Explicit) and a known non-SQ value (Implicit)
  const Bytes fake = nested(100);
  CHECK(walk(cat({exp(0x0009, 0x0010, "OB", static_cast<std::uint32_t>(fake.size())), fake}), true));
  CHECK(walk(cat({imp(0x0010, 0x0010, static_cast<std::uint32_t>(fake.size())), fake})));
  // Encapsulated pixel data: fragments that look nested are fragments.
  const Bytes frag = nested(100);
  const Bytes pixels = cat({exp(0x7FE0, 0x0010, "OB", U), item(0), item(static_cast<std::uint32_t>(frag.size())),
                            frag, seq_end()});
  CHECK(walk(pixels, true));
  CHECK(walk(cat({imp(0x7FE0, 0x0010, U), item(static_cast<std::uint32_t>(frag.size())), frag, seq_end()})));
}

TEST_CASE("a defined-length sequence that ends early on a delimiter is read on, as DCMTK does") {
  // DCMTK reads (0008,1115) as SQ; a sequence delimiter first ends it, and what follows is read as
  // elements of the data set: the nesting hidden there is found.
  const Bytes hidden = nested(100);
  const Bytes v = cat({seq_end(), hidden});
  std::string why;
  CHECK_FALSE(walk(cat({imp(0x0008, 0x1115, static_cast<std::uint32_t>(v.size())), v}), false, 64, &why));
  CHECK(why == "nested deeper than 64 levels");
  // An item that overruns its defined-length sequence: the walk follows the item.
  const Bytes deep = nested(100);
  const Bytes it = cat({item(U), deep});
  CHECK_FALSE(walk(cat({imp(0x0008, 0x1115, 8), it})));
}

TEST_CASE("private values that read as a sequence or not: the same end, or the guard stops") {
  const Bytes inner = cat({imp(0x0010, 0x0010, 4), value(4)});
  const Bytes good = cat({item(static_cast<std::uint32_t>(inner.size())), inner});
  CHECK(walk(cat({imp(0x0029, 0x1010, static_cast<std::uint32_t>(good.size())), good,
                  imp(0x0020, 0x000D, 2), value(2)})));
  // A private value that starts like a sequence but whose item runs past the value's end.
  const Bytes overrun = cat({item(40), inner});
  std::string why;
  CHECK_FALSE(walk(cat({imp(0x0029, 0x1010, static_cast<std::uint32_t>(overrun.size())), overrun,
                        value(64)}),
                   false, 64, &why));
  CHECK(why.find("reads both as a value and as a sequence") != std::string::npos);
  // Ending early on a sequence delimiter diverges too.
  const Bytes early = cat({seq_end(), value(16)});
  CHECK_FALSE(walk(cat({imp(0x0029, 0x1010, static_cast<std::uint32_t>(early.size())), early})));
  // Binary that does not start with an item is a plain value.
  CHECK(walk(cat({imp(0x0029, 0x1010, 16), value(16, 0xFE), imp(0x0020, 0x000D, 2), value(2)})));
}

TEST_CASE("where DCMTK's parse fails, the rest of the message is not walked") {
  // An item tag where an element is expected: DCMTK stops with an error.
  ElementWalker w(false, test_dictionary, 64);
  CHECK(w.feed(cat({item(U), nested(100)})));
  CHECK(w.stopped());
}

TEST_CASE("command sets are bounded; data sets on an unknown context are read both ways") {
  PduGuard big;
  Bytes huge = command_fields();
  for (int i = 0; i < 9000; ++i) huge = cat({huge, imp(0x0000, 0x0902, 0)});
  CHECK(huge.size() > 64 * 1024);
  CHECK_FALSE(big.feed(pdata(1, true, huge)));
  CHECK(big.why().find("command set larger than 65536 bytes") != std::string::npos);

  PduGuard unknown;  // no set_context: an Explicit VR attack is still seen
  CHECK_FALSE(unknown.feed(pdata(5, false, nested_explicit(100))));
  PduGuard told;  // the context is Implicit VR: the same bytes are SQ headers DCMTK reads as values
  told.set_context(5, false);
  CHECK(told.feed(pdata(5, false, nested_explicit(100))));
}

TEST_CASE("PDUs other than P-DATA and malformed P-DATA are not walked") {
  PduGuard g;
  Bytes ac = {0x02, 0x00};
  be32(ac, 1000);
  Bytes body = nested(60);
  body.resize(1000, 0);
  CHECK(g.feed(cat({ac, body})));
  // PDV lengths that do not add up: DCMTK refuses the PDU whole.
  Bytes bad = {0x04, 0x00};
  be32(bad, 10);
  be32(bad, 5000);  // PDV length larger than the PDU
  bad.insert(bad.end(), {1, 0x03, 0, 0, 0, 0});
  CHECK(g.feed(bad));
  CHECK(g.feed(pdata(1, true, command_fields())));
  CHECK_FALSE(g.tripped());
}
