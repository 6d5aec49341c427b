// SPDX-License-Identifier: Apache-2.0
// Evaluators for the TLS rules (probe dicom_tls). They are judged only where a TLS server answered
// (see rule_applies in evaluate.cpp); each says fail with evidence, pass with the reason, or not
// evaluated with the reason — never pass for data the probe could not gather.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "evaluators.hpp"

namespace pacscan::rules {
namespace {

const std::vector<std::string> k_probes{"dicom_tls"};

RuleHit fail(Severity sev, std::string summary, std::vector<std::string> evidence,
             std::string discriminator = {}, Confidence conf = Confidence::confirmed) {
  RuleHit h = rules::fail(sev, std::move(summary), std::move(evidence), k_probes,
                          EvidenceLevel::observed, conf);
  h.discriminator = std::move(discriminator);
  return h;
}

// The TLS data, or why there is none.
const TlsData* tls_of(const EndpointView& v, std::string& why) {
  if (!v.get<TlsData>()) {
    const Outcome* o = v.outcome_of("dicom_tls");
    why = o ? fmt::format("probe dicom_tls ended {}", to_string(*o))
            : std::string("probe dicom_tls did not run");
    return nullptr;
  }
  if (!v.get<TlsData>()->tls) {
    why = "no TLS server answered on this port";
    return nullptr;
  }
  return v.get<TlsData>();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool contains(const std::string& hay, std::string_view needle) {
  return hay.find(needle) != std::string::npos;
}

// OpenSSL suite names: NULL / anonymous / EXPORT / RC4 / single DES are broken; 3DES is weak.
bool broken_suite(const std::string& name) {
  return contains(name, "NULL") || name.rfind("ADH", 0) == 0 || name.rfind("AECDH", 0) == 0 ||
         contains(name, "EXP") || contains(name, "RC4") ||
         (contains(name, "DES") && !contains(name, "CBC3") && !contains(name, "3DES"));
}

std::string cert_name(const TlsCertificate& c, std::size_t i) {
  return fmt::format("certificate {} ({}) '{}'", i, i == 0 ? "leaf" : "chain", c.subject);
}

// "2026-12-29T10:00:00Z" and "2026-11-29T09:40:33.123Z" compare on their first 19 characters.
std::string_view seconds_of(std::string_view iso) { return iso.substr(0, 19); }

}  // namespace

RuleHit eval_tls_legacy_protocol(const EndpointView& v) {
  std::string why;
  const TlsData* t = tls_of(v, why);
  if (!t) return not_evaluated(why);
  std::vector<std::string> accepted, untested, refused;
  for (const auto& r : t->versions) {
    if (r.version != "TLSv1" && r.version != "TLSv1.1" && r.version != "SSLv3") continue;
    const std::string line = fmt::format("{}: {}{}{}", r.version, r.result,
                                         r.detail.empty() ? "" : " — ", r.detail);
    if (r.result == "accepted") accepted.push_back(line);
    else if (r.result == "refused") refused.push_back(line);
    else untested.push_back(line);
  }
  if (!accepted.empty()) {
    std::string which;
    for (const auto& r : t->versions) {
      if (r.result == "accepted" && (r.version == "TLSv1" || r.version == "TLSv1.1")) {
        which += (which.empty() ? "" : "+") + r.version;
      }
    }
    auto ev = accepted;
    ev.insert(ev.begin(), "handshake completed with a client offering only that version");
    return fail(Severity::medium, fmt::format("legacy protocol accepted: {}", which),
                std::move(ev), which);
  }
  if (refused.size() < 2) {
    std::string list;
    for (const auto& u : untested) list += (list.empty() ? "" : "; ") + u;
    return not_evaluated(fmt::format("TLS 1.0 / 1.1 not both tested{}{}",
                                     list.empty() ? "" : ": ", list));
  }
  return pass("TLS 1.0 and TLS 1.1 refused (SSLv3 not tested: this OpenSSL build has no SSLv3)");
}

RuleHit eval_tls_weak_cipher(const EndpointView& v) {
  std::string why;
  const TlsData* t = tls_of(v, why);
  if (!t) return not_evaluated(why);
  std::string offered;
  for (const auto& s : t->weak_offered) offered += (offered.empty() ? "" : " ") + s;
  const bool any_3des = std::any_of(t->weak_offered.begin(), t->weak_offered.end(),
                                    [](const std::string& s) { return contains(s, "CBC3"); });
  const bool any_rc4 = std::any_of(t->weak_offered.begin(), t->weak_offered.end(),
                                   [](const std::string& s) { return contains(s, "RC4"); });
  const bool any_des = std::any_of(t->weak_offered.begin(), t->weak_offered.end(),
                                   [](const std::string& s) { return contains(s, "DES-CBC-"); });
  const bool any_exp = std::any_of(t->weak_offered.begin(), t->weak_offered.end(),
                                   [](const std::string& s) { return contains(s, "EXP"); });
  if (t->weak_result == "accepted") {
    const bool broken = broken_suite(t->weak_cipher);
    return fail(broken ? Severity::high : Severity::low,
                fmt::format("weak cipher suite {} accepted", t->weak_cipher),
                {fmt::format("a client offering only weak suites ({}) completed a handshake: {}",
                             offered, t->weak_detail)},
                t->weak_cipher);
  }
  if (t->weak_result == "refused") {
    std::string untested;
    if (!any_3des) untested += "3DES";
    if (!any_rc4) untested += std::string(untested.empty() ? "" : ", ") + "RC4";
    if (!any_des) untested += std::string(untested.empty() ? "" : ", ") + "DES";
    if (!any_exp) untested += std::string(untested.empty() ? "" : ", ") + "EXPORT";
    return pass(fmt::format("a handshake offering only weak suites was refused ({}); offered: "
                            "{}{}",
                            t->weak_detail, offered,
                            untested.empty()
                                ? ""
                                : fmt::format("; not tested ({} not in this OpenSSL build)",
                                              untested)));
  }
  return not_evaluated(fmt::format("weak-suite handshake {}: {}", t->weak_result,
                                   t->weak_detail.empty() ? "no detail" : t->weak_detail));
}

RuleHit eval_tls_cert_untrusted(const EndpointView& v) {
  std::string why;
  const TlsData* t = tls_of(v, why);
  if (!t) return not_evaluated(why);
  if (t->chain.empty()) return not_evaluated("the server sent no certificate");
  if (t->verify_code < 0) return not_evaluated("certificate verification result unknown");
  // Observations from before trust_anchors was recorded were verified against the system store.
  const std::vector<std::string> anchors =
      t->trust_anchors.empty() ? std::vector<std::string>{"system"} : t->trust_anchors;
  const auto site = std::find_if(anchors.begin(), anchors.end(), [](const std::string& a) {
    return a.rfind("site CA", 0) == 0;
  });
  const bool site_given = site != anchors.end();
  const bool site_loaded = site_given && !contains(*site, ": not loaded");
  std::string against;
  for (const auto& a : anchors) {
    against += (against.empty() ? "" : " + ") + (a == "system" ? "the system trust store" : a);
  }
  if (t->verified) {
    const std::string root = t->trusted_by == "site CA"  ? "; its root is in the site CA bundle"
                             : t->trusted_by == "system" ? "; its root is in the system store"
                                                         : "";
    return pass(fmt::format("chain verifies against {} ({}){}", against, t->verify_result, root));
  }
  const auto& leaf = t->chain.front();
  std::vector<std::string> ev;
  ev.push_back(fmt::format("verification against {}: {} (code {})", against, t->verify_result,
                           t->verify_code));
  for (const auto& e : t->verify_errors) ev.push_back("verify error at " + e);
  ev.push_back(fmt::format("leaf subject '{}', issuer '{}', serial {}", leaf.subject, leaf.issuer,
                           leaf.serial));
  if (leaf.self_signed) ev.push_back("the leaf certificate is self-signed");
  ev.push_back(site_loaded  ? "the chain does not end in the site CA given with --tls-ca either"
               : site_given ? "the site CA file given with --tls-ca could not be loaded at "
                              "scan time: only the system trust store was used"
                            : "no site CA given: if the site runs its own CA, scan with --tls-ca "
                              "FILE so chains it issued are verified against it");
  return fail(Severity::low,
              leaf.self_signed ? "self-signed certificate, not trusted"
                               : "certificate does not chain to a trusted CA",
              std::move(ev), leaf.serial);
}

RuleHit eval_tls_cert_expired(const EndpointView& v) {
  std::string why;
  const TlsData* t = tls_of(v, why);
  if (!t) return not_evaluated(why);
  if (t->chain.empty()) return not_evaluated("the server sent no certificate");
  if (v.at<TlsData>().size() < 19) return not_evaluated("the observation has no scan time");
  const auto now = seconds_of(v.at<TlsData>());
  std::vector<std::string> ev;
  std::string disc;
  for (std::size_t i = 0; i < t->chain.size(); ++i) {
    const auto& c = t->chain[i];
    if (c.not_after.size() < 19 || c.not_before.size() < 19) {
      if (i == 0) return not_evaluated("the leaf certificate's validity dates could not be read");
      continue;
    }
    if (seconds_of(c.not_after) < now) {
      ev.push_back(fmt::format("{} expired: not after {} < scan time {}", cert_name(c, i),
                               c.not_after, v.at<TlsData>()));
      if (disc.empty()) disc = c.serial;
    } else if (seconds_of(c.not_before) > now) {
      ev.push_back(fmt::format("{} not yet valid: not before {} > scan time {}", cert_name(c, i),
                               c.not_before, v.at<TlsData>()));
      if (disc.empty()) disc = c.serial;
    }
  }
  if (ev.empty()) {
    const auto& leaf = t->chain.front();
    return pass(fmt::format("valid at scan time {} (leaf {} to {})", v.at<TlsData>(), leaf.not_before,
                            leaf.not_after));
  }
  return fail(Severity::medium, "certificate expired or not yet valid at scan time",
              std::move(ev), disc);
}

RuleHit eval_tls_cert_weak(const EndpointView& v) {
  std::string why;
  const TlsData* t = tls_of(v, why);
  if (!t) return not_evaluated(why);
  if (t->chain.empty()) return not_evaluated("the server sent no certificate");
  std::vector<std::string> ev;
  std::string disc;
  for (std::size_t i = 0; i < t->chain.size(); ++i) {
    const auto& c = t->chain[i];
    const std::string kt = c.key_type;
    if (i == 0 && (kt.empty() || c.key_bits <= 0)) {
      return not_evaluated("the leaf certificate's key could not be read");
    }
    if ((kt == "RSA" || kt == "RSA-PSS" || kt == "DSA") && c.key_bits < 2048) {
      ev.push_back(fmt::format("{}: {} key of {} bits (< 2048)", cert_name(c, i), kt, c.key_bits));
    } else if (kt == "EC" && c.key_bits < 256) {
      ev.push_back(fmt::format("{}: EC key of {} bits (< 256)", cert_name(c, i), c.key_bits));
    }
    // A self-signed root's own signature is not checked by peers: judge it on the leaf only.
    if (i == 0 || !c.self_signed) {
      const std::string sig = lower(c.signature_algorithm);
      if (contains(sig, "sha1") || contains(sig, "md5") || contains(sig, "md2") ||
          contains(sig, "md4")) {
        ev.push_back(fmt::format("{}: signature {}", cert_name(c, i), c.signature_algorithm));
      }
    }
    if (!ev.empty() && disc.empty()) disc = c.serial;
  }
  if (ev.empty()) {
    const auto& leaf = t->chain.front();
    return pass(fmt::format("leaf {} {} bits, signature {}", leaf.key_type, leaf.key_bits,
                            leaf.signature_algorithm));
  }
  return fail(Severity::medium, "weak certificate key or signature", std::move(ev), disc);
}

RuleHit eval_tls_no_client_cert(const EndpointView& v) {
  std::string why;
  const TlsData* t = tls_of(v, why);
  if (!t) return not_evaluated(why);
  if (t->client_cert == "required") {
    return pass(fmt::format("a client certificate is required: {}", t->client_cert_detail));
  }
  if (!t->association) return not_evaluated("no association over TLS was attempted");
  const auto& a = *t->association;
  if (!a.valid_pdu()) {
    return not_evaluated(fmt::format("the association over TLS got no DICOM answer ({}{}{})",
                                     to_string(a.outcome), a.detail.empty() ? "" : ": ", a.detail));
  }
  std::vector<std::string> ev{
      fmt::format("TLS handshake ({} {}) completed without a client certificate; client "
                  "certificate {}: {}",
                  t->protocol, t->cipher, t->client_cert, t->client_cert_detail),
      fmt::format("association over TLS as calling '{}' to called '{}': {}{}", a.calling_ae,
                  a.called_ae, to_string(a.outcome), a.reject ? " (" + a.reject->text + ")" : "")};
  if (a.outcome == Outcome::ok) {
    return fail(Severity::medium, "DICOM TLS accepts an association from a peer without a "
                                  "client certificate",
                std::move(ev));
  }
  return fail(Severity::medium, "DICOM TLS admits a peer without a client certificate to the "
                                "DICOM layer (the association itself was not accepted)",
              std::move(ev), {}, Confidence::tentative);
}

}  // namespace pacscan::rules
