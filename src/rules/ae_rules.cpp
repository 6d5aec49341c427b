// Evaluators of the AE-title rules: is any called or calling title accepted, is a default or
// guessable title enough. Each says fail (with evidence), pass or not evaluated (with the reason).
#include <optional>

#include <fmt/format.h>

#include "dicom_common.hpp"
#include "evaluators.hpp"

namespace pacscan::rules {

using dicom::called_source_text;
using dicom::describe;
using dicom::identity_text;
using dicom::unknown_peer;

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

}  // namespace pacscan::rules
