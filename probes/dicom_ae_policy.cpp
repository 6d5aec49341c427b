// SPDX-License-Identifier: Apache-2.0
// dicom_ae_policy: which called and calling AE titles does the server accept?
//  1. random called AE (reuses dicom_associate's attempt): accepted -> any called AE works.
//  2. otherwise (calling, called) pairs in the order ae_candidates.hpp gives: what the site says
//     first (pairs seen in its traffic with --learn, titles another host of this scan accepted,
//     the host's web API, the auditor's hints, the host's reverse DNS name), then vendor defaults
//     (data/ae-titles.tsv) by likelihood, then --ae-wordlist. A reject that names the calling
//     title (PS3.8 reason 3) where a random called title got another reason shows the called
//     title is right: the search then tries calling titles with it. A server that sends the same
//     reject for a wrong called and a wrong calling title (dcmqrscp does) gets pairs, the most
//     likely first, and the observation says how many.
//  3. with a working called AE: a random calling AE; if rejected, calling titles in order (a
//     default passed as --calling-aet already answers it).
// Every attempt is one short association (Verification only), released at once, paced by the
// gate's per-host gap, and the total is capped by --max-ae-attempts; when the cap ends the search
// the observation lists the candidates left. Titles accepted here are published for the scan's
// other hosts (SiteAeTitles).
#include "ae_candidates.hpp"
#include "common.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <pacscan/scan/site_titles.hpp>

namespace pacscan::probes {
namespace {

struct Search {
  const ProbeContext& ctx;
  const Endpoint& ep;
  AePolicyData& d;
  int left;
  bool broken = false;  // the server stopped answering DICOM: stop guessing
  std::set<std::pair<std::string, std::string>> tried;  // (calling, called)

  // nullopt when no attempt was made (budget, stop, broken server)
  std::optional<AssocAttempt> attempt(const std::string& calling, const std::string& called) {
    if (broken || ctx.stop.stop_requested()) return std::nullopt;
    if (left <= 0 || ctx.budget.exhausted()) {
      d.budget_exhausted = true;
      return std::nullopt;
    }
    --left;
    tried.insert({calling, called});
    Session s = open_session(ctx, ep, calling, called, dicom::verification_context());
    if (s.assoc) s.assoc->release();
    d.attempts.push_back(s.attempt);
    if (!s.attempt.valid_pdu()) broken = true;
    return s.attempt;
  }
  bool was_tried(const std::string& calling, const std::string& called) const {
    return tried.contains({calling, called});
  }
  bool over() const { return broken || d.budget_exhausted || ctx.stop.stop_requested(); }
};

bool calling_not_recognized(const AssocAttempt& a) {
  return a.reject && a.reject->source == 1 && a.reject->reason == 3;
}

bool same_reject(const AssocAttempt& a, const AssocAttempt& b) {
  return a.reject && b.reject && a.reject->result == b.reject->result &&
         a.reject->source == b.reject->source && a.reject->reason == b.reject->reason;
}

// Records where a tried title came from (once per title and role).
void note_title(AePolicyData& d, const AeCandidate& c, AeRole role) {
  for (const auto& t : d.titles) {
    if (t.title == c.title && t.role == role) return;
  }
  d.titles.push_back({c.title, role, c.source, c.judged, c.detail});
}

AeCandidateInput gather(const ProbeContext& ctx, const Endpoint& ep, const std::string& random) {
  AeCandidateInput in;
  in.ep = ep;
  in.ours = ctx.policy.calling_ae;
  for (const auto& h : ctx.policy.called_ae_hints) {
    if (h != random) in.hints.push_back(h);
  }
  in.vendor = &ctx.policy.ae_titles;
  in.learned = &ctx.policy.learned_ae_pairs;
  if (ctx.site) in.site = ctx.site->snapshot();
  if (const HostFacts* host = ctx.host) {
    if (host->orthanc_dicom_aet != random) in.web_called = host->orthanc_dicom_aet;
    in.web_called_detail = fmt::format("reported by the host's Orthanc REST /system on port {}",
                                       host->orthanc_web_port);
    in.web_calling = host->orthanc_modality_aets;
    in.web_calling_detail = fmt::format("listed by the host's Orthanc REST /modalities on port {} "
                                        "(the peers it is configured for)",
                                        host->orthanc_web_port);
  }
  if (ctx.policy.reverse_dns) {
    const auto timeout = ctx.policy.reverse_dns_timeout;
    auto resolve = [timeout](Ipv4 ip) { return resolve_reverse_name(ip, timeout); };
    in.reverse_name = ctx.site ? ctx.site->reverse_name(ep.ip, resolve) : resolve(ep.ip);
  }
  in.wordlist = ctx.policy.ae_wordlist;
  return in;
}

// What this endpoint showed, for the AE-title search on the scan's other hosts.
void publish(const ProbeContext& ctx, const Endpoint& ep, const AePolicyData& d,
             const std::string& reverse_title) {
  if (!ctx.site) return;
  const std::string where = ep.str();
  if (!reverse_title.empty()) {
    ctx.site->add({reverse_title, AeRole::calling, "", AeSource::reverse_dns,
                   AeSource::reverse_dns, fmt::format("reverse DNS name of {}", ep.ip.str()), ep});
  }
  const bool own_called = !d.working_called_ae.empty() && d.any_called != Tri::yes;
  if (own_called) {
    ctx.site->add({d.working_called_ae, AeRole::called, "", d.working_called_source,
                   d.working_called_found_by,
                   fmt::format("accepted as the called title of {} (found there: {})", where,
                               to_string(d.working_called_found_by)),
                   ep});
  } else if (!d.recognized_called_ae.empty()) {
    ctx.site->add({d.recognized_called_ae, AeRole::called, "", d.recognized_called_source,
                   d.recognized_called_source,
                   fmt::format("recognised as the called title of {} (reason 'calling AE title "
                               "not recognized')",
                               where),
                   ep});
  }
  const bool allow_listed = !d.admitted_calling_ae.empty() && d.any_calling != Tri::yes &&
                            d.admitted_calling_found_by != AeSource::scanner;
  if (allow_listed) {
    ctx.site->add({d.admitted_calling_ae, AeRole::calling, own_called ? d.working_called_ae : "",
                   d.admitted_calling_source, d.admitted_calling_found_by,
                   fmt::format("admitted as a calling title by {}{} (found there: {})", where,
                               own_called ? fmt::format(" (called '{}')", d.working_called_ae)
                                          : std::string(),
                               to_string(d.admitted_calling_found_by)),
                   ep});
  }
}

std::vector<Observation> run(const ProbeContext& ctx, const Endpoint& ep) {
  Observation o = make_observation("dicom_ae_policy", ep);
  const auto t0 = std::chrono::steady_clock::now();
  AePolicyData d;
  Search s{ctx, ep, d, ctx.policy.max_ae_attempts};
  const std::string& ours = ctx.policy.calling_ae;

  // 1. random called AE
  std::optional<AssocAttempt> first = ctx.facts.first_attempt;
  if (first && first->calling_ae == ours) {
    d.attempts.push_back(*first);
    s.tried.insert({first->calling_ae, first->called_ae});
  } else {
    first = s.attempt(ours, dicom::random_ae_title());
  }
  if (first) d.random_called_ae = first->called_ae;

  const AeCandidateInput input = gather(ctx, ep, d.random_called_ae);
  const AeCandidates cand = build_ae_candidates(input);
  d.site_titles_known = static_cast<int>(input.site.size());
  const AeCandidate& own = cand.calling.front();  // the scanner's own calling title

  std::string called_ok;
  std::string calling_ok;  // a calling title accepted together with called_ok
  const AeCandidate* called_c = nullptr;
  const AeCandidate* calling_c = nullptr;
  if (first && first->outcome == Outcome::ok) {
    d.any_called = Tri::yes;
    called_ok = first->called_ae;
    calling_ok = ours;
    calling_c = &own;
    d.working_called_source = AeSource::random;
    d.working_called_found_by = AeSource::random;
  } else if (first && first->outcome == Outcome::rejected) {
    // PS3.8 reason 3 names the calling AE: the called AE was not the problem (or not judged).
    d.any_called = calling_not_recognized(*first) ? Tri::unknown : Tri::no;
  }

  // 2. (calling, called) pairs, most likely first. `fixed`: a called title the server is known to
  // recognise (then only calling titles are searched with it).
  std::string fixed;
  const AeCandidate* fixed_c = nullptr;
  if (first && calling_not_recognized(*first)) fixed = first->called_ae;
  auto accept = [&](const AeCandidate* cc, const std::string& called, const AeCandidate& kc) {
    called_ok = called;
    called_c = cc;
    calling_ok = kc.title;
    calling_c = &kc;
  };
  std::vector<AePairCandidate> order = cand.pairs;
  std::size_t next = 0;  // first pair of `order` not looked at
  if (called_ok.empty() && fixed.empty() && first && first->valid_pdu()) {
    for (; next < order.size(); ++next) {
      const auto& p = order[next];
      const AeCandidate& kc = cand.calling[p.calling];
      const AeCandidate& cc = cand.called[p.called];
      if (s.was_tried(kc.title, cc.title) || cc.title == d.random_called_ae) continue;
      if (s.over() || s.left <= 0) {
        if (s.left <= 0) d.budget_exhausted = true;
        break;
      }
      auto a = s.attempt(kc.title, cc.title);
      if (!a) break;
      note_title(d, cc, AeRole::called);
      if (kc.title != ours) note_title(d, kc, AeRole::calling);
      d.pairs_tried++;
      if (a->outcome == Outcome::ok) {
        accept(&cc, cc.title, kc);
        ++next;
        break;
      }
      if (same_reject(*a, *first)) continue;
      // The server names the calling title as the problem for this called title, after refusing a
      // random called title for another reason: the called title is right.
      if (calling_not_recognized(*a) && !calling_not_recognized(*first)) {
        fixed = cc.title;
        fixed_c = &cc;
        d.recognized_called_ae = cc.title;
        d.recognized_called_source = cc.judged;
        ++next;
        break;
      }
      // Another reject than the random title's: this called title goes first from now on.
      const std::size_t called_idx = p.called;
      std::stable_partition(order.begin() + static_cast<std::ptrdiff_t>(next) + 1, order.end(),
                            [&](const AePairCandidate& q) { return q.called == called_idx; });
    }
  }
  // Every attempt of step 2 was a (calling, called) pair; it was a pair search in the issue's
  // sense unless the server told the two apart or the scanner's own calling title was enough.
  d.pair_search = d.pairs_tried > 0 && fixed.empty() && !(!called_ok.empty() && calling_ok == ours);
  // 2b. calling titles with a called title the server recognises
  std::size_t next_calling = 0;
  if (called_ok.empty() && !fixed.empty() && first && first->valid_pdu()) {
    for (; next_calling < cand.calling.size(); ++next_calling) {
      const AeCandidate& kc = cand.calling[next_calling];
      if (s.was_tried(kc.title, fixed)) continue;
      if (s.over() || s.left <= 0) {
        if (s.left <= 0) d.budget_exhausted = true;
        break;
      }
      auto a = s.attempt(kc.title, fixed);
      if (!a) break;
      if (fixed_c) note_title(d, *fixed_c, AeRole::called);
      if (kc.title != ours) note_title(d, kc, AeRole::calling);
      if (a->outcome == Outcome::ok) {
        accept(fixed_c, fixed, kc);
        ++next_calling;
        break;
      }
    }
  }
  if (!called_ok.empty() && called_ok == d.random_called_ae) {
    // The random called title was refused only for its calling title: any called title works.
    d.any_called = Tri::yes;
    d.working_called_source = AeSource::random;
    d.working_called_found_by = AeSource::random;
  } else if (called_c) {
    d.working_called_source = called_c->judged;
    d.working_called_found_by = called_c->source;
    d.working_called_detail = called_c->detail;
  }
  if (!called_ok.empty() && calling_ok != ours) {
    d.admitted_calling_ae = calling_ok;
    d.admitted_calling_source = calling_c->judged;
    d.admitted_calling_found_by = calling_c->source;
    d.admitted_calling_detail = calling_c->detail;
  }
  d.working_called_ae = called_ok;
  if (called_ok.empty() && !fixed.empty() && !s.broken && first && first->valid_pdu()) {
    // Every calling title tried was refused "calling AE not recognized" for a called title the
    // server recognises: unknown calling titles are refused (a peer allow-list exists).
    bool all_reason3 = true;
    for (const auto& a : d.attempts) {
      if (a.called_ae == fixed && !calling_not_recognized(a)) all_reason3 = false;
    }
    if (all_reason3) d.any_calling = Tri::no;
  }

  // 3. calling AE policy
  std::size_t next_policy = 1;  // calling[0] is ours
  const bool ours_guessable = guessable(own.judged);
  if (!called_ok.empty()) {
    d.random_calling_ae = dicom::random_ae_title();
    if (auto a = s.attempt(d.random_calling_ae, called_ok)) {
      if (a->outcome == Outcome::ok) {
        d.any_calling = Tri::yes;
      } else if (a->outcome == Outcome::rejected) {
        d.any_calling = Tri::no;
      }
    }
    if (d.any_calling == Tri::no && d.admitted_calling_source == AeSource::none) {
      if (calling_ok == ours && ours_guessable) {
        // --calling-aet is itself a default (FINDSCU ...): anyone who guesses it gets in.
        next_policy = cand.calling.size();
      }
      for (; next_policy < cand.calling.size(); ++next_policy) {
        const AeCandidate& kc = cand.calling[next_policy];
        if (s.was_tried(kc.title, called_ok)) continue;
        if (s.over() || s.left <= 0) {
          if (s.left <= 0) d.budget_exhausted = true;
          break;
        }
        auto a = s.attempt(kc.title, called_ok);
        if (!a) break;
        note_title(d, kc, AeRole::calling);
        if (a->outcome == Outcome::ok) {
          d.admitted_calling_ae = kc.title;
          d.admitted_calling_source = kc.judged;
          d.admitted_calling_found_by = kc.source;
          d.admitted_calling_detail = kc.detail;
          ++next_policy;
          break;
        }
      }
    }
    if (d.any_calling != Tri::yes && d.admitted_calling_ae.empty() && calling_ok == ours) {
      // Only the scanner's own calling title is known to work: judged as what it is (a default
      // passed as --calling-aet is guessable).
      d.admitted_calling_ae = ours;
      d.admitted_calling_source = ours_guessable ? own.judged : AeSource::scanner;
      d.admitted_calling_found_by = AeSource::scanner;
      d.admitted_calling_detail = own.detail;
      note_title(d, own, AeRole::calling);
    }
  }

  // What the cap left: the next candidates of the step it ended.
  if (d.budget_exhausted) {
    auto left = [&](const std::string& calling, AeSource ks, const std::string& called,
                    AeSource cs) {
      if (s.was_tried(calling, called)) return;
      if (d.candidates_left.size() < AePolicyData::k_max_left) {
        d.candidates_left.push_back({calling, called, ks, cs});
      }
      d.candidates_left_total++;
    };
    if (!called_ok.empty()) {
      for (std::size_t i = next_policy; i < cand.calling.size(); ++i) {
        left(cand.calling[i].title, cand.calling[i].source, called_ok,
             called_c ? called_c->source : AeSource::random);
      }
    } else if (!fixed.empty()) {
      for (std::size_t i = next_calling; i < cand.calling.size(); ++i) {
        left(cand.calling[i].title, cand.calling[i].source, fixed,
             fixed_c ? fixed_c->source : AeSource::random);
      }
    } else {
      for (std::size_t i = next; i < order.size(); ++i) {
        const auto& kc = cand.calling[order[i].calling];
        const auto& cc = cand.called[order[i].called];
        if (cc.title == d.random_called_ae) continue;
        left(kc.title, kc.source, cc.title, cc.source);
      }
    }
  }
  publish(ctx, ep, d, reverse_dns_title(input.reverse_name));

  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0)
                     .count();
  o.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::ok;
  auto tri = [](Tri t) { return t == Tri::yes ? "yes" : t == Tri::no ? "no" : "unknown"; };
  o.summary = fmt::format("{} attempts; any called AE: {}; working called AE: '{}'{}; any calling "
                          "AE: {}; admitted calling AE: '{}'{}",
                          d.attempts.size(), tri(d.any_called), d.working_called_ae,
                          d.working_called_ae.empty() || d.working_called_found_by == AeSource::random
                              ? std::string()
                              : fmt::format(" ({})", to_string(d.working_called_found_by)),
                          tri(d.any_calling), d.admitted_calling_ae,
                          d.admitted_calling_ae.empty()
                              ? std::string()
                              : fmt::format(" ({})", to_string(d.admitted_calling_found_by)));
  if (d.pair_search) {
    o.summary += fmt::format("; the rejects did not tell a wrong called title from a wrong calling "
                             "one: {} (calling, called) pair(s) tried, most likely first",
                             d.pairs_tried);
  }
  if (d.budget_exhausted && d.candidates_left_total > 0) {
    o.summary += fmt::format("; --max-ae-attempts ({}) ended the search with {} candidate(s) left",
                             ctx.policy.max_ae_attempts, d.candidates_left_total);
  }
  if (const HostFacts* host = ctx.host; host && !host->orthanc_dicom_aet.empty()) {
    const bool tried = std::any_of(d.attempts.begin(), d.attempts.end(), [&](const auto& a) {
      return a.called_ae == host->orthanc_dicom_aet;
    });
    o.summary += fmt::format(
        "; called AE '{}' reported by the host's Orthanc REST /system on port {} (DicomPort {}{})"
        "{}",
        host->orthanc_dicom_aet, host->orthanc_web_port, host->orthanc_dicom_port,
        host->orthanc_dicom_port == ep.port ? ", this port" : ", not this port",
        !tried                                         ? ", not tried"
        : d.working_called_ae == host->orthanc_dicom_aet ? ", accepted"
                                                         : ", not accepted");
  }
  o.data = std::move(d);
  return {std::move(o)};
}

void learn(const Observation& o, ServiceFacts& f) {
  const auto* d = data_as<AePolicyData>(o);
  if (!d || d->working_called_ae.empty()) return;
  f.working_called_ae = d->working_called_ae;
  f.working_called_source = d->working_called_source;
  if (d->any_calling == Tri::yes) {
    f.calling_ae = dicom::random_ae_title();
    f.calling_source = AeSource::random;
  } else if (!d->admitted_calling_ae.empty()) {
    f.calling_ae = d->admitted_calling_ae;
    f.calling_source = d->admitted_calling_source;
  }
}

}  // namespace

PACSCAN_PROBE(dicom_ae_policy){
    .name = "dicom_ae_policy",
    .summary = "called-AE and calling-AE policy: random titles, then what the site says (--learn "
               "capture, other hosts, web API, --called-aet, reverse DNS), then sourced vendor "
               "defaults (data/ae-titles.tsv), capped by --max-ae-attempts",
    .order = 40,
    .needs = Needs::dicom_port,
    .guesses_ae_titles = true,
    .run = &run,
    .learn = &learn,
};

}  // namespace pacscan::probes
