// SPDX-License-Identifier: Apache-2.0
// Evaluators of the rules only a credentialed scan can judge: the known peer's view, made of the
// observations the scanner made presenting the site's client certificate (--tls-cert; rules with
// RuleSpec::known_peer see only those). Each says fail with evidence, pass with the reason, or not
// evaluated with the reason.
#include <algorithm>

#include <fmt/format.h>

#include "evaluators.hpp"

namespace pacscan::rules {
namespace {

const char* k_no_credential_view =
    "no observation was made with the site's client certificate (scan without --tls-cert)";

// The known peer's TLS data, or why there is none.
const TlsData* credential_tls(const EndpointView& v, std::string& why) {
  const TlsData* t = v.get<TlsData>();
  if (!v.known_peer || !t) {
    why = k_no_credential_view;
    return nullptr;
  }
  if (!t->tls) {
    why = "no TLS server answered the handshake made with the site's certificate";
    return nullptr;
  }
  return t;
}

std::string credential_line(const TlsData& t) {
  return fmt::format("the site's client certificate '{}' (SHA-256 {})",
                     t.credential_subject.empty() ? "?" : t.credential_subject,
                     t.credential_sha256.empty() ? "?" : t.credential_sha256);
}

bool query_or_retrieve(const std::string& name) {
  return name.ends_with("Find") || name.ends_with("Move") || name.ends_with("Get");
}

// NULL / anonymous / EXPORT / RC4 / single DES: broken (as TLS-WEAK-CIPHER says).
bool broken_suite(const std::string& n) {
  const auto has = [&](std::string_view s) { return n.find(s) != std::string::npos; };
  return has("NULL") || n.rfind("ADH", 0) == 0 || n.rfind("AECDH", 0) == 0 || has("EXP") ||
         has("RC4") || (has("DES") && !has("CBC3") && !has("3DES"));
}

}  // namespace

RuleHit eval_known_peer_access(const EndpointView& v) {
  std::string why;
  const TlsData* t = credential_tls(v, why);
  if (!t) return not_evaluated(why);
  if (!v.get<ServicesData>()) {
    if (t->credential_result != "accepted") {
      return not_evaluated(fmt::format("the site's certificate did not get a DICOM answer over TLS "
                                       "({}: {})",
                                       t->credential_result, t->credential_detail));
    }
    return not_evaluated(
        "the DICOM probes did not run as the known peer: an unknown peer already got a DICOM "
        "answer over TLS here, so they measured what anyone can do (see the unknown peer's view)");
  }
  const auto& s = *v.get<ServicesData>();
  std::vector<std::string> ev{credential_line(*t)};
  std::vector<std::string> probes{"dicom_tls", "dicom_services"};
  std::vector<std::string> negotiated;
  for (const auto& c : s.attempt.contexts) {
    if (c.result == 0 && query_or_retrieve(c.name)) negotiated.push_back(c.name);
  }
  if (s.attempt.outcome != Outcome::ok) {
    return not_evaluated(fmt::format("services association with the site's certificate {}",
                                     to_string(s.attempt.outcome)));
  }
  std::string list;
  for (const auto& n : negotiated) list += (list.empty() ? "" : ", ") + n;
  ev.push_back(fmt::format("as calling '{}' to called '{}': query/retrieve contexts accepted: {}",
                           s.attempt.calling_ae, s.attempt.called_ae,
                           list.empty() ? "none" : list));
  std::vector<std::string> authorised;
  auto note = [&](const std::string& svc) {
    if (std::find(authorised.begin(), authorised.end(), svc) == authorised.end()) {
      authorised.push_back(svc);
    }
  };
  if (const auto* n = v.get<NullQueryData>()) {
    probes.emplace_back("dicom_null_query");
    for (const auto& r : n->results) {
      if (!query_or_retrieve(r.service)) continue;
      ev.push_back(fmt::format("{} keyed on a random UID: {}{}", r.service, to_string(r.outcome),
                               r.status >= 0 ? fmt::format(", status 0x{:04x} ({})", r.status,
                                                           r.status_text)
                                             : ""));
      if (r.outcome == DimseOutcome::success) note(r.service);
    }
  }
  int entries = 0;
  if (const auto* d = v.get<DataQueryData>()) {
    probes.emplace_back("dicom_data_query");
    for (const auto& r : d->results) {
      ev.push_back(fmt::format("universal {} query ({} level): {}, {}{} entr{} (values discarded "
                               "unread)",
                               r.service, r.level, to_string(r.outcome), r.capped ? "at least " : "",
                               r.count, r.count == 1 ? "y" : "ies"));
      if (r.outcome == DimseOutcome::success) {
        entries += r.count;
        note(r.service);
      }
    }
  }
  if (negotiated.empty()) {
    return pass("the site's certificate got in, but no query/retrieve context was accepted");
  }
  if (authorised.empty()) {
    return pass(fmt::format("query/retrieve negotiated with the site's certificate ({}), but no "
                            "request was authorised",
                            list));
  }
  std::string done;
  for (const auto& a : authorised) done += (done.empty() ? "" : ", ") + a;
  return fail(Severity::info,
              fmt::format("A known peer (the site's client certificate) was authorised to {} "
                          "(negotiated: {}){}: expected for the site's own peers, recorded so the "
                          "audit shows what that certificate opens",
                          done, list,
                          entries > 0 ? fmt::format("; {} entries returned", entries) : ""),
              std::move(ev), std::move(probes), EvidenceLevel::confirmed, Confidence::confirmed);
}

RuleHit eval_tls_client_cert_any_address(const EndpointView& v) {
  std::string why;
  const TlsData* t = credential_tls(v, why);
  if (!t) return not_evaluated(why);
  if (t->credential_result == "refused") {
    return pass(fmt::format("the site's certificate was refused from the scanner's address {}: "
                            "{}",
                            t->local_address.empty() ? "?" : t->local_address,
                            t->credential_detail));
  }
  if (t->credential_result != "accepted") {
    return not_evaluated(fmt::format("the site's certificate was not accepted or refused ({}: {})",
                                     t->credential_result, t->credential_detail));
  }
  std::string addr = t->local_address;
  if (const auto colon = addr.rfind(':'); colon != std::string::npos) addr.resize(colon);
  std::vector<std::string> ev{
      credential_line(*t),
      fmt::format("sent from the scanner's address {} ({}): {}", addr.empty() ? "?" : addr,
                  t->local_address.empty() ? "source port unknown" : t->local_address,
                  t->credential_detail),
  };
  if (t->association) {
    ev.push_back(fmt::format("association over TLS with it: called '{}' calling '{}': {}",
                             t->association->called_ae, t->association->calling_ae,
                             to_string(t->association->outcome)));
  }
  ev.push_back("what was observed is one address only: the scanner's, which is the auditor's "
               "machine and not a host of the site. If the site allowed this address for the "
               "audit, the certificate may still be bound to addresses: confirm with the site");
  return fail(Severity::medium,
              fmt::format("The site's client certificate was accepted from the scanner's address "
                          "{}, not a host of the site: whoever holds a copy of that certificate "
                          "and its key can likely connect from any address",
                          addr.empty() ? "?" : addr),
              std::move(ev), {"dicom_tls"}, EvidenceLevel::observed, Confidence::tentative);
}

RuleHit eval_tls_client_cert_weak_cipher(const EndpointView& v) {
  std::string why;
  const TlsData* t = credential_tls(v, why);
  if (!t) return not_evaluated(why);
  if (t->weak_result == "not_tested" || t->weak_result == "error") {
    return not_evaluated(fmt::format("weak-suite handshake with the site's certificate: {} ({})",
                                     t->weak_result, t->weak_detail));
  }
  if (t->weak_result != "accepted" || !t->weak_cert_sent) {
    return pass(fmt::format("offering only weak suites with the site's certificate: {} ({})",
                            t->weak_result == "accepted" ? "accepted without the certificate "
                                                           "being asked for (see TLS-WEAK-CIPHER)"
                                                         : t->weak_result,
                            t->weak_detail));
  }
  std::string offered;
  for (const auto& s : t->weak_offered) offered += (offered.empty() ? "" : " ") + s;
  const bool broken = broken_suite(t->weak_cipher);
  return fail(broken ? Severity::high : Severity::medium,
              fmt::format("With the site's client certificate, the server completed a handshake "
                          "on the weak suite {}: a known peer's traffic can be as weakly "
                          "protected",
                          t->weak_cipher),
              {credential_line(*t), fmt::format("offered only: {}", offered),
               fmt::format("completed: {}", t->weak_detail)},
              {"dicom_tls"}, EvidenceLevel::observed, Confidence::confirmed);
}

}  // namespace pacscan::rules
