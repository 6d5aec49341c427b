// SPDX-License-Identifier: Apache-2.0
#pragma once
// A guard against deeply nested DICOM data sets, in front of DCMTK 3.6.7, whose parser recurses
// without bound on nested sequences (CVE-2026-44031, DCMTK #1191: about 10,000 levels, 160 KB,
// end the process with SIGSEGV, before any DIMSE check). The DICOM transport feeds it every byte
// received on a connection (after TLS decryption) before DCMTK sees them; when it says stop, the
// connection is cut and DCMTK sees a closed connection instead of the message.
//
// PduGuard follows the PDU stream: PDU headers, and inside P-DATA-TF the PDV items with their
// message control header, one fragment stream per presentation context and per command / data
// set. ElementWalker walks one such stream element header by element header, as DCMTK's
// DcmItem / DcmSequenceOfItems would read it (Implicit or Explicit VR Little Endian, the only
// transfer syntaxes pacscan proposes or accepts), and tracks how many sequences are open.
// Pure and bounded: a fixed stack, a few bytes of header buffer, no allocation per byte.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace pacscan::dicom {

// How DCMTK's data dictionary sees a tag, which Implicit VR needs (Explicit VR carries the VR).
enum class TagKind : std::uint8_t {
  other,       // a known tag that is not a sequence
  sequence,    // VR SQ in the dictionary
  pixel,       // Pixel Data / Overlay Data: undefined length holds fragments, not items
  unknown,     // not in the dictionary (DCMTK reads it as UN)
  creator,     // a private tag whose VR depends on its private creator: either way
};
using TagClassifier = TagKind (*)(std::uint16_t group, std::uint16_t element);
// Without a dictionary: pixel data and overlays known, every other public tag unknown, private
// tags creator-dependent. Conservative for the guard (tests, fuzzing).
TagKind classify_without_dictionary(std::uint16_t group, std::uint16_t element);

struct GuardLimits {
  int max_depth = 64;                        // nested sequences (real objects rarely exceed 10)
  std::size_t max_command = 64 * 1024;       // bytes of one command set (real ones: under 1 KB)
};

// One fragment stream (a command set or a data set), element header by element header.
class ElementWalker {
 public:
  ElementWalker(bool explicit_vr, TagClassifier classify, int max_depth);
  // False once the stream must not reach DCMTK; why() says what it held.
  bool feed(std::span<const std::uint8_t> bytes);
  const std::string& why() const { return m_why; }
  int max_depth_seen() const { return m_max_seen; }
  bool stopped() const { return m_done; }  // DCMTK's parse ends here: the rest is not walked

 private:
  enum class Kind : std::uint8_t { item, sequence, pixels };
  struct Level {
    Kind kind;
    bool explicit_vr;   // of the items' contents (sequence) or of the item's elements
    bool undefined;     // no length: ends at its delimiter
    bool speculative;   // a private value read as a sequence: must end exactly at `end`
    std::uint64_t end;  // absolute offset of the first byte after it (defined length)
  };
  bool header_complete();  // acts on m_hdr; false when a limit is crossed
  bool push(Level l);
  bool trip(std::string why);
  void stop();             // DCMTK would fail here: the live reading ends
  std::size_t header_size() const;

  TagClassifier m_classify;
  int m_max_depth;
  std::array<Level, 160> m_stack{};
  std::size_t m_size = 0;
  int m_depth = 0;  // open sequences
  int m_max_seen = 0;
  std::uint64_t m_pos = 0;   // bytes consumed
  std::uint64_t m_skip = 0;  // value bytes still to skip
  std::array<std::uint8_t, 12> m_hdr{};
  std::size_t m_have = 0;
  bool m_done = false;     // nothing more to walk in this stream
  bool m_tripped = false;
  std::string m_why;
};

// The bytes one connection receives.
class PduGuard {
 public:
  explicit PduGuard(GuardLimits limits = {}, TagClassifier classify = classify_without_dictionary);
  // The accepted transfer syntax of a presentation context (set once the association is
  // negotiated). A context the guard was not told about is walked both ways.
  void set_context(std::uint8_t pcid, bool explicit_vr);
  // False once the stream must not reach DCMTK (and from then on): why() says why, in words
  // for the observation.
  bool feed(std::span<const std::uint8_t> bytes);
  bool tripped() const { return !m_why.empty(); }
  const std::string& why() const { return m_why; }

 private:
  // The message being received on one presentation context, command or data set. DCMTK itself
  // refuses messages interleaved across contexts, so a handful of slots is plenty.
  struct Stream {
    bool open = false;
    std::uint8_t pcid = 0;
    bool command = false;
    bool both = false;  // transfer syntax unknown: walked as implicit (a) and explicit (b)
    std::size_t bytes = 0;
    ElementWalker a{false, nullptr, 0}, b{true, nullptr, 0};
  };
  bool fragment(std::uint8_t pcid, std::uint8_t mch, std::span<const std::uint8_t> data);
  Stream* stream(std::uint8_t pcid, bool command);
  bool trip(std::string why);

  GuardLimits m_limits;
  TagClassifier m_classify;
  std::array<std::int8_t, 256> m_ts{};  // per context: -1 unknown, 0 implicit, 1 explicit
  std::array<Stream, 4> m_streams{};
  // PDU state
  std::array<std::uint8_t, 6> m_pdu_hdr{};
  std::size_t m_pdu_have = 0;
  std::uint64_t m_pdu_left = 0;  // body bytes of the current PDU still to come
  bool m_pdata = false;
  bool m_pdu_bad = false;        // PDV lengths do not add up: DCMTK refuses the PDU itself
  std::array<std::uint8_t, 6> m_pdv_hdr{};
  std::size_t m_pdv_have = 0;
  std::uint64_t m_pdv_left = 0;  // data bytes of the current PDV still to come
  std::uint8_t m_pdv_pc = 0, m_pdv_mch = 0;
  std::string m_why;
};

}  // namespace pacscan::dicom
