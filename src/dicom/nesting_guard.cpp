// SPDX-License-Identifier: Apache-2.0
// See nesting_guard.hpp. The reading rules follow DCMTK 3.6.7's DcmItem::readTagAndLength,
// DcmItem::newDicomElement / readSubElement and DcmSequenceOfItems::read / makeSubObject with
// their default options (CP-246 on, no unknown-VR conversion, no parsing-error tolerance):
// - in an item (or the data set): (FFFE,E00D) ends the item (the data set: DCMTK stops reading);
//   (FFFE,E000) or (FFFE,E0DD) there is a parse error. Explicit VR: the VR decides the length
//   field (4 bytes after 2 reserved for OB OD OF OL OV OW SQ SV UC UR UT UV UN, and for unknown
//   VRs of two capital letters; 2 bytes otherwise; "na" and "pi" are parse errors).
// - in a sequence: (FFFE,E000) opens an item, (FFFE,E0DD) ends the sequence (also a defined-
//   length one), anything else is a parse error. Items are read with the sequence's transfer
//   syntax (Implicit VR for UN sequences, CP-246).
// - a defined-length item or sequence ends at the first header that starts at or after its end
//   (DCMTK checks its length only between children, so a child may overrun it).
// - what is a sequence: VR SQ (Explicit), the dictionary's SQ (Implicit), any undefined-length
//   element except pixel data (conservative: DCMTK reads some of those as values or fails), and
//   a private Implicit VR value whose VR depends on its private creator, when it starts with an
//   item: read as a sequence that must end exactly at the value's end, or the two readings
//   diverge and the guard stops (speculative).
// A parse error means DCMTK stops reading the message: the walk stops too (inside a speculative
// sequence, the walk goes on as if the value was a plain value).
#include <pacscan/dicom/nesting_guard.hpp>

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

namespace pacscan::dicom {
namespace {

constexpr std::uint32_t k_undefined = 0xFFFFFFFF;
constexpr std::uint16_t k_item_group = 0xFFFE;
constexpr std::uint16_t k_item = 0xE000, k_item_end = 0xE00D, k_seq_end = 0xE0DD;

std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

bool is_delimiter(std::uint16_t g, std::uint16_t e) {
  return g == k_item_group && (e == k_item || e == k_item_end || e == k_seq_end);
}

// DCMTK's DcmVR(const char*): the VRs it knows by name (not internal), else "unknown" with a
// 4-byte length when both characters are capital letters, a 2-byte one otherwise.
enum class Vr : std::uint8_t { short_len, long_len, sq, un, unknown_long, unknown_short, obow, oxpx, na, pi };
Vr vr_of(char a, char b) {
  const char name[2] = {a, b};
  const std::string_view v(name, 2);
  static constexpr std::string_view k_short[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL",
                                                 "FD", "IS", "LO", "LT", "PN", "SH", "SL", "SS",
                                                 "ST", "TM", "UI", "UL", "US", "xs", "up"};
  static constexpr std::string_view k_long[] = {"OD", "OF", "OL", "OV", "SV", "UC", "UR", "UT",
                                                "UV", "lt"};
  if (v == "SQ") return Vr::sq;
  if (v == "UN") return Vr::un;
  if (v == "OB" || v == "OW") return Vr::obow;
  if (v == "ox" || v == "px") return Vr::oxpx;
  if (v == "na") return Vr::na;
  if (v == "pi") return Vr::pi;
  if (std::find(std::begin(k_short), std::end(k_short), v) != std::end(k_short)) return Vr::short_len;
  if (std::find(std::begin(k_long), std::end(k_long), v) != std::end(k_long)) return Vr::long_len;
  if (a == '?' && b == '?') return Vr::unknown_short;
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return Vr::unknown_short;
  return Vr::unknown_long;
}

bool extended(Vr v) {
  return v == Vr::long_len || v == Vr::sq || v == Vr::un || v == Vr::unknown_long ||
         v == Vr::obow || v == Vr::oxpx;
}

bool pixel_tag(std::uint16_t g, std::uint16_t e) {
  return (g == 0x7FE0 && e == 0x0010) || (g >= 0x6000 && g <= 0x601E && !(g & 1) && e == 0x3000);
}

}  // namespace

TagKind classify_without_dictionary(std::uint16_t group, std::uint16_t element) {
  if (pixel_tag(group, element)) return TagKind::pixel;
  if ((group & 1) && element >= 0x1000) return TagKind::creator;
  return TagKind::unknown;
}

// ---- ElementWalker ----

ElementWalker::ElementWalker(bool explicit_vr, TagClassifier classify, int max_depth)
    : m_classify(classify ? classify : classify_without_dictionary),
      m_max_depth(std::max(1, max_depth)) {
  m_stack[0] = Level{Kind::item, explicit_vr, true, false, 0};
  m_size = 1;
}

bool ElementWalker::trip(std::string why) {
  m_tripped = true;
  m_done = true;
  m_why = std::move(why);
  return false;
}

bool ElementWalker::push(Level l) {
  if (m_size == m_stack.size()) {
    return trip(fmt::format("nested deeper than {} levels", m_max_depth));
  }
  m_stack[m_size++] = l;
  if (l.kind == Kind::sequence) {
    ++m_depth;
    m_max_seen = std::max(m_max_seen, m_depth);
    if (m_depth > m_max_depth) return trip(fmt::format("nested deeper than {} levels", m_max_depth));
  }
  return true;
}

void ElementWalker::stop() {
  // Inside a private value read as a sequence, DCMTK's other reading (a plain value) goes on
  // after it: so does the walk.
  for (std::size_t i = m_size; i-- > 1;) {
    if (m_stack[i].speculative) {
      const std::uint64_t end = m_stack[i].end;
      while (m_size > i) {
        if (m_stack[m_size - 1].kind == Kind::sequence) --m_depth;
        --m_size;
      }
      m_skip = end > m_pos ? end - m_pos : 0;
      return;
    }
  }
  m_done = true;
}

std::size_t ElementWalker::header_size() const {
  if (m_have < 4) return 4;
  const Level& top = m_stack[m_size - 1];
  if (top.kind != Kind::item) return 8;
  const std::uint16_t g = le16(&m_hdr[0]), e = le16(&m_hdr[2]);
  if (is_delimiter(g, e) || !top.explicit_vr) return 8;
  if (m_have < 6) return 6;
  const Vr v = vr_of(static_cast<char>(m_hdr[4]), static_cast<char>(m_hdr[5]));
  if (v == Vr::na) return 10;  // a 4-byte length right after the VR
  return extended(v) ? 12 : 8;
}

bool ElementWalker::header_complete() {
  const std::uint16_t g = le16(&m_hdr[0]), e = le16(&m_hdr[2]);
  const Level top = m_stack[m_size - 1];
  // A speculative sequence must not be overrun by anything read inside it.
  const auto within = [&](std::uint64_t upto) {
    for (std::size_t i = 1; i < m_size; ++i) {
      if (m_stack[i].speculative && upto > m_stack[i].end) return false;
    }
    return true;
  };
  const auto diverged = [&] {
    return trip("a private element that reads both as a value and as a sequence, with "
                "different ends");
  };
  if (!within(m_pos)) return diverged();

  if (top.kind == Kind::sequence || top.kind == Kind::pixels) {
    const std::uint32_t len = le32(&m_hdr[4]);
    if (g == k_item_group && e == k_item) {
      if (top.kind == Kind::pixels) {  // a fragment: never parsed as elements
        if (len == k_undefined) {
          stop();
          return true;
        }
        if (!within(m_pos + len)) return diverged();
        m_skip = len;
        return true;
      }
      const bool undefined = len == k_undefined;
      if (!undefined && !within(m_pos + len)) return diverged();
      return push(Level{Kind::item, top.explicit_vr, undefined, false, m_pos + (undefined ? 0 : len)});
    }
    if (g == k_item_group && e == k_seq_end) {
      if (top.speculative && m_pos != top.end) return diverged();
      if (top.kind == Kind::sequence) --m_depth;
      --m_size;
      return true;
    }
    stop();  // (FFFE,E00D) or any other tag where an item is expected: DCMTK fails here
    return true;
  }

  // In an item or the data set.
  if (g == k_item_group && e == k_item_end) {
    if (m_size == 1) {
      m_done = true;  // DCMTK ends the data set here and reads nothing more of it
      return true;
    }
    --m_size;  // the item ends, whatever its length said
    return true;
  }
  if (g == k_item_group && (e == k_item || e == k_seq_end)) {
    stop();
    return true;
  }
  std::uint32_t len = 0;
  Vr vr = Vr::short_len;
  if (top.explicit_vr) {
    vr = vr_of(static_cast<char>(m_hdr[4]), static_cast<char>(m_hdr[5]));
    if (vr == Vr::na || vr == Vr::pi) {  // DCMTK: invalid tag / illegal call
      stop();
      return true;
    }
    len = vr == Vr::na ? le32(&m_hdr[6]) : extended(vr) ? le32(&m_hdr[8]) : le16(&m_hdr[6]);
  } else {
    len = le32(&m_hdr[4]);
  }
  const bool undefined = len == k_undefined;
  const TagKind kind = top.explicit_vr ? TagKind::other : m_classify(g, e);
  auto sequence = [&](bool items_explicit, bool speculative) {
    return push(Level{Kind::sequence, items_explicit, undefined, speculative,
                      m_pos + (undefined ? 0 : len)});
  };
  if (undefined) {
    if (top.explicit_vr) {
      if (vr == Vr::sq) return sequence(true, false);
      if (vr == Vr::un || vr == Vr::unknown_long) return sequence(false, false);  // CP-246
      if ((vr == Vr::obow || vr == Vr::oxpx) && (pixel_tag(g, e) || vr == Vr::oxpx || (g & 1))) {
        return push(Level{Kind::pixels, true, true, false, 0});
      }
      return sequence(true, false);  // DCMTK fails or reads a value: a sequence is the safe side
    }
    if (kind == TagKind::pixel) return push(Level{Kind::pixels, false, true, false, 0});
    return sequence(false, false);
  }
  if (!within(m_pos + len)) return diverged();
  if (top.explicit_vr ? vr == Vr::sq : kind == TagKind::sequence) {
    return sequence(top.explicit_vr, false);
  }
  if (!top.explicit_vr && kind == TagKind::creator && len >= 8) return sequence(false, true);
  m_skip = len;
  return true;
}

bool ElementWalker::feed(std::span<const std::uint8_t> bytes) {
  if (m_tripped) return false;
  std::size_t i = 0;
  while (i < bytes.size() && !m_done) {
    if (m_skip > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(m_skip, bytes.size() - i));
      m_skip -= n;
      m_pos += n;
      i += n;
      continue;
    }
    if (m_have == 0) {
      // The loop head of the innermost level: a defined-length one whose bytes are read ends.
      while (m_size > 1) {
        const Level& t = m_stack[m_size - 1];
        if (t.undefined || m_pos < t.end) break;
        if (t.speculative && m_pos != t.end) {
          return trip("a private element that reads both as a value and as a sequence, with "
                      "different ends");
        }
        if (t.kind == Kind::sequence) --m_depth;
        --m_size;
      }
    }
    std::size_t want = header_size();
    while (m_have < want && i < bytes.size()) {
      m_hdr[m_have++] = bytes[i++];
      ++m_pos;
      want = header_size();
    }
    if (m_have < want) break;
    m_have = 0;
    if (!header_complete()) return false;
  }
  return !m_tripped;
}

// ---- PduGuard ----

PduGuard::PduGuard(GuardLimits limits, TagClassifier classify)
    : m_limits(limits), m_classify(classify ? classify : classify_without_dictionary) {
  m_ts.fill(-1);
}

void PduGuard::set_context(std::uint8_t pcid, bool explicit_vr) { m_ts[pcid] = explicit_vr ? 1 : 0; }

bool PduGuard::trip(std::string why) {
  if (m_why.empty()) m_why = std::move(why);
  return false;
}

PduGuard::Stream* PduGuard::stream(std::uint8_t pcid, bool command) {
  for (auto& s : m_streams) {
    if (s.open && s.pcid == pcid && s.command == command) return &s;
  }
  for (auto& s : m_streams) {
    if (!s.open) {
      s.open = true;
      s.pcid = pcid;
      s.command = command;
      s.bytes = 0;
      // Command sets are always Implicit VR Little Endian (PS3.7 6.3.1).
      const bool known = command || m_ts[pcid] >= 0;
      s.both = !known;
      s.a = ElementWalker(command ? false : m_ts[pcid] == 1, m_classify, m_limits.max_depth);
      if (s.both) s.b = ElementWalker(true, m_classify, m_limits.max_depth);
      return &s;
    }
  }
  return nullptr;
}

bool PduGuard::fragment(std::uint8_t pcid, std::uint8_t mch, std::span<const std::uint8_t> data) {
  const bool command = mch & 0x01;
  Stream* s = stream(pcid, command);
  if (!s) return trip("the peer sent fragments of more than four messages at once");
  const char* what = command ? "command set" : "data set";
  s->bytes += data.size();
  if (command && s->bytes > m_limits.max_command) {
    return trip(fmt::format("the peer sent a command set larger than {} bytes: cut before DCMTK "
                            "parses it (real ones are under 1 KB)",
                            m_limits.max_command));
  }
  for (ElementWalker* w : {&s->a, s->both ? &s->b : nullptr}) {
    if (w && !w->feed(data)) {
      return trip(fmt::format("the peer sent a {} {}: cut before DCMTK parses it (DCMTK 3.6.7 "
                              "recurses without bound: CVE-2026-44031)",
                              what, w->why()));
    }
  }
  return true;
}

bool PduGuard::feed(std::span<const std::uint8_t> bytes) {
  if (!m_why.empty()) return false;
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (m_pdu_have < 6) {  // PDU header: type, reserved, length (big endian)
      m_pdu_hdr[m_pdu_have++] = bytes[i++];
      if (m_pdu_have < 6) continue;
      m_pdu_left = be32(&m_pdu_hdr[2]);
      m_pdata = m_pdu_hdr[0] == 0x04;
      m_pdu_bad = false;
      m_pdv_have = 0;
      m_pdv_left = 0;
      if (m_pdu_left == 0) m_pdu_have = 0;
      continue;
    }
    const std::size_t avail = bytes.size() - i;
    if (!m_pdata || m_pdu_bad) {  // not P-DATA, or a P-DATA DCMTK refuses whole: not parsed
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(m_pdu_left, avail));
      i += n;
      m_pdu_left -= n;
    } else if (m_pdv_left > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(m_pdv_left, avail));
      m_pdv_left -= n;
      m_pdu_left -= n;
      const bool end = m_pdv_left == 0;
      // The last-fragment bit counts once the PDV's bytes are all in.
      if (!fragment(m_pdv_pc, end ? m_pdv_mch : (m_pdv_mch & 0x01), bytes.subspan(i, n))) {
        return false;
      }
      i += n;
      if (end && (m_pdv_mch & 0x02)) {
        for (auto& s : m_streams) {
          if (s.open && s.pcid == m_pdv_pc && s.command == bool(m_pdv_mch & 0x01)) s.open = false;
        }
      }
    } else {  // PDV item header: length (big endian), context ID, message control header
      m_pdv_hdr[m_pdv_have++] = bytes[i++];
      --m_pdu_left;
      if (m_pdv_have == 6) {
        m_pdv_have = 0;
        const std::uint32_t len = be32(&m_pdv_hdr[0]);
        if (len < 2 || len - 2 > m_pdu_left) {
          m_pdu_bad = true;  // "PDV lengths don't add up": DCMTK drops the PDU unparsed
        } else {
          m_pdv_pc = m_pdv_hdr[4];
          m_pdv_mch = m_pdv_hdr[5];
          m_pdv_left = len - 2;
          if (m_pdv_left == 0) {
            if (!fragment(m_pdv_pc, m_pdv_mch, {})) return false;
            if (m_pdv_mch & 0x02) {
              for (auto& s : m_streams) {
                if (s.open && s.pcid == m_pdv_pc && s.command == bool(m_pdv_mch & 0x01)) {
                  s.open = false;
                }
              }
            }
          }
        }
      } else if (m_pdu_left == 0) {
        m_pdu_bad = true;  // a PDV header cut by the PDU's end
      }
    }
    if (m_pdu_left == 0 && m_pdu_have == 6) m_pdu_have = 0;  // next PDU
  }
  return true;
}

}  // namespace pacscan::dicom
