// SPDX-License-Identifier: Apache-2.0
// X.509 facts from DER: the one place certificate bytes a device sent become observation text.
#include <pacscan/tls/tls.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <string_view>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace pacscan::tls {
namespace {

constexpr std::size_t k_max_field = 512;  // stored certificate string length
constexpr std::size_t k_max_san = 32;     // SAN entries kept
constexpr std::size_t k_max_der = 256 * 1024;  // a certificate larger than this is refused

// Device-controlled text: capped, bytes outside printable ASCII replaced (admit() escapes the
// rest for every output).
std::string clip(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, k_max_field)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  return out;
}

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
    default: {
      const char* sn = id == NID_undef ? nullptr : OBJ_nid2sn(id);
      return sn ? sn : "unknown";
    }
  }
}

std::string asn1_text(const ASN1_STRING* s) {
  return clip(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                               static_cast<std::size_t>(std::max(0, ASN1_STRING_length(s)))));
}

TlsCertificate facts_of(X509* x) {
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
  const char* sig_name = sig == NID_undef ? nullptr : OBJ_nid2ln(sig);
  c.signature_algorithm = sig_name ? sig_name : "unknown";
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && c.san.size() < k_max_san; ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type == GEN_DNS) {
        c.san.push_back("DNS:" + asn1_text(g->d.dNSName));
      } else if (g->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* s = g->d.iPAddress;
        char buf[INET6_ADDRSTRLEN] = {};
        const int len = ASN1_STRING_length(s);
        const int af = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
        if (af && inet_ntop(af, ASN1_STRING_get0_data(s), buf, sizeof buf)) {
          c.san.push_back(std::string("IP:") + buf);
        }
      } else if (g->type == GEN_EMAIL) {
        c.san.push_back("email:" + asn1_text(g->d.rfc822Name));
      }
    }
    GENERAL_NAMES_free(names);
  }
  return c;
}

}  // namespace

Expected<TlsCertificate> certificate_facts(std::span<const std::uint8_t> der) {
  if (der.empty()) return error("empty certificate");
  if (der.size() > k_max_der) return error(fmt::format("certificate of {} bytes refused", der.size()));
  const unsigned char* p = der.data();
  std::unique_ptr<X509, decltype(&X509_free)> x(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  if (!x) {
    ERR_clear_error();
    return error("not a DER X.509 certificate");
  }
  TlsCertificate c = facts_of(x.get());
  ERR_clear_error();  // a malformed extension leaves errors on this thread's queue
  return c;
}

}  // namespace pacscan::tls
