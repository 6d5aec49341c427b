// Passive DICOM reader, message layer (see conversation_impl.hpp): complete association PDUs,
// PDV items, command sets and data sets.
#include <algorithm>

#include <fmt/format.h>

#include "association_pdus.hpp"
#include "conversation_impl.hpp"
#include "wire.hpp"

namespace pacscan::passive {

// A buffered (non-P-DATA) PDU is complete in dir[d].body.
void Conversation::Impl::pdu(int d) {
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

void Conversation::Impl::associate_rq(const std::uint8_t* p, std::size_t n) {
  work += n / 16;  // the items are walked once
  if (check_rq(p, n, limits.max_pdu_length) != 1) {
    if (assocs.empty()) return give_up();
    return stop(0, "malformed A-ASSOCIATE-RQ: stopped reading");
  }
  if (assocs.size() >= limits.max_associations) return stop(0, "too many associations");
  AssociationRecord r;
  r.first_us = r.last_us = now;
  PassiveData& a = r.data;
  const bool ok = parse_rq(p, n, a);
  if (a.application_context != k_app_context) {
    if (assocs.empty()) return give_up();
    return stop(0, "A-ASSOCIATE-RQ without the DICOM application context");
  }
  a.bytes_client_to_server = unassigned[0];
  a.bytes_server_to_client = unassigned[1];
  unassigned[0] = unassigned[1] = 0;
  assocs.push_back(std::move(r));
  cur = Current{};
  cur.syntax.fill(Syntax::guess);
  recharge();
  assoc_open = true;
  if (!ok) note("client->server: an A-ASSOCIATE-RQ item overruns the PDU");
}

void Conversation::Impl::associate_ac(const std::uint8_t* p, std::size_t n) {
  work += n / 16;
  PassiveData* a = current();
  if (!a || !assoc_open) return stop(1, "A-ASSOCIATE-AC without a request");
  if (a->ac_seen) return stop(1, "a second A-ASSOCIATE-AC for one request");
  if (n < 6 + k_rq_fixed) return stop(1, "short A-ASSOCIATE-AC");
  a->ac_seen = true;
  a->outcome = PassiveOutcome::accepted;
  const bool ok = parse_ac(p, n, *a);
  // Data sets are read in the accepted syntax of their context (the first accepted one per id).
  for (auto it = a->contexts.rbegin(); it != a->contexts.rend(); ++it) {
    if (it->result == 0) {
      cur.syntax[static_cast<std::uint8_t>(it->id)] = syntax_of(it->accepted_transfer_syntax);
    }
  }
  recharge();
  if (!ok) note("server->client: an A-ASSOCIATE-AC item overruns the PDU");
}

void Conversation::Impl::pdv_header(int d) {
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
  const bool is_command = (s.pdv_mch & 0x01) != 0;
  if (is_command) {
    if (s.in_dataset) finish_dataset(d);  // a new command while a data set is open
  } else if (!s.in_dataset) {
    s.in_dataset = true;
    s.walker.start(current() ? cur.syntax[s.pdv_ctx] : Syntax::guess);
  }
  s.state = Direction::State::pdv_value;
  if (s.pdv_left == 0) pdv_end(d);
}

void Conversation::Impl::pdv_value(int d, const std::uint8_t* p, std::size_t n) {
  Direction& s = dir[d];
  if (s.pdv_mch & 0x01) {
    if (s.command.size() + n > limits.max_command_bytes) {
      s.command_overflow = true;
    } else {
      s.command.insert(s.command.end(), p, p + n);
    }
  } else {
    s.walker.feed(p, n, work);
  }
}

void Conversation::Impl::pdv_end(int d) {
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
      if (s.command.capacity() > 4096) s.command.shrink_to_fit();
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

// The walker's tags join the association's list: a set says which are already there, so each
// data set costs O(tags × log k_max_phi_tags), whatever the size of the list.
void Conversation::Impl::finish_dataset(int d) {
  Direction& s = dir[d];
  s.in_dataset = false;
  PassiveData* a = current();
  if (a) {
    ++a->datasets;
    if (s.walker.scanned()) ++a->datasets_scanned;
    if (s.walker.unreadable()) ++a->datasets_unreadable;
    bool overflow = s.walker.tags_overflow();
    for (std::uint32_t t : s.walker.tags()) {
      ++work;
      if (cur.phi.contains(t)) continue;
      if (cur.phi.size() >= k_max_phi_tags) {
        overflow = true;
        continue;
      }
      cur.phi.insert(t);
      const auto g = static_cast<std::uint16_t>(t >> 16), e = static_cast<std::uint16_t>(t);
      const std::string name = phi_tag_name(g, e);
      std::string text = fmt::format("({:04X},{:04X})", g, e);
      if (!name.empty()) text += " " + name;
      // "(GGGG,EEEE)" sorts as the tag does: the list stays in tag order.
      a->phi_tags.insert(std::upper_bound(a->phi_tags.begin(), a->phi_tags.end(), text), text);
      charge(text.size() + 48 + DatasetWalker::k_set_node_bytes);
    }
    if (overflow && !cur.phi_overflow) {
      cur.phi_overflow = true;
      note(fmt::format("more than {} distinct patient-identifying attribute tags: the first {} "
                       "are listed",
                       k_max_phi_tags, k_max_phi_tags));
    }
  }
  s.walker.start(Syntax::guess);  // releases the tag set
}

// Command set: Implicit VR Little Endian, group 0000 only.
void Conversation::Impl::command(const std::vector<std::uint8_t>& c) {
  PassiveData* a = current();
  if (!a) return;
  int field = -1, status = -1;
  std::string sop;
  std::size_t off = 0;
  while (c.size() - off >= 8) {
    ++work;
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
  const std::string key = name + '\n' + sop;
  auto found = cur.commands.find(key);
  if (found == cur.commands.end()) {
    if (a->commands.size() >= limits.max_commands) return;
    a->commands.push_back(PassiveCommand{name, sop, "", 0, {}});
    found = cur.commands.emplace(key, a->commands.size() - 1).first;
    charge(sizeof(PassiveCommand) + name.size() + sop.size() + 96);
  }
  PassiveCommand& pc = a->commands[found->second];
  ++pc.count;
  if (status >= 0 && (field & 0x8000) && pc.statuses.size() < k_max_statuses &&
      std::find(pc.statuses.begin(), pc.statuses.end(), status) == pc.statuses.end()) {
    pc.statuses.push_back(status);
    charge(sizeof(int));
  }
}

}  // namespace pacscan::passive
