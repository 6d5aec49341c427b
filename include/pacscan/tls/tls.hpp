// SPDX-License-Identifier: Apache-2.0
#pragma once
// The TLS adapter: what the scanner trusts and presents on TLS, the X.509 facts of a certificate,
// and one TLS handshake measured with OpenSSL directly. Shared by probe dicom_tls (handshakes
// offering chosen versions and suites) and DCMTK's transport (associations over TLS). No OpenSSL
// type crosses this header.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/data/dicom_tls.hpp>
#include <pacscan/core/expected.hpp>
#include <pacscan/core/gate.hpp>
#include <pacscan/core/policy.hpp>

namespace pacscan::tls {

// What the scanner trusts and presents on every TLS connection it makes.
struct Config {
  std::string ca_file;  // --tls-ca: PEM bundle of the site's own CA(s), trusted with the system store
  // --tls-cert / --tls-key: the site's client certificate and its key (PEM, the key unencrypted),
  // presented only where a handshake asks for it (HandshakeOptions::present_cert, or an
  // association whose request names them). Empty: the scanner presents no certificate.
  std::string cert_file, key_file;
};

// What the scanner can say about the site's client certificate: the facts of the certificate and
// its SHA-256 fingerprint, never anything of the key.
struct ClientCredential {
  TlsCertificate cert;
  std::string sha256;  // fingerprint of the DER certificate, hex with colons
};
// Checks --tls-cert / --tls-key before any packet: both readable, the certificate PEM, the key
// PEM and not encrypted (the scan runs unattended: no prompt), the key the certificate's own.
// Errors name the option, the file and the problem; they never quote the key.
Expected<ClientCredential> check_client_credential(const std::string& cert_file,
                                                   const std::string& key_file);

struct HandshakeOptions;
struct Limits;
struct HandshakeResult;

// Trust anchors: OpenSSL's system store plus the certificates of Config::ca_file, read once.
class Trust {
 public:
  Trust();  // the system store only
  explicit Trust(const Config& config);
  Trust(Trust&&) noexcept;
  Trust& operator=(Trust&&) noexcept;
  ~Trust();
  bool has_site_ca() const;   // a --tls-ca file was given (loaded or not)
  // The client certificate and key of Config were loaded (they are presented only when a
  // handshake's options ask for it). A load error is in client_error().
  bool has_client_cert() const;
  const std::string& client_error() const;
  // "site CA FILE (N certificates)" or "site CA FILE: not loaded (why)"; "" without --tls-ca.
  const std::string& site_anchor() const;

 private:
  friend HandshakeResult handshake(const Permit&, const HandshakeOptions&, const Trust&,
                                   const Limits&, std::stop_token);
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The X.509 facts of one DER certificate (subject, issuer, serial, validity, key, signature
// algorithm, self-signed, SAN entries: DNS, IP, e-mail), with every device-controlled string
// capped and made printable. Pure: no I/O, bounded by its input (fuzzed: tests/fuzz/fuzz_x509.cpp).
Expected<TlsCertificate> certificate_facts(std::span<const std::uint8_t> der);

enum class Version { tls1_0, tls1_1, tls1_2, tls1_3 };
// True when this OpenSSL build has at least one suite of that list (TLS <= 1.2 syntax).
bool cipher_list_available(const std::string& list);
const char* version_name(Version v);  // "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"

struct HandshakeOptions {
  Version min_version = Version::tls1_0;
  Version max_version = Version::tls1_3;
  std::string cipher_list = "DEFAULT:@SECLEVEL=0";  // TLS <= 1.2 suites (OpenSSL syntax)
  bool wait_after = false;  // read briefly after the handshake (certificate_required in TLS 1.3)
  // Answer a CertificateRequest with the Trust's client certificate (when it has one); otherwise
  // the scanner presents none, as an unknown peer would.
  bool present_cert = false;
};

// Time limits of one handshake: each wait is the smaller of its own bound and what is left
// until `end` (the endpoint's budget).
struct Limits {
  Millis connect{3000};
  Millis io{10000};
  Millis post_handshake{500};
  std::chrono::steady_clock::time_point end = std::chrono::steady_clock::time_point::max();
};

struct HandshakeResult {
  Outcome outcome = Outcome::error;  // TCP / TLS level: ok = handshake completed
  bool connected = false;            // a TCP connection was opened (counts as one connection)
  bool done = false;
  bool tls_seen = false;             // the peer answered as a TLS server
  bool cert_requested = false;
  bool cert_sent = false;            // the site's client certificate was sent in answer
  std::string local_address;         // the scanner's end of the TCP connection ("ip:port")
  std::string version, cipher;
  int bits = 0;
  std::string error;
  std::string alert;                 // received from the peer
  int alert_code = -1;
  bool post_alert = false;           // the alert came after the handshake completed
  std::vector<TlsCertificate> chain;  // as sent, leaf first (capped)
  long verify_code = -1;             // X509_V_* (0 = ok), -1 when no chain was verified
  std::string verify_text;           // its text
  std::vector<std::string> verify_errors;  // every distinct error, "depth N: text"
  bool site_anchor = false;          // the verified chain ends in a site CA certificate
  std::vector<std::string> offered;  // TLS <= 1.2 suites offered
};

// One handshake with the permit's endpoint (the only address it connects to), on its own
// SSL_CTX (security level 0 and the version bounds set there, never process-wide). The chain is
// verified against `trust`, never trusted: the handshake goes on whatever the verification says.
HandshakeResult handshake(const Permit& permit, const HandshakeOptions& options, const Trust& trust,
                          const Limits& limits, std::stop_token stop);

// "fatal alert 116 (certificate required)" for OpenSSL's info-callback `ret` of a read alert.
std::string alert_text(int ret);

}  // namespace pacscan::tls
