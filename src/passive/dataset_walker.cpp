// Data-set element walker of the passive reader (see dataset_walker.hpp).
#include "dataset_walker.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "dicom_tables.hpp"
#include "pdu_reader.hpp"
#include "wire.hpp"

namespace pacscan::passive {
namespace {
constexpr std::uint32_t k_undefined_length = 0xFFFFFFFFu;
}  // namespace

Syntax syntax_of(const std::string& ts) {
  if (ts.empty()) return Syntax::guess;
  if (ts == "1.2.840.10008.1.2") return Syntax::implicit_le;
  if (ts == "1.2.840.10008.1.2.2") return Syntax::explicit_be;
  if (ts == "1.2.840.10008.1.2.1.99") return Syntax::unreadable;  // deflated
  return Syntax::explicit_le;  // Explicit VR LE and every encapsulated (compressed) syntax
}

void DatasetWalker::start(Syntax syntax) {
  *this = DatasetWalker{};
  m_syntax = syntax;
}

std::uint16_t DatasetWalker::u16(const std::uint8_t* p) const {
  return big() ? be16(p) : le16(p);
}
std::uint32_t DatasetWalker::u32(const std::uint8_t* p) const {
  return big() ? be32(p) : le32(p);
}

void DatasetWalker::feed(const std::uint8_t* p, std::size_t n, std::uint64_t& work) {
  while (n > 0) {
    if (m_syntax == Syntax::unreadable) return;
    if (m_scan) {
      scan(p, n, work);
      return;
    }
    ++work;
    if (m_skip > 0) {
      const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(m_skip, n));
      m_skip -= k;
      p += k;
      n -= k;
      continue;
    }
    const std::size_t need = header_size();
    const std::size_t k = std::min(need - m_hdr_len, n);
    std::memcpy(m_hdr.data() + m_hdr_len, p, k);
    m_hdr_len += k;
    p += k;
    n -= k;
    if (m_hdr_len == header_size()) element();
  }
}

// Bytes of the current element header: 6 until the VR is known, then 8 or 12.
std::size_t DatasetWalker::header_size() {
  if (m_hdr_len < 6) return 6;
  if (m_syntax == Syntax::guess) {
    // First element of a data set with no negotiated syntax: a VR there means explicit.
    m_syntax = valid_vr(m_hdr.data() + 4) ? Syntax::explicit_le : Syntax::implicit_le;
  }
  if (!is_explicit() || u16(m_hdr.data()) == 0xFFFE) return 8;
  return long_vr(m_hdr.data() + 4) ? 12 : 8;
}

void DatasetWalker::lost() {
  m_scan = true;
  m_win_len = 0;
}

void DatasetWalker::note(std::uint16_t g, std::uint16_t e) {
  if (!is_phi_tag(g, e)) return;
  const std::uint32_t tag = (std::uint32_t{g} << 16) | e;
  if (m_tags.size() >= k_max_tags) {
    if (!m_tags.contains(tag)) m_overflow = true;
    return;
  }
  m_tags.insert(tag);
}

void DatasetWalker::element() {
  const std::uint8_t* h = m_hdr.data();
  const std::size_t size = m_hdr_len;
  m_hdr_len = 0;
  const std::uint16_t g = u16(h), e = u16(h + 2);
  const std::uint32_t tag = (std::uint32_t{g} << 16) | e;
  if (g == 0xFFFE) {
    const std::uint32_t len = u32(h + 4);
    if (e == 0xE000 && m_depth > 0) {
      if (len == k_undefined_length) {
        if (++m_depth > k_max_depth) return lost();
      } else {
        m_skip = len;
      }
      return;
    }
    if ((e == 0xE00D || e == 0xE0DD) && m_depth > 0 && len == 0) {
      --m_depth;
      return;
    }
    return lost();
  }
  std::uint32_t len = 0;
  bool may_be_undefined = true;
  if (is_explicit()) {
    if (!valid_vr(h + 4)) return lost();
    len = size == 12 ? u32(h + 8) : u16(h + 6);
    const std::string_view vr(reinterpret_cast<const char*>(h + 4), 2);
    may_be_undefined = vr == "SQ" || vr == "OB" || vr == "OW";
  } else {
    len = u32(h + 4);
  }
  if (m_depth == 0) {
    if (m_seen_any && tag <= m_last_tag) return lost();
    m_seen_any = true;
    m_last_tag = tag;
  }
  if (len == k_undefined_length) {
    if (!may_be_undefined || ++m_depth > k_max_depth) return lost();
    if (m_depth == 1) note(g, e);
    return;
  }
  if (len % 2 != 0) return lost();
  if (m_depth == 0 && len > 0) note(g, e);
  m_skip = len;
}

// Conservative scan: a PHI tag followed by its VR (explicit or unknown syntax) or by a small
// even length (implicit). Little-endian only.
void DatasetWalker::scan(const std::uint8_t* p, std::size_t n, std::uint64_t& work) {
  work += n;
  for (std::size_t i = 0; i < n; ++i) {
    if (m_win_len == m_win.size()) {
      std::memmove(m_win.data(), m_win.data() + 1, m_win.size() - 1);
      --m_win_len;
    }
    m_win[m_win_len++] = p[i];
    if (m_win_len < m_win.size()) continue;
    const std::uint16_t g = le16(m_win.data()), e = le16(m_win.data() + 2);
    if (g != 0x0008 && g != 0x0010 && g != 0x0032 && g != 0x0040) continue;
    const PhiTag* t = find_phi(g, e);
    if (!t) continue;
    const bool vr_match = std::memcmp(m_win.data() + 4, t->vr, 2) == 0;
    const std::uint32_t ilen = le32(m_win.data() + 4);
    const bool implicit_match = ilen > 0 && ilen < 4096 && ilen % 2 == 0;
    bool hit = false;
    if (m_syntax == Syntax::implicit_le) {
      hit = implicit_match;
    } else if (is_explicit()) {
      hit = vr_match;
    } else {
      hit = vr_match || implicit_match;
    }
    if (hit) note(g, e);
  }
}

}  // namespace pacscan::passive
