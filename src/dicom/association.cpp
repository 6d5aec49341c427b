// SPDX-License-Identifier: Apache-2.0
#include <pacscan/dicom/association.hpp>

#include <fmt/format.h>

#include <cctype>
#include <random>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/cond.h>
#include <dcmtk/ofstd/ofstd.h>

#include "association_impl.hpp"
#include "transport.hpp"

namespace pacscan::dicom {

namespace {

// Implicit VR Little Endian first: the one transfer syntax every implementation must accept.
const char* k_transfer_syntaxes[] = {UID_LittleEndianImplicitTransferSyntax,
                                     UID_LittleEndianExplicitTransferSyntax};

std::string hex_of(const std::vector<unsigned char>& bytes, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) out += fmt::format("{:02x}", bytes[i]);
  return out;
}

std::string printable_of(const std::vector<unsigned char>& bytes, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    const unsigned char c = bytes[i];
    if (c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += (std::isprint(c) ? static_cast<char>(c) : '.');
    }
  }
  return out;
}

std::uint32_t be32(const std::vector<unsigned char>& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

std::string cut_at_cap(const Tap& tap) {
  return fmt::format("more than {} bytes received: connection cut", tap.byte_cap);
}

Association::Association(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Association::Association(Association&& o) noexcept
    : m_impl(std::move(o.m_impl)), m_attempt(std::move(o.m_attempt)) {}

Association::~Association() {
  if (m_impl) release();
}

bool Association::established() const { return m_impl && m_impl->established; }

std::string random_ae_title() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char k_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string s = "PS";
  std::uniform_int_distribution<int> d(0, sizeof(k_chars) - 2);
  while (s.size() < 16) s += k_chars[d(rng)];
  return s;
}

std::string reject_text(int result, int source, int reason) {
  std::string r = result == 1 ? "rejected-permanent" : result == 2 ? "rejected-transient" : "result?";
  std::string s, why;
  switch (source) {
    case 1:
      s = "service-user";
      why = reason == 1   ? "no-reason-given"
            : reason == 2 ? "application-context-name-not-supported"
            : reason == 3 ? "calling-AE-title-not-recognized"
            : reason == 7 ? "called-AE-title-not-recognized"
                          : "reserved";
      break;
    case 2:
      s = "service-provider (ACSE)";
      why = reason == 1 ? "no-reason-given" : reason == 2 ? "protocol-version-not-supported" : "reserved";
      break;
    case 3:
      s = "service-provider (presentation)";
      why = reason == 1 ? "temporary-congestion" : reason == 2 ? "local-limit-exceeded" : "reserved";
      break;
    default: s = "source?"; why = "reason?";
  }
  return fmt::format("{}, {}, {}", r, s, why);
}

std::string abort_text(int source, int reason) {
  const char* s = source == 0   ? "service-user"
                  : source == 2 ? "service-provider"
                                : "reserved";
  const char* why = "";
  if (source == 2) {
    switch (reason) {
      case 0: why = ", reason-not-specified"; break;
      case 1: why = ", unrecognized-PDU"; break;
      case 2: why = ", unexpected-PDU"; break;
      case 4: why = ", unrecognized-PDU-parameter"; break;
      case 5: why = ", unexpected-PDU-parameter"; break;
      case 6: why = ", invalid-PDU-parameter-value"; break;
      default: why = ", reserved"; break;
    }
  }
  return fmt::format("{}{}", s, why);
}

std::vector<ProposedContext> verification_context() {
  return {{UID_VerificationSOPClass, "Verification"}};
}

std::vector<ProposedContext> service_contexts() {
  return {
      {UID_VerificationSOPClass, "Verification"},
      {UID_FINDPatientRootQueryRetrieveInformationModel, "PatientRootFind"},
      {UID_FINDStudyRootQueryRetrieveInformationModel, "StudyRootFind"},
      {UID_MOVEPatientRootQueryRetrieveInformationModel, "PatientRootMove"},
      {UID_MOVEStudyRootQueryRetrieveInformationModel, "StudyRootMove"},
      {UID_GETPatientRootQueryRetrieveInformationModel, "PatientRootGet"},
      {UID_GETStudyRootQueryRetrieveInformationModel, "StudyRootGet"},
      {UID_FINDModalityWorklistInformationModel, "ModalityWorklistFind"},
      {UID_CTImageStorage, "CTImageStorage"},
      {UID_MRImageStorage, "MRImageStorage"},
      {UID_SecondaryCaptureImageStorage, "SecondaryCaptureImageStorage"},
      {UID_DigitalXRayImageStorageForPresentation, "DigitalXRayImageStorage"},
      {k_canary_sop_class, "Canary"},
  };
}

Association Association::request(const Permit& permit, const AssocRequest& req,
                                 std::stop_token stop) {
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  Association self(std::move(impl));
  AssocAttempt& a = self.m_attempt;
  a.calling_ae = req.calling_ae;
  a.called_ae = req.called_ae;
  m.started = Clock::now();
  m.deadline = m.started + req.deadline;
  m.stop = stop;
  auto finish = [&]() -> Association {
    a.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m.started).count();
    return std::move(self);
  };
  if (stop.stop_requested()) {
    a.outcome = Outcome::interrupted;
    return finish();
  }
  if (req.tls) {
    auto tls = std::make_unique<TlsTapLayer>(&m.tap, m.started + req.deadline, permit.endpoint());
    // The widest DCMTK profile that still negotiates TLS 1.2+ suites and falls back (BCP 195);
    // the certificate is not verified here: probe dicom_tls judges it with OpenSSL directly.
    OFCondition tc = tls->setTLSProfile(TSP_Profile_BCP195);
    if (tc.good()) tc = tls->activateCipherSuites();
    if (tc.good() && !req.tls_config.cert_file.empty()) {
      // The site's client certificate (--tls-cert / --tls-key, checked at start; unencrypted,
      // so DCMTK never prompts). Presented when the server asks for one.
      tc = tls->setPrivateKeyFile(req.tls_config.key_file.c_str(), DCF_Filetype_PEM);
      if (tc.good()) tc = tls->setCertificateFile(req.tls_config.cert_file.c_str(), DCF_Filetype_PEM);
      if (tc.good() && !tls->checkPrivateKeyMatchesCertificate()) {
        tc = makeOFCondition(OFM_dcmtls, 99, OF_error, "client key does not match certificate");
      }
      if (tc.good()) a.tls_client_cert = true;
    }
    if (tc.bad()) {
      a.outcome = Outcome::error;
      a.detail = std::string("TLS setup: ") + tc.text();
      return finish();
    }
    tls->setCertificateVerification(DCV_ignoreCertificate);
    m.layer = std::move(tls);
  } else {
    m.layer = std::make_unique<TapLayer>(&m.tap, m.started + req.deadline, permit.endpoint());
  }

  OFCondition cond =
      ASC_initializeNetwork(NET_REQUESTOR, 0, to_seconds(req.acse_timeout), &m.net);
  if (cond.bad()) {
    a.outcome = Outcome::error;
    a.detail = cond.text();
    return finish();
  }
  ASC_setTransportLayer(m.net, m.layer.get(), 0);
  cond = ASC_createAssociationParameters(&m.params, static_cast<long>(req.max_pdu));
  if (cond.bad()) {
    a.outcome = Outcome::error;
    a.detail = cond.text();
    return finish();
  }
  ASC_setAPTitles(m.params, req.calling_ae.c_str(), req.called_ae.c_str(), nullptr);
  if (req.tls) ASC_setTransportLayerType(m.params, OFTrue);
  const std::string peer = permit.endpoint().str();  // numeric: no DNS, no way around the scope
  ASC_setPresentationAddresses(m.params, "pacscan", peer.c_str());
  for (std::size_t i = 0; i < req.contexts.size() && i < 128; ++i) {
    const auto id = static_cast<T_ASC_PresentationContextID>(2 * i + 1);
    cond = ASC_addPresentationContext(m.params, id, req.contexts[i].abstract_syntax.c_str(),
                                      k_transfer_syntaxes, 2,
                                      req.contexts[i].scp_role ? ASC_SC_ROLE_SCP
                                                               : ASC_SC_ROLE_DEFAULT);
    if (cond.bad()) {
      a.outcome = Outcome::error;
      a.detail = cond.text();
      return finish();
    }
    ContextResult c;
    c.id = id;
    c.abstract_syntax = req.contexts[i].abstract_syntax;
    c.name = req.contexts[i].name;
    a.contexts.push_back(std::move(c));
  }

  if (!req.application_context.empty()) {
    // DCMTK has no setter; ASC_createAssociationParameters filled in DICOM's. Bounded copy: the
    // field is char[DUL_LEN_NAME + 1] (a UID is at most 64 characters).
    OFStandard::strlcpy(m.params->DULparams.applicationContextName,
                        req.application_context.c_str(),
                        sizeof m.params->DULparams.applicationContextName);
  }
  if (!req.identity_user.empty()) {
    ASC_setIdentRQUserPassword(m.params, req.identity_user.c_str(), req.identity_passcode.c_str(),
                               OFTrue);
    a.identity_sent = "user+passcode";
  }
  m.tap.phase_ms = req.acse_timeout.count();  // the whole answer within the ACSE timeout
  cond = ASC_requestAssociation(m.net, m.params, &m.assoc, nullptr, nullptr, DUL_NOBLOCK,
                                to_seconds(req.acse_timeout));
  m.tap.phase_over = true;
  const auto head = m.tap.snapshot();
  if (cond.good()) {
    m.established = true;
    a.outcome = Outcome::ok;
    a.impl_class_uid = m.params->theirImplementationClassUID;
    a.impl_version = m.params->theirImplementationVersionName;
    a.peer_max_pdu = static_cast<std::uint32_t>(std::max(0L, m.params->theirMaxPDUReceiveSize));
    UserIdentityNegotiationSubItemAC* ident_ac = nullptr;
    ASC_getUserIdentAC(m.params, &ident_ac);
    a.identity_response = ident_ac != nullptr;  // for user+passcode a positive answer is empty
    const int n = ASC_countPresentationContexts(m.params);
    for (int i = 0; i < n; ++i) {
      T_ASC_PresentationContext pc;
      if (ASC_getPresentationContext(m.params, i, &pc).bad()) continue;
      for (auto& c : a.contexts) {
        if (c.id == pc.presentationContextID) {
          c.result = static_cast<int>(pc.resultReason);
          if (pc.resultReason == ASC_P_ACCEPTANCE) {
            c.transfer_syntax = pc.acceptedTransferSyntax;
            m.tap.guard.set_context(static_cast<std::uint8_t>(c.id),
                                    c.transfer_syntax == UID_LittleEndianExplicitTransferSyntax);
          }
        }
      }
    }
    return finish();
  }
  a.detail = cond.text();
  m.established = false;
  if (cond == DUL_ASSOCIATIONREJECTED) {
    T_ASC_RejectParameters rej;
    ASC_getRejectParameters(m.params, &rej);
    RejectInfo r;
    r.result = static_cast<int>(rej.result);
    r.source = static_cast<int>(rej.source);
    r.reason = static_cast<int>(rej.reason) & 0xff;  // DCMTK codes the source in the high byte
    r.text = reject_text(r.result, r.source, r.reason);
    a.reject = r;
    a.outcome = Outcome::rejected;
  } else if (m.tap.guard.tripped()) {
    a.outcome = Outcome::error;
    a.detail = m.tap.guard.why();
  } else if (m.tap.capped) {
    a.outcome = Outcome::error;
    a.detail = cut_at_cap(m.tap);
  } else if (m.tap.stopped || stop.stop_requested()) {
    a.outcome = Outcome::interrupted;
  } else if (m.tap.phase_fired) {
    // A silent or trickling peer: a stall, cut at the ACSE timeout (not the association deadline).
    a.outcome = Outcome::timed_out;
    a.detail = fmt::format("no complete A-ASSOCIATE answer within the ACSE timeout of {} ms ({} "
                           "bytes received)",
                           req.acse_timeout.count(), m.tap.bytes_in);
  } else if (m.tap.deadline_fired) {
    a.outcome = Outcome::deadline;
    a.detail = fmt::format("hard association deadline of {} ms reached ({} bytes received)",
                           req.deadline.count(), m.tap.bytes_in);
  } else if (cond == DUL_PEERABORTEDASSOCIATION || cond == DUL_NETWORKCLOSED) {
    // DCMTK maps A-ABORT and "closed without a PDU" to one condition: the bytes tell them apart.
    if (head.size() >= 10 && head[0] == 0x07 && be32(head, 2) == 4) {
      AbortInfo ab;
      ab.source = head[8];
      ab.reason = head[9];
      ab.text = abort_text(ab.source, ab.reason);
      a.abort = ab;
      a.outcome = Outcome::aborted;
    } else if (head.empty()) {
      a.outcome = Outcome::closed;
      a.detail = "connection closed without any reply";
    } else {
      a.outcome = Outcome::non_dicom;
    }
  } else if (cond == DUL_READTIMEOUT) {
    a.outcome = head.empty() ? Outcome::timed_out : Outcome::non_dicom;
    // DCMTK's own read timeout can win the race with the phase timer above: the same words.
    if (head.empty()) {
      a.detail = fmt::format("no reply within the ACSE timeout of {} ms (0 bytes received)",
                             req.acse_timeout.count());
    }
  } else if (cond.module() == OFM_dcmnet && cond.code() == DULC_TCPINITERROR) {
    const std::string t = cond.text();
    if (t.find("refused") != std::string::npos) a.outcome = Outcome::refused;
    else if (t.find("Timeout") != std::string::npos || t.find("timed out") != std::string::npos)
      a.outcome = Outcome::timed_out;
    else if (t.find("nreachable") != std::string::npos) a.outcome = Outcome::unreachable;
    else a.outcome = Outcome::error;
  } else if (!head.empty()) {
    a.outcome = Outcome::non_dicom;  // unrecognized PDU type, illegal PDU, absurd length ...
  } else {
    a.outcome = Outcome::error;
  }
  if (req.tls && head.empty() && (a.outcome == Outcome::closed || a.outcome == Outcome::error)) {
    // Refused at the TLS layer (e.g. no client certificate), not by DICOM and not "not DICOM".
    if (const std::string alert = m.tap.alert(); !alert.empty()) {
      a.outcome = Outcome::closed;
      a.detail = fmt::format("refused at the TLS layer before any DICOM PDU: the peer sent a {} "
                             "({})",
                             alert, cond.text());
    } else if (std::string(cond.text()).find("reset by peer") != std::string::npos) {
      // The peer's alert can be lost to its own RST when our A-ASSOCIATE-RQ crosses it (measured
      // with Orthanc requiring a client certificate over TLS 1.3): the same refusal, unexplained.
      a.outcome = Outcome::closed;
      a.detail = fmt::format("connection reset by the peer after the TLS handshake, before any "
                             "DICOM PDU; no TLS alert was read before the reset ({})",
                             cond.text());
    }
  }
  if (a.outcome == Outcome::non_dicom ||
      ((a.outcome == Outcome::deadline || a.outcome == Outcome::timed_out) && !head.empty())) {
    const auto ev = m.tap.evidence();
    a.reply_hex = hex_of(ev, 32);
    a.reply_text = printable_of(ev, 64);
  }
  for (auto& c : a.contexts) c.result = -1;  // nothing was negotiated
  return finish();
}

bool Association::accepts(std::string_view sop_class) const {
  return established() &&
         ASC_findAcceptedPresentationContextID(m_impl->assoc, std::string(sop_class).c_str()) != 0;
}

bool Association::deadline_fired() const { return m_impl && m_impl->tap.deadline_fired; }

Millis Association::time_left() const {
  if (!established()) return Millis(0);
  const auto left =
      std::chrono::duration_cast<Millis>(m_impl->deadline - Clock::now());
  return std::max(left, Millis(0));
}
bool Association::interrupted() const { return m_impl && m_impl->tap.stopped; }

void Association::abort() {
  if (!m_impl || !m_impl->established) return;
  m_impl->established = false;
  ASC_abortAssociation(m_impl->assoc);
}

void Association::release() {
  if (!m_impl || !m_impl->established) return;
  m_impl->established = false;
  if (ASC_releaseAssociation(m_impl->assoc).bad()) ASC_abortAssociation(m_impl->assoc);
}

}  // namespace pacscan::dicom
