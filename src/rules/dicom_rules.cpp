// Evaluators for the DICOM association rules. Each reads the observations of one endpoint and says
// fail (with evidence), pass (with the reason) or not evaluated (with the reason).
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "evaluators.hpp"

namespace pacscan::rules {
namespace {

std::string describe(const AssocAttempt& a) {
  std::string s = fmt::format("called '{}' calling '{}': {}", a.called_ae, a.calling_ae,
                              to_string(a.outcome));
  if (a.reject) {
    s += fmt::format(" (result {}, source {}, reason {}: {})", a.reject->result, a.reject->source,
                     a.reject->reason, a.reject->text);
  }
  if (a.abort) s += fmt::format(" (A-ABORT source {}, reason {})", a.abort->source, a.abort->reason);
  return s;
}

bool unknown_peer(AeSource s) { return s == AeSource::random || s == AeSource::well_known; }

const char* identity_text(AeSource s) {
  switch (s) {
    case AeSource::random: return "a random calling AE title";
    case AeSource::well_known: return "a guessable default calling AE title";
    case AeSource::scanner: return "the scanner's configured calling AE title";
    default: return "an unknown calling AE title";
  }
}

// How the scanner came to know the working called AE title, for evidence lines.
const char* called_source_text(AeSource s) {
  switch (s) {
    case AeSource::random: return "a random title";
    case AeSource::hint: return "given by the auditor (--called-aet)";
    case AeSource::well_known: return "guessed from the well-known list";
    case AeSource::web: return "reported by the host's Orthanc REST /system";
    default: return "source unknown";
  }
}

// What the intrusive probes (dicom_data_query, dicom_store_test, dicom_move_self) saw for the
// services `pred` selects: a verdict when they settle it, else evidence lines added to `ev`.
template <typename Pred>
std::optional<RuleHit> intrusive_verdict(const EndpointView& v, std::string_view what, Pred pred,
                                         Severity sev, const ServicesData& s,
                                         std::vector<std::string>& ev) {
  const std::vector<std::string> base{"dicom_ae_policy", "dicom_services"};
  auto with = [&](const char* probe) {
    auto p = base;
    p.emplace_back(probe);
    return p;
  };
  if (v.get<DataQueryData>()) {
    int total = 0;
    bool capped = false;
    for (const auto& r : v.get<DataQueryData>()->results) {
      if (!pred(r.service)) continue;
      ev.push_back(fmt::format(
          "universal {} query ({} level) as calling '{}': {}{}{}", r.service, r.level,
          r.calling_ae, to_string(r.outcome),
          r.status >= 0 ? fmt::format(", status 0x{:04x} ({})", r.status, r.status_text) : "",
          r.outcome == DimseOutcome::success
              ? fmt::format(", {}{} entr{} returned (values discarded unread{})",
                            r.capped ? "at least " : "", r.count, r.count == 1 ? "y" : "ies",
                            r.capped ? ", C-CANCEL sent at the --max-data-matches cap" : "")
              : ""));
      if (r.outcome == DimseOutcome::success) total += r.count;
      capped = capped || r.capped;
    }
    if (total > 0) {
      return fail(Severity::critical,
                  fmt::format("{} returned {}{} entries to an unknown peer ({})", what,
                              capped ? "at least " : "", total, identity_text(s.calling_source)),
                  std::move(ev), with("dicom_data_query"), EvidenceLevel::data,
                  Confidence::confirmed);
    }
  }
  if (v.get<StoreTestData>() && pred(std::string("SecondaryCaptureImageStorage"))) {
    const auto& st = *v.get<StoreTestData>();
    const auto& x = st.object;
    const std::string line = fmt::format(
        "C-STORE of a synthetic Secondary Capture image as calling '{}': {}{}{}", st.calling_ae,
        to_string(st.outcome),
        st.status >= 0 ? fmt::format(", status 0x{:04x} ({})", st.status, st.status_text) : "",
        st.detail.empty() ? "" : ": " + st.detail);
    if (st.outcome == DimseOutcome::stored) {
      ev.push_back(line);
      ev.push_back(fmt::format("written by pacscan, to be deleted: patient '{}' ID '{}', study "
                               "'{}' Study Instance UID {}, Series Instance UID {}, SOP Instance "
                               "UID {}",
                               x.patient_name, x.patient_id, x.study_description,
                               x.study_instance_uid, x.series_instance_uid, x.sop_instance_uid));
      return fail(sev,
                  fmt::format("{} accepted a synthetic object from an unknown peer ({})", what,
                              identity_text(s.calling_source)),
                  std::move(ev), with("dicom_store_test"), EvidenceLevel::written,
                  Confidence::confirmed);
    }
    if (st.outcome == DimseOutcome::refused) {
      return pass(fmt::format("{} negotiated, but the server refused to store: {}", what, line));
    }
    ev.push_back(line + " (not conclusive)");
  }
  if (v.get<MoveSelfData>() && pred(std::string("StudyRootMove"))) {
    const auto& m = *v.get<MoveSelfData>();
    int ours = 0;
    for (const auto& r : m.received) ours += r.ours;
    ev.push_back(fmt::format(
        "C-MOVE of the synthetic study {} as calling '{}' to the scanner's AE '{}' (listening on "
        "port {}): {}{}{}", m.study_instance_uid, m.calling_ae, m.destination_ae, m.listen_port,
        to_string(m.outcome),
        m.status >= 0 ? fmt::format(", status 0x{:04x} ({})", m.status, m.status_text) : "",
        m.detail.empty() ? "" : ": " + m.detail));
    for (const auto& r : m.received) {
      ev.push_back(fmt::format("the listener received an association from {} (calling AE '{}') "
                               "with {} object(s), {} of them the synthetic one (dropped unread)",
                               r.peer, r.calling_ae, r.objects, r.ours));
    }
    if (m.refused > 0) {
      ev.push_back(fmt::format("the listener refused {} connection(s) from addresses other than "
                               "the host under test ({}): nothing was read from them",
                               m.refused, fmt::join(m.refused_from, ", ")));
    }
    if (ours > 0) {
      return fail(sev,
                  fmt::format("{} sent a study out on an unknown peer's request ({})", what,
                              identity_text(s.calling_source)),
                  std::move(ev), with("dicom_move_self"), EvidenceLevel::data,
                  Confidence::confirmed);
    }
  }
  return std::nullopt;
}

// Services rule family: true when a context whose name matches `pred` was accepted.
template <typename Pred>
RuleHit eval_service(const EndpointView& v, std::string_view what, Pred pred, Severity sev) {
  if (!v.get<AePolicyData>()) return not_evaluated(missing(v, "dicom_ae_policy"));
  if (!v.get<ServicesData>()) {
    if (v.get<AePolicyData>()->working_called_ae.empty() && !v.get<AePolicyData>()->budget_exhausted &&
        v.speaks_dicom()) {
      return pass("no association was accepted for any called/calling AE title tried");
    }
    return not_evaluated(missing(v, "dicom_services"));
  }
  const auto& s = *v.get<ServicesData>();
  if (s.attempt.outcome != Outcome::ok) {
    return not_evaluated(fmt::format("services association {}", to_string(s.attempt.outcome)));
  }
  std::vector<std::string> accepted;
  for (const auto& c : s.attempt.contexts) {
    if (c.result == 0 && pred(c.name)) {
      accepted.push_back(fmt::format("context {} {} ({}) accepted, transfer syntax {}", c.id, c.name,
                                     c.abstract_syntax, c.transfer_syntax));
    }
  }
  if (accepted.empty()) {
    return pass(fmt::format("no {} context accepted for {}", what, identity_text(s.calling_source)));
  }
  if (!unknown_peer(s.calling_source)) {
    return not_evaluated(fmt::format(
        "{} negotiated only with the scanner's own calling AE title '{}', which the server "
        "allow-lists; an unknown peer was not admitted",
        what, s.attempt.calling_ae));
  }
  std::vector<std::string> ev;
  ev.push_back(fmt::format("association as calling '{}' ({}) to called '{}' accepted",
                           s.attempt.calling_ae, identity_text(s.calling_source),
                           s.attempt.called_ae));
  ev.insert(ev.end(), accepted.begin(), accepted.end());
  if (s.canary_accepted) {
    ev.push_back("a bogus SOP class was also accepted: this server accepts every proposal, so "
                 "negotiation alone overstates what it will do");
  }
  // The intrusive probes settle it with data: entries counted, an object written, a study moved.
  if (auto h = intrusive_verdict(v, what, pred, sev, s, ev)) return std::move(*h);
  // A null-match request (dicom_null_query) settles what negotiation only suggests.
  if (v.get<NullQueryData>()) {
    for (const auto& r : v.get<NullQueryData>()->results) {
      if (!pred(r.service)) continue;
      const std::string line = fmt::format(
          "{} with a random UID as calling '{}': {}{}{}", r.service, r.calling_ae, to_string(r.outcome),
          r.status >= 0 ? fmt::format(", status 0x{:04x} ({})", r.status, r.status_text) : "",
          r.detail.empty() ? "" : ": " + r.detail);
      if (r.outcome == DimseOutcome::success) {
        ev.push_back(line);
        if (!r.move_destination.empty()) {
          ev.push_back(fmt::format("the random move destination '{}' was not refused "
                                   "(no 0xA801 'move destination unknown')",
                                   r.move_destination));
        }
        if (r.matches > 0) {
          ev.push_back(fmt::format("{} pending response(s) came back for a UID that cannot "
                                   "exist; their content was discarded unread",
                                   r.matches));
        }
        return fail(sev,
                    fmt::format("{} answers an unknown peer ({})", what,
                                identity_text(s.calling_source)),
                    std::move(ev), {"dicom_ae_policy", "dicom_services", "dicom_null_query"},
                    EvidenceLevel::confirmed,
                    r.move_destination.empty() ? Confidence::confirmed : Confidence::tentative);
      }
      if (r.outcome == DimseOutcome::refused || r.outcome == DimseOutcome::aborted) {
        return pass(fmt::format("{} context negotiated, but the request itself was refused: {}",
                                what, line));
      }
      ev.push_back(line + " (not conclusive)");
    }
  }
  auto h = fail(sev,
                fmt::format("{} was negotiated by {}", what, identity_text(s.calling_source)),
                std::move(ev), {"dicom_ae_policy", "dicom_services"}, EvidenceLevel::negotiated,
                Confidence::tentative);
  return h;
}

bool is_find(const std::string& n) { return n == "PatientRootFind" || n == "StudyRootFind"; }
bool is_move(const std::string& n) { return n == "PatientRootMove" || n == "StudyRootMove"; }
bool is_get(const std::string& n) { return n == "PatientRootGet" || n == "StudyRootGet"; }
bool is_mwl(const std::string& n) { return n == "ModalityWorklistFind"; }
bool is_store(const std::string& n) {
  return n.size() > 7 && n.compare(n.size() - 7, 7, "Storage") == 0;
}

}  // namespace

RuleHit eval_asset_dicom_scp(const EndpointView& v) {
  if ((!v.get<AssociateData>() || !v.get<AssociateData>()->speaks_dicom) && v.dicom_over_tls()) {
    const auto& t = *v.get<TlsData>()->association;
    std::vector<std::string> ev{fmt::format("over TLS ({} {}): {}", v.get<TlsData>()->protocol, v.get<TlsData>()->cipher,
                                            describe(t))};
    if (!t.impl_class_uid.empty()) {
      ev.push_back(fmt::format("implementation class UID {} version '{}'", t.impl_class_uid,
                               t.impl_version));
    }
    return fail(Severity::info,
                fmt::format("DICOM TLS service answered an A-ASSOCIATE-RQ with {}",
                            t.outcome == Outcome::ok         ? "A-ASSOCIATE-AC"
                            : t.outcome == Outcome::rejected ? "A-ASSOCIATE-RJ"
                                                             : "A-ABORT"),
                std::move(ev), {"dicom_associate", "dicom_tls"});
  }
  if (!v.get<AssociateData>()) return not_evaluated(missing(v, "dicom_associate"));
  const auto& a = v.get<AssociateData>()->attempt;
  if (!v.get<AssociateData>()->speaks_dicom) {
    if (v.get<TlsData>() && v.get<TlsData>()->tls && !v.get<TlsData>()->association) {
      return not_evaluated("a TLS server answered, but no association over TLS was attempted");
    }
    if (a.outcome == Outcome::interrupted || a.outcome == Outcome::skipped ||
        a.outcome == Outcome::error) {
      return not_evaluated(fmt::format("association test {}", to_string(a.outcome)));
    }
    return pass(fmt::format("no valid DICOM PDU in reply ({}{}{})", to_string(a.outcome),
                            a.detail.empty() ? "" : ": ", a.detail));
  }
  std::vector<std::string> ev{describe(a)};
  if (!a.impl_class_uid.empty()) {
    ev.push_back(fmt::format("implementation class UID {} version '{}'", a.impl_class_uid,
                             a.impl_version));
  }
  return fail(Severity::info,
              fmt::format("DICOM service answered an A-ASSOCIATE-RQ with {}",
                          a.outcome == Outcome::ok         ? "A-ASSOCIATE-AC"
                          : a.outcome == Outcome::rejected ? "A-ASSOCIATE-RJ"
                                                           : "A-ABORT"),
              std::move(ev), {"dicom_associate"});
}

RuleHit eval_asset_dicom_fingerprint(const EndpointView& v) {
  const AssocAttempt* found = nullptr;
  if (v.get<AssociateData>() && !v.get<AssociateData>()->attempt.impl_class_uid.empty()) found = &v.get<AssociateData>()->attempt;
  if (!found && v.dicom_over_tls() && !v.get<TlsData>()->association->impl_class_uid.empty()) {
    found = &*v.get<TlsData>()->association;  // A-ASSOCIATE-AC received over TLS
  }
  if (!found && v.get<AePolicyData>()) {
    for (const auto& a : v.get<AePolicyData>()->attempts) {
      if (!a.impl_class_uid.empty()) {
        found = &a;
        break;
      }
    }
  }
  if (!found) {
    if (!v.get<AssociateData>()) return not_evaluated(missing(v, "dicom_associate"));
    return not_evaluated("no A-ASSOCIATE-AC received, so no implementation identification");
  }
  std::vector<std::string> ev{
      fmt::format("Implementation Class UID {}", found->impl_class_uid),
      fmt::format("Implementation Version Name '{}'", found->impl_version),
      fmt::format("peer max PDU length {}", found->peer_max_pdu)};
  auto h = fail(Severity::info,
                fmt::format("implementation {} '{}'", found->impl_class_uid, found->impl_version),
                std::move(ev), {"dicom_associate", "dicom_ae_policy"});
  h.discriminator = found->impl_class_uid + "|" + found->impl_version;
  return h;
}

RuleHit eval_dicom_cleartext(const EndpointView& v) {
  if (!v.get<AssociateData>()) return not_evaluated(missing(v, "dicom_associate"));
  if (!v.get<AssociateData>()->speaks_dicom) {
    if (v.dicom_over_tls()) {
      const auto& t = *v.get<TlsData>()->association;
      return pass(fmt::format("association {} only over TLS ({} {}); a cleartext "
                              "A-ASSOCIATE-RQ got no DICOM answer ({})",
                              t.outcome == Outcome::ok ? "accepted" : "answered",
                              v.get<TlsData>()->protocol, v.get<TlsData>()->cipher,
                              to_string(v.get<AssociateData>()->attempt.outcome)));
    }
    return pass("no DICOM service on this port");
  }
  const AssocAttempt* accepted = nullptr;
  if (v.get<AssociateData>()->attempt.outcome == Outcome::ok) accepted = &v.get<AssociateData>()->attempt;
  if (!accepted && v.get<AePolicyData>()) {
    for (const auto& a : v.get<AePolicyData>()->attempts) {
      if (a.outcome == Outcome::ok) {
        accepted = &a;
        break;
      }
    }
  }
  Severity sev = Severity::medium;
  std::vector<std::string> ev;
  if (v.host_offers_tls) {
    std::string ports;
    for (auto p : v.host_tls_ports) ports += fmt::format("{}{}", ports.empty() ? "" : ", ", p);
    ev.push_back(fmt::format("the same host also offers DICOM over TLS on port(s) {}: move "
                             "peers there and close this cleartext port",
                             ports));
  } else {
    ev.push_back("no DICOM over TLS found on the other ports scanned on this host");
  }
  if (v.get<ServicesData>() && v.get<ServicesData>()->attempt.outcome == Outcome::ok &&
      unknown_peer(v.get<ServicesData>()->calling_source)) {
    for (const auto& c : v.get<ServicesData>()->attempt.contexts) {
      if (c.result == 0 && (is_find(c.name) || is_store(c.name) || is_mwl(c.name))) {
        sev = Severity::high;
        ev.push_back(fmt::format("{} is also accepted for an unknown peer over this cleartext "
                                 "channel",
                                 c.name));
        break;
      }
    }
  }
  if (accepted) {
    ev.insert(ev.begin(), fmt::format("A-ASSOCIATE-AC received over plain TCP ({})",
                                      describe(*accepted)));
    return fail(sev, "DICOM associations are accepted over unencrypted TCP", std::move(ev),
                {"dicom_associate", "dicom_ae_policy"}, EvidenceLevel::confirmed,
                Confidence::confirmed);
  }
  ev.insert(ev.begin(), fmt::format("DICOM PDU received over plain TCP ({}); no association was "
                                    "accepted for the titles tried",
                                    describe(v.get<AssociateData>()->attempt)));
  return fail(sev, "DICOM service listens on unencrypted TCP", std::move(ev), {"dicom_associate"},
              EvidenceLevel::observed, Confidence::tentative);
}

RuleHit eval_ae_any_called(const EndpointView& v) {
  if (!v.get<AePolicyData>()) return not_evaluated(missing(v, "dicom_ae_policy"));
  const auto& p = *v.get<AePolicyData>();
  switch (p.any_called) {
    case Tri::yes:
      return fail(Severity::low,
                  fmt::format("random called AE title '{}' was accepted", p.random_called_ae),
                  {fmt::format("A-ASSOCIATE-AC for called AE '{}' (random, 16 characters)",
                               p.random_called_ae)},
                  {"dicom_ae_policy"}, EvidenceLevel::confirmed);
    case Tri::no: {
      for (const auto& a : p.attempts) {
        if (a.called_ae == p.random_called_ae) {
          return pass(fmt::format("random called AE title rejected: {}", describe(a)));
        }
      }
      return pass("random called AE title rejected");
    }
    case Tri::unknown: break;
  }
  return not_evaluated("the random called AE test gave no DICOM answer");
}

RuleHit eval_ae_any_calling(const EndpointView& v) {
  if (!v.get<AePolicyData>()) return not_evaluated(missing(v, "dicom_ae_policy"));
  const auto& p = *v.get<AePolicyData>();
  switch (p.any_calling) {
    case Tri::yes:
      return fail(Severity::medium,
                  fmt::format("random calling AE title '{}' was accepted", p.random_calling_ae),
                  {fmt::format("A-ASSOCIATE-AC for calling AE '{}' (random) to called AE '{}'{}",
                               p.random_calling_ae, p.working_called_ae,
                               p.working_called_source == AeSource::web
                                   ? fmt::format(" ({})",
                                                 called_source_text(p.working_called_source))
                                   : std::string())},
                  {"dicom_ae_policy"}, EvidenceLevel::confirmed);
    case Tri::no:
      for (const auto& a : p.attempts) {
        if (!p.random_calling_ae.empty() && a.calling_ae == p.random_calling_ae) {
          return pass(fmt::format("random calling AE title rejected: {}", describe(a)));
        }
      }
      if (!p.recognized_called_ae.empty()) {
        return pass(fmt::format("unknown calling AE titles are rejected with 'calling AE title not "
                                "recognized' by called AE '{}'",
                                p.recognized_called_ae));
      }
      return pass("random calling AE title rejected");
    case Tri::unknown: break;
  }
  if (p.working_called_ae.empty()) {
    return not_evaluated("no called AE title was accepted, so the calling AE policy could not be "
                         "tested (give a known title with --called-aet)");
  }
  return not_evaluated("the random calling AE test gave no DICOM answer");
}

RuleHit eval_ae_default_title(const EndpointView& v) {
  if (!v.get<AePolicyData>()) return not_evaluated(missing(v, "dicom_ae_policy"));
  const auto& p = *v.get<AePolicyData>();
  if (p.any_called == Tri::yes) {
    return pass("any called AE title is accepted (see DICOM-AE-ANY-CALLED); no default needed");
  }
  if (p.any_called == Tri::unknown) return not_evaluated("called AE policy unknown");
  if (p.working_called_source == AeSource::well_known) {
    std::vector<std::string> ev;
    for (const auto& a : p.attempts) {
      if (a.called_ae == p.random_called_ae) ev.push_back("random title: " + describe(a));
    }
    ev.push_back(fmt::format("default title '{}' accepted", p.working_called_ae));
    auto h = fail(Severity::low,
                  fmt::format("the server answers to the well-known AE title '{}'",
                              p.working_called_ae),
                  std::move(ev), {"dicom_ae_policy"}, EvidenceLevel::confirmed);
    h.discriminator = p.working_called_ae;
    return h;
  }
  if (p.working_called_ae.empty() && p.recognized_called_source == AeSource::well_known) {
    std::vector<std::string> ev;
    for (const auto& a : p.attempts) {
      if (a.called_ae == p.random_called_ae) ev.push_back("random title: " + describe(a));
    }
    for (const auto& a : p.attempts) {
      if (a.called_ae == p.recognized_called_ae) {
        ev.push_back("default title: " + describe(a));
        break;
      }
    }
    ev.push_back(fmt::format("the reject reason changed from the random title's to 'calling AE "
                             "title not recognized': the server recognises '{}' as its own title",
                             p.recognized_called_ae));
    auto h = fail(Severity::low,
                  fmt::format("the server recognises the well-known AE title '{}'",
                              p.recognized_called_ae),
                  std::move(ev), {"dicom_ae_policy"}, EvidenceLevel::observed,
                  Confidence::confirmed);
    h.discriminator = p.recognized_called_ae;
    return h;
  }
  if (p.budget_exhausted && p.working_called_ae.empty()) {
    return not_evaluated("AE title attempt budget exhausted before the well-known list was done");
  }
  // Known, not guessed: the title came from the host's own web API (WEB-ORTHANC-NOAUTH or
  // WEB-ORTHANC-DEFAULT-CREDS judge that exposure); a title also on the well-known list is
  // labelled well_known by the probe and fails above.
  if (!p.working_called_ae.empty() && p.working_called_source == AeSource::web) {
    return pass(fmt::format("accepted called AE title '{}' was {}, not guessed, and is not a "
                            "well-known default",
                            p.working_called_ae, called_source_text(p.working_called_source)));
  }
  return pass(p.working_called_ae.empty()
                  ? "no well-known called AE title from the list was accepted"
                  : fmt::format("accepted called AE title '{}' is not a well-known default",
                                p.working_called_ae));
}

RuleHit eval_ae_guessable_calling(const EndpointView& v) {
  if (!v.get<AePolicyData>()) return not_evaluated(missing(v, "dicom_ae_policy"));
  const auto& p = *v.get<AePolicyData>();
  if (p.any_calling == Tri::yes) {
    return pass("any calling AE title is accepted (see DICOM-AE-ANY-CALLING)");
  }
  if (p.admitted_calling_source == AeSource::well_known) {
    std::vector<std::string> ev;
    for (const auto& a : p.attempts) {
      if (a.calling_ae == p.random_calling_ae && !p.random_calling_ae.empty()) {
        ev.push_back("random calling title: " + describe(a));
      }
    }
    ev.push_back(fmt::format("default client title '{}' admitted by called AE '{}'",
                             p.admitted_calling_ae, p.working_called_ae));
    auto h = fail(Severity::medium,
                  fmt::format("the calling-AE allow-list admits the guessable title '{}'",
                              p.admitted_calling_ae),
                  std::move(ev), {"dicom_ae_policy"}, EvidenceLevel::confirmed);
    h.discriminator = p.admitted_calling_ae;
    return h;
  }
  if (p.any_calling == Tri::unknown && p.admitted_calling_source == AeSource::none) {
    return not_evaluated("calling AE policy unknown (no called AE title accepted)");
  }
  if (p.budget_exhausted) {
    return not_evaluated("AE title attempt budget exhausted before the calling list was done");
  }
  return pass("no well-known client AE title from the list was admitted");
}

RuleHit eval_unauth_echo(const EndpointView& v) {
  if (!v.get<EchoData>()) {
    if (v.get<AePolicyData>() && v.get<AePolicyData>()->working_called_ae.empty() && v.speaks_dicom() &&
        !v.get<AePolicyData>()->budget_exhausted) {
      return pass("no association was accepted for any called/calling AE title tried");
    }
    return not_evaluated(missing(v, "dicom_echo"));
  }
  const auto& e = *v.get<EchoData>();
  if (e.attempt.outcome != Outcome::ok) {
    if (e.attempt.outcome == Outcome::rejected) return pass(describe(e.attempt));
    return not_evaluated(fmt::format("echo association {}", to_string(e.attempt.outcome)));
  }
  if (e.echo_outcome != Outcome::ok) {
    return not_evaluated(fmt::format("C-ECHO {}: {}", to_string(e.echo_outcome), e.detail));
  }
  if (e.status != 0) return pass(fmt::format("C-ECHO refused with status 0x{:04x}", e.status));
  return fail(Severity::low, "C-ECHO succeeded for an unknown peer",
              {describe(e.attempt), "C-ECHO-RSP status 0x0000 (success)"}, {"dicom_echo"},
              EvidenceLevel::confirmed);
}

RuleHit eval_userid_not_enforced(const EndpointView& v) {
  if (!v.get<UserIdentityData>()) {
    if (v.get<AePolicyData>() && v.get<AePolicyData>()->working_called_ae.empty()) {
      return not_evaluated("no association was accepted without user identity, so enforcement "
                           "cannot be told apart from AE-title filtering");
    }
    return not_evaluated(missing(v, "dicom_user_identity"));
  }
  const auto& u = *v.get<UserIdentityData>();
  const auto& a = u.attempt;
  // Patient-data services open to the same unknown peer make the missing identity matter.
  bool phi_services = false;
  if (v.get<ServicesData>() && v.get<ServicesData>()->attempt.outcome == Outcome::ok) {
    for (const auto& c : v.get<ServicesData>()->attempt.contexts) {
      if (c.result == 0 && c.name != "Verification" && c.name != "Canary") phi_services = true;
    }
  }
  std::vector<std::string> ev{
      fmt::format("association without user identity accepted ({})", u.without_identity),
      fmt::format("with random user '{}' and a random passcode, positive response requested: {}",
                  u.username, describe(a))};
  if (a.outcome == Outcome::ok && a.identity_response) {
    ev.push_back("the A-ASSOCIATE-AC carried a positive User Identity response for credentials "
                 "that cannot exist: the server's credential check is broken");
    return fail(Severity::high, "the server positively confirmed a bogus user identity",
                std::move(ev), {"dicom_user_identity"}, EvidenceLevel::confirmed);
  }
  if (a.outcome == Outcome::ok) {
    ev.push_back("no User Identity response: the identity was ignored (PS3.7 D.3.3.7: an "
                 "acceptor that does not support it accepts without a response)");
  } else if (a.outcome == Outcome::rejected) {
    ev.push_back("bogus credentials are rejected, but associations without any identity are "
                 "accepted: identity is checked when offered, not required");
  } else {
    return not_evaluated(fmt::format("association with user identity {}", to_string(a.outcome)));
  }
  if (phi_services) ev.push_back("patient-data services are negotiated by this unknown peer");
  return fail(phi_services ? Severity::medium : Severity::info,
              "DICOM user identity is not required", std::move(ev), {"dicom_user_identity"},
              EvidenceLevel::confirmed);
}

RuleHit eval_public_address(const EndpointView& v) {
  // Not publicly routable: RFC 1918, loopback, link-local, CGNAT (RFC 6598), benchmarking
  // (RFC 2544), "this network", documentation ranges and multicast/reserved.
  struct Range {
    const char* net;
    int bits;
    const char* name;
  };
  static constexpr Range k_private[] = {
      {"10.0.0.0", 8, "private (RFC 1918)"},      {"172.16.0.0", 12, "private (RFC 1918)"},
      {"192.168.0.0", 16, "private (RFC 1918)"},  {"127.0.0.0", 8, "loopback"},
      {"169.254.0.0", 16, "link-local"},          {"100.64.0.0", 10, "shared CGNAT (RFC 6598)"},
      {"198.18.0.0", 15, "benchmarking (RFC 2544)"}, {"0.0.0.0", 8, "this network"},
      {"192.0.2.0", 24, "documentation"},         {"198.51.100.0", 24, "documentation"},
      {"203.0.113.0", 24, "documentation"},       {"224.0.0.0", 3, "multicast/reserved"},
  };
  const bool dicom = v.get<AssociateData>() && v.get<AssociateData>()->speaks_dicom;
  if (!dicom && v.all<PassiveData>().empty()) return not_evaluated("no DICOM service seen on this port");
  for (const auto& r : k_private) {
    const auto net = Ipv4::parse(r.net);
    const std::uint32_t mask = r.bits == 0 ? 0 : ~std::uint32_t{0} << (32 - r.bits);
    if (net && (v.ep.ip.value & mask) == (net->value & mask)) {
      return pass(fmt::format("{} is a {} address", v.ep.ip.str(), r.name));
    }
  }
  return fail(Severity::high,
              fmt::format("DICOM service on the publicly routable address {}", v.ep.ip.str()),
              {fmt::format("{} answered DICOM and is outside private, loopback, link-local, CGNAT "
                           "and reserved ranges",
                           v.ep.str())},
              {"dicom_associate"}, EvidenceLevel::observed, Confidence::confirmed);
}

RuleHit eval_unauth_find(const EndpointView& v) {
  return eval_service(v, "Query/Retrieve C-FIND", is_find, Severity::high);
}
RuleHit eval_unauth_move(const EndpointView& v) {
  return eval_service(v, "Query/Retrieve C-MOVE", is_move, Severity::high);
}
RuleHit eval_unauth_get(const EndpointView& v) {
  return eval_service(v, "Query/Retrieve C-GET", is_get, Severity::high);
}
RuleHit eval_unauth_store(const EndpointView& v) {
  return eval_service(v, "Storage (C-STORE)", is_store, Severity::high);
}
RuleHit eval_unauth_mwl(const EndpointView& v) {
  return eval_service(v, "Modality Worklist C-FIND", is_mwl, Severity::high);
}

}  // namespace pacscan::rules
