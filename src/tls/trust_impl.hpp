// SPDX-License-Identifier: Apache-2.0
#pragma once
// What trust.cpp (the trust anchors, the client credential) and handshake.cpp share: owning
// OpenSSL pointers, the OpenSSL error queue as text and the Impl behind Trust. Private to src/tls.
#include <pacscan/tls/tls.hpp>

#include <memory>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace pacscan::tls {

inline std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

struct Trust::Impl {
  std::vector<X509Ptr> certs;  // the site's CA certificates (--tls-ca)
  bool site = false;
  std::string anchor;
  X509Ptr client_cert;         // --tls-cert / --tls-key, loaded once
  KeyPtr client_key;
  std::string client_error;
};

}  // namespace pacscan::tls
