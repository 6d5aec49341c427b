// dicom_ae_policy: which called and calling AE titles does the server accept?
//  1. random called AE (reuses dicom_associate's attempt): accepted -> any called AE works.
//  2. otherwise the title this host's Orthanc REST /system reported (HostFacts, learned by
//     http_imaging on a web port of the same host, which the engine probes first), then the
//     auditor's hints, then a short list of well-known called titles.
//  3. if none works with our calling AE (some servers, e.g. dcmqrscp, send the same reject for a
//     wrong called and a wrong calling AE), pairs of called x well-known calling titles.
//  4. with a working called AE: a random calling AE; if rejected, well-known client titles.
// Every attempt is one short association (Verification only), released at once, paced by the
// gate's per-host gap, and the total is capped by --max-ae-attempts.
#include "common.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace pacscan::probes {
namespace {

struct Search {
  const ProbeContext& ctx;
  const Endpoint& ep;
  AePolicyData& d;
  int left;
  bool broken = false;  // the server stopped answering DICOM: stop guessing

  // nullopt when no attempt was made (budget, stop, broken server)
  std::optional<AssocAttempt> attempt(const std::string& calling, const std::string& called) {
    if (broken || ctx.stop.stop_requested()) return std::nullopt;
    if (left <= 0 || ctx.budget.exhausted()) {
      d.budget_exhausted = true;
      return std::nullopt;
    }
    --left;
    Session s = open_session(ctx, ep, calling, called, dicom::verification_context());
    if (s.assoc) s.assoc->release();
    d.attempts.push_back(s.attempt);
    if (!s.attempt.valid_pdu()) broken = true;
    return s.attempt;
  }
};

std::vector<std::string> unique_titles(std::vector<std::string> v, const std::string& skip) {
  std::vector<std::string> out;
  for (auto& t : v) {
    if (t.empty() || t == skip || std::find(out.begin(), out.end(), t) != out.end()) continue;
    out.push_back(std::move(t));
  }
  return out;
}

bool calling_not_recognized(const AssocAttempt& a) {
  return a.reject && a.reject->source == 1 && a.reject->reason == 3;
}

bool same_reject(const AssocAttempt& a, const AssocAttempt& b) {
  return a.reject && b.reject && a.reject->result == b.reject->result &&
         a.reject->source == b.reject->source && a.reject->reason == b.reject->reason;
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
  } else {
    first = s.attempt(ours, dicom::random_ae_title());
  }
  if (first) d.random_called_ae = first->called_ae;
  std::string called_ok;
  std::string calling_ok;  // a calling title accepted together with called_ok
  if (first && first->outcome == Outcome::ok) {
    d.any_called = Tri::yes;
    called_ok = first->called_ae;
    calling_ok = ours;
    d.working_called_source = AeSource::random;
  } else if (first && first->outcome == Outcome::rejected) {
    // PS3.8 reason 3 names the calling AE: the called AE was not the problem (or not judged).
    d.any_called = (first->reject->source == 1 && first->reject->reason == 3) ? Tri::unknown
                                                                              : Tri::no;
  }

  // The title the host's own web interface reported: not a guess, so it goes first.
  const HostFacts* host = ctx.host;
  const std::string web_title =
      host && host->orthanc_dicom_aet != d.random_called_ae ? host->orthanc_dicom_aet : "";
  const auto hints = unique_titles(ctx.policy.called_ae_hints, d.random_called_ae);
  const auto well_known = unique_titles(ctx.policy.called_ae_list, d.random_called_ae);
  std::vector<std::string> candidates;
  if (!web_title.empty()) candidates.push_back(web_title);
  for (const auto* list : {&hints, &well_known}) {
    for (const auto& t : *list) {
      if (std::find(candidates.begin(), candidates.end(), t) == candidates.end()) {
        candidates.push_back(t);
      }
    }
  }
  // An auditor's hint stays a hint; a title on the well-known list stays guessable even when the
  // web interface also reported it (DICOM-AE-DEFAULT-TITLE judges the title, not how we got it).
  auto in = [](const std::vector<std::string>& v, const std::string& t) {
    return std::find(v.begin(), v.end(), t) != v.end();
  };
  auto source_of = [&](const std::string& t) {
    if (in(hints, t)) return AeSource::hint;
    if (in(well_known, t)) return AeSource::well_known;
    return t == web_title ? AeSource::web : AeSource::well_known;
  };

  // 2. hints and well-known called titles, with our calling AE
  std::vector<std::string> differing;  // titles whose reject differed from the random title's
  if (called_ok.empty() && first && first->valid_pdu()) {
    for (const auto& t : candidates) {
      auto a = s.attempt(ours, t);
      if (!a) break;
      if (a->outcome == Outcome::ok) {
        called_ok = t;
        calling_ok = ours;
        d.working_called_source = source_of(t);
        break;
      }
      if (!same_reject(*a, *first)) {
        differing.push_back(t);
        // The server names our calling title as the problem for this called title, after
        // refusing a random called title for another reason: the called title is right.
        if (calling_not_recognized(*a) && !calling_not_recognized(*first) &&
            d.recognized_called_ae.empty()) {
          d.recognized_called_ae = t;
          d.recognized_called_source = source_of(t);
        }
      }
    }
  }

  // 3. called x well-known calling pairs (titles that behaved differently first)
  const auto callings = unique_titles(ctx.policy.calling_ae_list, ours);
  if (called_ok.empty() && first && first->valid_pdu()) {
    // A title the server recognised (reason 3) is the only one worth pairing; otherwise titles
    // that behaved differently from the random one come first.
    std::vector<std::string> order = differing;
    if (!d.recognized_called_ae.empty()) {
      order = {d.recognized_called_ae};
    } else {
      for (const auto& t : candidates) {
        if (std::find(order.begin(), order.end(), t) == order.end()) order.push_back(t);
      }
    }
    for (const auto& called : order) {
      for (const auto& calling : callings) {
        auto a = s.attempt(calling, called);
        if (!a) break;
        if (a->outcome == Outcome::ok) {
          called_ok = called;
          calling_ok = calling;
          d.working_called_source = source_of(called);
          d.admitted_calling_ae = calling;
          d.admitted_calling_source = AeSource::well_known;
          break;
        }
      }
      if (!called_ok.empty() || s.broken || d.budget_exhausted || ctx.stop.stop_requested()) break;
    }
  }
  d.working_called_ae = called_ok;
  if (called_ok.empty() && !d.recognized_called_ae.empty() && !s.broken) {
    // Every calling title we tried was refused "calling AE not recognized" for a called title the
    // server recognises: unknown calling titles are refused (a peer allow-list exists).
    bool all_reason3 = true;
    for (const auto& a : d.attempts) {
      if (a.called_ae == d.recognized_called_ae && !calling_not_recognized(a)) all_reason3 = false;
    }
    if (all_reason3) d.any_calling = Tri::no;
  }

  // 4. calling AE policy
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
      for (const auto& calling : callings) {
        auto a = s.attempt(calling, called_ok);
        if (!a) break;
        if (a->outcome == Outcome::ok) {
          d.admitted_calling_ae = calling;
          d.admitted_calling_source = AeSource::well_known;
          break;
        }
      }
    }
    if (d.any_calling != Tri::yes && d.admitted_calling_ae.empty() && calling_ok == ours) {
      d.admitted_calling_ae = ours;  // only the scanner's own calling title is known to work
      d.admitted_calling_source = AeSource::scanner;
    }
  }

  o.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - t0)
                     .count();
  o.outcome = ctx.stop.stop_requested() ? Outcome::interrupted : Outcome::ok;
  auto tri = [](Tri t) { return t == Tri::yes ? "yes" : t == Tri::no ? "no" : "unknown"; };
  o.summary = fmt::format("{} attempts; any called AE: {}; working called AE: '{}'; any calling AE: "
                          "{}; admitted calling AE: '{}'",
                          d.attempts.size(), tri(d.any_called), d.working_called_ae,
                          tri(d.any_calling), d.admitted_calling_ae);
  if (host && !host->orthanc_dicom_aet.empty()) {
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
    .summary = "called-AE and calling-AE policy: random titles, then short lists of well-known "
               "titles (data/called-ae-titles.txt, data/calling-ae-titles.txt), capped by "
               "--max-ae-attempts",
    .order = 40,
    .needs = Needs::dicom_port,
    .guesses_ae_titles = true,
    .run = &run,
    .learn = &learn,
};

}  // namespace pacscan::probes
