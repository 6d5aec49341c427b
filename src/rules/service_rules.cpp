// SPDX-License-Identifier: Apache-2.0
// Evaluators of the service rules: what an unknown peer may do (C-ECHO, C-FIND, C-MOVE, C-GET,
// C-STORE, worklist) and whether user identity is enforced, from negotiation up to the intrusive
// probes' data and written evidence.
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dicom_common.hpp"
#include "evaluators.hpp"

namespace pacscan::rules {

using dicom::called_source_text;
using dicom::describe;
using dicom::identity_text;
using dicom::is_store;
using dicom::is_mwl;
using dicom::is_get;
using dicom::is_move;
using dicom::is_find;
using dicom::unknown_peer;

namespace {

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
                               "with {} object(s), {} of them the synthetic one (dropped unread){}",
                               r.peer, r.calling_ae, r.objects, r.ours,
                               r.outcome == Outcome::ok
                                   ? std::string()
                                   : fmt::format("; it ended {}: {}", to_string(r.outcome),
                                                 r.detail)));
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
    // A title seen in the site's own traffic is a real peer's allow-list entry: what it may do is
    // what that peer may do, not what an unknown one may (anyone who sees that cleartext traffic
    // can reuse it: DICOM-CLEARTEXT judges that).
    if (s.calling_source == AeSource::learned) {
      return not_evaluated(fmt::format(
          "{} negotiated only with calling AE title '{}', seen in the site's own traffic (a real "
          "peer's allow-list entry, not a guessable one); an unknown peer was not admitted",
          what, s.attempt.calling_ae));
    }
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
          "{} with a random UID as calling '{}': {}{}{}", r.service, r.calling_ae,
          to_string(r.outcome),
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

}  // namespace

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
