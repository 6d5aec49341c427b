// SPDX-License-Identifier: Apache-2.0
// X.509 facts from DER (tls::certificate_facts): certificates made here with OpenSSL, then
// hostile bytes.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <pacscan/tls/tls.hpp>

using namespace pacscan;

namespace {

struct Made {
  std::vector<std::uint8_t> der;
};

// A certificate signed by its own key (self-signed) or by a separate issuer key.
std::vector<std::uint8_t> make_cert(const char* cn, bool self_signed, const char* san,
                                    const char* key_type = "EC") {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      std::string(key_type) == "EC" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}),
      &EVP_PKEY_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> issuer(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), &EVP_PKEY_free);
  REQUIRE(key);
  REQUIRE(issuer);
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), &X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 0x1234);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  if (san) {
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san);
    REQUIRE(ext);
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x.get(), self_signed ? key.get() : issuer.get(), EVP_sha256()) > 0);
  unsigned char* der = nullptr;
  const int len = i2d_X509(x.get(), &der);
  REQUIRE(len > 0);
  std::vector<std::uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

TEST_CASE("certificate facts from DER: names, serial, key, signature, SAN, self-signed") {
  const auto der = make_cert("pacs.example", true, "DNS:pacs.example,IP:198.18.0.10,email:a@b.c");
  const auto c = tls::certificate_facts(der);
  REQUIRE(c);
  CHECK(c->subject == "CN=pacs.example");
  CHECK(c->issuer == "CN=pacs.example");
  CHECK(c->serial == "1234");
  CHECK(c->self_signed);
  CHECK(c->key_type == "EC");
  CHECK(c->key_bits == 256);
  CHECK(c->signature_algorithm == "ecdsa-with-SHA256");
  CHECK(c->not_before.size() == 20);
  CHECK(c->not_after > c->not_before);
  CHECK(c->san == std::vector<std::string>{"DNS:pacs.example", "IP:198.18.0.10", "email:a@b.c"});

  const auto other = tls::certificate_facts(make_cert("x", false, nullptr, "RSA"));
  REQUIRE(other);
  CHECK_FALSE(other->self_signed);  // same name, but not signed by its own key
  CHECK(other->key_type == "RSA");
  CHECK(other->key_bits == 2048);
  CHECK(other->san.empty());
}

TEST_CASE("device-controlled certificate text is capped and printable") {
  std::string long_cn(60, 'A');
  long_cn += "\x1b[31m";
  const auto c = tls::certificate_facts(make_cert(long_cn.c_str(), true, "DNS:a\x01" "b"));
  REQUIRE(c);
  for (char ch : c->subject + c->san.at(0)) {
    CHECK((ch >= 0x20 && ch < 0x7f));
  }
}

TEST_CASE("bytes that are not a certificate are an error, never a crash") {
  CHECK_FALSE(tls::certificate_facts({}));
  const std::vector<std::uint8_t> junk = {0x30, 0x82, 0xff, 0xff, 0x01, 0x02};
  CHECK_FALSE(tls::certificate_facts(junk));
  auto der = make_cert("cut", true, nullptr);
  for (std::size_t n : {std::size_t{1}, der.size() / 2, der.size() - 1}) {
    CHECK_FALSE(tls::certificate_facts(std::span(der.data(), n)));
  }
}
