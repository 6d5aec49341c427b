// Association PDUs of the passive reader (see association_pdus.hpp).
#include "association_pdus.hpp"

#include <algorithm>
#include <bitset>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "wire.hpp"

namespace pacscan::passive {
namespace {

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

// AE title characters: ISO 646 G0 without backslash, or padding.
bool ae_char_ok(std::uint8_t c) {
  return (c >= 0x20 && c < 0x7F && c != '\\') || c == 0;
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

}  // namespace

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

bool parse_rq(const std::uint8_t* p, std::size_t n, PassiveData& a) {
  a.called_ae = clean_text(p + 10, 16, 16);
  a.calling_ae = clean_text(p + 26, 16, 16);
  return for_each_item(p + 6 + k_rq_fixed, n - 6 - k_rq_fixed, [&](const Item& it) {
    if (it.type == 0x10 && a.application_context.empty()) {
      a.application_context = clean_uid(it.value, it.length);
    } else if (it.type == 0x20 && it.length >= 4 && a.contexts.size() < k_max_contexts) {
      PassiveContext c;
      c.id = it.value[0];
      for_each_item(it.value + 4, it.length - 4, [&](const Item& sub) {
        if (sub.type == 0x30) c.abstract_syntax = clean_uid(sub.value, sub.length);
        if (sub.type == 0x40 && c.transfer_syntaxes.size() < k_max_transfer_syntaxes) {
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
}

bool parse_ac(const std::uint8_t* p, std::size_t n, PassiveData& a) {
  // Context ids are one byte: an index of them makes each answer O(proposals with that id), and
  // only the first answer for an id counts, so a flood of answers costs O(1) each.
  std::array<std::vector<std::size_t>, 256> by_id;
  for (std::size_t i = 0; i < a.contexts.size(); ++i) {
    by_id[static_cast<std::uint8_t>(a.contexts[i].id)].push_back(i);
  }
  std::bitset<256> answered;
  return for_each_item(p + 6 + k_rq_fixed, n - 6 - k_rq_fixed, [&](const Item& it) {
    if (it.type == 0x21 && it.length >= 4) {
      const std::uint8_t id = it.value[0];
      if (answered[id]) return;
      answered[id] = true;
      std::string ts;
      for_each_item(it.value + 4, it.length - 4, [&](const Item& sub) {
        if (sub.type == 0x40 && ts.empty()) ts = clean_uid(sub.value, sub.length);
      });
      for (std::size_t i : by_id[id]) {
        auto& c = a.contexts[i];
        c.result = it.value[2];
        c.accepted_transfer_syntax = c.result == 0 ? ts : std::string{};
      }
    } else if (it.type == 0x50) {
      const UserInfo u = parse_user_info(it);
      a.server_max_pdu = u.max_pdu;
      a.server_impl_class_uid = u.impl_uid;
      a.server_impl_version = u.impl_version;
      a.user_identity_response = u.identity_response;
    }
  });
}

std::size_t footprint(const PassiveData& a) {
  constexpr std::size_t k_string = 32, k_vector = 24;
  auto s = [](const std::string& x) { return x.size() > 15 ? x.capacity() + 1 : 0; };
  std::size_t n = sizeof(PassiveData);
  for (const std::string* x :
       {&a.client_ip, &a.server_ip, &a.calling_ae, &a.called_ae, &a.application_context,
        &a.client_impl_class_uid, &a.client_impl_version, &a.server_impl_class_uid,
        &a.server_impl_version, &a.user_identity, &a.outcome_text}) {
    n += s(*x);
  }
  for (const auto& c : a.contexts) {
    n += sizeof(PassiveContext) + s(c.abstract_syntax) + s(c.name) + s(c.accepted_transfer_syntax);
    for (const auto& t : c.transfer_syntaxes) n += k_string + s(t);
  }
  for (const auto& c : a.commands) {
    n += sizeof(PassiveCommand) + s(c.command) + s(c.sop_class) + s(c.sop_class_name) +
         c.statuses.capacity() * sizeof(int);
  }
  for (const auto& t : a.phi_tags) n += k_string + s(t);
  for (const auto& t : a.notes) n += k_string + s(t);
  return n + 4 * k_vector;
}

}  // namespace pacscan::passive
