// SPDX-License-Identifier: Apache-2.0
// dicom_tls: DICOM over TLS (PS3.15 Annex B) on open ports that did not answer DICOM in cleartext.
// One plain OpenSSL handshake first: a port that does not answer it as a TLS server costs one
// connection and the probe stops. On a TLS server: one handshake per protocol version (TLS 1.0,
// 1.1, 1.2, 1.3, one at a time), one offering only weak suites (those this OpenSSL build has),
// then one association (Verification, random called AE) over TLS through dcmtls.
//
// Each handshake is the TLS adapter's (src/tls: its own SSL_CTX, the permit's numeric address
// only), under its own gate permit, bounded by the connect and I/O timeouts cut to the endpoint
// budget. This file says what is offered and how the answers are judged. Worst case:
// k_max_connections connections.
//
// With --tls-cert / --tls-key (the site's client certificate), a second observation, identity
// "tls_client_cert", holds the known peer's view: one handshake, one offering only weak suites
// and one association, each answering a CertificateRequest with the site's certificate
// (k_credential_connections more). The first observation stays the unknown peer's view.
#include "common.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <pacscan/tls/tls.hpp>

namespace pacscan::probes {
namespace {

constexpr int k_max_connections = 7;        // first + 4 versions + weak suites + association
constexpr int k_credential_connections = 3;  // with the certificate: first + weak + association
// NULL, anonymous, EXPORT, RC4, DES and 3DES suites (whatever this OpenSSL build still has).
constexpr const char* k_weak_suites = "eNULL:aNULL:EXPORT:RC4:DES:3DES:@SECLEVEL=0";

// One handshake under its own gate permit, bounded by the endpoint's budget.
tls::HandshakeResult handshake(const ProbeContext& ctx, const Endpoint& ep,
                               const tls::HandshakeOptions& opt, const tls::Trust& trust,
                               int& connections) {
  tls::HandshakeResult r;
  if (ctx.budget.exhausted()) {
    r.outcome = Outcome::skipped;
    r.error = "endpoint time budget exhausted";
    return r;
  }
  if (opt.max_version < tls::Version::tls1_3 && !tls::cipher_list_available(opt.cipher_list)) {
    r.outcome = Outcome::skipped;
    r.error = "no such cipher suite in this OpenSSL build";
    return r;
  }
  std::optional<Permit> permit = ctx.gate.acquire(ep, ctx.stop);
  if (!permit) {
    r.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::skipped;
    r.error = ctx.stop.stop_requested() ? "scan interrupted" : "out of scope";
    return r;
  }
  tls::Limits limits;
  limits.connect = ctx.policy.connect_timeout;
  limits.io = ctx.policy.io_timeout;
  limits.end = Budget::Clock::now() + ctx.budget.remaining();
  r = tls::handshake(*permit, opt, trust, limits, ctx.stop);
  if (r.connected) ++connections;
  return r;
}

bool answered_at_once(const ServiceFacts& f) {
  if (!f.port_open || f.speaks_dicom) return false;
  // A TLS server answers a cleartext A-ASSOCIATE-RQ at once (alert or close): a port that stayed
  // silent, trickled, or refused has no TLS server to find.
  if (f.first_attempt) {
    switch (f.first_attempt->outcome) {
      case Outcome::timed_out:
      case Outcome::deadline:
      case Outcome::refused:
      case Outcome::unreachable:
      case Outcome::interrupted: return false;
      default: break;
    }
  }
  return true;
}

// The weak-suites handshake's result, filed into `d`.
void weak_result(const tls::HandshakeResult& r, TlsData& d) {
  d.weak_offered = r.offered;
  if (r.outcome == Outcome::skipped || r.outcome == Outcome::interrupted) {
    d.weak_result = "not_tested";
    d.weak_detail = r.error;
    d.weak_offered.clear();
  } else if (r.done && !r.post_alert) {
    d.weak_result = "accepted";
    d.weak_cipher = r.cipher;
    d.weak_cert_sent = r.cert_sent;
    d.weak_detail = fmt::format("{} {} ({} bits){}", r.version, r.cipher, r.bits,
                                r.cert_sent ? ", the site's client certificate sent" : "");
  } else if (r.tls_seen || r.outcome == Outcome::closed || r.outcome == Outcome::non_dicom) {
    d.weak_result = "refused";
    d.weak_detail = r.alert.empty() ? r.error : r.alert;
    if (!r.cipher.empty() && !r.chain.empty()) {
      // the server chose a weak suite and then failed on something else (client certificate)
      d.weak_result = "accepted";
      d.weak_cipher = r.cipher;
      d.weak_detail = fmt::format("server chose {} ({}), then: {}", r.cipher, r.version,
                                  d.weak_detail);
    }
  } else {
    d.weak_result = "error";
    d.weak_detail = fmt::format("{}: {}", to_string(r.outcome), r.error);
  }
}

// The known peer's view: the same endpoint measured presenting the site's client certificate.
Observation run_credentialed(const ProbeContext& ctx, const Endpoint& ep, const tls::Trust& site) {
  Observation o = make_observation("dicom_tls", ep);
  o.identity = "tls_client_cert";
  const auto t0 = Budget::Clock::now();
  TlsData d;
  int conns = 0;
  if (auto c = tls::check_client_credential(ctx.policy.tls_cert_file, ctx.policy.tls_key_file)) {
    d.credential_subject = c->cert.subject;
    d.credential_sha256 = c->sha256;
  }
  tls::HandshakeOptions first;
  first.wait_after = true;
  first.present_cert = true;
  const auto h = handshake(ctx, ep, first, site, conns);
  d.tls = h.tls_seen;
  d.handshake_ok = h.done && !h.post_alert;
  d.error = h.error;
  d.alert = h.alert;
  d.protocol = h.version;
  d.cipher = h.cipher;
  d.cipher_bits = h.bits;
  d.chain = h.chain;
  d.client_cert_requested = h.cert_requested;
  d.credential_sent = h.cert_sent;
  d.local_address = h.local_address;

  tls::HandshakeOptions weak;
  weak.max_version = tls::Version::tls1_2;
  weak.cipher_list = k_weak_suites;
  weak.present_cert = true;
  weak_result(handshake(ctx, ep, weak, site, conns), d);

  SessionOptions so;
  so.tls = true;
  so.present_cert = true;
  AssocAttempt a;
  {
    Session s = open_session(ctx, ep, ctx.policy.calling_ae, dicom::random_ae_title(),
                             dicom::verification_context(), so);
    if (s.assoc) s.assoc->release();
    a = s.attempt;
  }
  d.association = a;
  ++conns;
  if (!site.client_error().empty()) {
    d.credential_result = "unknown";
    d.credential_detail = site.client_error();
  } else if (!h.cert_requested && h.done) {
    d.credential_result = "not_requested";
    d.credential_detail = "the server sent no CertificateRequest: the certificate was not sent";
  } else if (h.cert_sent && h.done && !h.post_alert && a.valid_pdu()) {
    d.credential_result = "accepted";
    d.credential_detail = fmt::format("the certificate was sent from {} and the server went on to "
                                      "a DICOM answer over TLS ({})",
                                      h.local_address.empty() ? "the scanner" : h.local_address,
                                      to_string(a.outcome));
  } else if (h.cert_sent && (h.post_alert || !h.done || !a.valid_pdu())) {
    d.credential_result = "refused";
    d.credential_detail = fmt::format(
        "the certificate was sent; then {}", !h.alert.empty() ? h.alert
                                             : !h.done        ? h.error
                                                              : describe_attempt(a));
  } else {
    d.credential_result = "unknown";
    d.credential_detail = h.done ? describe_attempt(a) : h.error;
  }
  d.connections = conns;
  o.outcome = a.outcome == Outcome::skipped ? (h.tls_seen ? Outcome::ok : h.outcome) : a.outcome;
  o.elapsed_ms = std::chrono::duration_cast<Millis>(Budget::Clock::now() - t0).count();
  o.summary = fmt::format("with the site's client certificate: {} ({}); TLS {} {}; weak suites {}; "
                          "DICOM over TLS: {}",
                          d.credential_result, d.credential_detail,
                          d.protocol.empty() ? "?" : d.protocol, d.cipher.empty() ? "?" : d.cipher,
                          d.weak_result, describe_attempt(a));
  o.data = std::move(d);
  return o;
}

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_tls", ep);
  const auto t0 = Budget::Clock::now();
  TlsData d;
  int conns = 0;
  tls::HandshakeOptions first;
  first.wait_after = true;
  const tls::Trust system_only;
  const tls::Trust site(tls::Config{.ca_file = ctx.policy.tls_ca_file,
                                    .cert_file = ctx.policy.tls_cert_file,
                                    .key_file = ctx.policy.tls_key_file});
  tls::HandshakeResult h = handshake(ctx, ep, first, site, conns);
  auto finish = [&](Outcome outcome, std::string summary) {
    d.connections = conns;
    o.outcome = outcome;
    o.elapsed_ms =
        std::chrono::duration_cast<Millis>(Budget::Clock::now() - t0).count();
    o.summary = std::move(summary);
    o.data = std::move(d);
    return std::vector<Observation>{std::move(o)};
  };
  d.tls = h.tls_seen;
  d.handshake_ok = h.done;
  d.error = h.error;
  d.alert = h.alert;
  if (!h.tls_seen) {
    const Outcome out = h.outcome == Outcome::ok ? Outcome::non_dicom : h.outcome;
    return finish(out, fmt::format("no TLS server: {} ({})", to_string(out), h.error));
  }
  d.trust_anchors.push_back("system");
  if (site.has_site_ca()) d.trust_anchors.push_back(site.site_anchor());
  d.protocol = h.version;
  d.cipher = h.cipher;
  d.cipher_bits = h.bits;
  d.chain = h.chain;
  d.verify_code = h.verify_code;
  d.verify_errors = h.verify_errors;
  if (h.verify_code >= 0) {
    d.verify_result = h.verify_text;
    d.verified = h.verify_code == 0 && h.verify_errors.empty();
    if (d.verified) d.trusted_by = h.site_anchor ? "site CA" : "system";
  }
  d.client_cert_requested = h.cert_requested;

  for (auto v : {tls::Version::tls1_0, tls::Version::tls1_1, tls::Version::tls1_2,
                 tls::Version::tls1_3}) {
    tls::HandshakeOptions opt;
    opt.min_version = opt.max_version = v;
    const auto r = handshake(ctx, ep, opt, system_only, conns);
    TlsVersionResult vr;
    vr.version = tls::version_name(v);
    d.client_cert_requested = d.client_cert_requested || r.cert_requested;
    if (r.outcome == Outcome::skipped || r.outcome == Outcome::interrupted) {
      vr.result = "not_tested";
      vr.detail = r.error;
    } else if (r.done || !r.chain.empty() || r.cert_requested) {
      // The server answered with this version (a handshake that then fails on the client
      // certificate still shows the version accepted).
      vr.result = "accepted";
      vr.detail = r.done ? fmt::format("{} ({} bits)", r.cipher, r.bits)
                         : fmt::format("server hello with {}, then: {}", r.version,
                                       r.alert.empty() ? r.error : r.alert);
    } else if (r.tls_seen || r.outcome == Outcome::closed || r.outcome == Outcome::non_dicom) {
      vr.result = "refused";
      vr.detail = r.alert.empty() ? r.error : r.alert;
    } else {
      vr.result = "error";
      vr.detail = fmt::format("{}: {}", to_string(r.outcome), r.error);
    }
    d.versions.push_back(std::move(vr));
  }

  {
    tls::HandshakeOptions opt;
    opt.max_version = tls::Version::tls1_2;
    opt.cipher_list = k_weak_suites;
    weak_result(handshake(ctx, ep, opt, system_only, conns), d);
  }

  SessionOptions so;
  so.tls = true;
  AssocAttempt a;
  {
    // Scoped: the session's permit must be back before the known peer's view asks for one (one
    // association per host at a time: holding it would wait on ourselves).
    Session s = open_session(ctx, ep, ctx.policy.calling_ae, dicom::random_ae_title(),
                             dicom::verification_context(), so);
    if (s.assoc) s.assoc->release();
    a = s.attempt;
  }
  d.association = a;
  ++conns;

  const bool reached_certificate_stage =
      h.done || !h.chain.empty() ||
      std::any_of(d.versions.begin(), d.versions.end(),
                  [](const TlsVersionResult& v) { return v.result == "accepted"; });
  if (!d.client_cert_requested && !reached_certificate_stage) {
    d.client_cert_detail = "no handshake got far enough to see whether a certificate is requested";
  } else if (!d.client_cert_requested) {
    d.client_cert = "not_requested";
    d.client_cert_detail = "the server sent no CertificateRequest";
  } else if (h.post_alert || (!h.done && h.alert_code >= 0)) {
    d.client_cert = "required";
    d.client_cert_detail = fmt::format("CertificateRequest received; without a certificate the "
                                       "server ended the handshake: {}",
                                       h.alert);
  } else if (a.valid_pdu()) {
    d.client_cert = "optional";
    d.client_cert_detail = fmt::format("CertificateRequest received, yet the association over "
                                       "TLS without a certificate got a DICOM answer ({})",
                                       to_string(a.outcome));
  } else if (a.outcome != Outcome::skipped && a.outcome != Outcome::interrupted) {
    d.client_cert = "required";
    d.client_cert_detail = fmt::format("CertificateRequest received and the association over TLS "
                                       "without a certificate failed: {}: {}",
                                       to_string(a.outcome), a.detail);
  } else {
    d.client_cert_detail = "CertificateRequest received; the association was not attempted";
  }

  std::string accepted;
  for (const auto& v : d.versions) {
    if (v.result == "accepted") accepted += (accepted.empty() ? "" : " ") + v.version;
  }
  const Outcome out = a.outcome == Outcome::skipped ? Outcome::ok : a.outcome;
  auto observations = finish(out, fmt::format("TLS {} {}; versions [{}]; client cert {}; DICOM over TLS: {}",
                                 d.protocol.empty() ? "?" : d.protocol,
                                 d.cipher.empty() ? "?" : d.cipher, accepted, d.client_cert,
                                 describe_attempt(a)));
  if (!ctx.policy.tls_cert_file.empty() && !ctx.stop.stop_requested()) {
    observations.push_back(run_credentialed(ctx, ep, site));
  }
  return observations;
}

// Later probes speak as an unknown peer where one got a DICOM answer over TLS; only where the
// server answered the site's certificate alone do they present it (the known peer's view).
void learn(const Observation& o, ServiceFacts& f) {
  const auto* d = data_as<TlsData>(o);
  if (!d || !d->association || !d->association->valid_pdu()) return;
  if (!o.identity.empty()) {
    if (f.tls) return;  // an unknown peer already got in: the probes measure that view
    f.tls_credential = true;
  }
  f.speaks_dicom = true;
  f.tls = true;
  f.first_attempt = *d->association;
}

}  // namespace

PACSCAN_PROBE(dicom_tls){
    .name = "dicom_tls",
    .summary = "DICOM TLS on ports without cleartext DICOM: handshake (protocol, cipher, "
               "certificate chain, trust), TLS 1.0/1.1/1.2/1.3 one at a time, weak suites, client "
               "certificate requested / required, then A-ASSOCIATE (Verification) over TLS; one "
               "connection on a non-TLS port",
    .order = 30,
    .needs = Needs::non_dicom_port,
    .also = &answered_at_once,
    .precondition = "an open port that did not answer DICOM in cleartext and was not silent",
    .max_associations = k_max_connections,
    .credential_associations = k_credential_connections,
    .run = &run,
    .learn = &learn,
};

}  // namespace pacscan::probes
