// Incremental DICOM upper-layer reader (see pdu_reader.hpp). Three layers, each a small state
// machine that keeps only what it must across chunk boundaries:
//   PduStream      one direction: 6-byte PDU header, then a buffered body (association PDUs,
//                  capped) or streamed PDV items (P-DATA-TF);
//   message layer  command-set fragments buffered (capped) and parsed as Implicit VR LE;
//                  data-set fragments streamed into a DatasetWalker;
//   DatasetWalker  element headers only; values are skipped by count, never copied.
#include "pdu_reader.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <string_view>

#include <fmt/format.h>

namespace pacscan::passive {
namespace {

constexpr std::uint32_t k_undefined_length = 0xFFFFFFFFu;
constexpr std::string_view k_app_context = "1.2.840.10008.3.1.1.1";
constexpr std::size_t k_rq_fixed = 68;  // protocol version .. reserved (PS3.8 Table 9-11)
constexpr int k_max_depth = 32;         // nested sequences / items followed
constexpr std::size_t k_max_statuses = 16;
constexpr std::size_t k_max_contexts = 256;
constexpr std::size_t k_max_uid = 64;

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}
std::uint16_t le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

// AE titles and UIDs are device-controlled: printable ASCII only, padding trimmed, capped.
std::string clean_text(const std::uint8_t* p, std::size_t n, std::size_t cap) {
  std::string s;
  for (std::size_t i = 0; i < n && s.size() < cap; ++i) {
    const auto c = static_cast<char>(p[i]);
    s.push_back(p[i] >= 0x20 && p[i] < 0x7F ? c : (p[i] == 0 ? ' ' : '?'));
  }
  const auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

// A UID: digits and dots only (anything else becomes '?'), padding removed.
std::string clean_uid(const std::uint8_t* p, std::size_t n) {
  std::string s = clean_text(p, n, k_max_uid);
  for (char& c : s) {
    if (!((c >= '0' && c <= '9') || c == '.')) c = '?';
  }
  return s;
}

// AE title characters: ISO 646 G0 without backslash, or padding.
bool ae_char_ok(std::uint8_t c) {
  return (c >= 0x20 && c < 0x7F && c != '\\') || c == 0;
}

// ---- patient-identifying attributes ----

struct PhiTag {
  std::uint16_t group, element;
  const char* name;
  const char* vr;
};

constexpr std::array<PhiTag, 40> k_phi_tags{{
    {0x0008, 0x0050, "AccessionNumber", "SH"},
    {0x0008, 0x0080, "InstitutionName", "LO"},
    {0x0008, 0x0081, "InstitutionAddress", "ST"},
    {0x0008, 0x0090, "ReferringPhysicianName", "PN"},
    {0x0008, 0x0092, "ReferringPhysicianAddress", "ST"},
    {0x0008, 0x0094, "ReferringPhysicianTelephoneNumbers", "SH"},
    {0x0008, 0x1048, "PhysiciansOfRecord", "PN"},
    {0x0008, 0x1050, "PerformingPhysicianName", "PN"},
    {0x0008, 0x1060, "NameOfPhysiciansReadingStudy", "PN"},
    {0x0008, 0x1070, "OperatorsName", "PN"},
    {0x0010, 0x0010, "PatientName", "PN"},
    {0x0010, 0x0020, "PatientID", "LO"},
    {0x0010, 0x0021, "IssuerOfPatientID", "LO"},
    {0x0010, 0x0030, "PatientBirthDate", "DA"},
    {0x0010, 0x0032, "PatientBirthTime", "TM"},
    {0x0010, 0x0040, "PatientSex", "CS"},
    {0x0010, 0x1000, "OtherPatientIDs", "LO"},
    {0x0010, 0x1001, "OtherPatientNames", "PN"},
    {0x0010, 0x1002, "OtherPatientIDsSequence", "SQ"},
    {0x0010, 0x1005, "PatientBirthName", "PN"},
    {0x0010, 0x1010, "PatientAge", "AS"},
    {0x0010, 0x1020, "PatientSize", "DS"},
    {0x0010, 0x1030, "PatientWeight", "DS"},
    {0x0010, 0x1040, "PatientAddress", "LO"},
    {0x0010, 0x1060, "PatientMotherBirthName", "PN"},
    {0x0010, 0x2154, "PatientTelephoneNumbers", "SH"},
    {0x0010, 0x2160, "EthnicGroup", "SH"},
    {0x0010, 0x21B0, "AdditionalPatientHistory", "LT"},
    {0x0010, 0x4000, "PatientComments", "LT"},
    {0x0032, 0x1032, "RequestingPhysician", "PN"},
    {0x0032, 0x1033, "RequestingService", "LO"},
    {0x0032, 0x1060, "RequestedProcedureDescription", "LO"},
    {0x0040, 0x0006, "ScheduledPerformingPhysicianName", "PN"},
    {0x0040, 0x0100, "ScheduledProcedureStepSequence", "SQ"},
    {0x0040, 0x0244, "PerformedProcedureStepStartDate", "DA"},
    {0x0040, 0x0253, "PerformedProcedureStepID", "SH"},
    {0x0040, 0x1001, "RequestedProcedureID", "SH"},
    {0x0040, 0x2016, "PlacerOrderNumberImagingServiceRequest", "LO"},
    {0x0040, 0x2017, "FillerOrderNumberImagingServiceRequest", "LO"},
    {0x0040, 0xA123, "PersonName", "PN"},
}};

const PhiTag* find_phi(std::uint16_t g, std::uint16_t e) {
  for (const auto& t : k_phi_tags) {
    if (t.group == g && t.element == e) return &t;
  }
  return nullptr;
}

constexpr std::array<std::string_view, 34> k_vrs{
    "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT",
    "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
    "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};

bool valid_vr(const std::uint8_t* p) {
  const std::string_view vr(reinterpret_cast<const char*>(p), 2);
  return std::find(k_vrs.begin(), k_vrs.end(), vr) != k_vrs.end();
}

// VRs with a 2-byte reserved field and a 4-byte length (PS3.5 Table 7.1-1).
bool long_vr(const std::uint8_t* p) {
  const std::string_view vr(reinterpret_cast<const char*>(p), 2);
  for (std::string_view l :
       {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"}) {
    if (vr == l) return true;
  }
  return false;
}

// ---- data sets ----

enum class Syntax { implicit_le, explicit_le, explicit_be, guess, unreadable };

Syntax syntax_of(const std::string& ts) {
  if (ts.empty()) return Syntax::guess;
  if (ts == "1.2.840.10008.1.2") return Syntax::implicit_le;
  if (ts == "1.2.840.10008.1.2.2") return Syntax::explicit_be;
  if (ts == "1.2.840.10008.1.2.1.99") return Syntax::unreadable;  // deflated
  return Syntax::explicit_le;  // Explicit VR LE and every encapsulated (compressed) syntax
}

// Follows element headers of one data set as it streams past. Notes which patient-identifying
// tags carry a value (length > 0) at the top level; skips every value by count. When the stream
// stops making sense (bad VR, tags going backwards, odd length, stray delimiter) it falls back to a
// conservative scan: every later position where a known PHI tag header could start counts.
class DatasetWalker {
 public:
  void start(Syntax syntax) {
    *this = DatasetWalker{};
    m_syntax = syntax;
  }
  bool scanned() const { return m_scan; }
  bool unreadable() const { return m_syntax == Syntax::unreadable; }

  void feed(const std::uint8_t* p, std::size_t n, std::set<std::uint32_t>& tags) {
    while (n > 0) {
      if (m_syntax == Syntax::unreadable) return;
      if (m_scan) {
        scan(p, n, tags);
        return;
      }
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
      if (m_hdr_len == header_size()) element(tags);
    }
  }

 private:
  bool big() const { return m_syntax == Syntax::explicit_be; }
  std::uint16_t u16(const std::uint8_t* p) const { return big() ? be16(p) : le16(p); }
  std::uint32_t u32(const std::uint8_t* p) const { return big() ? be32(p) : le32(p); }
  bool is_explicit() const {
    return m_syntax == Syntax::explicit_le || m_syntax == Syntax::explicit_be;
  }

  // Bytes of the current element header: 6 until the VR is known, then 8 or 12.
  std::size_t header_size() {
    if (m_hdr_len < 6) return 6;
    if (m_syntax == Syntax::guess) {
      // First element of a data set with no negotiated syntax: a VR there means explicit.
      m_syntax = valid_vr(m_hdr.data() + 4) ? Syntax::explicit_le : Syntax::implicit_le;
    }
    if (!is_explicit() || u16(m_hdr.data()) == 0xFFFE) return 8;
    return long_vr(m_hdr.data() + 4) ? 12 : 8;
  }

  void lost() {
    m_scan = true;
    m_win_len = 0;
  }

  void note(std::uint16_t g, std::uint16_t e, std::set<std::uint32_t>& tags) {
    if (is_phi_tag(g, e)) tags.insert((std::uint32_t{g} << 16) | e);
  }

  void element(std::set<std::uint32_t>& tags) {
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
      if (m_depth == 1) note(g, e, tags);
      return;
    }
    if (len % 2 != 0) return lost();
    if (m_depth == 0 && len > 0) note(g, e, tags);
    m_skip = len;
  }

  // Conservative scan: a PHI tag followed by its VR (explicit or unknown syntax) or by a small
  // even length (implicit). Little-endian only.
  void scan(const std::uint8_t* p, std::size_t n, std::set<std::uint32_t>& tags) {
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
      if (hit) tags.insert((std::uint32_t{g} << 16) | e);
    }
  }

  Syntax m_syntax = Syntax::guess;
  std::array<std::uint8_t, 12> m_hdr{};
  std::size_t m_hdr_len = 0;
  std::uint64_t m_skip = 0;
  int m_depth = 0;
  bool m_seen_any = false;
  std::uint32_t m_last_tag = 0;
  bool m_scan = false;
  std::array<std::uint8_t, 8> m_win{};
  std::size_t m_win_len = 0;
};

// ---- association PDUs ----

struct Item {
  std::uint8_t type;
  const std::uint8_t* value;
  std::size_t length;
};

// Items / sub-items: type(1) reserved(1) length(2, BE) value. False when one overruns.
template <typename F>
bool for_each_item(const std::uint8_t* p, std::size_t n, F&& f) {
  std::size_t off = 0;
  while (off < n) {
    if (n - off < 4) return false;
    const std::size_t len = be16(p + off + 2);
    if (n - off - 4 < len) return false;
    f(Item{p[off], p + off + 4, len});
    off += 4 + len;
  }
  return true;
}

std::string identity_type(std::uint8_t t) {
  switch (t) {
    case 1:
      return "username";
    case 2:
      return "username_passcode";
    case 3:
      return "kerberos";
    case 4:
      return "saml";
    case 5:
      return "jwt";
    default:
      return fmt::format("type_{}", t);
  }
}

struct UserInfo {
  std::uint32_t max_pdu = 0;
  std::string impl_uid, impl_version, identity;
  bool identity_response = false;
};

UserInfo parse_user_info(const Item& ui) {
  UserInfo u;
  for_each_item(ui.value, ui.length, [&](const Item& s) {
    if (s.type == 0x51 && s.length == 4) u.max_pdu = be32(s.value);
    if (s.type == 0x52) u.impl_uid = clean_uid(s.value, s.length);
    if (s.type == 0x55) u.impl_version = clean_text(s.value, s.length, 16);
    if (s.type == 0x58 && s.length >= 1) u.identity = identity_type(s.value[0]);  // type only
    if (s.type == 0x59) u.identity_response = true;
  });
  return u;
}

// Checks the part of an A-ASSOCIATE-RQ received so far (`p` = the PDU from its first byte).
// 1: complete and valid, 0: plausible so far, -1: not an A-ASSOCIATE-RQ.
int check_rq(const std::uint8_t* p, std::size_t have, std::size_t max_len) {
  if (have >= 1 && p[0] != 0x01) return -1;
  if (have < 6) return 0;
  const std::size_t len = be32(p + 2);
  if (len < k_rq_fixed + 4 + k_app_context.size() || len > max_len) return -1;
  if (have >= 8 && (be16(p + 6) & 0x0001) == 0) return -1;  // protocol version 1
  for (std::size_t i = 10; i < std::min<std::size_t>(have, 42); ++i) {
    if (!ae_char_ok(p[i])) return -1;
  }
  const std::size_t item = 6 + k_rq_fixed;  // first item: the application context (0x10)
  if (have > item && p[item] != 0x10) return -1;
  const std::size_t uid = item + 4;
  for (std::size_t i = 0; i < k_app_context.size() && uid + i < have; ++i) {
    if (p[uid + i] != static_cast<std::uint8_t>(k_app_context[i])) return -1;
  }
  if (have >= item + 4 && be16(p + item + 2) < k_app_context.size()) return -1;
  return have >= 6 + len ? 1 : 0;
}

}  // namespace

// ---- the conversation ----

struct Conversation::Impl {
  // One direction of the connection.
  struct Direction {
    enum class State { header, body, pdv_header, pdv_value, stopped };
    State state = State::header;
    std::array<std::uint8_t, 6> hdr{};
    std::size_t hdr_len = 0;
    std::uint8_t type = 0;
    std::size_t pdu_left = 0;        // body bytes of the current PDU still to come
    std::vector<std::uint8_t> body;  // buffered PDU (header included) for non-P-DATA
    std::size_t pdu_count = 0;
    // P-DATA: current PDV
    std::array<std::uint8_t, 6> pdv_hdr{};
    std::size_t pdv_hdr_len = 0;
    std::size_t pdv_left = 0;
    std::uint8_t pdv_ctx = 0, pdv_mch = 0;
    // message layer
    std::vector<std::uint8_t> command;
    bool command_overflow = false;
    bool in_dataset = false;
    DatasetWalker walker;
    std::set<std::uint32_t> tags;
  };

  ReaderLimits limits;
  StreamKind kind = StreamKind::undecided;
  bool first_is_a = true;
  bool have_first = false;
  std::vector<std::uint8_t> pending;  // bytes of the second speaker while undecided
  bool pending_overflow = false;
  std::vector<std::uint8_t> probe;  // first speaker's bytes while undecided
  Direction dir[2];                 // [0] client->server, [1] server->client
  std::vector<AssociationRecord> assocs;
  bool assoc_open = false;  // the last record is the association in progress
  std::uint64_t unassigned[2] = {0, 0};
  std::int64_t now = 0;
  bool finished = false;

  std::string side_name(int d) const { return d == 0 ? "client->server" : "server->client"; }

  PassiveData* current() { return assocs.empty() ? nullptr : &assocs.back().data; }

  void note(const std::string& text) {
    if (PassiveData* a = current()) {
      if (a->notes.size() < 16 &&
          std::find(a->notes.begin(), a->notes.end(), text) == a->notes.end()) {
        a->notes.push_back(text);
      }
    }
  }

  void stop(int d, const std::string& why) {
    if (dir[d].state == Direction::State::stopped) return;
    if (dir[d].in_dataset) finish_dataset(d);  // tags seen before the stop did cross
    dir[d].state = Direction::State::stopped;
    dir[d].body.clear();
    dir[d].body.shrink_to_fit();
    dir[d].command.clear();
    note(fmt::format("{}: {}", side_name(d), why));
  }

  void count_bytes(int d, std::size_t n) {
    if (PassiveData* a = current()) {
      (d == 0 ? a->bytes_client_to_server : a->bytes_server_to_client) += n;
      assocs.back().last_us = now;
    } else {
      unassigned[d] += n;
    }
  }

  // ---- decision on the first bytes ----

  void feed(bool from_a, const std::uint8_t* p, std::size_t n) {
    if (kind == StreamKind::other || n == 0) return;
    if (kind == StreamKind::undecided) {
      if (!have_first) {
        have_first = true;
        first_is_a = from_a;
      }
      if (from_a != first_is_a) {  // the second speaker: hold its bytes until we know
        if (pending.size() + n > limits.max_pending_bytes) {
          pending_overflow = true;
        } else {
          pending.insert(pending.end(), p, p + n);
        }
        return;
      }
      const std::size_t old = probe.size();
      const std::size_t want = 6 + k_rq_fixed + 4 + k_app_context.size();
      const std::size_t take = std::min(n, want - old);
      probe.insert(probe.end(), p, p + take);
      if (probe[0] == 0x16) {  // TLS record: handshake, version 3.x
        if (probe.size() < 3) return;
        if (probe[1] == 0x03 && probe[2] <= 0x04) {
          decide_tls(old);
          count_bytes(0, n);
          return;
        }
      }
      const int c = check_rq(probe.data(), probe.size(), limits.max_pdu_length);
      if (c < 0) {
        give_up();
        return;
      }
      if (probe.size() < want) return;  // plausible so far (take == n here)
      // The prefix is an A-ASSOCIATE-RQ start: replay everything through the PDU reader.
      kind = StreamKind::dicom;
      std::vector<std::uint8_t> replay;
      replay.swap(probe);
      replay.insert(replay.end(), p + take, p + n);
      stream(0, replay.data(), replay.size());
      std::vector<std::uint8_t> held;
      held.swap(pending);
      if (pending_overflow) {
        stop(1, "bytes lost before the association was recognised");
      } else {
        stream(1, held.data(), held.size());
      }
      return;
    }
    const int d = (from_a == first_is_a) ? 0 : 1;
    if (kind == StreamKind::tls) {
      count_bytes(d, n);
      return;
    }
    stream(d, p, n);
  }

  void give_up() {
    kind = StreamKind::other;
    probe.clear();
    probe.shrink_to_fit();
    pending.clear();
    pending.shrink_to_fit();
  }

  // `first_bytes`: bytes of the first speaker received before the current chunk.
  void decide_tls(std::size_t first_bytes) {
    kind = StreamKind::tls;
    AssociationRecord r;
    r.first_us = r.last_us = now;
    r.data.encrypted = true;
    r.data.outcome = PassiveOutcome::encrypted;
    r.data.bytes_client_to_server = first_bytes;
    r.data.bytes_server_to_client = pending.size();
    assocs.push_back(std::move(r));
    assoc_open = true;
    probe.clear();
    pending.clear();
  }

  // ---- PDU layer ----

  void stream(int d, const std::uint8_t* p, std::size_t n) {
    // Bytes are counted where they are consumed (a buffered PDU when it is complete), so the
    // association they are charged to does not depend on how the stream was split.
    Direction& s = dir[d];
    while (n > 0) {
      switch (s.state) {
        case Direction::State::stopped:
          count_bytes(d, n);
          return;
        case Direction::State::header: {
          const std::size_t k = std::min(6 - s.hdr_len, n);
          std::memcpy(s.hdr.data() + s.hdr_len, p, k);
          s.hdr_len += k;
          p += k;
          n -= k;
          if (s.hdr_len == 6) pdu_header(d);
          break;
        }
        case Direction::State::body: {
          const std::size_t k = std::min(s.pdu_left, n);
          s.body.insert(s.body.end(), p, p + k);
          s.pdu_left -= k;
          p += k;
          n -= k;
          if (s.pdu_left == 0) {
            pdu(d);
            count_bytes(d, s.body.size());
            s.body.clear();
            if (s.state != Direction::State::stopped) s.state = Direction::State::header;
          }
          break;
        }
        case Direction::State::pdv_header: {
          const std::size_t k = std::min(6 - s.pdv_hdr_len, n);
          std::memcpy(s.pdv_hdr.data() + s.pdv_hdr_len, p, k);
          count_bytes(d, k);
          s.pdv_hdr_len += k;
          s.pdu_left -= k;
          p += k;
          n -= k;
          if (s.pdv_hdr_len == 6) pdv_header(d);
          break;
        }
        case Direction::State::pdv_value: {
          const std::size_t k = std::min(s.pdv_left, n);
          pdv_value(d, p, k);
          count_bytes(d, k);
          s.pdv_left -= k;
          s.pdu_left -= k;
          p += k;
          n -= k;
          if (s.pdv_left == 0) pdv_end(d);
          break;
        }
      }
    }
  }

  void pdu_header(int d) {
    Direction& s = dir[d];
    s.hdr_len = 0;
    s.type = s.hdr[0];
    const std::size_t len = be32(s.hdr.data() + 2);
    const bool known = s.type >= 0x01 && s.type <= 0x07;
    if (!known) {
      count_bytes(d, 6);
      return stop(d, fmt::format("unknown PDU type 0x{:02x}: stopped reading", s.type));
    }
    ++s.pdu_count;
    if (s.type == 0x04) {
      count_bytes(d, 6);
      if (len > limits.max_pdata_length || len < 6) {
        return stop(d, fmt::format("P-DATA-TF length {} out of bounds: stopped reading", len));
      }
      s.pdu_left = len;
      s.pdv_hdr_len = 0;
      s.state = Direction::State::pdv_header;
      return;
    }
    if (len > limits.max_pdu_length) {
      count_bytes(d, 6);
      return stop(d, fmt::format("PDU type 0x{:02x} length {} above the {} byte limit", s.type, len,
                                 limits.max_pdu_length));
    }
    s.body.assign(s.hdr.begin(), s.hdr.end());
    s.pdu_left = len;
    s.state = Direction::State::body;
    if (len == 0) {
      pdu(d);
      count_bytes(d, s.body.size());
      s.body.clear();
      if (s.state != Direction::State::stopped) s.state = Direction::State::header;
    }
  }

  void pdv_header(int d) {
    Direction& s = dir[d];
    s.pdv_hdr_len = 0;
    const std::size_t len = be32(s.pdv_hdr.data());
    // pdu_left already excludes these 6 header bytes; the item length counts ctx id + MCH.
    if (len < 2 || len - 2 > s.pdu_left) {
      return stop(d, fmt::format("PDV item length {} overruns its P-DATA-TF PDU", len));
    }
    s.pdv_ctx = s.pdv_hdr[4];
    s.pdv_mch = s.pdv_hdr[5];
    s.pdv_left = len - 2;
    const bool command = (s.pdv_mch & 0x01) != 0;
    if (command) {
      if (s.in_dataset) finish_dataset(d);  // a new command while a data set is open
    } else if (!s.in_dataset) {
      s.in_dataset = true;
      s.walker.start(syntax_for(s.pdv_ctx));
      s.tags.clear();
    }
    s.state = Direction::State::pdv_value;
    if (s.pdv_left == 0) pdv_end(d);
  }

  void pdv_value(int d, const std::uint8_t* p, std::size_t n) {
    Direction& s = dir[d];
    if (s.pdv_mch & 0x01) {
      if (s.command.size() + n > limits.max_command_bytes) {
        s.command_overflow = true;
      } else {
        s.command.insert(s.command.end(), p, p + n);
      }
    } else {
      s.walker.feed(p, n, s.tags);
    }
  }

  void pdv_end(int d) {
    Direction& s = dir[d];
    const bool last = (s.pdv_mch & 0x02) != 0;
    if (last) {
      if (s.pdv_mch & 0x01) {
        if (s.command_overflow) {
          note(fmt::format("{}: command set above {} bytes skipped", side_name(d),
                           limits.max_command_bytes));
        } else {
          command(s.command);
        }
        s.command.clear();
        s.command_overflow = false;
      } else {
        finish_dataset(d);
      }
    }
    if (s.pdu_left == 0) {
      s.state = Direction::State::header;
    } else if (s.pdu_left < 6) {
      stop(d, "P-DATA-TF PDU ends inside a PDV item header");
    } else {
      s.state = Direction::State::pdv_header;
    }
  }

  Syntax syntax_for(std::uint8_t ctx) {
    const PassiveData* a = current();
    if (!a) return Syntax::guess;
    for (const auto& c : a->contexts) {
      if (c.id == ctx && c.result == 0) return syntax_of(c.accepted_transfer_syntax);
    }
    return Syntax::guess;
  }

  void finish_dataset(int d) {
    Direction& s = dir[d];
    s.in_dataset = false;
    PassiveData* a = current();
    if (!a) return;
    ++a->datasets;
    if (s.walker.scanned()) ++a->datasets_scanned;
    if (s.walker.unreadable()) ++a->datasets_unreadable;
    for (std::uint32_t t : s.tags) {
      const auto g = static_cast<std::uint16_t>(t >> 16), e = static_cast<std::uint16_t>(t);
      const std::string name = phi_tag_name(g, e);
      std::string text = fmt::format("({:04X},{:04X})", g, e);
      if (!name.empty()) text += " " + name;
      if (std::find(a->phi_tags.begin(), a->phi_tags.end(), text) == a->phi_tags.end()) {
        a->phi_tags.push_back(std::move(text));
      }
    }
    s.tags.clear();
    std::sort(a->phi_tags.begin(), a->phi_tags.end());
  }

  // Command set: Implicit VR Little Endian, group 0000 only.
  void command(const std::vector<std::uint8_t>& c) {
    PassiveData* a = current();
    if (!a) return;
    int field = -1, status = -1;
    std::string sop;
    std::size_t off = 0;
    while (c.size() - off >= 8) {
      const std::uint16_t g = le16(&c[off]), e = le16(&c[off + 2]);
      const std::uint32_t len = le32(&c[off + 4]);
      off += 8;
      if (len > c.size() - off || g != 0x0000) break;
      const std::uint8_t* v = &c[off];
      if (e == 0x0100 && len == 2) field = le16(v);
      if ((e == 0x0002 || (e == 0x0003 && sop.empty())) && len > 0) sop = clean_uid(v, len);
      if (e == 0x0900 && len == 2) status = le16(v);
      off += len;
    }
    if (field < 0) {
      note("a command set without a command field");
      return;
    }
    const std::string name = command_name(static_cast<std::uint16_t>(field));
    auto it = std::find_if(a->commands.begin(), a->commands.end(), [&](const PassiveCommand& pc) {
      return pc.command == name && pc.sop_class == sop;
    });
    if (it == a->commands.end()) {
      if (a->commands.size() >= limits.max_commands) return;
      a->commands.push_back(PassiveCommand{name, sop, "", 0, {}});
      it = a->commands.end() - 1;
    }
    ++it->count;
    if (status >= 0 && (field & 0x8000) && it->statuses.size() < k_max_statuses &&
        std::find(it->statuses.begin(), it->statuses.end(), status) == it->statuses.end()) {
      it->statuses.push_back(status);
    }
  }

  // A buffered (non-P-DATA) PDU is complete in dir[d].body.
  void pdu(int d) {
    Direction& s = dir[d];
    const std::uint8_t* p = s.body.data();
    const std::size_t n = s.body.size();
    switch (s.type) {
      case 0x01:
        if (d != 0) return stop(d, "A-ASSOCIATE-RQ from the server side");
        return associate_rq(p, n);
      case 0x02:
        if (d != 1) return stop(d, "A-ASSOCIATE-AC from the client side");
        return associate_ac(p, n);
      case 0x03: {
        PassiveData* a = current();
        if (!a || n < 10) return stop(d, "unexpected or short A-ASSOCIATE-RJ");
        a->outcome = PassiveOutcome::rejected;
        a->reject_result = p[7];
        a->reject_source = p[8];
        a->reject_reason = p[9];
        assoc_open = false;
        return;
      }
      case 0x05:
        return;  // A-RELEASE-RQ: the answer decides
      case 0x06: {
        PassiveData* a = current();
        if (a && a->outcome == PassiveOutcome::accepted) a->outcome = PassiveOutcome::released;
        assoc_open = false;
        return;
      }
      case 0x07: {
        PassiveData* a = current();
        if (!a || n < 10) return stop(d, "unexpected or short A-ABORT");
        if (a->outcome != PassiveOutcome::aborted) {
          a->outcome = PassiveOutcome::aborted;
          a->abort_source = p[8];
          a->abort_reason = p[9];
        }
        assoc_open = false;
        return;
      }
      default:
        return;
    }
  }

  void associate_rq(const std::uint8_t* p, std::size_t n) {
    if (check_rq(p, n, limits.max_pdu_length) != 1) {
      if (assocs.empty()) return give_up();
      return stop(0, "malformed A-ASSOCIATE-RQ: stopped reading");
    }
    if (assocs.size() >= limits.max_associations) return stop(0, "too many associations");
    AssociationRecord r;
    r.first_us = r.last_us = now;
    PassiveData& a = r.data;
    a.called_ae = clean_text(p + 10, 16, 16);
    a.calling_ae = clean_text(p + 26, 16, 16);
    const std::uint8_t* items = p + 6 + k_rq_fixed;
    const std::size_t items_len = n - 6 - k_rq_fixed;
    bool ok = for_each_item(items, items_len, [&](const Item& it) {
      if (it.type == 0x10 && a.application_context.empty()) {
        a.application_context = clean_uid(it.value, it.length);
      } else if (it.type == 0x20 && it.length >= 4 && a.contexts.size() < k_max_contexts) {
        PassiveContext c;
        c.id = it.value[0];
        for_each_item(it.value + 4, it.length - 4, [&](const Item& sub) {
          if (sub.type == 0x30) c.abstract_syntax = clean_uid(sub.value, sub.length);
          if (sub.type == 0x40 && c.transfer_syntaxes.size() < 32) {
            c.transfer_syntaxes.push_back(clean_uid(sub.value, sub.length));
          }
        });
        a.contexts.push_back(std::move(c));
      } else if (it.type == 0x50) {
        const UserInfo u = parse_user_info(it);
        a.client_max_pdu = u.max_pdu;
        a.client_impl_class_uid = u.impl_uid;
        a.client_impl_version = u.impl_version;
        a.user_identity = u.identity;
      }
    });
    if (a.application_context != k_app_context) {
      if (assocs.empty()) return give_up();
      return stop(0, "A-ASSOCIATE-RQ without the DICOM application context");
    }
    a.bytes_client_to_server = unassigned[0];
    a.bytes_server_to_client = unassigned[1];
    unassigned[0] = unassigned[1] = 0;
    assocs.push_back(std::move(r));
    assoc_open = true;
    if (!ok) note("client->server: an A-ASSOCIATE-RQ item overruns the PDU");
  }

  void associate_ac(const std::uint8_t* p, std::size_t n) {
    PassiveData* a = current();
    if (!a || !assoc_open) return stop(1, "A-ASSOCIATE-AC without a request");
    if (n < 6 + k_rq_fixed) return stop(1, "short A-ASSOCIATE-AC");
    a->ac_seen = true;
    a->outcome = PassiveOutcome::accepted;
    const bool ok = for_each_item(p + 6 + k_rq_fixed, n - 6 - k_rq_fixed, [&](const Item& it) {
      if (it.type == 0x21 && it.length >= 4) {
        const int id = it.value[0];
        std::string ts;
        for_each_item(it.value + 4, it.length - 4, [&](const Item& sub) {
          if (sub.type == 0x40 && ts.empty()) ts = clean_uid(sub.value, sub.length);
        });
        for (auto& c : a->contexts) {
          if (c.id == id) {
            c.result = it.value[2];
            c.accepted_transfer_syntax = c.result == 0 ? ts : std::string{};
          }
        }
      } else if (it.type == 0x50) {
        const UserInfo u = parse_user_info(it);
        a->server_max_pdu = u.max_pdu;
        a->server_impl_class_uid = u.impl_uid;
        a->server_impl_version = u.impl_version;
        a->user_identity_response = u.identity_response;
      }
    });
    if (!ok) note("server->client: an A-ASSOCIATE-AC item overruns the PDU");
  }

  void finish() {
    if (finished) return;
    finished = true;
    if (kind != StreamKind::dicom) return;
    for (int d = 0; d < 2; ++d) {
      const Direction& s = dir[d];
      const bool mid = (s.state == Direction::State::header && s.hdr_len > 0) ||
                       s.state == Direction::State::body ||
                       s.state == Direction::State::pdv_header ||
                       s.state == Direction::State::pdv_value;
      if (mid) note(fmt::format("{}: the stream ends inside a PDU", side_name(d)));
      if (dir[d].in_dataset) finish_dataset(d);
      if (s.state == Direction::State::header) count_bytes(d, s.hdr_len);
      if (s.state == Direction::State::body) count_bytes(d, s.body.size());
    }
  }
};

Conversation::Conversation(ReaderLimits limits) : m_impl(std::make_unique<Impl>()) {
  m_impl->limits = limits;
}
Conversation::~Conversation() = default;
Conversation::Conversation(Conversation&&) noexcept = default;
Conversation& Conversation::operator=(Conversation&&) noexcept = default;

void Conversation::feed(bool from_a, std::span<const std::uint8_t> bytes, std::int64_t time_us) {
  if (m_impl->finished) return;
  m_impl->now = time_us;
  m_impl->feed(from_a, bytes.data(), bytes.size());
}

void Conversation::gap(bool from_a, const std::string& why) {
  Impl& m = *m_impl;
  if (m.kind == StreamKind::undecided) return m.give_up();  // cannot be recognised any more
  if (m.kind != StreamKind::dicom) return;
  m.stop(from_a == m.first_is_a ? 0 : 1, why);
}

void Conversation::finish() {
  m_impl->finish();
}

StreamKind Conversation::kind() const {
  return m_impl->kind;
}
bool Conversation::client_is_a() const {
  return m_impl->first_is_a;
}
bool Conversation::done() const {
  return m_impl->kind == StreamKind::other;
}
const std::vector<AssociationRecord>& Conversation::associations() const {
  return m_impl->assocs;
}

std::string command_name(std::uint16_t f) {
  switch (f) {
    case 0x0001:
      return "C-STORE-RQ";
    case 0x8001:
      return "C-STORE-RSP";
    case 0x0010:
      return "C-GET-RQ";
    case 0x8010:
      return "C-GET-RSP";
    case 0x0020:
      return "C-FIND-RQ";
    case 0x8020:
      return "C-FIND-RSP";
    case 0x0021:
      return "C-MOVE-RQ";
    case 0x8021:
      return "C-MOVE-RSP";
    case 0x0030:
      return "C-ECHO-RQ";
    case 0x8030:
      return "C-ECHO-RSP";
    case 0x0FFF:
      return "C-CANCEL-RQ";
    case 0x0100:
      return "N-EVENT-REPORT-RQ";
    case 0x8100:
      return "N-EVENT-REPORT-RSP";
    case 0x0110:
      return "N-GET-RQ";
    case 0x8110:
      return "N-GET-RSP";
    case 0x0120:
      return "N-SET-RQ";
    case 0x8120:
      return "N-SET-RSP";
    case 0x0130:
      return "N-ACTION-RQ";
    case 0x8130:
      return "N-ACTION-RSP";
    case 0x0140:
      return "N-CREATE-RQ";
    case 0x8140:
      return "N-CREATE-RSP";
    case 0x0150:
      return "N-DELETE-RQ";
    case 0x8150:
      return "N-DELETE-RSP";
    default:
      return fmt::format("0x{:04x}", f);
  }
}

std::string phi_tag_name(std::uint16_t group, std::uint16_t element) {
  const PhiTag* t = find_phi(group, element);
  return t ? t->name : "";
}

bool is_phi_tag(std::uint16_t g, std::uint16_t e) {
  if (e == 0x0000) return false;  // group lengths
  if (g == 0x0010 || g == 0x0032 || g == 0x0040) return true;
  return g == 0x0008 && find_phi(g, e) != nullptr;
}

}  // namespace pacscan::passive
