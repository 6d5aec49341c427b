// SPDX-License-Identifier: Apache-2.0
// One TLS handshake measured with OpenSSL directly (the trust anchors it verifies against are
// read in trust.cpp).
#include <pacscan/tls/tls.hpp>

#include <pacscan/net/socket.hpp>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/trust_impl.hpp"

namespace pacscan::tls {
namespace {

constexpr std::size_t k_max_chain = 8;  // certificates kept
using Clock = std::chrono::steady_clock;

int openssl_version(Version v) {
  switch (v) {
    case Version::tls1_0: return TLS1_VERSION;
    case Version::tls1_1: return TLS1_1_VERSION;
    case Version::tls1_2: return TLS1_2_VERSION;
    case Version::tls1_3: break;
  }
  return TLS1_3_VERSION;
}

}  // namespace

const char* version_name(Version v) {
  switch (v) {
    case Version::tls1_0: return "TLSv1";
    case Version::tls1_1: return "TLSv1.1";
    case Version::tls1_2: return "TLSv1.2";
    case Version::tls1_3: break;
  }
  return "TLSv1.3";
}

bool cipher_list_available(const std::string& list) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> c(SSL_CTX_new(TLS_client_method()),
                                                      &SSL_CTX_free);
  const bool ok = c && SSL_CTX_set_cipher_list(c.get(), list.c_str()) == 1;
  ERR_clear_error();
  return ok;
}

std::string alert_text(int ret) {
  const int code = ret & 0xff;
  // OpenSSL 3.0 has no text for TLS 1.3's certificate_required (RFC 8446 §6.2)
  const char* desc = code == 116 ? "certificate required" : SSL_alert_desc_string_long(ret);
  return fmt::format("{} alert {} ({})", SSL_alert_type_string_long(ret), code, desc);
}

// ---- one handshake ----

namespace {

// What the callbacks of one handshake reach through SSL_get_app_data.
struct CallbackData {
  HandshakeResult* result;
  X509* cert;      // the site's client certificate to present, or nullptr
  EVP_PKEY* key;
};

HandshakeResult* result_of(const SSL* ssl) {
  auto* d = ssl ? static_cast<CallbackData*>(SSL_get_app_data(ssl)) : nullptr;
  return d ? d->result : nullptr;
}

int verify_cb(int ok, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* r = result_of(ssl);
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

// Called when the server sends a CertificateRequest: recorded, and answered with the site's
// certificate only when this handshake presents it (OpenSSL frees what it is given: new refs).
int client_cert_cb(SSL* ssl, X509** x509, EVP_PKEY** pkey) {
  auto* d = static_cast<CallbackData*>(SSL_get_app_data(ssl));
  if (!d) return 0;
  d->result->cert_requested = true;
  if (!d->cert || !d->key) return 0;  // no certificate, as an unknown peer
  X509_up_ref(d->cert);
  EVP_PKEY_up_ref(d->key);
  *x509 = d->cert;
  *pkey = d->key;
  d->result->cert_sent = true;
  return 1;
}

void info_cb(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_READ_ALERT) || (ret & 0xff) == SSL_AD_CLOSE_NOTIFY) return;
  if (auto* r = result_of(ssl)) {
    if (r->alert.empty()) {
      r->alert = alert_text(ret);
      r->alert_code = ret & 0xff;
      r->post_alert = r->done;
    }
  }
}

// poll() one descriptor until `until`; false on timeout.
bool wait_fd(int fd, short events, Clock::time_point until) {
  for (;;) {
    const auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // let the caller see the error
  }
}

// now + want, but never past `end`.
Clock::time_point until(Millis want, Clock::time_point end) {
  const auto now = Clock::now();
  return end - now < want ? end : now + want;
}

// Facts of each certificate through the one pure function (the bytes fuzzed are the bytes used).
TlsCertificate facts_of(X509* x) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  if (len <= 0 || !der) return {};
  auto facts = certificate_facts(std::span<const std::uint8_t>(der, static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return facts ? *facts : TlsCertificate{};
}

}  // namespace

HandshakeResult handshake(const Permit& permit, const HandshakeOptions& opt, const Trust& trust,
                          const Limits& limits, std::stop_token stop) {
  HandshakeResult r;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> sctx(SSL_CTX_new(TLS_client_method()),
                                                         &SSL_CTX_free);
  if (!sctx) {
    r.error = "SSL_CTX_new: " + openssl_errors();
    return r;
  }
  SSL_CTX* c = sctx.get();
  SSL_CTX_set_security_level(c, 0);  // this context only: old versions and weak keys get measured
  SSL_CTX_set_min_proto_version(c, openssl_version(opt.min_version));
  SSL_CTX_set_max_proto_version(c, openssl_version(opt.max_version));
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_LEGACY_SERVER_CONNECT);
  if (SSL_CTX_set_cipher_list(c, opt.cipher_list.c_str()) != 1 &&
      opt.max_version < Version::tls1_3) {
    ERR_clear_error();
    r.outcome = Outcome::skipped;
    r.error = "no such cipher suite in this OpenSSL build";
    return r;
  }
  ERR_clear_error();
  SSL_CTX_set_default_verify_paths(c);  // the system trust store
  for (const auto& x : trust.m_impl->certs) X509_STORE_add_cert(SSL_CTX_get_cert_store(c), x.get());
  ERR_clear_error();  // a site CA that is also in the system store: "cert already in hash table"
  SSL_CTX_set_verify(c, SSL_VERIFY_NONE, &verify_cb);
  SSL_CTX_set_client_cert_cb(c, &client_cert_cb);
  SSL_CTX_set_info_callback(c, &info_cb);

  // The permit's numeric endpoint only: no DNS, no way around the scope.
  net::Connection conn = net::connect_tcp(permit, until(limits.connect, limits.end));
  r.connected = conn.socket.valid();
  if (conn.outcome != Outcome::ok) {
    r.outcome = conn.outcome;
    r.error = conn.error;
    return r;
  }
  const int fd = conn.socket.fd();
  {
    sockaddr_in local{};
    socklen_t len = sizeof local;
    char buf[INET_ADDRSTRLEN] = {};
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
        local.sin_family == AF_INET && ::inet_ntop(AF_INET, &local.sin_addr, buf, sizeof buf)) {
      r.local_address = fmt::format("{}:{}", buf, ntohs(local.sin_port));
    }
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(c), &SSL_free);
  if (!ssl) {
    r.error = "SSL_new: " + openssl_errors();
    return r;
  }
  SSL_set_fd(ssl.get(), fd);
  const bool present = opt.present_cert && trust.has_client_cert();
  CallbackData cbd{&r, present ? trust.m_impl->client_cert.get() : nullptr,
                   present ? trust.m_impl->client_key.get() : nullptr};
  SSL_set_app_data(ssl.get(), &cbd);
  if (STACK_OF(SSL_CIPHER)* list = SSL_get1_supported_ciphers(ssl.get())) {
    for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
      const SSL_CIPHER* ci = sk_SSL_CIPHER_value(list, i);
      if (std::string_view(SSL_CIPHER_get_version(ci)) != "TLSv1.3") {
        r.offered.push_back(SSL_CIPHER_get_name(ci));
      }
    }
    sk_SSL_CIPHER_free(list);
  }
  const auto io_until = until(limits.io, limits.end);
  for (;;) {
    if (stop.stop_requested()) {
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
      if (!wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, io_until)) {
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
        r.chain.push_back(facts_of(sk_X509_value(chain, i)));
      }
    } else if (leaf) {
      r.chain.push_back(facts_of(leaf));
    }
    r.verify_code = SSL_get_verify_result(ssl.get());
    r.verify_text = X509_verify_cert_error_string(r.verify_code);
    if (r.verify_code == X509_V_OK && !trust.m_impl->certs.empty()) {
      STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl.get());
      const int n = verified ? sk_X509_num(verified) : 0;
      X509* root = n > 0 ? sk_X509_value(verified, n - 1) : nullptr;
      r.site_anchor = root && std::any_of(trust.m_impl->certs.begin(), trust.m_impl->certs.end(),
                                          [&](const X509Ptr& x) { return X509_cmp(x.get(), root) == 0; });
    }
  }
  if (r.done && opt.wait_after && r.cert_requested) {
    // TLS 1.3: the client finishes first; a server that requires a certificate says so now.
    const auto wait_until = until(limits.post_handshake, limits.end);
    char byte = 0;
    for (;;) {
      const int n = SSL_read(ssl.get(), &byte, 1);
      if (n > 0) break;
      const int e = SSL_get_error(ssl.get(), n);
      if (e != SSL_ERROR_WANT_READ || !wait_fd(fd, POLLIN, wait_until)) break;
    }
    ERR_clear_error();
  }
  if (r.done) SSL_shutdown(ssl.get());  // close_notify, best effort (non-blocking)
  ERR_clear_error();
  return r;
}

}  // namespace pacscan::tls
