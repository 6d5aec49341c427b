// SPDX-License-Identifier: Apache-2.0
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

namespace {

// Why a guessable title is guessable, for a finding's summary.
std::string guessable_why(AeSource s) {
  switch (s) {
    case AeSource::wordlist: return "a title from the auditor's word list (--ae-wordlist)";
    case AeSource::reverse_dns: return "its host name, which anyone can look up in reverse DNS";
    default: return "a vendor or tool default (data/ae-titles.tsv)";
  }
}

// "... (found: seen in the site's own traffic ...)" when the title was found other than by the
// source it is judged by.
std::string found_note(AeSource judged, AeSource found_by, const std::string& detail) {
  if (found_by == AeSource::none || found_by == judged || detail.empty()) return "";
  return fmt::format(" (found this scan by: {})", detail);
}

std::string candidates_left_text(const AePolicyData& p) {
  if (p.candidates_left_total == 0) return "";
  std::vector<std::string> next;
  for (const auto& c : p.candidates_left) {
    next.push_back(fmt::format("'{}' -> '{}'", c.calling_ae, c.called_ae));
  }
  return fmt::format("; {} candidate pair(s) left untried, next: {}{}", p.candidates_left_total,
                     fmt::join(next, ", "),
                     p.candidates_left_total > static_cast<int>(next.size()) ? ", ..." : "");
}

}  // namespace

RuleHit eval_ae_default_title(const EndpointView& v) {
  if (!v.get<AePolicyData>()) return not_evaluated(missing(v, "dicom_ae_policy"));
  const auto& p = *v.get<AePolicyData>();
  if (p.any_called == Tri::yes) {
    return pass("any called AE title is accepted (see DICOM-AE-ANY-CALLED); no default needed");
  }
  if (p.any_called == Tri::unknown) return not_evaluated("called AE policy unknown");
  auto random_lines = [&] {
    std::vector<std::string> ev;
    for (const auto& a : p.attempts) {
      if (a.called_ae == p.random_called_ae) ev.push_back("random title: " + describe(a));
    }
    return ev;
  };
  // Guessable: a vendor default, a word list entry, the host's own name. How the scan found it
  // does not matter: an unknown attacker finds it the same way.
  if (!p.working_called_ae.empty() && guessable(p.working_called_source) &&
      p.working_called_source != AeSource::random) {
    std::vector<std::string> ev = random_lines();
    ev.push_back(fmt::format("guessable title '{}' accepted: {}{}", p.working_called_ae,
                             guessable_why(p.working_called_source),
                             found_note(p.working_called_source, p.working_called_found_by,
                                        p.working_called_detail)));
    auto h = fail(Severity::low,
                  p.working_called_source == AeSource::well_known
                      ? fmt::format("the server answers to the well-known AE title '{}'",
                                    p.working_called_ae)
                      : fmt::format("the server answers to the guessable AE title '{}' ({})",
                                    p.working_called_ae,
                                    guessable_why(p.working_called_source)),
                  std::move(ev), {"dicom_ae_policy"}, EvidenceLevel::confirmed);
    h.discriminator = p.working_called_ae;
    return h;
  }
  if (p.working_called_ae.empty() && guessable(p.recognized_called_source) &&
      p.recognized_called_source != AeSource::random) {
    std::vector<std::string> ev = random_lines();
    for (const auto& a : p.attempts) {
      if (a.called_ae == p.recognized_called_ae) {
        ev.push_back("guessable title: " + describe(a));
        break;
      }
    }
    ev.push_back(fmt::format("the reject reason changed from the random title's to 'calling AE "
                             "title not recognized': the server recognises '{}' as its own title",
                             p.recognized_called_ae));
    auto h = fail(Severity::low,
                  fmt::format("the server recognises the {} AE title '{}'",
                              p.recognized_called_source == AeSource::well_known ? "well-known"
                                                                                 : "guessable",
                              p.recognized_called_ae),
                  std::move(ev), {"dicom_ae_policy"}, EvidenceLevel::observed,
                  Confidence::confirmed);
    h.discriminator = p.recognized_called_ae;
    return h;
  }
  if (p.budget_exhausted && p.working_called_ae.empty()) {
    return not_evaluated(fmt::format("--max-ae-attempts ended the AE title search before a title "
                                     "was accepted{}",
                                     candidates_left_text(p)));
  }
  // Known, not guessed: the auditor's hint, the host's own web API (WEB-ORTHANC-NOAUTH or
  // WEB-ORTHANC-DEFAULT-CREDS judge that exposure), the site's own traffic, or another host that
  // had it from one of those. A title also on the vendor list is judged guessable above.
  if (!p.working_called_ae.empty() && p.working_called_source != AeSource::none) {
    return pass(fmt::format("accepted called AE title '{}' was {}, not guessed, and is not a "
                            "well-known default",
                            p.working_called_ae,
                            p.working_called_found_by == AeSource::site &&
                                    !p.working_called_detail.empty()
                                ? p.working_called_detail + " (there: " +
                                      called_source_text(p.working_called_source) + ")"
                                : called_source_text(p.working_called_source)));
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
  // A vendor default, a word list entry or a host name: an unknown attacker finds it too. That
  // includes a default the auditor passed as --calling-aet (FINDSCU ...): being the scanner's own
  // title does not make it less guessable.
  if (!p.admitted_calling_ae.empty() && guessable(p.admitted_calling_source) &&
      p.admitted_calling_source != AeSource::random) {
    std::vector<std::string> ev;
    for (const auto& a : p.attempts) {
      if (a.calling_ae == p.random_calling_ae && !p.random_calling_ae.empty()) {
        ev.push_back("random calling title: " + describe(a));
      }
    }
    const bool by_scanner = p.admitted_calling_found_by == AeSource::scanner;
    ev.push_back(fmt::format("{} client title '{}' admitted by called AE '{}'{}",
                             p.admitted_calling_source == AeSource::well_known ? "default"
                                                                               : "guessable",
                             p.admitted_calling_ae, p.working_called_ae,
                             by_scanner ? " (the scanner's --calling-aet, itself a default)"
                                        : found_note(p.admitted_calling_source,
                                                     p.admitted_calling_found_by,
                                                     p.admitted_calling_detail)));
    if (!p.admitted_calling_detail.empty()) ev.push_back("source: " + p.admitted_calling_detail);
    auto h = fail(Severity::medium,
                  fmt::format("the calling-AE allow-list admits the guessable title '{}'",
                              p.admitted_calling_ae),
                  std::move(ev), {"dicom_ae_policy"}, EvidenceLevel::confirmed);
    h.discriminator = p.admitted_calling_ae;
    return h;
  }
  if (p.any_calling == Tri::unknown && p.admitted_calling_source == AeSource::none) {
    if (p.budget_exhausted) {
      return not_evaluated(fmt::format("calling AE policy unknown: --max-ae-attempts ended the "
                                       "search{}",
                                       candidates_left_text(p)));
    }
    return not_evaluated("calling AE policy unknown (no called AE title accepted)");
  }
  if (p.admitted_calling_source == AeSource::learned) {
    return pass(fmt::format("the allow-list admits '{}', a title seen in the site's own traffic "
                            "(a real peer's entry, not a guessable default): {}",
                            p.admitted_calling_ae, p.admitted_calling_detail));
  }
  if (p.admitted_calling_source == AeSource::web) {
    return pass(fmt::format("the allow-list admits '{}', published by the host's web API (judged "
                            "by the WEB-* rules), not a guessable default",
                            p.admitted_calling_ae));
  }
  if (p.budget_exhausted) {
    return not_evaluated(fmt::format("--max-ae-attempts ended the calling-title search before the "
                                     "vendor defaults were done{}",
                                     candidates_left_text(p)));
  }
  return pass("no well-known client AE title from the list was admitted");
}

}  // namespace pacscan::rules
