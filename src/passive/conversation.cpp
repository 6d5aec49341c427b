// Incremental DICOM upper-layer reader (see pdu_reader.hpp and conversation_impl.hpp): the
// decision on the first bytes and the PDU layer.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "association_pdus.hpp"
#include "conversation_impl.hpp"
#include "wire.hpp"

namespace pacscan::passive {

std::size_t Conversation::Impl::memory() const {
  std::size_t n = sizeof(Impl) + probe.capacity() + pending.capacity() + record_bytes +
                  assocs.capacity() * sizeof(AssociationRecord) +
                  cur.phi.size() * DatasetWalker::k_set_node_bytes + cur.commands.size() * 96;
  for (const auto& s : dir) n += s.body.capacity() + s.command.capacity() + s.walker.heap_bytes();
  return n;
}

void Conversation::Impl::charge(std::size_t bytes) {
  cur.charged += bytes;
  record_bytes += bytes;
}

// Recounts the footprint of the current record (after a change of unknown size).
void Conversation::Impl::recharge() {
  if (assocs.empty()) return;
  record_bytes -= cur.charged;
  cur.charged = footprint(assocs.back().data);
  record_bytes += cur.charged;
}

void Conversation::Impl::note(const std::string& text) {
  ++work;
  if (PassiveData* a = current()) {
    if (a->notes.size() < k_max_notes &&
        std::find(a->notes.begin(), a->notes.end(), text) == a->notes.end()) {
      a->notes.push_back(text);
      charge(text.size() + 48);
    }
  }
}

void Conversation::Impl::stop(int d, const std::string& why) {
  if (dir[d].state == Direction::State::stopped) return;
  if (dir[d].in_dataset) finish_dataset(d);  // tags seen before the stop did cross
  dir[d].state = Direction::State::stopped;
  dir[d].body.clear();
  dir[d].body.shrink_to_fit();
  dir[d].command.clear();
  dir[d].command.shrink_to_fit();
  note(fmt::format("{}: {}", side_name(d), why));
}

void Conversation::Impl::count_bytes(int d, std::size_t n) {
  if (PassiveData* a = current()) {
    (d == 0 ? a->bytes_client_to_server : a->bytes_server_to_client) += n;
    assocs.back().last_us = now;
  } else {
    unassigned[d] += n;
  }
}

// ---- decision on the first bytes ----

void Conversation::Impl::feed(bool from_a, const std::uint8_t* p, std::size_t n) {
  if (kind == StreamKind::other || n == 0) return;
  ++work;
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

void Conversation::Impl::give_up() {
  kind = StreamKind::other;
  probe.clear();
  probe.shrink_to_fit();
  pending.clear();
  pending.shrink_to_fit();
}

// `first_bytes`: bytes of the first speaker received before the current chunk.
void Conversation::Impl::decide_tls(std::size_t first_bytes) {
  kind = StreamKind::tls;
  AssociationRecord r;
  r.first_us = r.last_us = now;
  r.data.encrypted = true;
  r.data.outcome = PassiveOutcome::encrypted;
  r.data.bytes_client_to_server = first_bytes;
  r.data.bytes_server_to_client = pending.size();
  assocs.push_back(std::move(r));
  cur = Current{};
  recharge();
  assoc_open = true;
  probe.clear();
  probe.shrink_to_fit();
  pending.clear();
  pending.shrink_to_fit();
}

// ---- PDU layer ----

void Conversation::Impl::stream(int d, const std::uint8_t* p, std::size_t n) {
  // Bytes are counted where they are consumed (a buffered PDU when it is complete), so the
  // association they are charged to does not depend on how the stream was split.
  Direction& s = dir[d];
  // A PDU may decide that the stream is not DICOM after all (give_up()): the rest of this chunk
  // must then be ignored as later chunks are, or the result would depend on the chunking.
  while (n > 0 && kind == StreamKind::dicom) {
    ++work;
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
        if (s.body.size() + k > s.body.capacity()) {
          // Grow by at most 64 KiB past what is needed (not by doubling): the memory budget
          // is checked after each segment, so one step must not overshoot it by much.
          const std::size_t need = s.body.size() + k;
          s.body.reserve(std::min(need + s.pdu_left - k, need + std::min<std::size_t>(need, 65536)));
        }
        s.body.insert(s.body.end(), p, p + k);
        s.pdu_left -= k;
        p += k;
        n -= k;
        if (s.pdu_left == 0) pdu_done(d);
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

// A buffered PDU is complete: read it, count it, release its buffer unless it is small.
void Conversation::Impl::pdu_done(int d) {
  Direction& s = dir[d];
  pdu(d);
  count_bytes(d, s.body.size());
  s.body.clear();
  if (s.body.capacity() > 4096) s.body.shrink_to_fit();  // one large PDU is not kept around
  if (s.state != Direction::State::stopped) s.state = Direction::State::header;
}

void Conversation::Impl::pdu_header(int d) {
  Direction& s = dir[d];
  s.hdr_len = 0;
  s.type = s.hdr[0];
  const std::size_t len = be32(s.hdr.data() + 2);
  const bool known = s.type >= 0x01 && s.type <= 0x07;
  if (!known) {
    count_bytes(d, 6);
    return stop(d, fmt::format("unknown PDU type 0x{:02x}: stopped reading", s.type));
  }
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
  if (len == 0) pdu_done(d);
}

void Conversation::Impl::finish() {
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
  for (auto& s : dir) {
    s.body.clear();
    s.body.shrink_to_fit();
    s.command.clear();
    s.command.shrink_to_fit();
    s.walker.start(Syntax::guess);
  }
  cur.commands.clear();
  cur.phi.clear();
}

// ---- the public face ----

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
std::vector<AssociationRecord> Conversation::take_associations() {
  std::vector<AssociationRecord> out;
  out.swap(m_impl->assocs);
  m_impl->record_bytes = 0;
  m_impl->cur.charged = 0;
  return out;
}
std::size_t Conversation::memory() const {
  return m_impl->memory();
}
std::uint64_t Conversation::work() const {
  return m_impl->work;
}

}  // namespace pacscan::passive
