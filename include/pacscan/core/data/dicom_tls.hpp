// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data of probe "dicom_tls": TLS handshake facts measured with OpenSSL directly (the probe's own
// SSL_CTX), then one association over TLS through DCMTK's dcmtls. Certificate strings are
// device-controlled: stored as received (capped, non-printable bytes replaced) and escaped by
// every report.
//
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pacscan/core/assoc.hpp>
#include <pacscan/core/json_type.hpp>
#include <pacscan/core/probe_data.hpp>

namespace pacscan {

// One certificate of the chain the server sent (leaf first).
struct TlsCertificate {
  std::string subject;              // RFC 2253
  std::string issuer;
  std::string serial;               // hex
  std::string not_before;           // UTC ISO 8601
  std::string not_after;
  bool self_signed = false;         // issued by itself and its signature verifies with its key
  std::string key_type;             // "RSA", "EC", "DSA", "ED25519", ...
  int key_bits = 0;
  std::string signature_algorithm;  // e.g. "sha256WithRSAEncryption"
  std::vector<std::string> san;     // "DNS:x", "IP:y", ...
};
PACSCAN_JSON_TYPE(TlsCertificate, subject, issuer, serial, not_before, not_after, self_signed,
                  key_type, key_bits, signature_algorithm, san)

// One handshake offering exactly one protocol version.
struct TlsVersionResult {
  std::string version;  // "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"
  std::string result;   // "accepted", "refused", "not_tested", "error"
  std::string detail;   // negotiated cipher, or the alert / error text
};
PACSCAN_JSON_TYPE(TlsVersionResult, version, result, detail)

struct TlsData {
  bool tls = false;                 // the peer answered our ClientHello as a TLS server
  bool handshake_ok = false;        // the first handshake (all versions offered) completed
  std::string error;                // why not (OpenSSL error text), empty when ok
  std::string alert;                // TLS alert received from the peer, if any
  std::string protocol;             // negotiated: "TLSv1.3", ...
  std::string cipher;               // negotiated suite (OpenSSL name)
  int cipher_bits = 0;
  std::vector<TlsVersionResult> versions;  // TLS 1.0, 1.1, 1.2, 1.3 one at a time
  // Weak suites: one handshake (TLS <= 1.2) offering only NULL / anon / EXPORT / RC4 / DES / 3DES.
  std::string weak_result = "not_tested";  // "accepted", "refused", "not_tested", "error"
  std::vector<std::string> weak_offered;   // suites this OpenSSL build could offer
  std::string weak_cipher;                 // the one the server chose
  std::string weak_detail;
  std::vector<TlsCertificate> chain;       // as sent by the server, leaf first
  // Trust anchors the chain was verified against: "system" (OpenSSL's default store) and, with
  // --tls-ca, "site CA FILE (N certificates)" (or "site CA FILE: not loaded (why)").
  std::vector<std::string> trust_anchors;
  bool verified = false;                   // chain verifies against those trust anchors
  std::string trusted_by;                  // when verified: "system" or "site CA" (the root's origin)
  int verify_code = -1;                    // X509_V_* of the first error (0 = ok), -1 unknown
  std::string verify_result;               // its text
  std::vector<std::string> verify_errors;  // every distinct error seen, "depth N: text"
  bool client_cert_requested = false;      // a CertificateRequest was received
  std::string client_cert = "unknown";     // "not_requested", "optional", "required", "unknown"
  std::string client_cert_detail;
  std::optional<AssocAttempt> association;  // Verification, random called AE, over TLS
  int connections = 0;                     // TCP connections this probe opened
  // The known peer's view (an observation whose identity is "tls_client_cert", made only with
  // --tls-cert): the handshakes above answered a CertificateRequest with the site's certificate.
  std::string credential_subject;          // the site's certificate, as the scanner presented it
  std::string credential_sha256;           // its fingerprint (never anything of the key)
  bool credential_sent = false;            // the server asked for it and it was sent
  // "accepted": handshake done and a DICOM answer over TLS with it; "refused": the server ended
  // the connection after it was sent; "not_requested": the server never asked; "unknown".
  std::string credential_result;
  std::string credential_detail;
  std::string local_address;               // the scanner's address:port as the server saw it
  bool weak_cert_sent = false;             // the weak-suites handshake completed with it sent
};
PACSCAN_JSON_TYPE(TlsData, tls, handshake_ok, error, alert, protocol, cipher, cipher_bits, versions,
                  weak_result, weak_offered, weak_cipher, weak_detail, chain, trust_anchors,
                  verified, trusted_by, verify_code, verify_result, verify_errors,
                  client_cert_requested, client_cert, client_cert_detail, association, connections,
                  credential_subject, credential_sha256, credential_sent, credential_result,
                  credential_detail, local_address, weak_cert_sent)

template <>
struct ProbeDataTraits<TlsData> : JudgedWhereObserved {
  static constexpr std::string_view name = "dicom_tls";
  // TLS rules are judged where a TLS server answered.
  static bool judged(const TlsData* d, bool) { return d && d->tls; }
};
}  // namespace pacscan
