// dicom_tls: DICOM over TLS (PS3.15 Annex B) on open ports that did not answer DICOM in cleartext.
// One plain OpenSSL handshake first: a port that does not answer it as a TLS server costs one
// connection and the probe stops. On a TLS server: one handshake per protocol version (TLS 1.0,
// 1.1, 1.2, 1.3, one at a time), one offering only weak suites (those this OpenSSL build has),
// then one association (Verification, random called AE) over TLS through dcmtls.
//
// Every handshake runs on the probe's own SSL_CTX (security level 0 and the version bounds are set
// there, never process-wide), over a non-blocking socket opened under a gate permit to the
// permit's numeric address, with poll() bounded by the connect timeout and the I/O timeout, both
// cut to the endpoint budget. Worst case: k_max_connections connections.
#include "common.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace pacscan::probes {
namespace {

constexpr int k_max_connections = 7;        // first + 4 versions + weak suites + association
constexpr std::size_t k_max_field = 512;    // stored certificate string length
constexpr std::size_t k_max_san = 32;       // SAN entries kept
constexpr std::size_t k_max_chain = 8;      // certificates kept
constexpr Millis k_post_handshake_wait{500};  // TLS 1.3: wait for a certificate_required alert
// NULL, anonymous, EXPORT, RC4, DES and 3DES suites (whatever this OpenSSL build still has).
constexpr const char* k_weak_suites = "eNULL:aNULL:EXPORT:RC4:DES:3DES:@SECLEVEL=0";
constexpr const char* k_broad_suites = "DEFAULT:@SECLEVEL=0";

std::string clip(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, k_max_field)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  return out;
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

struct CtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// The site's CA bundle (--tls-ca), read once per endpoint; the CLI has already checked that it
// holds at least one certificate, so an error here means the file changed during the scan.
struct SiteCa {
  std::vector<X509Ptr> certs;
  std::string anchor;  // "site CA FILE (N certificates)" or "site CA FILE: not loaded (why)"
};

SiteCa load_site_ca(const std::string& file) {
  SiteCa ca;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(file.c_str(), "r"), &BIO_free);
  if (bio) {
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) ca.certs.emplace_back(x);
  }
  const std::string errs = bio ? std::string() : openssl_errors();
  ERR_clear_error();  // the end of the file reads as a "no start line" error
  if (ca.certs.empty()) {
    ca.anchor = fmt::format("site CA {}: not loaded ({})", clip(file),
                            errs.empty() ? "no certificate in the file" : errs);
  } else {
    ca.anchor = fmt::format("site CA {} ({} certificate{})", clip(file), ca.certs.size(),
                            ca.certs.size() == 1 ? "" : "s");
  }
  return ca;
}

// ---- certificate facts ----

std::string name_text(const X509_NAME* n) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || !n) return {};
  X509_NAME_print_ex(bio.get(), n, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return clip(std::string_view(data, static_cast<std::size_t>(std::max(0L, len))));
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string key_type_text(int id) {
  switch (id) {
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_RSA_PSS: return "RSA-PSS";
    case EVP_PKEY_EC: return "EC";
    case EVP_PKEY_DSA: return "DSA";
    case EVP_PKEY_ED25519: return "ED25519";
    case EVP_PKEY_ED448: return "ED448";
    default: return id == NID_undef ? "unknown" : OBJ_nid2sn(id);
  }
}

TlsCertificate certificate_facts(X509* x) {
  TlsCertificate c;
  c.subject = name_text(X509_get_subject_name(x));
  c.issuer = name_text(X509_get_issuer_name(x));
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      c.serial = clip(hex);
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  c.not_before = time_text(X509_get0_notBefore(x));
  c.not_after = time_text(X509_get0_notAfter(x));
  EVP_PKEY* key = X509_get0_pubkey(x);
  c.self_signed = X509_check_issued(x, x) == X509_V_OK && key && X509_verify(x, key) == 1;
  if (key) {
    c.key_type = key_type_text(EVP_PKEY_get_base_id(key));
    c.key_bits = EVP_PKEY_get_bits(key);
  }
  const int sig = X509_get_signature_nid(x);
  c.signature_algorithm = sig == NID_undef ? "unknown" : OBJ_nid2ln(sig);
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && c.san.size() < k_max_san; ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type == GEN_DNS) {
        const ASN1_STRING* s = g->d.dNSName;
        c.san.push_back("DNS:" + clip(std::string_view(
                                     reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                     static_cast<std::size_t>(ASN1_STRING_length(s)))));
      } else if (g->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* s = g->d.iPAddress;
        char buf[INET6_ADDRSTRLEN] = {};
        const int len = ASN1_STRING_length(s);
        const int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
        if (af && inet_ntop(af, ASN1_STRING_get0_data(s), buf, sizeof buf)) {
          c.san.push_back(std::string("IP:") + buf);
        }
      } else if (g->type == GEN_EMAIL) {
        const ASN1_STRING* s = g->d.rfc822Name;
        c.san.push_back("email:" + clip(std::string_view(
                                       reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                       static_cast<std::size_t>(ASN1_STRING_length(s)))));
      }
    }
    GENERAL_NAMES_free(names);
  }
  return c;
}

// ---- one handshake ----

struct HsOptions {
  int min_version = TLS1_VERSION;
  int max_version = TLS1_3_VERSION;
  const char* cipher_list = k_broad_suites;  // TLS <= 1.2 suites
  bool wait_after = false;  // read briefly after the handshake (certificate_required in TLS 1.3)
  const SiteCa* site_ca = nullptr;  // trusted in addition to the system store
};

struct HsResult {
  Outcome outcome = Outcome::error;  // TCP / TLS level: ok = handshake completed
  bool done = false;
  bool tls_seen = false;             // the peer answered as a TLS server
  bool cert_requested = false;
  std::string version, cipher;
  int bits = 0;
  std::string error;
  std::string alert;                 // received from the peer
  int alert_code = -1;
  bool post_alert = false;           // the alert came after the handshake completed
  std::vector<TlsCertificate> chain;
  long verify_code = -1;
  std::vector<std::string> verify_errors;
  bool site_anchor = false;          // the verified chain ends in a site CA certificate
  std::vector<std::string> offered;  // TLS <= 1.2 suites offered
};

int verify_cb(int ok, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* r = ssl ? static_cast<HsResult*>(SSL_get_app_data(ssl)) : nullptr;
  if (!ok && r) {
    const int code = X509_STORE_CTX_get_error(store);
    const std::string e = fmt::format("depth {}: {}", X509_STORE_CTX_get_error_depth(store),
                                      X509_verify_cert_error_string(code));
    if (std::find(r->verify_errors.begin(), r->verify_errors.end(), e) == r->verify_errors.end() &&
        r->verify_errors.size() < 16) {
      r->verify_errors.push_back(e);
    }
  }
  return 1;  // never abort the handshake: the scanner reports, it does not trust
}

int client_cert_cb(SSL* ssl, X509**, EVP_PKEY**) {
  if (auto* r = static_cast<HsResult*>(SSL_get_app_data(ssl))) r->cert_requested = true;
  return 0;  // no certificate
}

void info_cb(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_READ_ALERT) || (ret & 0xff) == SSL_AD_CLOSE_NOTIFY) return;
  if (auto* r = static_cast<HsResult*>(SSL_get_app_data(ssl))) {
    if (r->alert.empty()) {
      // OpenSSL 3.0 has no text for TLS 1.3's certificate_required (RFC 8446 §6.2)
      const int code = ret & 0xff;
      const char* desc = code == 116 ? "certificate required" : SSL_alert_desc_string_long(ret);
      r->alert = fmt::format("{} alert {} ({})", SSL_alert_type_string_long(ret), code, desc);
      r->alert_code = ret & 0xff;
      r->post_alert = r->done;
    }
  }
}

// poll() one descriptor until `until`; false on timeout.
bool wait_fd(int fd, short events, Budget::Clock::time_point until) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<Millis>(until - Budget::Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the caller see the error
  }
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

HsResult handshake(const ProbeContext& ctx, const Endpoint& ep, const HsOptions& opt,
                   int& connections) {
  HsResult r;
  if (ctx.budget.exhausted()) {
    r.outcome = Outcome::skipped;
    r.error = "endpoint time budget exhausted";
    return r;
  }
  std::unique_ptr<SSL_CTX, CtxDeleter> sctx(SSL_CTX_new(TLS_client_method()));
  if (!sctx) {
    r.error = "SSL_CTX_new: " + openssl_errors();
    return r;
  }
  SSL_CTX* c = sctx.get();
  SSL_CTX_set_security_level(c, 0);  // this context only: old versions and weak keys get measured
  SSL_CTX_set_min_proto_version(c, opt.min_version);
  SSL_CTX_set_max_proto_version(c, opt.max_version);
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_LEGACY_SERVER_CONNECT);
  if (SSL_CTX_set_cipher_list(c, opt.cipher_list) != 1 && opt.max_version < TLS1_3_VERSION) {
    ERR_clear_error();
    r.outcome = Outcome::skipped;
    r.error = "no such cipher suite in this OpenSSL build";
    return r;
  }
  ERR_clear_error();
  SSL_CTX_set_default_verify_paths(c);  // the system trust store
  if (opt.site_ca) {
    for (const auto& x : opt.site_ca->certs) X509_STORE_add_cert(SSL_CTX_get_cert_store(c), x.get());
    ERR_clear_error();  // a site CA that is also in the system store: "cert already in hash table"
  }
  SSL_CTX_set_verify(c, SSL_VERIFY_NONE, &verify_cb);
  SSL_CTX_set_client_cert_cb(c, &client_cert_cb);
  SSL_CTX_set_info_callback(c, &info_cb);

  std::optional<Permit> permit = ctx.gate.acquire(ep, ctx.stop);
  if (!permit) {
    r.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::skipped;
    r.error = ctx.stop.stop_requested() ? "scan interrupted" : "out of scope";
    return r;
  }
  const Endpoint& to = permit->endpoint();  // numeric: no DNS, no way around the scope
  Fd sock;
  sock.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (sock.fd < 0) {
    r.error = std::string("socket: ") + std::strerror(errno);
    return r;
  }
  ++connections;
  const int one = 1;
  ::setsockopt(sock.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(to.port);
  sa.sin_addr.s_addr = htonl(to.ip.value);
  const auto connect_until = Budget::Clock::now() + ctx.budget.step(ctx.policy.connect_timeout);
  if (::connect(sock.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    int err = errno;
    if (err == EINPROGRESS) {
      if (!wait_fd(sock.fd, POLLOUT, connect_until)) {
        r.outcome = Outcome::timed_out;
        r.error = "TCP connect timed out";
        return r;
      }
      socklen_t len = sizeof err;
      ::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    }
    if (err != 0) {
      r.outcome = err == ECONNREFUSED                           ? Outcome::refused
                  : (err == EHOSTUNREACH || err == ENETUNREACH) ? Outcome::unreachable
                  : err == ETIMEDOUT                            ? Outcome::timed_out
                                                                : Outcome::error;
      r.error = std::string("connect: ") + std::strerror(err);
      return r;
    }
  }
  std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(c));
  if (!ssl) {
    r.error = "SSL_new: " + openssl_errors();
    return r;
  }
  SSL_set_fd(ssl.get(), sock.fd);
  SSL_set_app_data(ssl.get(), &r);
  if (STACK_OF(SSL_CIPHER)* list = SSL_get1_supported_ciphers(ssl.get())) {
    for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
      const SSL_CIPHER* ci = sk_SSL_CIPHER_value(list, i);
      if (std::string_view(SSL_CIPHER_get_version(ci)) != "TLSv1.3") {
        r.offered.push_back(SSL_CIPHER_get_name(ci));
      }
    }
    sk_SSL_CIPHER_free(list);
  }
  const auto io_until = Budget::Clock::now() + ctx.budget.step(ctx.policy.io_timeout);
  for (;;) {
    if (ctx.stop.stop_requested()) {
      r.outcome = Outcome::interrupted;
      r.error = "scan interrupted";
      break;
    }
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) {
      r.done = true;
      r.outcome = Outcome::ok;
      break;
    }
    const int e = SSL_get_error(ssl.get(), rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait_fd(sock.fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, io_until)) {
        r.outcome = Outcome::timed_out;
        r.error = "TLS handshake timed out";
        break;
      }
      continue;
    }
    const std::string errs = openssl_errors();
    const auto bytes_in = BIO_number_read(SSL_get_rbio(ssl.get()));
    if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
      r.outcome = bytes_in == 0 ? Outcome::closed : Outcome::non_dicom;
      r.error = errs.empty() ? (bytes_in == 0 ? "connection closed without any reply"
                                              : "connection closed during the handshake")
                             : errs;
    } else {
      r.outcome = bytes_in == 0 ? Outcome::closed : Outcome::non_dicom;
      r.error = errs.empty() ? fmt::format("SSL error {}", e) : errs;
    }
    break;
  }
  X509* leaf = SSL_get0_peer_certificate(ssl.get());
  r.tls_seen = r.done || leaf != nullptr || r.cert_requested || !r.alert.empty();
  if (r.done || leaf) {
    r.version = SSL_get_version(ssl.get());
    if (const SSL_CIPHER* ci = SSL_get_current_cipher(ssl.get())) {
      r.cipher = SSL_CIPHER_get_name(ci);
      r.bits = SSL_CIPHER_get_bits(ci, nullptr);
    }
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get())) {
      for (int i = 0; i < sk_X509_num(chain) && r.chain.size() < k_max_chain; ++i) {
        r.chain.push_back(certificate_facts(sk_X509_value(chain, i)));
      }
    } else if (leaf) {
      r.chain.push_back(certificate_facts(leaf));
    }
    r.verify_code = SSL_get_verify_result(ssl.get());
    if (r.verify_code == X509_V_OK && opt.site_ca) {
      STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl.get());
      const int n = verified ? sk_X509_num(verified) : 0;
      X509* root = n > 0 ? sk_X509_value(verified, n - 1) : nullptr;
      r.site_anchor = root && std::any_of(opt.site_ca->certs.begin(), opt.site_ca->certs.end(),
                                          [&](const X509Ptr& x) { return X509_cmp(x.get(), root) == 0; });
    }
  }
  if (r.done && opt.wait_after && r.cert_requested) {
    // TLS 1.3: the client finishes first; a server that requires a certificate says so now.
    const auto until = Budget::Clock::now() + ctx.budget.step(k_post_handshake_wait);
    char byte = 0;
    for (;;) {
      const int n = SSL_read(ssl.get(), &byte, 1);
      if (n > 0) break;
      const int e = SSL_get_error(ssl.get(), n);
      if (e != SSL_ERROR_WANT_READ || !wait_fd(sock.fd, POLLIN, until)) break;
    }
    ERR_clear_error();
  }
  if (r.done) SSL_shutdown(ssl.get());  // close_notify, best effort (non-blocking)
  ERR_clear_error();
  return r;
}

const char* version_name(int v) {
  switch (v) {
    case TLS1_VERSION: return "TLSv1";
    case TLS1_1_VERSION: return "TLSv1.1";
    case TLS1_2_VERSION: return "TLSv1.2";
    case TLS1_3_VERSION: return "TLSv1.3";
    default: return "?";
  }
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

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_tls", ep);
  const auto t0 = Budget::Clock::now();
  TlsData d;
  int conns = 0;
  HsOptions first;
  first.wait_after = true;
  SiteCa site_ca;
  if (!ctx.policy.tls_ca_file.empty()) {
    site_ca = load_site_ca(ctx.policy.tls_ca_file);
    first.site_ca = &site_ca;
  }
  HsResult h = handshake(ctx, ep, first, conns);
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
  if (first.site_ca) d.trust_anchors.push_back(site_ca.anchor);
  d.protocol = h.version;
  d.cipher = h.cipher;
  d.cipher_bits = h.bits;
  d.chain = h.chain;
  d.verify_code = h.verify_code;
  d.verify_errors = h.verify_errors;
  if (h.verify_code >= 0) {
    d.verify_result = X509_verify_cert_error_string(h.verify_code);
    d.verified = h.verify_code == X509_V_OK && h.verify_errors.empty();
    if (d.verified) d.trusted_by = h.site_anchor ? "site CA" : "system";
  }
  d.client_cert_requested = h.cert_requested;

  for (int v : {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION}) {
    HsOptions opt;
    opt.min_version = opt.max_version = v;
    HsResult r = handshake(ctx, ep, opt, conns);
    TlsVersionResult vr;
    vr.version = version_name(v);
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
    HsOptions opt;
    opt.max_version = TLS1_2_VERSION;
    opt.cipher_list = k_weak_suites;
    HsResult r = handshake(ctx, ep, opt, conns);
    d.weak_offered = r.offered;
    if (r.outcome == Outcome::skipped || r.outcome == Outcome::interrupted) {
      d.weak_result = "not_tested";
      d.weak_detail = r.error;
      d.weak_offered.clear();
    } else if (r.done) {
      d.weak_result = "accepted";
      d.weak_cipher = r.cipher;
      d.weak_detail = fmt::format("{} {} ({} bits)", r.version, r.cipher, r.bits);
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

  SessionOptions so;
  so.tls = true;
  Session s = open_session(ctx, ep, ctx.policy.calling_ae, dicom::random_ae_title(),
                           dicom::verification_context(), so);
  if (s.assoc) s.assoc->release();
  d.association = s.attempt;
  ++conns;
  const AssocAttempt& a = s.attempt;

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
  return finish(out, fmt::format("TLS {} {}; versions [{}]; client cert {}; DICOM over TLS: {}",
                                 d.protocol.empty() ? "?" : d.protocol,
                                 d.cipher.empty() ? "?" : d.cipher, accepted, d.client_cert,
                                 describe_attempt(a)));
}

void learn(const Observation& o, ServiceFacts& f) {
  const auto* d = data_as<TlsData>(o);
  if (!d || !d->association || !d->association->valid_pdu()) return;
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
    .run = &run,
    .learn = &learn,
};

}  // namespace pacscan::probes
