// SPDX-License-Identifier: Apache-2.0
// The trust anchors a handshake verifies against (--tls-ca) and the site's client credential
// (--tls-cert / --tls-key), read with OpenSSL.
#include <pacscan/tls/tls.hpp>

#include <fstream>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls/trust_impl.hpp"

namespace pacscan::tls {
namespace {

std::string clip(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 512)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  return out;
}

// Never prompts: an encrypted key fails to load instead of waiting on a terminal.
int no_password(char*, int, int, void*) { return -1; }

// The certificate and key of --tls-cert / --tls-key, or why not. Error texts name the file and
// the problem only: nothing read from the key file is ever put into them.
struct Loaded {
  X509Ptr cert;
  KeyPtr key;
  std::string error;
};

Loaded load_credential(const std::string& cert_file, const std::string& key_file) {
  Loaded l;
  {
    std::ifstream in(cert_file);
    if (!in) {
      l.error = fmt::format("--tls-cert: cannot read {}", clip(cert_file));
      return l;
    }
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new_file(cert_file.c_str(), "r"), &BIO_free);
  if (cb) l.cert.reset(PEM_read_bio_X509(cb.get(), nullptr, &no_password, nullptr));
  ERR_clear_error();
  if (!l.cert) {
    l.error = fmt::format("--tls-cert: no PEM certificate (-----BEGIN CERTIFICATE-----) in {}",
                          clip(cert_file));
    return l;
  }
  std::string text;
  {
    std::ifstream in(key_file);
    if (!in) {
      l.error = fmt::format("--tls-key: cannot read {}", clip(key_file));
      return l;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str().substr(0, 1 << 20);
  }
  if (text.find("ENCRYPTED") != std::string::npos) {
    l.error = fmt::format("--tls-key: the private key in {} is encrypted; pacscan runs unattended "
                          "and never prompts: give it a decrypted copy (openssl pkey -in KEY "
                          "-out KEY.plain), kept only for the audit",
                          clip(key_file));
    return l;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new_mem_buf(text.data(),
                                                               static_cast<int>(text.size())),
                                               &BIO_free);
  if (kb) l.key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, &no_password, nullptr));
  ERR_clear_error();
  OPENSSL_cleanse(text.data(), text.size());
  if (!l.key) {
    l.cert.reset();
    l.error = fmt::format("--tls-key: no PEM private key (-----BEGIN PRIVATE KEY-----) in {}",
                          clip(key_file));
    return l;
  }
  if (X509_check_private_key(l.cert.get(), l.key.get()) != 1) {
    ERR_clear_error();
    l.cert.reset();
    l.key.reset();
    l.error = fmt::format("--tls-key: the key in {} does not belong to the certificate in {}",
                          clip(key_file), clip(cert_file));
    return l;
  }
  return l;
}

}  // namespace

// ---- trust anchors ----

Trust::Trust() : m_impl(std::make_unique<Impl>()) {}

// The CLI has already checked that the file holds at least one certificate, so an error here
// means the file changed during the scan: it is said in the anchor text.
Trust::Trust(const Config& config) : m_impl(std::make_unique<Impl>()) {
  Impl& t = *m_impl;
  if (!config.cert_file.empty() || !config.key_file.empty()) {
    Loaded l = load_credential(config.cert_file, config.key_file);
    t.client_cert = std::move(l.cert);
    t.client_key = std::move(l.key);
    t.client_error = std::move(l.error);
  }
  if (config.ca_file.empty()) return;
  t.site = true;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(config.ca_file.c_str(), "r"),
                                                &BIO_free);
  if (bio) {
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) t.certs.emplace_back(x);
  }
  const std::string errs = bio ? std::string() : openssl_errors();
  ERR_clear_error();  // the end of the file reads as a "no start line" error
  if (t.certs.empty()) {
    t.anchor = fmt::format("site CA {}: not loaded ({})", clip(config.ca_file),
                           errs.empty() ? "no certificate in the file" : errs);
  } else {
    t.anchor = fmt::format("site CA {} ({} certificate{})", clip(config.ca_file), t.certs.size(),
                           t.certs.size() == 1 ? "" : "s");
  }
}

Trust::Trust(Trust&&) noexcept = default;
Trust& Trust::operator=(Trust&&) noexcept = default;
Trust::~Trust() = default;
bool Trust::has_site_ca() const { return m_impl->site; }
const std::string& Trust::site_anchor() const { return m_impl->anchor; }
bool Trust::has_client_cert() const { return m_impl->client_cert && m_impl->client_key; }
const std::string& Trust::client_error() const { return m_impl->client_error; }

Expected<ClientCredential> check_client_credential(const std::string& cert_file,
                                                   const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return error(cert_file.empty() ? "--tls-key needs --tls-cert (the certificate it belongs to)"
                                   : "--tls-cert needs --tls-key (the certificate's private key)");
  }
  Loaded l = load_credential(cert_file, key_file);
  if (!l.cert || !l.key) return error(l.error);
  ClientCredential c;
  unsigned char* der = nullptr;
  const int len = i2d_X509(l.cert.get(), &der);
  if (len > 0 && der) {
    if (auto f = certificate_facts(std::span<const std::uint8_t>(der, static_cast<std::size_t>(len)))) {
      c.cert = *f;
    }
    OPENSSL_free(der);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(l.cert.get(), EVP_sha256(), md, &n) == 1) {
    for (unsigned int i = 0; i < n; ++i) c.sha256 += fmt::format("{}{:02X}", i ? ":" : "", md[i]);
  }
  ERR_clear_error();
  return c;
}

}  // namespace pacscan::tls
