// SPDX-License-Identifier: Apache-2.0
// Evaluators of the DICOM inventory rules: a DICOM service found, its fingerprint, cleartext
// DICOM, a DICOM service on a public address, an unknown application context accepted.
#include <optional>

#include <fmt/format.h>

#include "dicom_common.hpp"
#include "evaluators.hpp"

namespace pacscan::rules {

using dicom::called_source_text;
using dicom::describe;
using dicom::identity_text;
using dicom::is_store;
using dicom::is_mwl;
using dicom::is_find;
using dicom::unknown_peer;

RuleHit eval_asset_dicom_scp(const EndpointView& v) {
  if ((!v.get<AssociateData>() || !v.get<AssociateData>()->speaks_dicom) && v.dicom_over_tls()) {
    const auto& t = *v.get<TlsData>()->association;
    std::vector<std::string> ev{fmt::format("over TLS ({} {}): {}", v.get<TlsData>()->protocol, v.get<TlsData>()->cipher,
                                            describe(t))};
    if (!t.impl_class_uid.empty()) {
      ev.push_back(fmt::format("implementation class UID {} version '{}'", t.impl_class_uid,
                               t.impl_version));
    }
    return fail(Severity::info,
                fmt::format("DICOM TLS service answered an A-ASSOCIATE-RQ with {}",
                            t.outcome == Outcome::ok         ? "A-ASSOCIATE-AC"
                            : t.outcome == Outcome::rejected ? "A-ASSOCIATE-RJ"
                                                             : "A-ABORT"),
                std::move(ev), {"dicom_associate", "dicom_tls"});
  }
  if (!v.get<AssociateData>()) return not_evaluated(missing(v, "dicom_associate"));
  const auto& a = v.get<AssociateData>()->attempt;
  if (!v.get<AssociateData>()->speaks_dicom) {
    if (v.get<TlsData>() && v.get<TlsData>()->tls && !v.get<TlsData>()->association) {
      return not_evaluated("a TLS server answered, but no association over TLS was attempted");
    }
    if (a.outcome == Outcome::interrupted || a.outcome == Outcome::skipped ||
        a.outcome == Outcome::error) {
      return not_evaluated(fmt::format("association test {}", to_string(a.outcome)));
    }
    return pass(fmt::format("no valid DICOM PDU in reply ({}{}{})", to_string(a.outcome),
                            a.detail.empty() ? "" : ": ", a.detail));
  }
  std::vector<std::string> ev{describe(a)};
  if (!a.impl_class_uid.empty()) {
    ev.push_back(fmt::format("implementation class UID {} version '{}'", a.impl_class_uid,
                             a.impl_version));
  }
  return fail(Severity::info,
              fmt::format("DICOM service answered an A-ASSOCIATE-RQ with {}",
                          a.outcome == Outcome::ok         ? "A-ASSOCIATE-AC"
                          : a.outcome == Outcome::rejected ? "A-ASSOCIATE-RJ"
                                                           : "A-ABORT"),
              std::move(ev), {"dicom_associate"});
}

RuleHit eval_asset_dicom_fingerprint(const EndpointView& v) {
  const AssocAttempt* found = nullptr;
  if (v.get<AssociateData>() && !v.get<AssociateData>()->attempt.impl_class_uid.empty()) found = &v.get<AssociateData>()->attempt;
  if (!found && v.dicom_over_tls() && !v.get<TlsData>()->association->impl_class_uid.empty()) {
    found = &*v.get<TlsData>()->association;  // A-ASSOCIATE-AC received over TLS
  }
  if (!found && v.get<AePolicyData>()) {
    for (const auto& a : v.get<AePolicyData>()->attempts) {
      if (!a.impl_class_uid.empty()) {
        found = &a;
        break;
      }
    }
  }
  if (!found) {
    if (!v.get<AssociateData>()) return not_evaluated(missing(v, "dicom_associate"));
    return not_evaluated("no A-ASSOCIATE-AC received, so no implementation identification");
  }
  std::vector<std::string> ev{
      fmt::format("Implementation Class UID {}", found->impl_class_uid),
      fmt::format("Implementation Version Name '{}'", found->impl_version),
      fmt::format("peer max PDU length {}", found->peer_max_pdu)};
  auto h = fail(Severity::info,
                fmt::format("implementation {} '{}'", found->impl_class_uid, found->impl_version),
                std::move(ev), {"dicom_associate", "dicom_ae_policy"});
  h.discriminator = found->impl_class_uid + "|" + found->impl_version;
  return h;
}

RuleHit eval_dicom_cleartext(const EndpointView& v) {
  if (!v.get<AssociateData>()) return not_evaluated(missing(v, "dicom_associate"));
  if (!v.get<AssociateData>()->speaks_dicom) {
    if (v.dicom_over_tls()) {
      const auto& t = *v.get<TlsData>()->association;
      return pass(fmt::format("association {} only over TLS ({} {}); a cleartext "
                              "A-ASSOCIATE-RQ got no DICOM answer ({})",
                              t.outcome == Outcome::ok ? "accepted" : "answered",
                              v.get<TlsData>()->protocol, v.get<TlsData>()->cipher,
                              to_string(v.get<AssociateData>()->attempt.outcome)));
    }
    return pass("no DICOM service on this port");
  }
  const AssocAttempt* accepted = nullptr;
  if (v.get<AssociateData>()->attempt.outcome == Outcome::ok) accepted = &v.get<AssociateData>()->attempt;
  if (!accepted && v.get<AePolicyData>()) {
    for (const auto& a : v.get<AePolicyData>()->attempts) {
      if (a.outcome == Outcome::ok) {
        accepted = &a;
        break;
      }
    }
  }
  Severity sev = Severity::medium;
  std::vector<std::string> ev;
  if (v.host_offers_tls) {
    std::string ports;
    for (auto p : v.host_tls_ports) ports += fmt::format("{}{}", ports.empty() ? "" : ", ", p);
    ev.push_back(fmt::format("the same host also offers DICOM over TLS on port(s) {}: move "
                             "peers there and close this cleartext port",
                             ports));
  } else {
    ev.push_back("no DICOM over TLS found on the other ports scanned on this host");
  }
  if (v.get<ServicesData>() && v.get<ServicesData>()->attempt.outcome == Outcome::ok &&
      unknown_peer(v.get<ServicesData>()->calling_source)) {
    for (const auto& c : v.get<ServicesData>()->attempt.contexts) {
      if (c.result == 0 && (is_find(c.name) || is_store(c.name) || is_mwl(c.name))) {
        sev = Severity::high;
        ev.push_back(fmt::format("{} is also accepted for an unknown peer over this cleartext "
                                 "channel",
                                 c.name));
        break;
      }
    }
  }
  if (accepted) {
    ev.insert(ev.begin(), fmt::format("A-ASSOCIATE-AC received over plain TCP ({})",
                                      describe(*accepted)));
    return fail(sev, "DICOM associations are accepted over unencrypted TCP", std::move(ev),
                {"dicom_associate", "dicom_ae_policy"}, EvidenceLevel::confirmed,
                Confidence::confirmed);
  }
  ev.insert(ev.begin(), fmt::format("DICOM PDU received over plain TCP ({}); no association was "
                                    "accepted for the titles tried",
                                    describe(v.get<AssociateData>()->attempt)));
  return fail(sev, "DICOM service listens on unencrypted TCP", std::move(ev), {"dicom_associate"},
              EvidenceLevel::observed, Confidence::tentative);
}

RuleHit eval_public_address(const EndpointView& v) {
  // Not publicly routable: RFC 1918, loopback, link-local, CGNAT (RFC 6598), benchmarking
  // (RFC 2544), "this network", documentation ranges and multicast/reserved.
  struct Range {
    const char* net;
    int bits;
    const char* name;
  };
  static constexpr Range k_private[] = {
      {"10.0.0.0", 8, "private (RFC 1918)"},      {"172.16.0.0", 12, "private (RFC 1918)"},
      {"192.168.0.0", 16, "private (RFC 1918)"},  {"127.0.0.0", 8, "loopback"},
      {"169.254.0.0", 16, "link-local"},          {"100.64.0.0", 10, "shared CGNAT (RFC 6598)"},
      {"198.18.0.0", 15, "benchmarking (RFC 2544)"}, {"0.0.0.0", 8, "this network"},
      {"192.0.2.0", 24, "documentation"},         {"198.51.100.0", 24, "documentation"},
      {"203.0.113.0", 24, "documentation"},       {"224.0.0.0", 3, "multicast/reserved"},
  };
  const bool dicom = v.get<AssociateData>() && v.get<AssociateData>()->speaks_dicom;
  if (!dicom && v.all<PassiveData>().empty()) return not_evaluated("no DICOM service seen on this port");
  for (const auto& r : k_private) {
    const auto net = Ipv4::parse(r.net);
    const std::uint32_t mask = r.bits == 0 ? 0 : ~std::uint32_t{0} << (32 - r.bits);
    if (net && (v.ep.ip.value & mask) == (net->value & mask)) {
      return pass(fmt::format("{} is a {} address", v.ep.ip.str(), r.name));
    }
  }
  return fail(Severity::high,
              fmt::format("DICOM service on the publicly routable address {}", v.ep.ip.str()),
              {fmt::format("{} answered DICOM and is outside private, loopback, link-local, CGNAT "
                           "and reserved ranges",
                           v.ep.str())},
              {"dicom_associate"}, EvidenceLevel::observed, Confidence::confirmed);
}

// DICOM-APP-CONTEXT-UNCHECKED: PS3.7 A.2.1 defines one application context; an acceptor that
// takes another does not validate the A-ASSOCIATE-RQ at all.
RuleHit eval_app_context_unchecked(const EndpointView& v) {
  const auto* d = v.get<AppContextData>();
  if (!d) return not_evaluated(missing(v, "dicom_app_context"));
  const auto& a = d->attempt;
  const std::string sent = fmt::format(
      "A-ASSOCIATE-RQ (Verification) with Application Context Name {} instead of DICOM's "
      "1.2.840.10008.3.1.1.1",
      d->sent_context);
  if (a.outcome == Outcome::rejected) {
    if (a.reject && a.reject->source == 1 && a.reject->reason == 2) {
      return pass(fmt::format("rejected as PS3.8 9.3.4 expects: {}", describe(a)));
    }
    return pass(fmt::format("rejected, though not with reason 2 "
                            "(application-context-name-not-supported): {}",
                            describe(a)));
  }
  if (a.outcome != Outcome::ok) {
    return not_evaluated(fmt::format("the request ended {}: {}", to_string(a.outcome),
                                     describe(a)));
  }
  std::vector<std::string> ev{
      fmt::format("sent: {}", sent),
      fmt::format("answer: A-ASSOCIATE-AC, {}", describe(a)),
  };
  if (!a.impl_class_uid.empty() || !a.impl_version.empty()) {
    ev.push_back(fmt::format("the acceptor announced implementation class UID '{}' version '{}'",
                             a.impl_class_uid, a.impl_version));
  }
  ev.push_back(d->released ? "released at once, no request sent on it"
                           : "no request sent on it");
  return fail(Severity::low, "association accepted with an unknown application context",
              std::move(ev), {"dicom_app_context"}, EvidenceLevel::observed,
              Confidence::confirmed);
}

}  // namespace pacscan::rules
